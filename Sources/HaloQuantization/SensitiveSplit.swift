import Foundation

/// Mixed sensitivity: the most sensitive blocks (channels, groups or tensors: the scale blocks of the
/// problem) on a slower, more accurate grid, the rest on the fast one — HALO's sparing of salient
/// weights, as a choice the user makes (`--sensitive-fraction F`).
///
/// **The sensitive grid** is every value of the format the table allows (``CodeSpace/levels``: for
/// int8 the full INT8 code set), each block at its own best scale for it: the most accurate grid the
/// MAC can run, at the table's slowest code.
///
/// **Which blocks.** For every block the importance-weighted squared error on the fast grid (at its
/// best scale) and on the sensitive grid (at its best scale) are computed; a block's *gain density* is
/// the difference divided by its weight count (the error saved per weight moved). Blocks are taken in
/// decreasing gain density (ties: lower block index first) while the weights taken stay within
/// `F × weights`; a block that would overflow it is passed over for smaller ones after it. Blocks
/// with no gain are never taken. Then, when the fast grid was chosen rather than given, it is
/// chosen again on the remaining blocks alone (seeded with the first choice, so never worse on them).
/// The ``threshold`` is the smallest gain density taken; it carries the split to weights outside the
/// sample a grid was chosen on (``apply(selector:fastGrid:threshold:)``: a model folder, tensor by
/// tensor).
///
/// **Delay cost.** Every weight's MAC operation is counted at the slowest code of its grid (a weight-
/// stationary array whose sensitive tiles are clocked at the sensitive grid's delay, as the DVFS
/// plan's speed goal clocks tiles): the effective speed-up is `N · reference / (N_fast · d_fast +
/// N_sensitive · d_sensitive)`, the time-weighted speed-up. An array that runs every weight at one
/// clock gets only the sensitive grid's speed-up (``lockstepSpeedup``).
public struct SensitiveSplit: Sendable {
    /// The fraction of the weights allowed on the sensitive grid (nil when the split is carried by a
    /// threshold).
    public var fraction: Double?
    /// The fast grid, ascending by value.
    public var fastGrid: [CodeLevel]
    /// The sensitive grid, ascending by value.
    public var sensitiveGrid: [CodeLevel]
    /// The smallest gain density (importance-weighted squared error saved per weight) of a block taken;
    /// +∞ when none was.
    public var threshold: Double
    /// The blocks on the sensitive grid, ascending.
    public var sensitiveBlocks: [Int]
    /// Grids `[fast, sensitive]`, and each block's grid and scale.
    public var assignment: Assignment
    /// Weights on each grid.
    public var fastWeights: Int, sensitiveWeights: Int
    /// The error of the split on the raw weights.
    public var quality: Quality
    /// Speed-ups of each grid alone (reference / its slowest code).
    public var fastSpeedup: Double, sensitiveSpeedup: Double

    /// The time-weighted speed-up (see the type's documentation).
    public var speedup: Double {
        Self.timeWeightedSpeedup(fast: (fastWeights, fastSpeedup), sensitive: (sensitiveWeights, sensitiveSpeedup))
    }

    /// The speed-up when every weight runs at one clock: the sensitive grid's, if any weight is on it.
    public var lockstepSpeedup: Double { sensitiveWeights > 0 ? sensitiveSpeedup : fastSpeedup }

    /// `N / Σ n_g / speedup_g`: each weight's time is the reference over its grid's speed-up.
    public static func timeWeightedSpeedup(fast: (Int, Double), sensitive: (Int, Double)) -> Double {
        let n = Double(fast.0 + sensitive.0)
        let time = Double(fast.0) / fast.1 + Double(sensitive.0) / sensitive.1
        return time > 0 ? n / time : .infinity
    }

    /// The sensitive grid of `space`: every level it allows.
    public static func sensitiveGrid(_ space: CodeSpace) -> [CodeLevel] { space.levels }

