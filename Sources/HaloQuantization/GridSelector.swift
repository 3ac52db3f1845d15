import Foundation

/// Effort of the searches over scales (see ``GridSelector`` for the method).
public struct SelectorOptions: Sendable, Equatable {
    /// Points per octave of the log-spaced grid of the global scale search (α).
    public var scaleGridPointsPerOctave = 9.0
    /// Golden-section iterations refining each of the best α grid points.
    public var goldenIterations = 24
    /// How many of the best local minima of the α grid are refined.
    public var refinedMinima = 4
    /// Points per octave of each block's own scale grid.
    public var blockGridPointsPerOctave = 6.0
    /// Golden-section iterations refining each block's scale.
    public var blockGoldenIterations = 14
    /// Maximum rounds alternating "scales given levels" and "levels given scales".
    public var refinementRounds = 4
    /// The same for each point of a Pareto sweep (the point at the grid's own budget is then redone
    /// with ``refinementRounds``, seeded by the sweep).
    public var paretoRefinementRounds = 2
    /// Tables with at most this many budgets (every 8-bit table) are swept at every budget.
    public var maxSweptBudgets = 256
    /// Tables with more (a 16-bit table has tens of thousands of distinct delays, each sweep point
    /// about a second) are swept at this many budgets, evenly spaced over the budgets in delay order,
    /// the last always included; a delay-objective error budget is then refined by bisection over
    /// every budget in between, so the grid's budget keeps the table's full resolution.
    public var thinnedSweepBudgets = 48
    /// Worker threads of the searches (`--threads`); 0 uses every active core. Results do not depend on it.
    public var threads = 0

    /// The default effort.
    public init() {}
}

/// A grid and the scales that go with it.
public struct GridSolution: Sendable, Equatable {
    /// The chosen levels, ascending by value.
    public var levels: [CodeLevel]
    /// One scale per block of the problem (Float-representable); 0 for blocks outside the solved set.
    public var scales: [Double]
    /// Importance-weighted squared error over the solved blocks (from the search's prefix sums), plus
    /// ``energyWeight`` × the summed `energy_fj` of the weights' codes when that weight is not 0.
    public var objective: Double
    /// Whether the level choice is provably optimal for the final scales: an exact histogram
    /// (≤ 65,536 weights) and no candidate thinning. Fixed-level fits are exact by definition.
    public var levelChoiceExact: Bool
    /// λ of the search that found the grid: the error it minimized was `error + λ·Σ energy` (0: error
    /// only; see ``GridSelector/select(allowed:levels:blocks:seeds:energyWeight:)``).
    public var energyWeight: Double = 0
    /// The slowest chosen code.
    public var maxDelayNs: Double { levels.map(\.delayNs).max() ?? 0 }
}

/// Error statistics of quantized weights against the originals.
public struct Quality: Sendable, Equatable {
    /// Number of weights.
    public var count: Int = 0
    /// Σ (x − x̂)².
    public var squaredError: Double = 0
    /// Σ x².
    public var squaredSignal: Double = 0
    /// Σ importance·(x − x̂)² (equals `squaredError` without importance).
    public var weightedSquaredError: Double = 0
    /// Σ over the weights of the `energy_fj` of the code each weight went to (importance not applied).
    public var energySumFJ: Double = 0
    /// False when some weight went to a code without an energy figure.
    public var energyKnown = true

    /// A zero accumulator.
    public init() {}

    /// Mean squared error.
    public var mse: Double { count > 0 ? squaredError / Double(count) : 0 }
    /// Importance-weighted mean squared error (Σ importance·err² / count).
    public var weightedMSE: Double { count > 0 ? weightedSquaredError / Double(count) : 0 }
    /// Signal-to-quantization-noise ratio, dB: `10·log10(Σx² / Σ(x−x̂)²)` (+∞ when exact).
    public var sqnrDB: Double { squaredError > 0 ? 10 * log10(squaredSignal / squaredError) : .infinity }
    /// The former spelling of ``sqnrDB``.
    @available(*, deprecated, renamed: "sqnrDB")
    public var sqnrDb: Double { sqnrDB }
    /// Energy per MAC operation, fJ: the mean of the weights' codes' `energy_fj`, each weight counted once
    /// (a weight-stationary MAC does one operation per weight per activation, so this is the mean over
    /// operations). Nil when some code has no energy figure, or there are no weights.
    public var energyPerOpFJ: Double? { energyKnown && count > 0 ? energySumFJ / Double(count) : nil }

    /// Adds another accumulator.
    public mutating func add(_ o: Quality) {
        count += o.count
        squaredError += o.squaredError
        squaredSignal += o.squaredSignal
        weightedSquaredError += o.weightedSquaredError
        energySumFJ += o.energySumFJ
        energyKnown = energyKnown && o.energyKnown
    }
}

/// Which grid and scale each block uses: one grid for a plain selection, one per DVFS level.
public struct Assignment: Sendable, Equatable {
    /// The grids, each ascending by value.
    public var grids: [[CodeLevel]]
    /// Grid index of each block.
    public var blockGrid: [Int]
    /// Scale of each block.
    public var scales: [Double]

    /// An assignment.
    public init(grids: [[CodeLevel]], blockGrid: [Int], scales: [Double]) {
        self.grids = grids
        self.blockGrid = blockGrid
        self.scales = scales
    }

    /// A single grid for every block.
    public init(_ solution: GridSolution) {
        grids = [solution.levels]
        blockGrid = [Int](repeating: 0, count: solution.scales.count)
        scales = solution.scales
    }
}

/// A quantized tensor, ready to be written.
public struct QuantizedTensor: Sendable {
    /// The tensor's name.
    public var name: String
    /// Its shape.
    public var shape: [Int]
    /// Bus codes, row-major, same shape (empty unless materialized).
    public var codes: [UInt16]
    /// `scale · value(code)` as F32, same shape (empty unless materialized).
    public var dequantized: [Float]
    /// Scales, row-major `[rowBlocks, colBlocks]`: element (r, c) of the matrix view uses
    /// `scales[(r / blockRows) * colBlocks + c / blockCols]`.
    public var scales: [Float]
    /// `[rowBlocks, colBlocks]`.
    public var scaleShape: [Int]
    /// `[blockRows, blockCols]`.
    public var scaleBlock: [Int]
    /// Error of this tensor.
    public var quality: Quality
}

