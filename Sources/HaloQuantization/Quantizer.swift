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
    /// The fastest grid (swept over the table's distinct delays) whose MSE is at most this.
    case maxMSE(Double)
    /// The fastest grid whose SQNR is at least this many dB.
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
}

/// Hardware-aware post-training quantization: the grid of K fast codes and the scales minimizing the
/// importance-weighted squared error under a budget, with baselines, Pareto front and DVFS plan.
public enum HardwareAwareQuantizer {
    /// Runs `request` on `selector`'s weights and codes.
    public static func run(selector: GridSelector, request: QuantizationRequest) throws -> QuantizationOutcome {
        let space = selector.space
        if let k = request.levels, k < 1 { throw HaloError("--levels must be at least 1") }
        let k = request.levels ?? Int.max
        var warnings: [String] = []
        if space.missingCodes > 0 {
            warnings.append("the table lacks \(space.missingCodes) of the \(space.format.codeCount) \(space.format) codes; they are never used")
        }
        var budgetNs: Double?
        // The sweep comes first when it is wanted: its points seed the grid, so the grid is never worse
        // than a point of the front within its budget.
        var swept: [GridSelector.ParetoPoint] = []
        let isErrorBudget: Bool
        switch request.budget {
        case .maxMSE, .minSQNR: isErrorBudget = true
        default: isErrorBudget = false
        }
        if request.pareto || isErrorBudget { swept = selector.pareto(levels: k, all: true) }
        switch request.budget {
        case .none:
            budgetNs = nil
        case .maxDelay(let t):
            guard t > 0 else { throw HaloError("the delay budget must be positive") }
            budgetNs = t
        case .minSpeedup(let s):
            guard s > 0 else { throw HaloError("the speed-up must be positive") }
            budgetNs = space.referenceDelayNs / s
        case .maxMSE, .minSQNR:
            let ok = swept.filter {
                if case .maxMSE(let e) = request.budget { return $0.quality.mse <= e }
                if case .minSQNR(let d) = request.budget { return $0.quality.sqnrDb >= d }
                return false
            }
            guard let best = ok.min(by: { ($0.maxDelayNs, $0.quality.mse) < ($1.maxDelayNs, $1.quality.mse) }) else {
                let top = swept.min { $0.quality.mse < $1.quality.mse }!
                throw HaloError(String(format: "no grid meets %@: the most accurate (all codes up to %.4f ns) has MSE %.6g, SQNR %.2f dB",
                                       request.budget.description, top.maxDelayNs, top.quality.mse, top.quality.sqnrDb))
            }
            budgetNs = best.budgetNs
        }
        let allowed = budgetNs.map { space.allowed(maxDelayNs: $0) } ?? space.levels
        guard !allowed.isEmpty else {
            let fastest = space.levels.min { ($0.delayNs, $0.code) < ($1.delayNs, $1.code) }!
            throw HaloError(String(format: "no code has delay ≤ %.4f ns (the fastest, code %d, takes %.4f ns)", budgetNs!, fastest.code, fastest.delayNs))
        }
        if let kk = request.levels, allowed.count < kk {
            warnings.append(budgetNs.map { String(format: "only %d distinct values have delay ≤ %.4f ns; the grid has %d levels, not %d", allowed.count, $0, allowed.count, kk) }
                            ?? "the format has only \(allowed.count) usable values; the grid has \(allowed.count) levels, not \(kk)")
        }
        let within = swept.filter { $0.budgetNs <= (budgetNs ?? .infinity) + 1e-12 }
        let seed = within.min { $0.quality.weightedSquaredError < $1.quality.weightedSquaredError }
        let solution = selector.select(allowed: allowed, levels: k, seeds: seed.map { [$0.solution] } ?? [])
        let quality = selector.evaluate(Assignment(solution))
        // The grid is the sweep's point for its budget when it does better.
        if let i = within.indices.last, i < swept.count, quality.weightedSquaredError < swept[i].quality.weightedSquaredError {
            swept[i] = GridSelector.ParetoPoint(budgetNs: swept[i].budgetNs, maxDelayNs: solution.maxDelayNs, levels: solution.levels,
                                                quality: quality, solution: solution)
        }
        let pareto = GridSelector.nonDominated(swept)
        var baselines: [BaselineResult] = []
        if request.baselines {
            let kb = min(k, space.levels.count)
            for b in space.baselines(levels: kb) {
                let s = selector.fit(levels: b.levels)
                baselines.append(BaselineResult(baseline: b, solution: s, quality: selector.evaluate(Assignment(s))))
            }
        }
        var dvfs: DVFSPlan?
        var assignment = Assignment(solution)
        if var options = request.dvfs {
            guard selector.problem.tile != nil else { throw HaloError("a DVFS plan needs a tile shape (--tile RxC)") }
            if options.maxBudgetNs == nil { options.maxBudgetNs = budgetNs }
            if let cap = options.maxBudgetNs, let explicit = options.budgetsNs, let over = explicit.first(where: { $0 > cap + 1e-12 }) {
                throw HaloError(String(format: "DVFS budget %.4f ns exceeds the delay budget %.4f ns", over, cap))
            }
            let plan = try DVFSPlanner.plan(selector: selector, levels: min(k, space.levels.count), options: options)
            if options.budgetsNs == nil && plan.levels.count < options.levels {
                warnings.append(String(format: "DVFS: %d levels asked, but only %d distinct budgets lie between %.4f and %.4f ns once snapped to the table's delays",
                                       options.levels, plan.levels.count, plan.levels.last!.budgetNs, plan.levels.first!.budgetNs))
            }
            dvfs = plan
            assignment = plan.assignment
        }
        return QuantizationOutcome(budgetNs: budgetNs, solution: solution, quality: quality, baselines: baselines, pareto: pareto,
                                   dvfs: dvfs, assignment: assignment, warnings: warnings)
    }
}

extension HardwareAwareQuantizer {
    /// Worker threads for the searches; 0 (the default) uses every active core.
    public static var threads: Int {
        get { ParallelFor.threads }
        set { ParallelFor.threads = max(0, newValue) }
    }
}
