import Foundation

/// How supply voltage stretches the delays of the table (characterized at the nominal voltage).
///
/// - `alphaPower`: Sakurai–Newton alpha-power law, `delay ∝ V / (V − Vt)^α`, searched in steps of
///   `step` volts down from `nominal` (never closer than 0.1 V to `Vt`). The default
///   (1.8 V, Vt 0.45 V, α 1.3, 10 mV) models a 180 nm process such as osu018's.
/// - `table`: measured operating points, read from a file by ``read(path:)``.
/// - `corners`: each characterized voltage's own per-code delays (``CornerDelays``); levels run only at
///   those voltages.
public enum VoltageModel: Sendable, Equatable, CustomStringConvertible {
    /// Alpha-power law.
    case alphaPower(nominal: Double, threshold: Double, alpha: Double, step: Double)
    /// Operating points `(voltage V, frequency MHz)` of the full (unrestricted) MAC; the highest
    /// voltage is the one the delay table was characterized at.
    case table([OperatingPoint])
    /// The per-code delay tables of characterized corners (`halo characterize --corner`).
    case corners(CornerDelays)

    /// One row of a voltage/frequency table.
    public struct OperatingPoint: Sendable, Equatable {
        /// Supply voltage, V.
        public var voltage: Double
        /// Clock frequency the MAC reaches at that voltage, MHz (any unit: only ratios matter).
        public var frequencyMHz: Double

        /// A point.
        public init(voltage: Double, frequencyMHz: Double) {
            self.voltage = voltage
            self.frequencyMHz = frequencyMHz
        }
    }

    /// The built-in 180 nm model.
    public static let defaultModel = VoltageModel.alphaPower(nominal: 1.8, threshold: 0.45, alpha: 1.3, step: 0.01)

    /// The voltage the table's delays hold at.
    public var nominalVoltage: Double {
        switch self {
        case .alphaPower(let n, _, _, _): return n
        case .table(let points): return points.map(\.voltage).max() ?? 1
        case .corners(let c): return c.nominalVoltage
        }
    }

    /// How much slower the full MAC is at `v` than at the nominal voltage (1 at nominal): the alpha-power
    /// law's `k(v)`, a table's nominal frequency over the frequency at `v` (the lowest row at or above
    /// `v`), or the ratio of the corners' reference delays (the corner at or above `v`).
    public func delayScale(atVoltage v: Double) -> Double {
        switch self {
        case .alphaPower(let vn, let vt, let a, _):
            return (v / pow(v - vt, a)) / (vn / pow(vn - vt, a))
        case .table(let points):
            let top = points.max { $0.voltage < $1.voltage }!
            let at = points.filter { $0.voltage >= v - 1e-9 }.min { $0.voltage < $1.voltage } ?? top
            return top.frequencyMHz / at.frequencyMHz
        case .corners(let c):
            let k = c.voltages.lastIndex { $0 >= v - 1e-9 } ?? 0
            return c.referenceDelaysNs[k] / c.referenceDelaysNs[0]
        }
    }

    /// The supply of a level whose grid must meet `clockNs`, and the grid's slowest delay there: the
    /// lowest voltage at which it does. A model (alpha-power, table) scales the grid's nominal slowest
    /// delay by ``delayScale(atVoltage:)``; corners look up every code of the grid at each voltage.
    public func levelSupply(grid: [CodeLevel], clockNs: Double) -> (voltage: Double, delayNs: Double) {
        if case .corners(let c) = self { return c.lowestVoltage(grid: grid, clockNs: clockNs) }
        let d = grid.map(\.delayNs).max() ?? 0
        let v = lowestVoltage(relativeDelay: d / clockNs)
        return (v, d * delayScale(atVoltage: v))
    }