/// Chooses quantization grids for a ``QuantizationProblem`` from the levels a ``CodeSpace`` allows.
///
/// **Method.** The grid (the K codes the MAC sees) is shared by every weight; each block (tensor,
/// channel or group) has its own scale `s`, and a weight `x` becomes `s·l` for the level `l` nearest
/// to `x/s`. The objective is the importance-weighted squared error `Σ ω (x − x̂)²` pooled over all
/// weights.
/// 1. **Global scale search with exact levels.** Each block is normalized by its own
///    `absmax / max|allowed value|`. For a common multiplier α the K-subset of allowed values is
///    chosen *exactly* by ``LevelDP`` on the histogram of normalized weights (weights ω·base²), and α
///    is searched on a log grid (9 points per octave) from 1/64 to `2·max|v| / median|v|` (α = 1 maps
///    each block's largest magnitude onto the largest allowed magnitude; the top end lets a grid
///    of small values with a large scale compete); the four best local minima of the grid are then
///    refined by 24 golden-section steps each.
/// 2. **Alternation.** Given the levels, every block's scale is searched on its own (log grid of 6
///    points per octave over `[s/2, 2s]` around its current scale `s`; 14 golden-section steps
///    around the best point; one closed-form least-squares step; never worse than `s`); given the scales, the levels are re-chosen exactly by the
///    dynamic program on the histogram of `x/s`. Rounds repeat while the error drops by more than
///    10⁻⁴ relative (at most ``SelectorOptions/refinementRounds``).
///
/// The level choice is exact for the scales it is given; the scale search is a dense grid plus local
/// refinement, since the error is not unimodal in the scale. Every reported error is recomputed on
/// the raw weights with the F32 scales that are written.
///
/// **Energy.** With an `energyWeight` λ > 0 (the energy and EDP objectives' candidate search, see
/// ``objectiveCandidates(levels:objective:capNs:meets:)``) every step above minimizes
/// `Σ ω (x − x̂)² + λ·Σ energy_fj(code of x)` instead, each weight still going to its nearest level:
/// the level choice stays exact (``LevelDP`` with usage costs), the scale searches are the same.
/// ``evaluate(_:blocks:)`` also totals the energy of the codes the weights go to (``Quality``).
public final class GridSelector: @unchecked Sendable {
    /// The weights.
    public let problem: QuantizationProblem
    /// The codes.
    public let space: CodeSpace
    /// Search effort (fixed for the selector's life: it is shared by the search's threads).
    public let options: SelectorOptions

    /// A selector.
    public init(problem: QuantizationProblem, space: CodeSpace, options: SelectorOptions = SelectorOptions()) {
        self.problem = problem
        self.space = space
        self.options = options
    }

    private var allBlocks: [Int] { Array(0 ..< problem.blockCount) }

    /// The parallel loop of the searches, on ``SelectorOptions/threads`` workers.
    var parallel: ParallelLoop { ParallelLoop(threads: options.threads) }

    // MARK: Selection

    /// The best `k` levels among `allowed` (all of them when there are at most `k` distinct values) and
    /// the blocks' scales, over `blocks` (all blocks by default). `seeds` are solutions to continue from
    /// as well (see ``refine(_:allowed:levels:blocks:energyWeight:)``); the best result is returned.
    ///
    /// With an `energyWeight` λ > 0 the quantity minimized is `Σ ω(x − x̂)² + λ·Σ energy_fj(code of x)`
    /// (every weight still goes to its nearest level): the level choice is exact for it at given
    /// scales (``LevelDP`` with usage costs), and the scale searches minimize it too. Every allowed
    /// level must then have an energy figure. λ = 0 (the default) is the plain error search.
    public func select(allowed: [CodeLevel], levels k: Int, blocks: [Int]? = nil, seeds: [GridSolution] = [],
                       energyWeight lambda: Double = 0) -> GridSolution {
        let blocks = blocks ?? allBlocks
        let candidates = allowed.sorted { $0.value < $1.value }
        precondition(!candidates.isEmpty && k >= 1)
        let usage = Self.usageCosts(candidates, lambda)
        if candidates.count <= k || blocks.isEmpty {
            var best = fit(candidates, blocks: blocks, lambda: lambda)
            for seed in seeds where seed.levels.count == candidates.count {
                let r = refine(seed, allowed: candidates, levels: k, blocks: blocks, energyWeight: lambda)
                if r.objective < best.objective { best = r }
            }
            return best
        }
        let v = candidates.map(\.value)
        let vMax = v.map(abs).max()!
        // Base scales and the α search.
        var base = [Double](repeating: 0, count: problem.blockCount)
        for b in blocks {
            let (lo, hi) = extremes(b)
            let a = Double(max(abs(lo), abs(hi)))
            base[b] = a > 0 && vMax > 0 ? a / vMax : 1
        }
        let hist = histogram(blocks: blocks, scales: base)
        // α from 1/64 up to where the largest weight lands at twice the median magnitude, kept where every
        // block's scale α·base is a normal F32 (it is written as one; only bf16's range reaches past it).
        var alphaLow = 1.0 / 64, alphaHigh = 2 * max(1, vMax / ScaleGrid.medianMagnitude(v))
        let bases = blocks.map { base[$0] }
        if let bMin = bases.min(), let bMax = bases.max(), bMin > 0 {
            let low = max(alphaLow, Double(Float.leastNormalMagnitude) / bMin)
            let high = min(alphaHigh, Double(Float.greatestFiniteMagnitude) / bMax)
            if low < high { (alphaLow, alphaHigh) = (low, high) }
        }
        let grid = ScaleGrid.points(from: alphaLow, to: alphaHigh, perOctave: options.scaleGridPointsPerOctave)
        let g = grid.count
        var values = [Double](repeating: .infinity, count: g)
        var chosenAt = [[Int]](repeating: [], count: g)
        values.withUnsafeMutableBufferPointer { vp in
            chosenAt.withUnsafeMutableBufferPointer { cp in
                let vb = vp.baseAddress!, cb = cp.baseAddress!
                parallel.forEach(g) { i in
                    let r = LevelDP.solve(histogram: hist, candidates: v.map { $0 * grid[i] }, k: k, unitCosts: usage, threads: options.threads)
                    vb[i] = r.cost
                    cb[i] = r.chosen
                }
            }
        }
        var bestI = 0
        for i in 1 ..< g where values[i] < values[bestI] { bestI = i }
        var alpha = grid[bestI], bestCost = values[bestI], bestChosen = chosenAt[bestI], exact = hist.isExact
        // The error is not unimodal in α: refine the best few local minima of the grid, each by
        // golden-section search between its neighbours.
        let minima = (0 ..< g).filter { i in (i == 0 || values[i] <= values[i - 1]) && (i == g - 1 || values[i] <= values[i + 1]) }
            .sorted { values[$0] < values[$1] }.prefix(options.refinedMinima)
        func dp(_ alpha: Double) -> LevelDP.Result { LevelDP.solve(histogram: hist, candidates: v.map { $0 * alpha }, k: k, unitCosts: usage, threads: options.threads) }
        var refined = [(Double, LevelDP.Result)?](repeating: nil, count: minima.count)
        refined.withUnsafeMutableBufferPointer { rp in
            let rb = rp.baseAddress!
            let starts = Array(minima)
            parallel.forEach(starts.count) { j in
                let i = starts[j]
                let (p1, p2) = GoldenSection.search(from: grid[max(0, i - 1)], to: grid[min(g - 1, i + 1)],
                                                    iterations: self.options.goldenIterations, evaluate: dp, cost: \.cost)
                rb[j] = p1.value.cost < p2.value.cost ? (p1.x, p1.value) : (p2.x, p2.value)
            }
        }
        for case let (x, r)? in refined where r.cost < bestCost {
            alpha = x; bestCost = r.cost; bestChosen = r.chosen; exact = hist.isExact && r.isExact
        }
        var scales = [Double](repeating: 0, count: problem.blockCount)
        for b in blocks { scales[b] = ScaleGrid.f32(alpha * base[b]) }
        let levels = bestChosen.map { candidates[$0] }
        let objective = blockCosts(levels: levels, scales: scales, blocks: blocks, lambda: lambda).reduce(0, +)
        var best = alternate(GridSolution(levels: levels, scales: scales, objective: objective, levelChoiceExact: exact, energyWeight: lambda),
                             candidates: candidates, k: k, blocks: blocks, usage: usage)
        for seed in seeds {
            let refined = refine(seed, allowed: candidates, levels: k, blocks: blocks, energyWeight: lambda)
            if refined.objective < best.objective { best = refined }
        }
        return best
    }

