import Foundation
import Testing
import HaloQuantization

/// Every k-subset of 0..<n, lexicographic (the library's enumerator, itself checked in `subsetsAreAllDistinct`).
func subsets(_ n: Int, _ k: Int, _ body: ([Int]) -> Void) { Subsets.forEach(n, k, body) }

/// Brute-force cost: every value to its nearest level (ties to the larger), its weighted squared error,
/// plus with `unit` the level's cost per value.
func bruteCost(_ xs: [Double], _ ws: [Double], _ levels: [Double], unit: [Double]? = nil) -> Double {
    var total = 0.0
    for (i, x) in xs.enumerated() {
        var best = 0
        for j in levels.indices where abs(x - levels[j]) <= abs(x - levels[best]) { best = j }
        total += ws[i] * (x - levels[best]) * (x - levels[best]) + (unit?[best] ?? 0)
    }
    return total
}

@Suite struct LevelDPTests {
    /// The dynamic program against every K-subset of up to 20 candidates, random weights and importance;
    /// and with usage costs (the energy objective's `λ·energy` per value), where candidates beyond the
    /// data, which it must then not prune, can win by being cheap.
    @Test(arguments: [(6, 101), (10, 202), (14, 303), (17, 404), (20, 505)])
    func matchesBruteForce(candidates m: Int, seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        var costs = Xoshiro256(seed: seed &+ 1)
        for trial in 0 ..< 3 {
            let n = 40 + Int(rng.next() % 80)
            let xs = (0 ..< n).map { _ in (rng.nextUnit() - 0.5) * 6 + (trial == 2 ? 2 : 0) }
            let ws = (0 ..< n).map { _ in trial == 0 ? 1 : rng.nextUnit() * 3 }
            // Candidates: random, some beyond the data's range on both sides.
            var set = Set<Double>()
            while set.count < m { set.insert(((rng.nextUnit() - 0.5) * 9 * 64).rounded() / 64) }
            let cands = set.sorted()
            let hist = WeightHistogram(values: xs, weights: ws)
            #expect(hist.isExact)
            for k in [1, 2, 3, 5, 8, m - 1] where k >= 1 && k < m {
                var best = Double.infinity
                subsets(m, k) { idx in best = min(best, bruteCost(xs, ws, idx.map { cands[$0] })) }
                let r = LevelDP.solve(histogram: hist, candidates: cands, k: k)
                #expect(r.isExact)
                #expect(r.chosen.count == k && r.chosen == r.chosen.sorted() && Set(r.chosen).count == k)
                let achieved = bruteCost(xs, ws, r.chosen.map { cands[$0] })
                #expect(abs(r.cost - best) <= 1e-9 * max(1, best), "m \(m) k \(k): dp \(r.cost) brute \(best)")
                #expect(abs(achieved - best) <= 1e-9 * max(1, best), "m \(m) k \(k): chosen levels cost \(achieved), brute \(best)")
                let zero = LevelDP.solve(histogram: hist, candidates: cands, k: k, unitCosts: [Double](repeating: 0, count: m))
                #expect(abs(zero.cost - r.cost) <= 1e-9 * max(1, best), "zero usage costs are the plain program")
            }
            let unit = (0 ..< m).map { _ in costs.nextUnit() * [0.3, 0.8, 4][trial] }
            for k in [1, 2, 3, 5, m - 1, m] where k >= 1 && k <= m {
                var best = Double.infinity
                subsets(m, k) { idx in best = min(best, bruteCost(xs, ws, idx.map { cands[$0] }, unit: idx.map { unit[$0] })) }
                let r = LevelDP.solve(histogram: hist, candidates: cands, k: k, unitCosts: unit)
                #expect(r.isExact && r.chosen.count == k && r.chosen == r.chosen.sorted() && Set(r.chosen).count == k)
                let achieved = bruteCost(xs, ws, r.chosen.map { cands[$0] }, unit: r.chosen.map { unit[$0] })
                #expect(abs(r.cost - best) <= 1e-9 * max(1, best), "usage, m \(m) k \(k): dp \(r.cost) brute \(best)")
                #expect(abs(achieved - best) <= 1e-9 * max(1, best), "usage, m \(m) k \(k): chosen cost \(achieved), brute \(best)")
            }
        }
    }