    /// Splits `selector`'s blocks: at most `fraction` (0…1) of the weights on the sensitive grid, the
    /// most sensitive first. `reselect`: the allowed levels and level count of the fast grid to choose
    /// it again on the remaining blocks (nil keeps `fast.levels`, e.g. a grid given with `--grid`).
    public static func choose(selector: GridSelector, fast: GridSolution, fraction: Double,
                              reselect: (allowed: [CodeLevel], levels: Int)? = nil) -> SensitiveSplit {
        precondition(fraction >= 0 && fraction <= 1)
        let problem = selector.problem
        let (gain, fastScales, sensitiveScales) = gains(selector: selector, fastGrid: fast.levels, warm: fast.scales)
        let size = { (b: Int) in problem.blockStart[b + 1] - problem.blockStart[b] }
        let order = (0 ..< problem.blockCount).filter { gain[$0] > 0 }
            .sorted { a, b in gain[a] != gain[b] ? gain[a] > gain[b] : a < b }
        let cap = Int((fraction * Double(problem.elementCount)).rounded(.down))
        var taken = 0
        var sensitive: [Int] = []
        var threshold = Double.infinity
        for b in order where taken + size(b) <= cap {
            taken += size(b)
            sensitive.append(b)
            threshold = min(threshold, gain[b])
        }
        var fastGrid = fast.levels
        var scales = fastScales
        if let reselect, !sensitive.isEmpty {
            let chosen = Set(sensitive)
            let rest = (0 ..< problem.blockCount).filter { !chosen.contains($0) }
            var seed = fast
            seed.scales = fastScales
            let again = selector.select(allowed: reselect.allowed, levels: reselect.levels, blocks: rest, seeds: [seed])
            fastGrid = again.levels
            for b in rest { scales[b] = again.scales[b] }
        }
        return make(selector: selector, fraction: fraction, fastGrid: fastGrid, fastScales: scales,
                    sensitiveScales: sensitiveScales, sensitive: sensitive.sorted(), threshold: threshold)
    }

    /// Splits by a threshold found on a sample (``threshold`` of ``choose(selector:fast:fraction:reselect:)``):
    /// every block of `selector` whose gain density is at least `threshold` goes to the sensitive grid.
    public static func apply(selector: GridSelector, fastGrid: [CodeLevel], threshold: Double) -> SensitiveSplit {
        let (gain, fastScales, sensitiveScales) = gains(selector: selector, fastGrid: fastGrid, warm: nil)
        let sensitive = (0 ..< selector.problem.blockCount).filter { gain[$0] > 0 && gain[$0] >= threshold }
        return make(selector: selector, fraction: nil, fastGrid: fastGrid, fastScales: fastScales,
                    sensitiveScales: sensitiveScales, sensitive: sensitive,
                    threshold: sensitive.map { gain[$0] }.min() ?? .infinity)
    }

    /// Each block's gain density and its best scales on both grids.
    private static func gains(selector: GridSelector, fastGrid: [CodeLevel], warm: [Double]?) -> (gain: [Double], fast: [Double], sensitive: [Double]) {
        let problem = selector.problem
        let f = selector.blockErrors(levels: fastGrid, warm: warm)
        let s = selector.blockErrors(levels: sensitiveGrid(selector.space))
        var gain = [Double](repeating: 0, count: problem.blockCount)
        for b in 0 ..< problem.blockCount {
            let n = Double(problem.blockStart[b + 1] - problem.blockStart[b])
            gain[b] = (f.errors[b] - s.errors[b]) / n
        }
        return (gain, f.scales, s.scales)
    }

    private static func make(selector: GridSelector, fraction: Double?, fastGrid: [CodeLevel], fastScales: [Double],
                             sensitiveScales: [Double], sensitive: [Int], threshold: Double) -> SensitiveSplit {
        let problem = selector.problem
        let space = selector.space
        let sensitiveGrid = Self.sensitiveGrid(space).sorted { $0.value < $1.value }
        var blockGrid = [Int](repeating: 0, count: problem.blockCount)
        var scales = fastScales
        var n = 0
        for b in sensitive {
            blockGrid[b] = 1
            scales[b] = sensitiveScales[b]
            n += problem.blockStart[b + 1] - problem.blockStart[b]
        }
        let fastSorted = fastGrid.sorted { $0.value < $1.value }
        let assignment = Assignment(grids: [fastSorted, sensitiveGrid], blockGrid: blockGrid, scales: scales)
        return SensitiveSplit(fraction: fraction, fastGrid: fastSorted, sensitiveGrid: sensitiveGrid, threshold: threshold,
                              sensitiveBlocks: sensitive, assignment: assignment, fastWeights: problem.elementCount - n,
                              sensitiveWeights: n, quality: selector.evaluate(assignment),
                              fastSpeedup: space.speedup(maxDelayNs: fastSorted.map(\.delayNs).max() ?? 0),
                              sensitiveSpeedup: space.speedup(maxDelayNs: sensitiveGrid.map(\.delayNs).max() ?? 0))
    }

    /// The sensitive blocks of tensor `t` of `problem`, as indices into its `[rowBlocks, colBlocks]`
    /// scale array (row-major).
    public func sensitiveBlocks(ofTensor t: Int, in problem: QuantizationProblem) -> [Int] {
        let info = problem.tensors[t]
        let range = info.firstBlock ..< info.firstBlock + info.blockCount
        return sensitiveBlocks.filter { range.contains($0) }.map { $0 - info.firstBlock }
    }