    /// `λ·energy_fj` of each candidate (nil for λ = 0: the plain error search).
    static func usageCosts(_ candidates: [CodeLevel], _ lambda: Double) -> [Double]? {
        guard lambda > 0 else { return nil }
        return candidates.map { level in
            guard let e = level.energyFJ else { preconditionFailure("code \(level.code) has no energy figure") }
            return lambda * e
        }
    }

    /// Continues from an existing solution whose levels are all in `allowed` (a grid found under a
    /// smaller budget, since allowed sets grow with the budget): alternates scales and levels from it,
    /// so the result is never worse than the seed (for the same `energyWeight`).
    public func refine(_ seed: GridSolution, allowed: [CodeLevel], levels k: Int, blocks: [Int]? = nil,
                       energyWeight lambda: Double = 0) -> GridSolution {
        let blocks = blocks ?? allBlocks
        let candidates = allowed.sorted { $0.value < $1.value }
        let allowedCodes = Set(candidates.map(\.code))
        precondition(seed.levels.allSatisfy { allowedCodes.contains($0.code) }, "seed levels must be allowed")
        var start = seed
        start.objective = blockCosts(levels: seed.levels, scales: seed.scales, blocks: blocks, lambda: lambda).reduce(0, +)
        start.energyWeight = lambda
        return alternate(start, candidates: candidates, k: min(k, candidates.count), blocks: blocks, usage: Self.usageCosts(candidates, lambda))
    }

    /// Alternates "every block's scale given the levels" and "the levels given the scales" (exact on
    /// the histogram of `x/s`) from `start`, keeping only improvements, then fits the final scales.
    /// `usage` is `λ·energy` per candidate (nil: error only; λ is `start.energyWeight`).
    private func alternate(_ start: GridSolution, candidates: [CodeLevel], k: Int, blocks: [Int], usage: [Double]?) -> GridSolution {
        let v = candidates.map(\.value)
        let lambda = start.energyWeight
        var levels = start.levels, scales = start.scales, objective = start.objective, exact = start.levelChoiceExact
        for _ in 0 ..< options.refinementRounds {
            let previous = objective
            let fitted = fitScales(levels: levels, blocks: blocks, warm: scales, lambda: lambda)
            if fitted.cost <= objective { scales = fitted.scales; objective = fitted.cost }
            let h = histogram(blocks: blocks, scales: scales)
            let r = LevelDP.solve(histogram: h, candidates: v, k: min(k, v.count), unitCosts: usage, threads: options.threads)
            let newLevels = r.chosen.map { candidates[$0] }
            if newLevels != levels {
                let cost = blockCosts(levels: newLevels, scales: scales, blocks: blocks, lambda: lambda).reduce(0, +)
                if cost < objective {
                    levels = newLevels
                    objective = cost
                    exact = h.isExact && r.isExact
                }
            } else {
                exact = h.isExact && r.isExact
            }
            if previous - objective <= 1e-4 * max(previous, .leastNormalMagnitude) { break }
        }
        // Scales for the final levels.
        let fitted = fitScales(levels: levels, blocks: blocks, warm: scales, lambda: lambda)
        if fitted.cost <= objective { scales = fitted.scales; objective = fitted.cost }
        return GridSolution(levels: levels, scales: scales, objective: objective, levelChoiceExact: exact, energyWeight: lambda)
    }