    @Test func subsetsAreAllDistinct() {
        for (n, k) in [(1, 1), (5, 2), (7, 7), (10, 4), (12, 1)] {
            var seen = Set<[Int]>()
            subsets(n, k) { idx in
                #expect(idx.count == k && idx == idx.sorted() && Set(idx).count == k && idx.allSatisfy { (0 ..< n).contains($0) })
                seen.insert(idx)
            }
            #expect(seen.count == Subsets.count(n, k)!)
        }
        #expect(Subsets.count(10, 4) == 210 && Subsets.count(3, 5) == 0 && Subsets.count(256, 16) == nil)
    }

    @Test func allCandidatesWhenKIsLarge() {
        let h = WeightHistogram(values: [0, 1, 2, 3])
        let r = LevelDP.solve(histogram: h, candidates: [0, 1, 2, 3], k: 10)
        #expect(r.chosen == [0, 1, 2, 3] && r.cost == 0)
        // Ties at a midpoint cost the same either way.
        let t = LevelDP.solve(histogram: WeightHistogram(values: [0.5]), candidates: [0, 1], k: 1)
        #expect(t.cost == 0.25)
    }

    @Test func binnedHistogramIsCloseToExact() {
        let w = SyntheticWeights.generate(.laplace, count: 200_000, seed: 3).values.map(Double.init)
        let binned = WeightHistogram(values: w)
        #expect(!binned.isExact && binned.count <= WeightHistogram.binCount)
        let levels = stride(from: -3.0, through: 3.0, by: 0.4).map { $0 }
        let exact = bruteCost(w, [Double](repeating: 1, count: w.count), levels)
        #expect(abs(binned.cost(levels: levels) - exact) / exact < 1e-3)
    }
}

/// A code space of int8 codes with delays from a function.
func int8Space(_ delay: (Int) -> Double, reference: Double = 5) -> CodeSpace {
    let f = NumberFormat.int(bits: 8)
    return CodeSpace(format: f, levels: (0 ..< 256).map { CodeLevel(code: $0, value: f.value(ofCode: $0)!, delayNs: delay($0)) },
                     referenceDelayNs: reference)
}

let mac8Path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv").path

@Suite struct CodeSpaceTests {
    @Test func mac8() throws {
        let space = try CodeSpace(table: try DelayTable.read(path: mac8Path), format: .int(bits: 8), tablePath: mac8Path)
        #expect(space.levels.count == 256 && space.missingCodes == 0)
        #expect(space.referenceSource == "none row" && abs(space.referenceDelayNs - 4.625601) < 1e-9)
        #expect(space.level(ofCode: 255)?.value == -1)
        #expect(space.fastest(1).map(\.code) == [0])
        let names = space.baselines(levels: 16).map(\.name)
        #expect(names == ["int8 (all codes)", "int4 low bits (-8…7)", "int4 high bits (multiples of 16)", "16 fastest codes"])
        let b = space.baselines(levels: 16)
        #expect(b[1].levels.map(\.value) == (-8 ... 7).map(Double.init))
        #expect(b[2].levels.map(\.value) == stride(from: -128, through: 112, by: 16).map(Double.init))
        #expect(abs(b[2].maxDelayNs - 3.465349) < 1e-9)
        #expect(b[3].levels.count == 16 && b[3].levels.allSatisfy { $0.delayNs <= 3.6087 })
        #expect(space.allowed(maxDelayNs: 3.4).map(\.code).sorted() == [0, 16, 32, 64, 96, 128, 192])
        #expect(space.smallestBudget(admitting: 16) == 3.465349) // the 16th fastest code (-16)
        // 81 distinct delays; those within 0.01 ps of a faster one merge into 65 budgets.
        #expect(Set(space.levels.map(\.delayNs)).count == 81)
        #expect(space.distinctDelays.count == 65)
        // Every delay is a budget or within 0.01 ps below one.
        #expect(space.levels.allSatisfy { l in space.distinctDelays.contains { $0 >= l.delayNs && $0 - l.delayNs <= CodeSpace.delayResolutionNs } })
    }