    /// The lowest voltage at which a path of `relativeDelay` (its nominal delay over the reference
    /// delay, ≤ 1) still meets the reference clock.
    public func lowestVoltage(relativeDelay r: Double) -> Double {
        guard r > 0 else { return minimumVoltage }
        switch self {
        case .alphaPower(let vn, let vt, let a, let step):
            func k(_ v: Double) -> Double { (v / pow(v - vt, a)) / (vn / pow(vn - vt, a)) }
            var v = vn
            let floor = vt + 0.1
            while v - step >= floor - 1e-12, k(v - step) * r <= 1 + 1e-12 { v -= step }
            return (v * 1e6).rounded() / 1e6
        case .table(let points):
            let top = points.max { $0.voltage < $1.voltage }!
            let need = top.frequencyMHz * r
            return points.filter { $0.frequencyMHz >= need * (1 - 1e-12) }.map(\.voltage).min() ?? top.voltage
        case .corners(let c):
            // Without the grid, the full MAC's own scaling (the planner uses `levelSupply`).
            let ok = c.voltages.indices.filter { c.referenceDelaysNs[$0] * r <= c.referenceDelaysNs[0] * (1 + 1e-12) }
            return ok.map { c.voltages[$0] }.min() ?? c.nominalVoltage
        }
    }

    private var minimumVoltage: Double {
        switch self {
        case .alphaPower(_, let vt, _, _): return vt + 0.1
        case .table(let points): return points.map(\.voltage).min() ?? 1
        case .corners(let c): return c.voltages.min() ?? c.nominalVoltage
        }
    }

    /// A one-line description for reports.
    public var description: String {
        switch self {
        case .alphaPower(let n, let t, let a, let s):
            return "alpha-power law: nominal \(n) V, Vt \(t) V, alpha \(a), step \(Int((s * 1000).rounded())) mV"
        case .table(let points):
            return "table: " + points.map { "\($0.voltage) V @ \($0.frequencyMHz) MHz" }.joined(separator: ", ")
        case .corners(let c):
            return "corners: " + c.voltages.map { "\($0) V" }.joined(separator: ", ")
                + " (each level at a characterized voltage, with that voltage's per-code delays)"
        }
    }

    /// Reads a voltage/frequency table: CSV lines `voltage_v,frequency_mhz` (an optional header line
    /// naming them, `#` comments, blank lines). The frequency is the clock the **full** MAC (every
    /// code, i.e. the reference delay) reaches at that voltage; the highest voltage is taken as the
    /// one the delay table was characterized at. At least one row; voltages and frequencies positive.
    public static func read(path: String) throws -> VoltageModel {
        let text = try InputFile.readText(path).text
        var points: [OperatingPoint] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if points.isEmpty, fields.first?.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("voltage") == true { continue }
            guard fields.count == 2 else {
                throw HaloError("expected 'voltage_v,frequency_mhz', found \(fields.count) fields", at: SourceLocation(file: path, line: lineNumber, column: 1))
            }
            var column = 1
            var numbers: [Double] = []
            for f in fields {
                let t = f.trimmingCharacters(in: .whitespaces)
                guard let v = Double(t), v.isFinite, v > 0 else {
                    let lead = f.prefix { $0 == " " }.count
                    throw HaloError("malformed \(numbers.isEmpty ? "voltage" : "frequency") '\(t)' (expected a positive number)",
                                    at: SourceLocation(file: path, line: lineNumber, column: column + lead))
                }
                numbers.append(v)
                column += f.utf8.count + 1
            }
            points.append(OperatingPoint(voltage: numbers[0], frequencyMHz: numbers[1]))
        }
        guard !points.isEmpty else {
            throw HaloError("no operating points (expected lines 'voltage_v,frequency_mhz')", at: SourceLocation(file: path, line: max(1, lineNumber), column: 1))
        }
        return .table(points.sorted { $0.voltage > $1.voltage })
    }
}

/// Options of a tile-wise DVFS plan.
public struct DVFSOptions: Sendable, Equatable {
    /// What the faster grids buy.
    public enum Goal: String, Sendable, Equatable {
        /// Nominal voltage everywhere; a tile's clock period is its level's grid delay.
        case speed
        /// The reference clock everywhere; a tile's supply is the lowest voltage at which its level's
        /// grid still meets that clock.
        case energy
    }

    /// Number of levels L.
    public var levels = 3
    /// Explicit delay budgets (ns), one per level; default from the delay distribution.
    public var budgetsNs: [Double]? = nil
    /// Cap on the slowest level's budget (`--max-delay`).
    public var maxBudgetNs: Double? = nil
    /// Objective of the tile assignment.
    public var goal: Goal = .speed
    /// The plan may add this fraction to the importance-weighted squared error of running every tile
    /// at the most accurate level.
    public var errorSlack = 0.10
    /// Voltage model.
    public var voltage: VoltageModel = .defaultModel

    /// Defaults: 3 levels, speed, 10 % error slack, the alpha-power voltage model.
    public init() {}
}