    /// Fixed levels (a baseline, or every allowed value): only the blocks' scales are searched, each
    /// from scratch over `[cover/64, 2·cover·max|l|/median|l|]` (`cover` maps the block's extremes onto
    /// the extreme levels), 6 points per octave, then golden section and a least-squares step.
    public func fit(levels: [CodeLevel], blocks: [Int]? = nil) -> GridSolution {
        fit(levels.sorted { $0.value < $1.value }, blocks: blocks ?? allBlocks, lambda: 0)
    }

    /// ``fit(levels:blocks:)`` for sorted levels, the scales minimizing error + λ·energy.
    private func fit(_ sorted: [CodeLevel], blocks: [Int], lambda: Double) -> GridSolution {
        let fitted = fitScales(levels: sorted, blocks: blocks, warm: nil, lambda: lambda)
        return GridSolution(levels: sorted, scales: fitted.scales, objective: fitted.cost, levelChoiceExact: true, energyWeight: lambda)
    }

    /// Per-block importance-weighted squared error with each block's best scale for `levels`, and those
    /// scales (DVFS uses this to price every tile at every level). With `warm` scales (one per block)
    /// each search stays near them and is never worse; without, each block is searched from scratch.
    public func blockErrors(levels: [CodeLevel], blocks: [Int]? = nil, warm: [Double]? = nil) -> (errors: [Double], scales: [Double]) {
        let blocks = blocks ?? allBlocks
        let values = levels.map(\.value).sorted()
        var errors = [Double](repeating: 0, count: problem.blockCount)
        var scales = [Double](repeating: 0, count: problem.blockCount)
        errors.withUnsafeMutableBufferPointer { ep in
            scales.withUnsafeMutableBufferPointer { sp in
                let eb = ep.baseAddress!, sb = sp.baseAddress!
                forBlocks(blocks) { b, search in
                    let (s, c) = search.searchScale(levels: values, usage: nil, warm: warm?[b], options: self.options)
                    eb[b] = c
                    sb[b] = s
                }
            }
        }
        return (errors, scales)
    }

    // MARK: Pareto front

    /// One point of the delay/error trade-off.
    public struct ParetoPoint: Sendable, Equatable {
        /// The budget swept (a distinct delay of the table).
        public var budgetNs: Double
        /// The grid's slowest code (≤ budget).
        public var maxDelayNs: Double
        /// The grid.
        public var levels: [CodeLevel]
        /// Its error on the raw weights.
        public var quality: Quality
        /// The grid and its scales.
        public var solution: GridSolution

        /// Energy per operation, fJ (nil without energy figures).
        public var energyPerOpFJ: Double? { quality.energyPerOpFJ }
        /// The point's cost under `objective`.
        public func cost(_ objective: Objective) -> Double? { objective.cost(maxDelayNs: maxDelayNs, energyPerOpFJ: energyPerOpFJ) }
    }

    /// The budgets a sweep visits: every distinct delay of the table (up to `cap` when given) that allows
    /// more values than the one before.
    public func sweptBudgets(upTo cap: Double? = nil) -> [Double] {
        let all = allBudgets(upTo: cap)
        guard all.count > options.maxSweptBudgets else { return all }
        let m = max(2, options.thinnedSweepBudgets)
        return (0..<m).map { all[Int((Double($0) * Double(all.count - 1) / Double(m - 1)).rounded())] }
    }

    /// Every distinct delay of the table (up to `cap`) that allows more values than the one before.
    public func allBudgets(upTo cap: Double? = nil) -> [Double] {
        let delays = space.levels.map(\.delayNs).sorted()
        var budgets: [Double] = []
        var allowed = 0, lastCount = 0
        for t in space.distinctDelays where t <= (cap ?? .infinity) + 1e-12 {
            while allowed < delays.count && delays[allowed] <= t + 1e-12 { allowed += 1 }
            if allowed != lastCount { budgets.append(t); lastCount = allowed }
        }
        return budgets
    }