    @Test func refusals() throws {
        let t = try DelayTable.parseCSV("code,delay_ns\nnone,2.0\n0,1.0\n300,2.0\n", path: "t.csv")
        #expect(errorLine { _ = try CodeSpace(table: t, format: .int(bits: 8), tablePath: "t.csv") }
                == "t.csv: error: code 300 is outside the 8-bit code space of int8 (0…255)")
        var j = try DelayTable.parseCSV("code,delay_ns\nnone,1.0\n0,1.0\n", path: "t.json")
        j.metadata.busWidth = 16
        #expect(errorLine { _ = try CodeSpace(table: j, format: .e4m3, tablePath: "t.json") }
                == "t.json: error: the table is for a 16-bit bus but e4m3 has 8 bits")
        let nan = try DelayTable.parseCSV("code,delay_ns\nnone,1.0\n127,1.0\n255,1.0\n", path: "n.csv")
        #expect(errorLine { _ = try CodeSpace(table: nan, format: .e4m3, tablePath: "n.csv") }
                == "n.csv: error: no code of the table is a finite e4m3 value")
    }

    @Test func floatZerosShareAValueAndNoPathIsZeroDelay() throws {
        let t = try DelayTable.parseCSV("code,delay_ns\nnone,\n0,2.0\n128,1.5\n56,\n127,0.1\n", path: "f.csv")
        let space = try CodeSpace(table: t, format: .e4m3, tablePath: "f.csv")
        #expect(space.levels.map(\.code) == [128, 56]) // −0 is faster than +0; NaN 127 is never a level
        #expect(space.levels[1].delayNs == 0 && space.levels[1].value == 1)
        #expect(space.referenceSource == "slowest code" && space.referenceDelayNs == 1.5)
        #expect(space.missingCodes == 252)
    }
}

/// Budgets closer than the timing engine's agreement with OpenSTA (0.01 ps) are one budget.
@Suite struct DelayResolutionTests {
    @Test func nearlyEqualDelaysAreOneBudget() throws {
        let f = NumberFormat.int(bits: 8)
        let delays: [Int: Double] = [0: 2.0, 16: 3.465342, 32: 3.465343, 48: 3.465349, 64: 3.46536, 80: 4.6]
        let space = CodeSpace(format: f, levels: delays.map { CodeLevel(code: $0.key, value: f.value(ofCode: $0.key)!, delayNs: $0.value) },
                              referenceDelayNs: 4.6)
        // 3.465342…3.465349 are within 0.01 ps of the first; 3.46536 is 0.018 ps away: its own budget.
        #expect(space.distinctDelays == [2.0, 3.465349, 3.46536, 4.6])
        // The budget admits every code of its group.
        #expect(space.allowed(maxDelayNs: space.distinctDelays[1]).map(\.code).sorted() == [0, 16, 32, 48])
    }
}

/// Tables with more budgets than `maxSweptBudgets` are swept thinned; an error budget is then bisected
/// to the full budget resolution and must land where the full sweep does.
@Suite struct ThinnedSweepTests {
    @Test func bisectionFindsTheFullSweepsBudget() throws {
        let f = NumberFormat.int(bits: 8)
        // 256 codes with distinct delays: the delay grows with the value's magnitude and its low bits.
        let space = CodeSpace(format: f, levels: (0 ..< 256).map { c in
            let v = f.value(ofCode: c)!
            return CodeLevel(code: c, value: v, delayNs: 1 + abs(v) / 128 + Double(c & 7) * 0.3 + Double(c) * 1e-4)
        }, referenceDelayNs: 4)
        let w = SyntheticWeights.generate(.gaussian, count: 1000, seed: 5)
        let problem = try QuantizationProblem(tensors: [w], granularity: .tensor)
        var thin = SelectorOptions()
        thin.scaleGridPointsPerOctave = 4
        thin.goldenIterations = 10
        thin.maxSweptBudgets = 40
        thin.thinnedSweepBudgets = 6
        var full = thin
        full.maxSweptBudgets = 1000
        let thinSelector = GridSelector(problem: problem, space: space, options: thin)
        let fullSelector = GridSelector(problem: problem, space: space, options: full)
        let swept = thinSelector.sweptBudgets()
        #expect(swept.count == 6 && swept.last == space.distinctDelays.last && swept.first == space.distinctDelays.first)
        #expect(fullSelector.sweptBudgets() == fullSelector.allBudgets())
        for sqnr in [8.0, 11.0, 14.0] {
            var request = QuantizationRequest(levels: 8)
            request.budget = .minSQNR(sqnr)
            request.baselines = false
            let a = try HardwareAwareQuantizer.run(selector: thinSelector, request: request)
            let b = try HardwareAwareQuantizer.run(selector: fullSelector, request: request)
            #expect(a.quality.sqnrDB >= sqnr && b.quality.sqnrDB >= sqnr)
            #expect(a.budgetNs == b.budgetNs, "min-sqnr \(sqnr): thinned+bisected \(a.budgetNs!) vs full sweep \(b.budgetNs!)")
        }
    }
}

