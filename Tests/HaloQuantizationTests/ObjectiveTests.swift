import Foundation
import Testing
import HaloQuantization

/// The energy and EDP objectives: the choice under an error budget against brute force, energy
/// accounting and the INT8 reference (the usage-cost level program is checked in `LevelDPTests`).
@Suite struct ObjectiveTests {
    /// Ten int8 values whose delay and energy disagree: small magnitudes are fast but dear, large ones
    /// slow but cheap (code 0 is both fast and cheapest).
    static func disagreeingSpace() -> CodeSpace {
        let f = NumberFormat.int(bits: 8)
        let values = [-64, -32, -8, -2, 0, 1, 3, 12, 40, 96]
        let levels = values.map { v -> CodeLevel in
            let m = Double(abs(v))
            return CodeLevel(code: f.code(ofInteger: v)!, value: Double(v), delayNs: 1 + 0.02 * m + (v < 0 ? 0.005 : 0),
                             energyFJ: v == 0 ? 100 : 2000 - 15 * m)
        }
        return CodeSpace(format: f, levels: levels, referenceDelayNs: 3)
    }

    /// Every K-subset of the allowed values, fitted (scales minimizing the error), evaluated.
    static func bruteForce(_ selector: GridSelector, k: Int) -> [(levels: [CodeLevel], quality: Quality)] {
        let all = selector.space.levels
        var out: [(levels: [CodeLevel], quality: Quality)] = []
        subsets(all.count, k) { idx in
            let s = selector.fit(levels: idx.map { all[$0] })
            out.append((s.levels, selector.evaluate(Assignment(s))))
        }
        return out
    }