    /// The fastest budget meeting an error budget, to the table's full budget resolution: bisects the
    /// budgets strictly between `below` (a swept point that fails) and `meeting` (one that meets),
    /// each grid seeded with `below`'s (so it is never less accurate than that point). Assumes the
    /// error does not rise with the budget, which holds for the exact level choice at given scales;
    /// the scale search keeps it heuristic.
    public func fastestMeeting(_ meets: (Quality) -> Bool, below: ParetoPoint, meeting: ParetoPoint,
                               levels k: Int, blocks: [Int]? = nil) -> ParetoPoint {
        let all = allBudgets(upTo: meeting.budgetNs)
        guard var lo = all.lastIndex(where: { $0 <= below.budgetNs + 1e-12 }) else { return meeting }
        var hi = all.count - 1
        var best = meeting
        let sweeper = self.sweeper
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            let sol = sweeper.select(allowed: space.allowed(maxDelayNs: all[mid]), levels: k, blocks: blocks, seeds: [below.solution])
            let p = point(sol, budget: all[mid], blocks: blocks)
            if meets(p.quality) { hi = mid; best = p } else { lo = mid }
        }
        return best
    }

    /// The Pareto front of max delay vs error: for every budget of ``sweptBudgets()`` the best
    /// `k`-level grid under it (searched in parallel, then, since a larger budget allows everything a
    /// smaller one does, any point worse than the point before it is refined from that point's grid, so
    /// the error never rises with the budget); then only the points no other point beats on both delay
    /// and weighted error. `all` returns every swept point instead. `cap` limits the budgets swept.
    public func pareto(levels k: Int, blocks: [Int]? = nil, all: Bool = false, upTo cap: Double? = nil) -> [ParetoPoint] {
        let budgets = sweptBudgets(upTo: cap)
        var points = [ParetoPoint?](repeating: nil, count: budgets.count)
        let sweeper = self.sweeper
        points.withUnsafeMutableBufferPointer { pp in
            let base = pp.baseAddress!
            parallel.forEach(budgets.count) { i in
                let sol = sweeper.select(allowed: self.space.allowed(maxDelayNs: budgets[i]), levels: k, blocks: blocks)
                base[i] = self.point(sol, budget: budgets[i], blocks: blocks)
            }
        }
        var swept = points.map { $0! }
        for i in swept.indices.dropFirst() where swept[i].quality.weightedSquaredError > swept[i - 1].quality.weightedSquaredError {
            let sol = refine(swept[i - 1].solution, allowed: space.allowed(maxDelayNs: budgets[i]), levels: k, blocks: blocks)
            let p = point(sol, budget: budgets[i], blocks: blocks)
            if p.quality.weightedSquaredError < swept[i].quality.weightedSquaredError { swept[i] = p }
        }
        return all ? swept : Self.nonDominated(swept)
    }

    /// This selector with the sweep's effort (``SelectorOptions/paretoRefinementRounds``), for the many
    /// points of a front or a bisection.
    var sweeper: GridSelector {
        var sweepOptions = options
        sweepOptions.refinementRounds = options.paretoRefinementRounds
        return GridSelector(problem: problem, space: space, options: sweepOptions)
    }

    /// A solution as a point of the front.
    public func point(_ sol: GridSolution, budget: Double, blocks: [Int]? = nil) -> ParetoPoint {
        ParetoPoint(budgetNs: budget, maxDelayNs: sol.maxDelayNs, levels: sol.levels, quality: evaluate(Assignment(sol), blocks: blocks), solution: sol)
    }

    /// Points sorted by their cost under `objective` (delay by default), keeping each one whose weighted
    /// error is below every cheaper point's. Points without a cost (no energy) are left out.
    public static func nonDominated(_ points: [ParetoPoint], objective: Objective = .delay) -> [ParetoPoint] {
        let costed = points.compactMap { p in p.cost(objective).map { (p, $0) } }
        let sorted = costed.sorted { ($0.1, $0.0.quality.weightedSquaredError) < ($1.1, $1.0.quality.weightedSquaredError) }
        var out: [(ParetoPoint, Double)] = []
        for p in sorted where out.isEmpty || p.0.quality.weightedSquaredError < out.last!.0.quality.weightedSquaredError * (1 - 1e-12) {
            if let last = out.last, last.1 == p.1 { out.removeLast() }
            out.append(p)
        }
        return out.map(\.0)
    }

    // MARK: Applying

    /// Error of an assignment on the raw weights of `blocks` (all by default), with the F32 scales
    /// that would be written.
    public func evaluate(_ assignment: Assignment, blocks: [Int]? = nil) -> Quality {
        let blocks = blocks ?? allBlocks
        var perBlock = [Quality](repeating: Quality(), count: problem.blockCount)
        perBlock.withUnsafeMutableBufferPointer { qp in
            let qb = qp.baseAddress!
            let chunks = parallel.chunks(blocks.count, minimumPerChunk: 16)
            parallel.forEach(chunks.count) { j in
                for bi in chunks[j] {
                    let b = blocks[bi]
                    qb[b] = self.quantizeBlock(b, assignment: assignment, codes: nil, dequantized: nil)
                }
            }
        }
        var total = Quality()
        for b in blocks { total.add(perBlock[b]) }
        return total
    }

    /// Quantizes every tensor: codes, dequantized F32 values, F32 scales, and per-tensor errors.
    public func quantize(_ assignment: Assignment) -> [QuantizedTensor] {
        var out: [QuantizedTensor] = []
        for (t, info) in problem.tensors.enumerated() {
            var codes = [UInt16](repeating: 0, count: info.count)
            var deq = [Float](repeating: 0, count: info.count)
            var perBlock = [Quality](repeating: Quality(), count: info.blockCount)
            codes.withUnsafeMutableBufferPointer { cp in
                deq.withUnsafeMutableBufferPointer { dp in
                    perBlock.withUnsafeMutableBufferPointer { qp in
                        let cb = cp.baseAddress!, db = dp.baseAddress!, qb = qp.baseAddress!
                        let chunks = parallel.chunks(info.blockCount, minimumPerChunk: 16)
                        parallel.forEach(chunks.count) { j in
                            for local in chunks[j] {
                                qb[local] = self.quantizeBlock(info.firstBlock + local, assignment: assignment, codes: cb, dequantized: db)
                            }
                        }
                    }
                }
            }
            var q = Quality()
            for p in perBlock { q.add(p) }
            let scales = (0 ..< info.blockCount).map { Float(assignment.scales[info.firstBlock + $0]) }
            out.append(QuantizedTensor(name: info.name, shape: info.shape, codes: codes, dequantized: deq, scales: scales,
                                       scaleShape: [info.rowBlocks, info.colBlocks], scaleBlock: [info.blockRows, info.blockCols],
                                       quality: q))
            _ = t
        }
        return out
    }

    /// Quantizes one block: each weight to the nearest level of its grid at the block's F32 scale
    /// (ties to the larger level), optionally writing codes and values at the weights' positions.
    private func quantizeBlock(_ b: Int, assignment: Assignment, codes: UnsafeMutablePointer<UInt16>?,
                               dequantized: UnsafeMutablePointer<Float>?) -> Quality {
        let start = problem.blockStart[b], end = problem.blockStart[b + 1]
        return problem.x.withUnsafeBufferPointer { xs in
            problem.w.withUnsafeBufferPointer { ws in
                problem.origin.withUnsafeBufferPointer { os in
                    Self.quantizeSorted(count: end - start, x: xs.baseAddress! + start, importance: ws.baseAddress! + start,
                                        origin: os.baseAddress! + start, grid: assignment.grids[assignment.blockGrid[b]],
                                        scale: assignment.scales[b], codes: codes, dequantized: dequantized)
                }
            }
        }
    }

    /// The quantization of one block whose `count` weights `x` are sorted ascending: each weight to the
    /// nearest level of `grid` (ascending) at the F32 rounding of `scale` (ties to the larger level),
    /// optionally writing codes and values at `codes[origin[i]]` and `dequantized[origin[i]]`.
    /// `importance` nil counts every weight 1. The one place weights become codes.
    static func quantizeSorted(count n: Int, x xs: UnsafePointer<Float>, importance ws: UnsafePointer<Float>?,
                               origin os: UnsafePointer<Int32>, grid: [CodeLevel], scale: Double,
                               codes: UnsafeMutablePointer<UInt16>?, dequantized: UnsafeMutablePointer<Float>?) -> Quality {
        let s = Double(Float(scale))
        var q = Quality()
        q.count = n
        let k = grid.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { usage in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { levelValues in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { bounds in
                    withUnsafeTemporaryAllocation(of: UInt16.self, capacity: k) { levelCodes in
                        usage.initialize(repeating: 0)
                        for i in 0 ..< k {
                            levelCodes[i] = UInt16(grid[i].code)
                            levelValues[i] = Float(s * grid[i].value)
                            bounds[i] = i + 1 < k ? s * 0.5 * (grid[i].value + grid[i + 1].value) : .infinity
                        }
                        @inline(__always) func send(importance: (Int) -> Double) {
                            var level = 0
                            for e in 0 ..< n {
                                let x = Double(xs[e])
                                while level + 1 < k && x >= bounds[level] { level += 1 }
                                let y = levelValues[level]
                                let d = x - Double(y)
                                q.squaredError += d * d
                                q.squaredSignal += x * x
                                q.weightedSquaredError += importance(e) * d * d
                                usage[level] += 1
                                if let codes { codes[Int(os[e])] = levelCodes[level] }
                                if let dequantized { dequantized[Int(os[e])] = y }
                            }
                        }
                        if let ws { send { Double(ws[$0]) } } else { send { _ in 1 } }
                        for i in 0 ..< k where usage[i] > 0 {
                            if let energy = grid[i].energyFJ { q.energySumFJ += Double(usage[i]) * energy } else { q.energyKnown = false }
                        }
                    }
                }
            }
        }
        return q
    }

    // MARK: Internals

    private func extremes(_ b: Int) -> (Float, Float) {
        (problem.x[problem.blockStart[b]], problem.x[problem.blockStart[b + 1] - 1])
    }

    /// The histogram of `x / s_b` weighted `ω·s_b²` over `blocks`: exact for few weights, else
    /// 65,536 equal-width bins with exact moments and value counts (accumulated in parallel).
    func histogram(blocks: [Int], scales: [Double]) -> WeightHistogram {
        var total = 0
        for b in blocks { total += problem.blockStart[b + 1] - problem.blockStart[b] }
        if total <= WeightHistogram.exactLimit {
            var ys: [Double] = [], ws: [Double] = []
            ys.reserveCapacity(total); ws.reserveCapacity(total)
            for b in blocks {
                let s = scales[b]
                for e in problem.blockStart[b] ..< problem.blockStart[b + 1] {
                    ys.append(Double(problem.x[e]) / s)
                    ws.append(Double(problem.w[e]) * s * s)
                }
            }
            return WeightHistogram.build(ys, ws)
        }
        var lo = Double.infinity, hi = -Double.infinity
        for b in blocks {
            let (a, c) = extremes(b)
            lo = min(lo, Double(a) / scales[b]); hi = max(hi, Double(c) / scales[b])
        }
        let binCount = WeightHistogram.binCount
        let width = (hi - lo) / Double(binCount)
        let chunks = parallel.chunks(blocks.count, minimumPerChunk: 1)
        var partial = [[Double]](repeating: [], count: chunks.count)
        partial.withUnsafeMutableBufferPointer { pp in
            let pb = pp.baseAddress!
            parallel.forEach(chunks.count) { j in
                var m = [Double](repeating: 0, count: 4 * binCount)
                m.withUnsafeMutableBufferPointer { mp in
                    self.problem.x.withUnsafeBufferPointer { xs in
                        self.problem.w.withUnsafeBufferPointer { ws in
                            for bi in chunks[j] {
                                let b = blocks[bi]
                                let s = scales[b], inv = 1 / s, s2 = s * s
                                for e in self.problem.blockStart[b] ..< self.problem.blockStart[b + 1] {
                                    let y = Double(xs[e]) * inv
                                    let w = Double(ws[e]) * s2
                                    let k = width > 0 ? min(binCount - 1, max(0, Int((y - lo) / width))) : 0
                                    mp[4 * k] += w; mp[4 * k + 1] += w * y; mp[4 * k + 2] += w * y * y; mp[4 * k + 3] += 1
                                }
                            }
                        }
                    }
                }
                pb[j] = m
            }
        }
        var m0 = [Double](repeating: 0, count: binCount), m1 = m0, m2 = m0, mn = m0
        for p in partial where !p.isEmpty {
            for k in 0 ..< binCount { m0[k] += p[4 * k]; m1[k] += p[4 * k + 1]; m2[k] += p[4 * k + 2]; mn[k] += p[4 * k + 3] }
        }
        return WeightHistogram.fromMoments(m0, m1, m2, mn)
    }

    /// Runs `body(block, search)` over `blocks` in parallel, with a prefix-sum view of each block.
    private func forBlocks(_ blocks: [Int], _ body: (Int, BlockSearch) -> Void) {
        let chunks = parallel.chunks(blocks.count, minimumPerChunk: 8)
        parallel.forEach(chunks.count) { j in
            var longest = 0
            for bi in chunks[j] { longest = max(longest, self.problem.blockStart[blocks[bi] + 1] - self.problem.blockStart[blocks[bi]]) }
            var scratch = [Double](repeating: 0, count: 3 * (longest + 1))
            scratch.withUnsafeMutableBufferPointer { sp in
                self.problem.x.withUnsafeBufferPointer { xs in
                    self.problem.w.withUnsafeBufferPointer { ws in
                        for bi in chunks[j] {
                            let b = blocks[bi]
                            let s = self.problem.blockStart[b], e = self.problem.blockStart[b + 1]
                            let search = BlockSearch(x: UnsafeBufferPointer(rebasing: xs[s ..< e]), w: UnsafeBufferPointer(rebasing: ws[s ..< e]),
                                                     scratch: sp.baseAddress!)
                            body(b, search)
                        }
                    }
                }
            }
        }
    }

    /// Each block's best scale for `levels` (ascending; starting from `warm` when given), and the summed
    /// error (plus λ·energy of the weights' codes for λ > 0).
    private func fitScales(levels: [CodeLevel], blocks: [Int], warm: [Double]?, lambda: Double) -> (scales: [Double], cost: Double) {
        var scales = [Double](repeating: 0, count: problem.blockCount)
        var costs = [Double](repeating: 0, count: problem.blockCount)
        let values = levels.map(\.value), usage = Self.usageCosts(levels, lambda)
        scales.withUnsafeMutableBufferPointer { sp in
            costs.withUnsafeMutableBufferPointer { cp in
                let sb = sp.baseAddress!, cb = cp.baseAddress!
                forBlocks(blocks) { b, search in
                    let (s, c) = search.searchScale(levels: values, usage: usage, warm: warm?[b], options: self.options)
                    sb[b] = s
                    cb[b] = c
                }
            }
        }
        var total = 0.0
        for b in blocks { total += costs[b] }
        return (scales, total)
    }

    /// Error (plus λ·energy for λ > 0) of each block at fixed scales; `levels` ascending.
    private func blockCosts(levels: [CodeLevel], scales: [Double], blocks: [Int], lambda: Double) -> [Double] {
        var costs = [Double](repeating: 0, count: blocks.count)
        var index = [Int](repeating: 0, count: problem.blockCount)
        for (i, b) in blocks.enumerated() { index[b] = i }
        let values = levels.map(\.value), usage = Self.usageCosts(levels, lambda)
        costs.withUnsafeMutableBufferPointer { cp in
            let cb = cp.baseAddress!
            forBlocks(blocks) { b, search in
                cb[index[b]] = values.withUnsafeBufferPointer { l in
                    Self.withOptionalBuffer(usage) { search.cost(levels: l, usage: $0, scale: scales[b]) }
                }
            }
        }
        return costs
    }

    /// Runs `body` with a buffer of `array`, or nil.
    static func withOptionalBuffer<R>(_ array: [Double]?, _ body: (UnsafeBufferPointer<Double>?) -> R) -> R {
        guard let array else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0) }
    }
}