    /// Each block's grid (0 fast, 1 sensitive) of tensor `t`, row-major `[rowBlocks, colBlocks]`: the
    /// `NAME.grid` tensor written beside the codes.
    public func gridMap(ofTensor t: Int, in problem: QuantizationProblem) -> [UInt8] {
        let info = problem.tensors[t]
        return (0 ..< info.blockCount).map { UInt8(assignment.blockGrid[info.firstBlock + $0]) }
    }

    /// A grid as JSON: codes, values, slowest code, speed-up.
    static func gridJSON(_ grid: [CodeLevel], space: CodeSpace) -> JSONValue {
        let d = grid.map(\.delayNs).max() ?? 0
        return .object([("codes", .array(grid.map { .int($0.code) })), ("values", .array(grid.map { .number($0.value) })),
                        ("max_delay_ns", .number(d)), ("speedup", .number(space.speedup(maxDelayNs: d)))])
    }

    /// The report's `sensitive` member: the fraction asked, the weights and blocks on each grid, both
    /// grids, the speed-ups (time-weighted and lockstep), the error, and each tensor's sensitive blocks.
    public func json(problem: QuantizationProblem, space: CodeSpace) -> JSONValue {
        .object([
            ("fraction", fraction.map { .number($0) } ?? .null),
            ("threshold_gain_per_weight", threshold.isFinite ? .number(threshold) : .null),
            ("fast_weights", .int(fastWeights)), ("sensitive_weights", .int(sensitiveWeights)),
            ("sensitive_share", .number(Double(sensitiveWeights) / Double(max(1, fastWeights + sensitiveWeights)))),
            ("blocks", .int(problem.blockCount)), ("sensitive_block_count", .int(sensitiveBlocks.count)),
            ("fast_grid", Self.gridJSON(fastGrid, space: space)),
            ("sensitive_grid", Self.gridJSON(sensitiveGrid, space: space)),
            ("speedup", .number(speedup)), ("lockstep_speedup", .number(lockstepSpeedup)),
            ("speedup_accounting", .string(Self.accounting)),
            ("mse", .number(quality.mse)), ("weighted_mse", .number(quality.weightedMSE)), ("sqnr_db", .number(quality.sqnrDB)),
            ("tensors", .array(problem.tensors.indices.map { t in
                .object([("name", .string(problem.tensors[t].name)),
                         ("sensitive_blocks", .array(sensitiveBlocks(ofTensor: t, in: problem).map { .int($0) }))])
            })),
        ])
    }

    /// The `sensitive` member of a quantized model's `halo.json`: how blocks were split, the sensitive
    /// grid (the fast one is the manifest's `grid`), and where each tensor's block map is.
    public static func manifestJSON(fast: [CodeLevel], space: CodeSpace, threshold: Double) -> JSONValue {
        .object([
            ("rule", .string("blocks whose importance-weighted squared error saved per weight (fast grid → sensitive grid) is at least threshold_gain_per_weight")),
            ("threshold_gain_per_weight", threshold.isFinite ? .number(threshold) : .null),
            ("grid_map", .string("NAME.grid in the codes files: U8 [rowBlocks, colBlocks], 0 = grid, 1 = sensitive_grid")),
            ("sensitive_grid", gridJSON(sensitiveGrid(space).sorted { $0.value < $1.value }, space: space)),
            ("speedup_accounting", .string(accounting)),
        ])
    }

    /// How ``speedup`` is counted, in words (the reports say it).
    public static let accounting = "time-weighted: each weight's MAC operation at its grid's slowest code; N·reference / (N_fast·d_fast + N_sensitive·d_sensitive)"

    /// One line for a summary.
    public func summary() -> String {
        let total = max(1, fastWeights + sensitiveWeights)
        return String(format: "sensitive split: %d of %d weights (%.2f%%) in %d blocks on the %d-level sensitive grid (%.3fx), %d on the %d-level fast grid (%.3fx); effective speed-up %.3fx (time-weighted; %.3fx in lockstep); MSE %.5e, SQNR %.2f dB\n",
                      sensitiveWeights, total, 100 * Double(sensitiveWeights) / Double(total), sensitiveBlocks.count, sensitiveGrid.count,
                      sensitiveSpeedup, fastWeights, fastGrid.count, fastSpeedup, speedup, lockstepSpeedup, quality.mse, quality.sqnrDB)
    }
}