/// A tile-wise DVFS plan: every tile of every matrix runs at one of L levels, each level with its own
/// delay budget and its own K-level grid.
///
/// **Levels.** Budgets `T₀ > … > T_{L−1}`: `T₀` is the slowest code's delay (or `--max-delay`),
/// `T_{L−1}` the smallest budget that still allows K distinct values, and the others evenly spaced in
/// clock frequency between them, each snapped down to a delay of the table (a budget between two
/// table delays allows the same codes as the lower one). Each level's grid is selected on all weights.
///
/// **Assignment.** Every tile starts at level 0 (the most accurate grid). The plan may spend an error
/// budget `(1 + slack) ×` the all-accurate error; tiles move to faster levels greedily, cheapest
/// importance-weighted error increase per unit of time (or energy) saved first, so the tiles whose
/// error grows most — the sensitive ones — stay accurate. Then every level's grid is re-selected on
/// the tiles it got, tiles are re-priced and re-assigned, and the better plan is kept. (A tile's error at
/// a level is priced with each block's best scale for that level's grid, searched near the scales the
/// grid was selected with.)
///
/// **Voltages.** With the energy goal a level's supply is the lowest voltage at which its grid meets the
/// reference clock: by the alpha-power law or a voltage/frequency table, the grid's nominal slowest delay
/// scaled as the full MAC's delay scales; with corner tables (`--corners`), the lowest characterized
/// voltage at which every code of the grid, at that voltage's own delay, meets it.
///
/// **Accounting** (per weight, i.e. per MAC operation, against uniform INT8 at the reference delay and
/// nominal voltage): speed-up = Σ n·T_ref / Σ n·clock; energy ratio = Σ n·V² / Σ n·V_nom² (dynamic
/// energy C·V² per operation, C equal for every level).
public struct DVFSPlan: Sendable {
    /// One level.
    public struct Level: Sendable, Equatable {
        /// Its delay budget, ns.
        public var budgetNs: Double
        /// Its grid, ascending by value.
        public var grid: [CodeLevel]
        /// The grid's slowest code, ns.
        public var maxDelayNs: Double
        /// Clock period the level runs at, ns.
        public var clockNs: Double
        /// Supply voltage, V.
        public var voltage: Double
        /// The grid's slowest code at `voltage`, ns: from that voltage's own table with corners, the
        /// nominal `maxDelayNs` scaled by the voltage model otherwise (= `maxDelayNs` at nominal).
        public var delayAtVoltageNs: Double
        /// Tiles at this level.
        public var tiles: Int
        /// Weights at this level.
        public var weights: Int
    }

    /// The levels, slowest (most accurate) first.
    public var levels: [Level]
    /// Level of each tile (``QuantizationProblem/tiles``).
    public var tileLevel: [Int]
    /// Grids and scales to quantize with.
    public var assignment: Assignment
    /// Error of the plan on the raw weights.
    public var quality: Quality
    /// Importance-weighted squared error with every tile at level 0.
    public var accurateWeightedError: Double
    /// The error the plan was allowed.
    public var errorBudget: Double
    /// Time-weighted speed-up against the reference delay.
    public var speedup: Double
    /// Energy per operation against nominal voltage.
    public var energyRatio: Double
    /// The options used.
    public var options: DVFSOptions
}

/// Builds ``DVFSPlan``s.
public enum DVFSPlanner {
    /// The default budgets for `levels` levels and `k`-level grids (see ``DVFSPlan``).
    public static func defaultBudgets(space: CodeSpace, levels: Int, k: Int, cap: Double?) -> [Double] {
        let delays = space.distinctDelays
        var top = delays.last!
        if let cap { top = delays.last { $0 <= cap + 1e-12 } ?? delays.first! }
        let fast = min(space.smallestBudget(admitting: k), top)
        guard levels > 1, fast < top else { return [top] }
        var out: [Double] = []
        for l in 0 ..< levels {
            let f = 1 / top + (1 / fast - 1 / top) * Double(l) / Double(levels - 1)
            let target = 1 / f
            let snapped = delays.last { $0 <= target + 1e-12 && $0 >= fast - 1e-12 } ?? fast
            if out.last.map({ abs($0 - snapped) > 1e-12 }) ?? true { out.append(snapped) }
        }
        return out
    }