/// Log-spaced scale grids.
enum ScaleGrid {
    /// A scale as it is written: rounded to F32, and kept finite and non-zero (a grid of tiny values, such
    /// as bf16 subnormals near 10⁻⁴⁰, would ask for a scale beyond F32's range: it is clamped to the
    /// largest finite F32, and its error reported as it then is).
    static func f32(_ s: Double) -> Double {
        let r = Double(Float(min(s, Double(Float.greatestFiniteMagnitude))))
        return r > 0 ? r : Double(Float.leastNormalMagnitude)
    }

    /// Points from `lo` to `hi` (both included), evenly spaced in log, about `perOctave` per octave.
    static func points(from lo: Double, to hi: Double, perOctave: Double) -> [Double] {
        let octaves = max(0, log2(hi / lo))
        let n = max(2, Int((octaves * perOctave).rounded(.up)) + 1)
        return (0 ..< n).map { lo * pow(hi / lo, Double($0) / Double(n - 1)) }
    }

    /// The median of the magnitudes (the smallest non-zero magnitude when the median is 0).
    static func medianMagnitude(_ values: [Double]) -> Double {
        let m = values.map(abs).sorted()
        let median = m[m.count / 2]
        return median > 0 ? median : (m.first { $0 > 0 } ?? 1)
    }
}