@Suite struct GridSelectorTests {
    /// The whole selection (levels and one scale) against exhaustive search over subsets and a fine
    /// scale grid, on a small candidate set.
    @Test func selectionNearBruteForce() throws {
        let f = NumberFormat.int(bits: 8)
        let codes = [0, 3, 5, 9, 16, 30, 60, 100, 200, 250, 253, 255, 129] // values 0 3 5 9 16 30 60 100 -56 -6 -3 -1 -127
        let space = CodeSpace(format: f, levels: codes.map { CodeLevel(code: $0, value: f.value(ofCode: $0)!, delayNs: 1) }, referenceDelayNs: 1)
        let w = SyntheticWeights.generate(.laplace, count: 300, seed: 11)
        let problem = try QuantizationProblem(tensors: [w], granularity: .tensor)
        let selector = GridSelector(problem: problem, space: space)
        let xs = w.values.map(Double.init)
        let values = space.levels.map(\.value)
        for k in [2, 4, 6] {
            let sol = selector.select(allowed: space.levels, levels: k)
            let q = selector.evaluate(Assignment(sol))
            var brute = Double.infinity
            let absmax = xs.map(abs).max()!
            for i in 0 ..< 1500 {
                let s = absmax / 127 * pow(2, Double(i) / 1500 * 10 - 4)
                let hist = WeightHistogram(values: xs.map { $0 / s })
                let r = LevelDP.solve(histogram: hist, candidates: values, k: k)
                brute = min(brute, r.cost * s * s)
            }
            #expect(q.squaredError <= brute * 1.002, "k \(k): selector \(q.squaredError) vs brute \(brute)")
            #expect(sol.levels.count == k && sol.levelChoiceExact)
        }
    }

    @Test func quantizedTensorsAreConsistent() throws {
        let space = try CodeSpace(table: try DelayTable.read(path: mac8Path), format: .int(bits: 8), tablePath: mac8Path)
        let a = WeightTensor(name: "a", shape: [8, 24], values: SyntheticWeights.generate(.gaussian, count: 192, seed: 5).values.map { $0 * 0.02 })
        let b = WeightTensor(name: "b", shape: [5, 7], values: SyntheticWeights.generate(.laplace, count: 35, seed: 6).values)
        for granularity in [Granularity.tensor, .channel, .group(5)] {
            let problem = try QuantizationProblem(tensors: [a, b], granularity: granularity)
            let selector = GridSelector(problem: problem, space: space)
            let sol = selector.select(allowed: space.allowed(maxDelayNs: 3.62), levels: 16)
            #expect(sol.levels.count == 16 && sol.maxDelayNs <= 3.62)
            let out = selector.quantize(Assignment(sol))
            let total = selector.evaluate(Assignment(sol))
            var sum = 0.0
            for (t, q) in out.enumerated() {
                let input = [a, b][t]
                #expect(q.shape == input.shape)
                let (rows, cols) = input.matrixShape
                switch granularity {
                case .tensor: #expect(q.scaleShape == [1, 1])
                case .channel: #expect(q.scaleShape == [rows, 1])
                case .group(let g): #expect(q.scaleShape == [rows, (cols + g - 1) / g] && q.scaleBlock == [1, g])
                }
                var err = 0.0
                for i in 0 ..< input.count {
                    let code = Int(q.codes[i])
                    let level = try #require(sol.levels.first { $0.code == code })
                    let r = i / cols, c = i % cols
                    let scale = q.scales[(r / q.scaleBlock[0]) * q.scaleShape[1] + c / q.scaleBlock[1]]
                    #expect(q.dequantized[i] == scale * Float(level.value))
                    let d = Double(input.values[i]) - Double(q.dequantized[i])
                    err += d * d
                }
                #expect(abs(q.quality.mse - err / Double(input.count)) <= 1e-12 * max(1e-30, err))
                sum += err
            }
            #expect(abs(total.squaredError - sum) <= 1e-9 * sum)
            // Every weight goes to a nearest level of its block's scale.
            let q0 = out[0]
            for i in 0 ..< a.count {
                let scale = Double(q0.scales[granularity == .tensor ? 0 : (granularity == .channel ? i / 24 : (i / 24) * 5 + (i % 24) / 5)])
                let best = sol.levels.map { abs(Double(a.values[i]) - Double(Float(scale * $0.value))) }.min()!
                #expect(abs(Double(a.values[i]) - Double(q0.dequantized[i])) <= best + 1e-6 * scale)
            }
        }
    }

