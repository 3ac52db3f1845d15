import Foundation

/// What limits the grid: a delay budget, a speed-up, an error budget, or nothing.
public enum Budget: Sendable, Equatable, CustomStringConvertible {
    /// Every code allowed.
    case none
    /// Codes with delay ≤ T ns (`--max-delay 3.2ns`).
    case maxDelay(Double)
    /// Codes with delay ≤ reference / S (`--min-speedup 1.25`; the reference is the table's `none`
    /// row, or its slowest code).
    case minSpeedup(Double)
    /// The fastest grid (swept over the table's distinct delays) whose MSE is at most this (under the
    /// energy or EDP objective: the grid of least energy or EDP).
    case maxMSE(Double)
    /// The fastest grid whose SQNR is at least this many dB (or the least energy / EDP).
    case minSQNR(Double)

    /// `none`, `max-delay 3.2 ns`, …
    public var description: String {
        switch self {
        case .none: return "none"
        case .maxDelay(let t): return "max-delay \(t) ns"
        case .minSpeedup(let s): return "min-speedup \(s)"
        case .maxMSE(let e): return "max-mse \(e)"
        case .minSQNR(let d): return "min-sqnr \(d) dB"
        }
    }
}

/// What to compute.
public struct QuantizationRequest: Sendable, Equatable {
    /// Levels K; nil for every allowed value.
    public var levels: Int?
    /// The budget.
    public var budget: Budget = .none
    /// What an error budget minimizes, and the Pareto front's cost axis (see ``Objective``).
    public var objective: Objective = .delay
    /// Whether to sweep the Pareto front (always done for an error budget).
    public var pareto = false
    /// Whether to measure the baselines.
    public var baselines = true
    /// A DVFS plan, when wanted (the problem must be laid out with a tile).
    public var dvfs: DVFSOptions?

    /// A request for `levels` levels.
    public init(levels: Int?) { self.levels = levels }
}

/// A baseline measured on the weights.
public struct BaselineResult: Sendable {
    /// The fixed levels.
    public var baseline: Baseline
    /// Its scales.
    public var solution: GridSolution
    /// Its error.
    public var quality: Quality
}

/// Everything a selection produced.
public struct QuantizationOutcome: Sendable {
    /// The delay budget in force, ns (nil when every code was allowed).
    public var budgetNs: Double?
    /// The grid.
    public var solution: GridSolution
    /// Its error on the raw weights.
    public var quality: Quality
    /// The baselines, in report order.
    public var baselines: [BaselineResult]
    /// The Pareto front (empty unless asked or needed).
    public var pareto: [GridSelector.ParetoPoint]
    /// The DVFS plan, when asked.
    public var dvfs: DVFSPlan?
    /// What to quantize with: the DVFS plan's grids when there is one, else the grid.
    public var assignment: Assignment
    /// Things the user should know (fewer values allowed than levels asked, …).
    public var warnings: [String]
    /// The objective of the run.
    public var objective: Objective = .delay
    /// What energy ratios are against: the format's every code ("uniform INT8" for int8), rounded to
    /// nearest at its own fitted scales, on the same weights; nil when the table has no energy.
    public var energyReference: BaselineResult?
    /// How the grid was chosen (for the report), e.g. `least energy of 112 candidates meeting min-sqnr 30.0 dB`.
    public var selection: String = ""

    /// The grid's energy per operation over the reference's (nil without energy).
    public var energyRatio: Double? {
        guard let e = quality.energyPerOpFJ, let r = energyReference?.quality.energyPerOpFJ, r > 0 else { return nil }
        return e / r
    }
}