/// One block's sorted weights with prefix sums of ω, ω·x, ω·x², for O(K log n) error evaluation.
struct BlockSearch {
    let x: UnsafeBufferPointer<Float>
    let p0: UnsafeMutablePointer<Double>, p1: UnsafeMutablePointer<Double>, p2: UnsafeMutablePointer<Double>
    let n: Int
    let log2n: Int

    /// The search over sorted `x` with importance `w` (nil: every weight 1, the same sums without the
    /// products). The running sums stay in registers (reading back the element just stored would put a
    /// store-to-load forwarding delay on every step).
    init(x: UnsafeBufferPointer<Float>, w: UnsafeBufferPointer<Float>?, scratch: UnsafeMutablePointer<Double>) {
        self.x = x
        n = x.count
        p0 = scratch
        p1 = scratch + (n + 1)
        p2 = scratch + 2 * (n + 1)
        p0[0] = 0; p1[0] = 0; p2[0] = 0
        var s0 = 0.0, s1 = 0.0, s2 = 0.0
        if let w {
            for i in 0 ..< n {
                let xi = Double(x[i]), wi = Double(w[i])
                s0 += wi; s1 += wi * xi; s2 += wi * xi * xi
                p0[i + 1] = s0; p1[i + 1] = s1; p2[i + 1] = s2
            }
        } else {
            for i in 0 ..< n {
                let xi = Double(x[i])
                s0 += 1; s1 += xi; s2 += xi * xi
                p0[i + 1] = s0; p1[i + 1] = s1; p2[i + 1] = s2
            }
        }
        var l = 1
        while (1 << l) < n { l += 1 }
        log2n = l
    }

    /// The first index in `from ..< n` whose value is not below `key` (`n` if none): the scale search
    /// spends most of its time here. (A branch-free step measured slower: its compare, conversion and
    /// mask form a dependency chain longer than the mispredictions it saves.)
    @inline(__always)
    private func lowerBound(_ key: Double, from: Int, to end: Int? = nil) -> Int {
        let end = end ?? n
        var base = from, length = end - from
        if length <= 0 || key <= Double(x[from]) { return from }
        if key > Double(x[end - 1]) { return end }
        while length > 1 {
            let half = length &>> 1
            if Double(x[base &+ half &- 1]) < key { base &+= half }
            length &-= half
        }
        return Double(x[base]) < key ? base + 1 : base
    }

    @inline(__always)
    private func segment(_ a: Int, _ b: Int, _ level: Double) -> Double {
        if a >= b { return 0 }
        return max(0, (p2[b] - p2[a]) - 2 * level * (p1[b] - p1[a]) + level * level * (p0[b] - p0[a]))
    }