    /// Plans every tile of `selector`'s problem (which must have been laid out with a tile).
    public static func plan(selector: GridSelector, levels k: Int, options: DVFSOptions) throws -> DVFSPlan {
        let problem = selector.problem
        let space = selector.space
        var budgets = options.budgetsNs?.sorted(by: >) ?? defaultBudgets(space: space, levels: options.levels, k: k, cap: options.maxBudgetNs)
        budgets = budgets.filter { !space.allowed(maxDelayNs: $0).isEmpty }
        guard !budgets.isEmpty else {
            throw HaloError("no DVFS level budget allows any code (the fastest code takes \(space.distinctDelays.first!) ns)")
        }
        let tileCount = problem.tileCount
        var tileSize = [Int](repeating: 0, count: tileCount)
        for b in 0 ..< problem.blockCount {
            tileSize[Int(problem.blockTile[b])] += problem.blockStart[b + 1] - problem.blockStart[b]
        }
        let vNom = options.voltage.nominalVoltage
        let ref = space.referenceDelayNs

        struct Priced {
            var grids: [[CodeLevel]]
            var errors: [[Double]]   // [level][tile]
            var scales: [[Double]]   // [level][block]
            var cost: [Double]       // per-op cost of each level
            var clock: [Double]
            var voltage: [Double]
            var delayAtVoltage: [Double]
        }
        func price(_ grids: [[CodeLevel]], warm: [[Double]]) -> Priced {
            var errors: [[Double]] = [], scales: [[Double]] = [], cost: [Double] = [], clock: [Double] = [], voltage: [Double] = []
            var delayAtVoltage: [Double] = []
            for (l, g) in grids.enumerated() {
                let (e, s) = selector.blockErrors(levels: g, warm: warm[l])
                var perTile = [Double](repeating: 0, count: tileCount)
                for b in 0 ..< problem.blockCount { perTile[Int(problem.blockTile[b])] += e[b] }
                errors.append(perTile)
                scales.append(s)
                let d = g.map(\.delayNs).max() ?? 0
                switch options.goal {
                case .speed:
                    clock.append(d); voltage.append(vNom); cost.append(d); delayAtVoltage.append(d)
                case .energy:
                    let (v, dv) = options.voltage.levelSupply(grid: g, clockNs: ref)
                    clock.append(ref); voltage.append(v); cost.append(v * v); delayAtVoltage.append(dv)
                }
            }
            return Priced(grids: grids, errors: errors, scales: scales, cost: cost, clock: clock, voltage: voltage,
                          delayAtVoltage: delayAtVoltage)
        }

        let solutions = budgets.map { selector.select(allowed: space.allowed(maxDelayNs: $0), levels: k) }
        var grids = solutions.map(\.levels)
        var priced = price(grids, warm: solutions.map(\.scales))
        let accurate = priced.errors[0].reduce(0, +)
        let errorBudget = accurate * (1 + options.errorSlack)
        var assignment = assign(priced.errors, cost: priced.cost, sizes: tileSize, budget: errorBudget)
        func totalCost(_ p: Priced, _ a: [Int]) -> Double { (0 ..< tileCount).reduce(0) { $0 + Double(tileSize[$1]) * p.cost[a[$1]] } }
        // Re-select each level's grid on the tiles it got, re-price, re-assign; keep the better plan.
        var regrids = grids
        var rewarm = solutions.map(\.scales)
        for l in grids.indices {
            let blocks = (0 ..< problem.blockCount).filter { assignment[Int(problem.blockTile[$0])] == l }
            if blocks.isEmpty { continue }
            let sub = selector.select(allowed: space.allowed(maxDelayNs: budgets[l]), levels: k, blocks: blocks, seeds: [solutions[l]])
            regrids[l] = sub.levels
            for b in blocks { rewarm[l][b] = sub.scales[b] }
        }
        if regrids != grids {
            let repriced = price(regrids, warm: rewarm)
            let reassigned = assign(repriced.errors, cost: repriced.cost, sizes: tileSize, budget: errorBudget)
            let errorOf = { (p: Priced, a: [Int]) in (0 ..< tileCount).reduce(0.0) { $0 + p.errors[a[$1]][$1] } }
            if errorOf(repriced, reassigned) <= errorBudget * (1 + 1e-12),
               totalCost(repriced, reassigned) < totalCost(priced, assignment) * (1 - 1e-12) {
                grids = regrids
                priced = repriced
                assignment = reassigned
            }
        }
        var blockGrid = [Int](repeating: 0, count: problem.blockCount)
        var scales = [Double](repeating: 0, count: problem.blockCount)
        for b in 0 ..< problem.blockCount {
            let l = assignment[Int(problem.blockTile[b])]
            blockGrid[b] = l
            scales[b] = priced.scales[l][b]
        }
        let a = Assignment(grids: grids, blockGrid: blockGrid, scales: scales)
        let quality = selector.evaluate(a)
        var time = 0.0, energy = 0.0, weights = 0.0
        var levelsOut: [DVFSPlan.Level] = []
        for l in grids.indices {
            levelsOut.append(DVFSPlan.Level(budgetNs: budgets[l], grid: grids[l], maxDelayNs: grids[l].map(\.delayNs).max() ?? 0,
                                            clockNs: priced.clock[l], voltage: priced.voltage[l],
                                            delayAtVoltageNs: priced.delayAtVoltage[l], tiles: 0, weights: 0))
        }
        for t in 0 ..< tileCount {
            let l = assignment[t], n = Double(tileSize[t])
            levelsOut[l].tiles += 1
            levelsOut[l].weights += tileSize[t]
            time += n * priced.clock[l]
            energy += n * priced.voltage[l] * priced.voltage[l]
            weights += n
        }
        return DVFSPlan(levels: levelsOut, tileLevel: assignment, assignment: a, quality: quality, accurateWeightedError: accurate,
                        errorBudget: errorBudget, speedup: weights * ref / time, energyRatio: energy / (weights * vNom * vNom),
                        options: options)
    }