/// Hardware-aware post-training quantization: the grid of K fast codes and the scales minimizing the
/// importance-weighted squared error under a budget, with baselines, Pareto front and DVFS plan.
public enum HardwareAwareQuantizer {
    /// Runs `request` on `selector`'s weights and codes.
    ///
    /// A delay budget (`maxDelay`, `minSpeedup`) restricts the codes. Without an error budget the grid is
    /// the most accurate one under it, whatever the objective. With an error budget (`maxMSE`,
    /// `minSQNR`) the grid is the candidate of least objective that meets it: for delay, the fastest
    /// budget of the delay sweep (then the most accurate grid under that budget); for energy and EDP,
    /// the candidate of least energy or EDP (see ``GridSelector/objectiveCandidates(levels:objective:capNs:meets:)``).
    public static func run(selector: GridSelector, request: QuantizationRequest) throws -> QuantizationOutcome {
        let space = selector.space
        let objective = request.objective
        try checkLevelsAndEnergy(request, space: space)
        let k = request.levels ?? Int.max
        var warnings: [String] = []
        if space.missingCodes > 0 {
            warnings.append("the table lacks \(space.missingCodes) of the \(space.format.codeCount) \(space.format) codes; they are never used")
        }
        var budgetNs = try delayBudgetNs(request.budget, space: space)
        let meets = errorBudget(request.budget)
        // The sweep comes first when it is wanted: its points seed the grid, so the grid is never worse
        // than a point of the front within its budget.
        var swept: [GridSelector.ParetoPoint] = []
        if request.pareto || meets != nil {
            swept = objective == .delay ? selector.pareto(levels: k, all: true)
                : selector.objectiveCandidates(levels: k, objective: objective, capNs: budgetNs, meets: meets)
        }
        var chosen: GridSelector.ParetoPoint?
        var selection = budgetNs == nil ? "most accurate grid" : String(format: "most accurate grid of codes ≤ %.4f ns", budgetNs!)
        if let meets {
            try applyErrorBudget(meets, selector: selector, request: request, levels: k, swept: &swept, budgetNs: &budgetNs,
                                 chosen: &chosen, selection: &selection)
        }
        let allowed = budgetNs.map { space.allowed(maxDelayNs: $0) } ?? space.levels
        if let kk = request.levels, allowed.count < kk {
            warnings.append(budgetNs.map { String(format: "only %d distinct values have delay ≤ %.4f ns; the grid has %d levels, not %d", allowed.count, $0, allowed.count, kk) }
                            ?? "the format has only \(allowed.count) usable values; the grid has \(allowed.count) levels, not \(kk)")
        }
        let solution: GridSolution, quality: Quality
        if let chosen {
            solution = chosen.solution
            quality = chosen.quality
        } else {
            if objective == .delay, meets != nil { selection = String(format: "fastest budget meeting %@ (%.4f ns), then its most accurate grid", request.budget.description, budgetNs!) }
            (solution, quality) = selectGrid(selector: selector, allowed: allowed, levels: k, objective: objective, budgetNs: budgetNs,
                                             swept: &swept)
        }
        let pareto = GridSelector.nonDominated(swept, objective: objective)
        let baselines = request.baselines ? measureBaselines(selector: selector, levels: min(k, space.levels.count)) : []
        let energyReference = space.hasEnergy ? energyReference(selector: selector, baselines: baselines) : nil
        var dvfs: DVFSPlan?
        var assignment = Assignment(solution)
        if let options = request.dvfs {
            let plan = try planDVFS(selector: selector, options: options, levels: min(k, space.levels.count), budgetNs: budgetNs,
                                    warnings: &warnings)
            dvfs = plan
            assignment = plan.assignment
        }
        return QuantizationOutcome(budgetNs: budgetNs, solution: solution, quality: quality, baselines: baselines, pareto: pareto,
                                   dvfs: dvfs, assignment: assignment, warnings: warnings, objective: objective,
                                   energyReference: energyReference, selection: selection)
    }
}

// The steps of `run`, in the order it takes them.
extension HardwareAwareQuantizer {
    /// Refuses fewer than one level, and an energy objective on a table without energy for every code.
    static func checkLevelsAndEnergy(_ request: QuantizationRequest, space: CodeSpace) throws {
        let objective = request.objective
        if let k = request.levels, k < 1 { throw HaloError("--levels must be at least 1") }
        if objective.needsEnergy && !space.hasEnergy {
            throw HaloError(space.levels.contains { $0.energyFJ != nil }
                ? "--objective \(objective) needs energy_fj for every code; code \(space.levelWithoutEnergy!.code) has none"
                : "--objective \(objective) needs a delay table with energy_fj (run halo characterize --energy)")
        }
    }

    /// The delay budget of a `maxDelay` or `minSpeedup` budget in ns (nil for the others), checked to
    /// allow at least one code.
    static func delayBudgetNs(_ budget: Budget, space: CodeSpace) throws -> Double? {
        var budgetNs: Double?
        switch budget {
        case .maxDelay(let t):
            guard t > 0 else { throw HaloError("the delay budget must be positive") }
            budgetNs = t
        case .minSpeedup(let s):
            guard s > 0 else { throw HaloError("the speed-up must be positive") }
            budgetNs = space.referenceDelayNs / s
        default:
            budgetNs = nil
        }
        if let t = budgetNs, space.allowed(maxDelayNs: t).isEmpty {
            let fastest = space.levels.min { ($0.delayNs, $0.code) < ($1.delayNs, $1.code) }!
            throw HaloError(String(format: "no code has delay ≤ %.4f ns (the fastest, code %d, takes %.4f ns)", t, fastest.code, fastest.delayNs))
        }
        return budgetNs
    }

    /// The test of an error budget (`maxMSE`, `minSQNR`); nil for the others.
    static func errorBudget(_ budget: Budget) -> ((Quality) -> Bool)? {
        switch budget {
        case .maxMSE(let e): return { $0.mse <= e }
        case .minSQNR(let d): return { $0.sqnrDB >= d }
        default: return nil
        }
    }