    @Test func importanceProtectsImportantWeights() throws {
        let space = int8Space { _ in 1 }
        var values = SyntheticWeights.generate(.gaussian, count: 4000, seed: 9).values
        values[0] = 3.3
        let w = WeightTensor(name: "w", shape: [4000], values: values)
        var imp = [Float](repeating: 1, count: 4000)
        imp[0] = 1e6
        let plain = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .tensor), space: space)
        let weighted = GridSelector(problem: try QuantizationProblem(tensors: [w], importance: [WeightTensor(name: "i", shape: [4000], values: imp)],
                                                                     granularity: .tensor), space: space)
        let p = plain.quantize(Assignment(plain.select(allowed: space.levels, levels: 4)))[0]
        let q = weighted.quantize(Assignment(weighted.select(allowed: space.levels, levels: 4)))[0]
        #expect(abs(q.dequantized[0] - 3.3) < abs(p.dequantized[0] - 3.3))
        #expect(abs(q.dequantized[0] - 3.3) < 1e-3)
        #expect(q.quality.mse > p.quality.mse) // the plain MSE pays for it
        // Broadcast importance over rows: one value per column.
        let m = WeightTensor(name: "m", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        _ = try QuantizationProblem(tensors: [m], importance: [WeightTensor(name: "c", shape: [3], values: [1, 1, 2])], granularity: .channel)
        #expect(errorLine { _ = try QuantizationProblem(tensors: [m], importance: [WeightTensor(name: "c", shape: [2], values: [1, 1])], granularity: .channel) }
                == "halo: error: importance 'c' has shape [2]; weights 'm' have shape [2, 3] (expected the same shape, or 3 values broadcast over the rows)")
        #expect(errorLine { _ = try QuantizationProblem(tensors: [m], importance: [WeightTensor(name: "c", shape: [3], values: [1, -1, 1])], granularity: .channel) }
                == "halo: error: importance 'c' has a negative or non-finite value (-1.0) at flat index 1")
    }

    @Test func paretoFrontAndBudgets() throws {
        let space = try CodeSpace(table: try DelayTable.read(path: mac8Path), format: .int(bits: 8), tablePath: mac8Path)
        let w = WeightTensor(name: "w", shape: [16, 64], values: SyntheticWeights.generate(.gaussian, count: 1024, seed: 2).values)
        var options = SelectorOptions()
        options.scaleGridPointsPerOctave = 4
        options.goldenIterations = 12
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .channel), space: space, options: options)
        let front = selector.pareto(levels: 8)
        #expect(front.count >= 3)
        for (a, b) in zip(front, front.dropFirst()) {
            #expect(a.maxDelayNs < b.maxDelayNs)
            #expect(a.quality.weightedSquaredError > b.quality.weightedSquaredError)
        }
        for p in front { #expect(p.maxDelayNs <= p.budgetNs + 1e-12 && p.levels.count <= 8) }
        // Every swept budget: the error never rises with the budget.
        let swept = selector.pareto(levels: 8, all: true)
        #expect(swept.map(\.budgetNs) == selector.sweptBudgets())
        for (a, b) in zip(swept, swept.dropFirst()) { #expect(b.quality.weightedSquaredError <= a.quality.weightedSquaredError) }
        // With the sweep, the grid is at least as good as every point within its budget.
        var withFront = QuantizationRequest(levels: 8)
        withFront.pareto = true
        withFront.budget = .maxDelay(3.62)
        let seeded = try HardwareAwareQuantizer.run(selector: selector, request: withFront)
        let bestWithin = swept.filter { $0.budgetNs <= 3.62 }.map(\.quality.weightedSquaredError).min()!
        #expect(seeded.quality.weightedSquaredError <= bestWithin)
        let frontWithin = seeded.pareto.filter { $0.budgetNs <= 3.62 }.map(\.quality.weightedSquaredError).min()!
        #expect(abs(frontWithin - seeded.quality.weightedSquaredError) <= 1e-12 * frontWithin)
        // The run resolves budgets into allowed codes.
        var request = QuantizationRequest(levels: 8)
        request.budget = .minSpeedup(1.3)
        let out = try HardwareAwareQuantizer.run(selector: selector, request: request)
        #expect(abs(out.budgetNs! - 4.625601 / 1.3) < 1e-9)
        #expect(out.solution.maxDelayNs <= 4.625601 / 1.3)
        #expect(out.baselines.count == 4)
        #expect(out.baselines[0].quality.mse < out.quality.mse)
        request.budget = .maxMSE(front[front.count / 2].quality.mse * 1.0000001)
        let byError = try HardwareAwareQuantizer.run(selector: selector, request: request)
        #expect(byError.quality.mse <= front[front.count / 2].quality.mse * 1.0000001)
        #expect(byError.solution.maxDelayNs <= front[front.count / 2].maxDelayNs + 1e-12)
        request.budget = .maxDelay(1.0)
        #expect(errorLine { _ = try HardwareAwareQuantizer.run(selector: selector, request: request) }
                == "halo: error: no code has delay ≤ 1.0000 ns (the fastest, code 0, takes 2.0290 ns)")
        request.budget = .maxDelay(3.3)
        let few = try HardwareAwareQuantizer.run(selector: selector, request: request)
        #expect(few.solution.levels.map(\.code).sorted() == [0, 32, 64]) // 96 takes 3.347 ns
        #expect(few.warnings == ["only 3 distinct values have delay ≤ 3.3000 ns; the grid has 3 levels, not 8"])
        request.budget = .minSQNR(200)
        #expect(errorLine { _ = try HardwareAwareQuantizer.run(selector: selector, request: request) }?.hasPrefix("halo: error: no grid meets min-sqnr 200.0 dB") == true)
    }
}