    /// Greedy multiple-choice assignment: all tiles at level 0, then the move with the smallest error
    /// increase per unit of cost saved, while the total error stays within `budget`.
    /// `errors[level][tile]`, `cost[level]` per operation, `sizes[tile]` operations.
    public static func assign(_ errors: [[Double]], cost: [Double], sizes: [Int], budget: Double) -> [Int] {
        let tiles = sizes.count
        var level = [Int](repeating: 0, count: tiles)
        var version = [Int](repeating: 0, count: tiles)
        var remaining = budget - (0 ..< tiles).reduce(0.0) { $0 + errors[0][$1] }
        var heap = BinaryHeap<Move>()
        let tolerance = 1e-12 * max(1, abs(budget))
        // The best move by ratio; with `feasibleOnly`, the best one that fits the remaining budget.
        func bestMove(_ t: Int, feasibleOnly: Bool = false) -> (ratio: Double, to: Int)? {
            let cur = level[t]
            var best: (Double, Int)?
            for l in cost.indices where cost[l] < cost[cur] - 1e-15 {
                let dE = errors[l][t] - errors[cur][t]
                if feasibleOnly && dE > remaining + tolerance { continue }
                let saved = Double(sizes[t]) * (cost[cur] - cost[l])
                let r = dE / saved
                if best == nil || r < best!.0 || (r == best!.0 && cost[l] < cost[best!.1]) { best = (r, l) }
            }
            return best
        }
        for t in 0 ..< tiles { if let m = bestMove(t) { heap.push(Move(ratio: m.ratio, tile: t, version: 0, to: m.to)) } }
        while let top = heap.pop() {
            let t = top.tile
            guard top.version == version[t] else { continue }
            let dE = errors[top.to][t] - errors[level[t]][t]
            version[t] += 1
            if dE > remaining + tolerance {
                if let m = bestMove(t, feasibleOnly: true) { heap.push(Move(ratio: m.ratio, tile: t, version: version[t], to: m.to)) }
                continue
            }
            level[t] = top.to
            remaining -= dE
            if let m = bestMove(t) { heap.push(Move(ratio: m.ratio, tile: t, version: version[t], to: m.to)) }
        }
        return level
    }

    /// A candidate move of a tile to level `to`, ordered by error increase per cost saved, then tile;
    /// `version` tells a current move from a stale one.
    struct Move: Comparable {
        var ratio: Double, tile: Int, version: Int, to: Int
        static func < (a: Move, b: Move) -> Bool { (a.ratio, a.tile) < (b.ratio, b.tile) }
        static func == (a: Move, b: Move) -> Bool { (a.ratio, a.tile) == (b.ratio, b.tile) }
    }
}