    /// Weighted squared error with levels `l` (ascending) at scale `s`, plus `usage[i]` per weight sent
    /// to level `i` when `usage` is given.
    func cost(levels l: UnsafeBufferPointer<Double>, usage: UnsafeBufferPointer<Double>?, scale s: Double) -> Double {
        let k = l.count
        let walk = k * log2n > n + k
        var total = 0.0
        var start = 0
        for i in 0 ..< k {
            var end = n
            if i + 1 < k {
                let bound = s * 0.5 * (l[i] + l[i + 1])
                if walk {
                    end = start
                    while end < n && Double(x[end]) < bound { end += 1 }
                } else {
                    end = lowerBound(bound, from: start)
                }
            }
            total += segment(start, end, s * l[i])
            if let usage { total += usage[i] * Double(end - start) }
            start = end
        }
        return total
    }

    /// ``cost(levels:usage:scale:)`` without usage terms, or, once the error is known to reach `limit`,
    /// some value ≥ `limit` without finishing.
    ///
    /// A screen for the scan of many scales, where only a cost below the best so far matters: the
    /// segments are priced from the extreme levels inwards (clipping dominates at small scales), each
    /// bound's position searched only between positions already known, and every partial sum is a
    /// lower bound of the whole (no segment is negative). A cost below `limit` is the exact value
    /// `cost` returns, summed in the same order, so screening never changes a search's outcome.
    func cost(levels l: UnsafeBufferPointer<Double>, scale s: Double, below limit: Double) -> Double {
        let k = l.count
        if k < 3 || k * log2n > n + k { return cost(levels: l, usage: nil, scale: s) }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: k + 1) { position in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { segments in
                // position[i]: first weight at or above the bound between levels i − 1 and i.
                position[0] = 0
                position[k] = n
                var left = 0, right = k - 1   // next segments to price from either end
                var partial = 0.0
                while left <= right {
                    if left == right {
                        segments[left] = segment(position[left], position[left + 1], s * l[left])
                        break
                    }
                    position[left + 1] = lowerBound(s * 0.5 * (l[left] + l[left + 1]), from: position[left], to: position[right + 1])
                    segments[left] = segment(position[left], position[left + 1], s * l[left])
                    position[right] = lowerBound(s * 0.5 * (l[right - 1] + l[right]), from: position[left + 1], to: position[right + 1])
                    segments[right] = segment(position[right], position[right + 1], s * l[right])
                    partial += segments[left] + segments[right]
                    if partial >= limit { return partial }
                    left += 1
                    right -= 1
                }
                var total = 0.0
                for i in 0 ..< k { total += segments[i] }
                return total
            }
        }
    }

    /// The least-squares scale for the assignment made at scale `s`: Σωxl / Σωl².
    private func lloyd(levels l: UnsafeBufferPointer<Double>, scale s: Double) -> Double? {
        let k = l.count
        var num = 0.0, den = 0.0, start = 0
        for i in 0 ..< k {
            let end = i + 1 < k ? lowerBound(s * 0.5 * (l[i] + l[i + 1]), from: start) : n
            if end > start {
                num += l[i] * (p1[end] - p1[start])
                den += l[i] * l[i] * (p0[end] - p0[start])
            }
            start = end
        }
        guard den > 0, num > 0 else { return nil }
        let r = num / den
        return r.isFinite ? r : nil
    }

    /// The best F32 scale for `levels` (error, plus the `usage` term when given): log grid, golden
    /// section, one least-squares step, never worse than `warm`.
    func searchScale(levels: [Double], usage: [Double]?, warm: Double?, options: SelectorOptions) -> (Double, Double) {
        GridSelector.withOptionalBuffer(usage) { u in levels.withUnsafeBufferPointer { l in
            func f(_ s: Double) -> Double { cost(levels: l, usage: u, scale: s) }
            let lMin = l[0], lMax = l[l.count - 1]
            let xMin = Double(x[0]), xMax = Double(x[n - 1])
            let lAbs = max(abs(lMin), abs(lMax))
            if lAbs == 0 || n == 0 { let s = warm ?? 1; return (s, f(s)) }
            var cover = 0.0
            if xMax > 0 && lMax > 0 { cover = max(cover, xMax / lMax) }
            if xMin < 0 && lMin < 0 { cover = max(cover, xMin / lMin) }
            if cover == 0 { cover = max(abs(xMin), abs(xMax)) / lAbs }
            if cover == 0 || !cover.isFinite {
                // All weights zero: the smallest normal scale sends them as close to 0 as possible.
                let s = Double(Float.leastNormalMagnitude)
                return (s, f(s))
            }
            var bestS = ScaleGrid.f32(cover), bestC = f(bestS)
            // From a warm start (the global search already found the basin) only a window of two
            // octaves around it; from scratch the whole range.
            let gridS = warm.map { w in ScaleGrid.points(from: w / 2, to: w * 2, perOctave: options.blockGridPointsPerOctave) }
                ?? ScaleGrid.points(from: cover / 64, to: 2 * cover * max(1, lAbs / ScaleGrid.medianMagnitude(Array(l))),
                                    perOctave: options.blockGridPointsPerOctave)
            let g = gridS.count
            var bestI = -1
            for i in 0 ..< g {
                let c = u == nil ? cost(levels: l, scale: gridS[i], below: bestC) : f(gridS[i])
                if c < bestC { bestC = c; bestS = gridS[i]; bestI = i }
            }
            let a: Double, b: Double
            if bestI >= 0 {
                a = gridS[max(0, bestI - 1)]; b = gridS[min(g - 1, bestI + 1)]
            } else {
                let r = pow(2, 1 / options.blockGridPointsPerOctave)
                a = bestS / r; b = bestS * r
            }
            let (p1, p2) = GoldenSection.search(from: a, to: b, iterations: options.blockGoldenIterations, evaluate: f, cost: { $0 })
            if p1.value < bestC { bestC = p1.value; bestS = p1.x }
            if p2.value < bestC { bestC = p2.value; bestS = p2.x }
            if let s = lloyd(levels: l, scale: bestS), s > 0 {
                let c = f(s)
                if c < bestC { bestC = c; bestS = s }
            }
            // The written scale is F32.
            bestS = ScaleGrid.f32(bestS)
            bestC = f(bestS)
            if let w = warm, w > 0 {
                let cw = f(w)
                if cw <= bestC { return (w, cw) }
            }
            return (bestS, bestC)
        } }
    }
}