@Suite struct DVFSTests {
    @Test func greedyAssignmentIsOptimalOnConvexCase() {
        // 4 tiles × 3 levels with convex error/time trade-offs: greedy = exhaustive optimum.
        let errors: [[Double]] = [[1, 1, 1, 1], [1.5, 3, 1.2, 2], [3, 9, 1.5, 4]]
        let cost = [3.0, 2, 1.5]
        let sizes = [10, 10, 20, 5]
        for budget in [4.0, 4.5, 5, 6, 8, 12, 20] {
            let a = DVFSPlanner.assign(errors, cost: cost, sizes: sizes, budget: budget)
            let e = (0 ..< 4).reduce(0.0) { $0 + errors[a[$1]][$1] }
            let c = (0 ..< 4).reduce(0.0) { $0 + Double(sizes[$1]) * cost[a[$1]] }
            #expect(e <= budget + 1e-12)
            var best = Double.infinity
            for combo in 0 ..< 81 {
                var x = combo, ee = 0.0, cc = 0.0
                for t in 0 ..< 4 { let l = x % 3; x /= 3; ee += errors[l][t]; cc += Double(sizes[t]) * cost[l] }
                if ee <= budget + 1e-12 { best = min(best, cc) }
            }
            #expect(c <= best * 1.15, "budget \(budget): greedy \(c) vs optimum \(best)")
        }
        // Nothing to spend: every tile stays accurate.
        #expect(DVFSPlanner.assign(errors, cost: cost, sizes: sizes, budget: 4) == [0, 0, 0, 0])
    }