    /// Picks the candidate of the sweep that meets the error budget at the least objective: for delay,
    /// the fastest budget (refined between the sweep's last failing point and the best one; the grid
    /// is then selected under it); for energy and EDP the candidate itself (`chosen`).
    static func applyErrorBudget(_ meets: (Quality) -> Bool, selector: GridSelector, request: QuantizationRequest, levels k: Int,
                                 swept: inout [GridSelector.ParetoPoint], budgetNs: inout Double?,
                                 chosen: inout GridSelector.ParetoPoint?, selection: inout String) throws {
        let objective = request.objective
        let ok = swept.filter { meets($0.quality) && $0.cost(objective) != nil }
        guard let best = ok.min(by: { ($0.cost(objective)!, $0.quality.mse) < ($1.cost(objective)!, $1.quality.mse) }) else {
            let top = swept.min { $0.quality.mse < $1.quality.mse }!
            throw HaloError(String(format: "no grid meets %@: the most accurate (all codes up to %.4f ns) has MSE %.6g, SQNR %.2f dB",
                                   request.budget.description, top.maxDelayNs, top.quality.mse, top.quality.sqnrDB))
        }
        if objective == .delay {
            // A thinned sweep (16-bit tables) is refined between its last failing point and `best`.
            var fastest = best
            if let below = swept.filter({ $0.budgetNs < best.budgetNs }).max(by: { $0.budgetNs < $1.budgetNs }) {
                fastest = selector.fastestMeeting(meets, below: below, meeting: best, levels: k)
                if fastest.budgetNs < best.budgetNs {
                    swept.append(fastest)
                    swept.sort { $0.budgetNs < $1.budgetNs }
                }
            }
            budgetNs = fastest.budgetNs
        } else {
            chosen = best
            selection = "least \(objective == .edp ? "EDP" : "energy") of \(ok.count) candidate\(ok.count == 1 ? "" : "s") meeting \(request.budget)"
                + (budgetNs.map { String(format: " with codes ≤ %.4f ns", $0) } ?? "")
        }
    }

    /// The most accurate grid of `allowed`, seeded by the sweep's best point within the budget; the grid
    /// joins the sweep (energy, EDP) or replaces the sweep's point of its budget when better (delay).
    static func selectGrid(selector: GridSelector, allowed: [CodeLevel], levels k: Int, objective: Objective, budgetNs: Double?,
                           swept: inout [GridSelector.ParetoPoint]) -> (GridSolution, Quality) {
        let within = swept.filter { $0.budgetNs <= (budgetNs ?? .infinity) + 1e-12 }
        let seed = within.min { $0.quality.weightedSquaredError < $1.quality.weightedSquaredError }
        let solution = selector.select(allowed: allowed, levels: k, seeds: seed.map { [$0.solution] } ?? [])
        let quality = selector.evaluate(Assignment(solution))
        let grid = GridSelector.ParetoPoint(budgetNs: budgetNs ?? selector.space.distinctDelays.last!, maxDelayNs: solution.maxDelayNs,
                                            levels: solution.levels, quality: quality, solution: solution)
        if objective != .delay {
            if !swept.isEmpty { swept.append(grid) }
        } else if let i = within.indices.last, i < swept.count, quality.weightedSquaredError < swept[i].quality.weightedSquaredError {
            // The grid is the sweep's point for its budget when it does better.
            swept[i] = GridSelector.ParetoPoint(budgetNs: swept[i].budgetNs, maxDelayNs: grid.maxDelayNs, levels: grid.levels,
                                                quality: quality, solution: solution)
        }
        return (solution, quality)
    }

    /// The format's baselines of `levels` levels, each at its own fitted scales.
    static func measureBaselines(selector: GridSelector, levels kb: Int) -> [BaselineResult] {
        selector.space.baselines(levels: kb).map { b in
            let s = selector.fit(levels: b.levels)
            return BaselineResult(baseline: b, solution: s, quality: selector.evaluate(Assignment(s)))
        }
    }

    /// What energy ratios are against: the baseline of every code (the first baseline when it is that).
    static func energyReference(selector: GridSelector, baselines: [BaselineResult]) -> BaselineResult {
        let space = selector.space
        if let first = baselines.first, first.baseline.levels.count == space.levels.count { return first }
        let all = space.baselines(levels: space.levels.count)[0]
        let s = selector.fit(levels: all.levels)
        return BaselineResult(baseline: all, solution: s, quality: selector.evaluate(Assignment(s)))
    }

    /// The DVFS plan under the delay budget (its budgets checked against it), warning when fewer
    /// levels than asked lie between the budgets.
    static func planDVFS(selector: GridSelector, options requested: DVFSOptions, levels: Int, budgetNs: Double?,
                         warnings: inout [String]) throws -> DVFSPlan {
        var options = requested
        guard selector.problem.tile != nil else { throw HaloError("a DVFS plan needs a tile shape (--tile RxC)") }
        if options.maxBudgetNs == nil { options.maxBudgetNs = budgetNs }
        if let cap = options.maxBudgetNs, let explicit = options.budgetsNs, let over = explicit.first(where: { $0 > cap + 1e-12 }) {
            throw HaloError(String(format: "DVFS budget %.4f ns exceeds the delay budget %.4f ns", over, cap))
        }
        let plan = try DVFSPlanner.plan(selector: selector, levels: levels, options: options)
        if options.budgetsNs == nil && plan.levels.count < options.levels {
            warnings.append(String(format: "DVFS: %d levels asked, but only %d distinct budgets lie between %.4f and %.4f ns once snapped to the table's delays",
                                   options.levels, plan.levels.count, plan.levels.last!.budgetNs, plan.levels.first!.budgetNs))
        }
        return plan
    }
}