    /// Under the same error budget, each objective's grid is the brute-force minimum of that objective
    /// over all K-subsets, and delay and energy choose different grids.
    @Test func choiceUnderErrorBudgetMatchesBruteForce() throws {
        let space = Self.disagreeingSpace()
        let w = WeightTensor(name: "w", shape: [4, 60], values: SyntheticWeights.generate(.laplace, count: 240, seed: 7).values)
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .tensor), space: space)
        let k = 3
        let brute = Self.bruteForce(selector, k: k)
        let sqnr = 6.0
        let feasible = brute.filter { $0.quality.sqnrDB >= sqnr }
        #expect(feasible.count >= 3 && feasible.count < brute.count)
        var chosen: [Objective: QuantizationOutcome] = [:]
        for objective in Objective.allCases {
            var request = QuantizationRequest(levels: k)
            request.budget = .minSQNR(sqnr)
            request.objective = objective
            let out = try HardwareAwareQuantizer.run(selector: selector, request: request)
            chosen[objective] = out
            #expect(out.quality.sqnrDB >= sqnr)
            #expect(out.objective == objective)
            let cost = try #require(objective.cost(levels: out.solution.levels, quality: out.quality))
            let best = feasible.compactMap { objective.cost(levels: $0.levels, quality: $0.quality) }.min()!
            #expect(cost <= best * (1 + 1e-9), "\(objective): chosen \(cost), brute force \(best)")
            // The front is non-dominated in (objective, weighted error).
            for (a, b) in zip(out.pareto, out.pareto.dropFirst()) {
                #expect(a.cost(objective)! < b.cost(objective)! && a.quality.weightedSquaredError > b.quality.weightedSquaredError)
            }
        }
        let byDelay = chosen[.delay]!.solution.levels.map(\.code), byEnergy = chosen[.energy]!.solution.levels.map(\.code)
        #expect(byDelay != byEnergy, "delay and energy should disagree on this table")
        #expect(chosen[.energy]!.quality.energyPerOpFJ! < chosen[.delay]!.quality.energyPerOpFJ!)
        #expect(chosen[.delay]!.solution.maxDelayNs < chosen[.energy]!.solution.maxDelayNs)
        #expect(chosen[.energy]!.selection.hasPrefix("least energy of"))
    }

    /// The reported energy per operation is the mean of the table's energy over the written codes; the
    /// reference is every code rounded to nearest at its own scale, recomputed here by hand.
    @Test func energyAccountingAndInt8Reference() throws {
        let f = NumberFormat.int(bits: 8)
        func energy(_ code: Int) -> Double { 300 + 40 * Double(code.nonzeroBitCount) + (code >= 128 ? 250 : 0) }
        let space = CodeSpace(format: f, levels: (0 ..< 256).map {
            CodeLevel(code: $0, value: f.value(ofCode: $0)!, delayNs: 2 + 0.1 * Double(($0 & 0x0F).nonzeroBitCount), energyFJ: energy($0))
        }, referenceDelayNs: 2.5)
        let a = WeightTensor(name: "a", shape: [6, 40], values: SyntheticWeights.generate(.gaussian, count: 240, seed: 3).values)
        let b = WeightTensor(name: "b", shape: [3, 50], values: SyntheticWeights.generate(.laplace, count: 150, seed: 4).values.map { $0 * 0.1 })
        var options = SelectorOptions()
        options.scaleGridPointsPerOctave = 4
        options.goldenIterations = 10
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [a, b], granularity: .channel), space: space, options: options)
        var request = QuantizationRequest(levels: 8)
        request.objective = .energy
        request.budget = .minSQNR(14)
        let out = try HardwareAwareQuantizer.run(selector: selector, request: request)
        #expect(out.quality.sqnrDB >= 14)
        let tensors = selector.quantize(out.assignment)
        var sum = 0.0, n = 0
        for t in tensors {
            let e = t.codes.reduce(0.0) { $0 + energy(Int($1)) }
            #expect(abs(t.quality.energyPerOpFJ! - e / Double(t.codes.count)) <= 1e-9 * e)
            sum += e
            n += t.codes.count
        }
        let perOp = sum / Double(n)
        #expect(abs(out.quality.energyPerOpFJ! - perOp) <= 1e-9 * perOp)
        // The reference: all 256 codes, each weight to its nearest value at the reference's scale.
        let ref = try #require(out.energyReference)
        #expect(ref.baseline.levels.count == 256 && ref.baseline.name == "int8 (all codes)")
        var refSum = 0.0
        for (t, input) in [a, b].enumerated() {
            let info = selector.problem.tensors[t]
            for i in 0 ..< input.count {
                let scale = Double(Float(ref.solution.scales[info.firstBlock + i / info.cols]))
                let x = Double(input.values[i])
                // Nearest of scale·v, v = −128…127: past every midpoint below x (ties to the larger).
                var v = -128
                while v < 127 && x >= scale * (Double(v) + 0.5) { v += 1 }
                refSum += energy(f.code(ofInteger: v)!)
            }
        }
        let refPerOp = refSum / Double(n)
        #expect(abs(ref.quality.energyPerOpFJ! - refPerOp) <= 1e-9 * refPerOp)
        #expect(abs(out.energyRatio! - perOp / refPerOp) <= 1e-9)
        #expect(out.energyRatio! < 1)
        // Baselines carry energy too.
        #expect(out.baselines.allSatisfy { $0.quality.energyPerOpFJ != nil })
    }

    /// A table of 256 codes (no exhaustive search): the Lagrangian candidates find a grid at least as
    /// cheap as the delay objective's within the same error budget, and the front is over energy.
    @Test func lagrangianSweepOnAFullTable() throws {
        let f = NumberFormat.int(bits: 8)
        let space = CodeSpace(format: f, levels: (0 ..< 256).map { c in
            let v = f.value(ofCode: c)!
            return CodeLevel(code: c, value: v, delayNs: 2 + 0.25 * Double((c & 0x0F).nonzeroBitCount),
                             energyFJ: c == 0 ? 50 : 400 + 90 * Double((c & 0xF0).nonzeroBitCount) + Double(c & 0x0F))
        }, referenceDelayNs: 3.5)
        let w = WeightTensor(name: "w", shape: [8, 128], values: SyntheticWeights.generate(.gaussian, count: 1024, seed: 5).values)
        var options = SelectorOptions()
        options.scaleGridPointsPerOctave = 4
        options.goldenIterations = 10
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .channel), space: space, options: options)
        var request = QuantizationRequest(levels: 8)
        request.budget = .minSQNR(15)
        let delay = try HardwareAwareQuantizer.run(selector: selector, request: request)
        request.objective = .energy
        let energy = try HardwareAwareQuantizer.run(selector: selector, request: request)
        #expect(energy.quality.sqnrDB >= 15)
        #expect(energy.quality.energyPerOpFJ! <= delay.quality.energyPerOpFJ! * 1.01)
        #expect(energy.solution.levels.map(\.code) != delay.solution.levels.map(\.code))
        #expect(energy.pareto.count >= 3)
        for (a, b) in zip(energy.pareto, energy.pareto.dropFirst()) {
            #expect(a.energyPerOpFJ! < b.energyPerOpFJ! && a.quality.weightedSquaredError > b.quality.weightedSquaredError)
        }
        // Without an error budget the grid is the most accurate one, whatever the objective.
        var plain = QuantizationRequest(levels: 8)
        plain.budget = .maxDelay(2.6)
        let d = try HardwareAwareQuantizer.run(selector: selector, request: plain)
        plain.objective = .energy
        let e = try HardwareAwareQuantizer.run(selector: selector, request: plain)
        #expect(d.solution.levels == e.solution.levels && d.quality == e.quality)
        // A delay budget caps the energy candidates too.
        plain.budget = .maxDelay(2.6)
        plain.pareto = true
        let capped = try HardwareAwareQuantizer.run(selector: selector, request: plain)
        #expect(capped.pareto.allSatisfy { $0.maxDelayNs <= 2.6 + 1e-12 })
    }

    @Test func refusalsAndTables() throws {
        // Without energy figures.
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [SyntheticWeights.generate(.gaussian, count: 64, seed: 1)], granularity: .tensor),
                                    space: int8Space { _ in 1 })
        for objective in [Objective.energy, .edp] {
            var request = QuantizationRequest(levels: 4)
            request.objective = objective
            request.budget = .minSQNR(10)
            #expect(errorLine { _ = try HardwareAwareQuantizer.run(selector: selector, request: request) }
                    == "halo: error: --objective \(objective) needs a delay table with energy_fj (run halo characterize --energy)")
        }
        #expect(Objective.parse("EDP") == .edp && Objective.parse("power") == nil)
        // Energy rides from the table; the code standing for a value follows the objective.
        let t = try DelayTable.parseCSV("code,delay_ns,startpoint,endpoint,energy_fj,toggles\nnone,2.0,a,b,,\n0,2.0,a,b,5,1\n128,1.0,a,b,9,2\n56,1.5,a,b,7,1\n", path: "e.csv")
        let byDelay = try CodeSpace(table: t, format: .e4m3, tablePath: "e.csv")
        let byEnergy = try CodeSpace(table: t, format: .e4m3, tablePath: "e.csv", objective: .energy)
        #expect(byDelay.levels.map(\.code) == [128, 56] && byEnergy.levels.map(\.code) == [0, 56])
        #expect(byDelay.hasEnergy && byEnergy.levels.map(\.energyFJ) == [5, 7])
        let partial = try DelayTable.parseCSV("code,delay_ns,startpoint,endpoint,energy_fj\nnone,2.0,a,b,\n0,2.0,a,b,5\n1,1.0,a,b,\n", path: "p.csv")
        let p = try CodeSpace(table: partial, format: .int(bits: 8), tablePath: "p.csv")
        #expect(!p.hasEnergy && p.levelWithoutEnergy?.code == 1)
    }

    /// The exhaustive search is used only for small code sets.
    @Test func exhaustiveOnlyWhenSmall() throws {
        let space = Self.disagreeingSpace()
        let w = WeightTensor(name: "w", shape: [100], values: SyntheticWeights.generate(.gaussian, count: 100, seed: 2).values)
        let selector = GridSelector(problem: try QuantizationProblem(tensors: [w], granularity: .tensor), space: space)
        let points = selector.objectiveCandidates(levels: 4, objective: .energy, capNs: nil)
        #expect(points.count == 210) // C(10, 4)
        let capped = selector.objectiveCandidates(levels: 4, objective: .edp, capNs: 1.3)
        #expect(capped.allSatisfy { $0.maxDelayNs <= 1.3 })
        #expect(capped.count == 15) // 6 values within 1.3 ns (−8, −2, 0, 1, 3, 12): C(6, 4)
    }
}