    @Test func planOnMac8() throws {
        let space = try CodeSpace(table: try DelayTable.read(path: mac8Path), format: .int(bits: 8), tablePath: mac8Path)
        #expect(DVFSPlanner.defaultBudgets(space: space, levels: 3, k: 16, cap: nil).count == 3)
        let budgets = DVFSPlanner.defaultBudgets(space: space, levels: 3, k: 16, cap: nil)
        #expect(budgets.first == space.distinctDelays.last && budgets.last == 3.465349 && budgets == budgets.sorted(by: >))
        // The middle level: halfway in frequency, snapped down to a delay of the table.
        let middle = 2 / (1 / budgets[0] + 1 / 3.465349)
        #expect(budgets[1] == space.distinctDelays.last { $0 <= middle })
        #expect(DVFSPlanner.defaultBudgets(space: space, levels: 3, k: 16, cap: 4.0).first == space.distinctDelays.last { $0 <= 4.0 })
        // A matrix whose first rows are large-valued outliers (sensitive) and the rest small.
        var values = SyntheticWeights.generate(.gaussian, count: 64 * 64, seed: 4).values
        for i in 0 ..< 16 * 64 { values[i] *= (i % 7 == 0) ? 8 : 1 }
        let w = WeightTensor(name: "w", shape: [64, 64], values: values)
        var options = SelectorOptions()
        options.scaleGridPointsPerOctave = 3
        options.goldenIterations = 10
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .channel, tile: TileShape(rows: 16, cols: 32)),
                                    space: space, options: options)
        #expect(selector.problem.tileCount == 8)
        var dvfs = DVFSOptions()
        dvfs.errorSlack = 0.5
        let plan = try DVFSPlanner.plan(selector: selector, levels: 16, options: dvfs)
        #expect(plan.levels.count == 3)
        #expect(plan.quality.weightedSquaredError <= plan.errorBudget * (1 + 1e-9))
        #expect(plan.speedup >= 4.625601 / space.distinctDelays.last! - 1e-12)
        #expect(abs(plan.energyRatio - 1) < 1e-12) // speed goal: nominal voltage everywhere
        for (l, level) in plan.levels.enumerated() {
            #expect(level.grid.allSatisfy { $0.delayNs <= level.budgetNs + 1e-12 })
            #expect(level.clockNs == level.maxDelayNs)
            #expect(level.tiles == plan.tileLevel.filter { $0 == l }.count)
        }
        // Codes follow each tile's level.
        let out = selector.quantize(plan.assignment)[0]
        for i in 0 ..< w.count {
            let tile = (i / 64) / 16 * 2 + (i % 64) / 32
            #expect(plan.levels[plan.tileLevel[tile]].grid.contains { $0.code == Int(out.codes[i]) })
        }
        #expect(out.scaleShape == [64, 2])
        // Energy goal with a measured voltage table.
        dvfs.goal = .energy
        dvfs.voltage = .table([.init(voltage: 1.8, frequencyMHz: 200), .init(voltage: 1.6, frequencyMHz: 170), .init(voltage: 1.4, frequencyMHz: 140)])
        let energy = try DVFSPlanner.plan(selector: selector, levels: 16, options: dvfs)
        #expect(abs(energy.speedup - 1) < 1e-12)
        #expect(energy.energyRatio < 1)
        for level in energy.levels {
            // Lowest table voltage whose frequency covers the grid: f(V) ≥ 200 · maxDelay / reference.
            let need = 200 * level.maxDelayNs / space.referenceDelayNs
            let expected = [1.4, 1.6, 1.8].first { [1.4: 140.0, 1.6: 170, 1.8: 200][$0]! >= need * (1 - 1e-12) }!
            #expect(level.voltage == expected)
        }
    }

    @Test func voltageModels() throws {
        let m = VoltageModel.defaultModel
        #expect(m.lowestVoltage(relativeDelay: 1) == 1.8)
        let v1 = m.lowestVoltage(relativeDelay: 0.9), v2 = m.lowestVoltage(relativeDelay: 0.7)
        #expect(v1 < 1.8 && v2 < v1 && v2 > 0.55)
        let s = Scratch()
        let ok = s.write("vf.csv", "# measured\nvoltage_v,frequency_mhz\n1.8,200\n1.2, 120\n")
        #expect(try VoltageModel.read(path: ok) == .table([.init(voltage: 1.8, frequencyMHz: 200), .init(voltage: 1.2, frequencyMHz: 120)]))
        let bad = s.write("bad.csv", "1.8,200\n1.2, fast\n")
        #expect(errorLine { _ = try VoltageModel.read(path: bad) } == "\(bad):2:6: error: malformed frequency 'fast' (expected a positive number)")
        let empty = s.write("empty.csv", "# nothing\n")
        #expect(errorLine { _ = try VoltageModel.read(path: empty) } == "\(empty):2:1: error: no operating points (expected lines 'voltage_v,frequency_mhz')")
    }
}
