import Foundation

/// The candidate grids of the energy and EDP objectives.
///
/// A grid's energy per operation depends on how many weights go to each of its codes, so it is not a
/// property of the code set alone, as the delay is. The candidates are therefore:
///
/// 1. **Exhaustive, for small code sets.** When the allowed values admit at most
///    ``GridSelector/exhaustiveSubsetLimit`` K-subsets (and subsets × weights ≤ 2²⁷; e.g. FP4's 15
///    values), every K-subset is a candidate, each with the scales that minimize its error
///    (``GridSelector/fit(levels:blocks:)``). The choice is then exact over level sets: no other set
///    of K allowed values, at its error-fitted scales, has a smaller objective within the error budget.
/// 2. **Otherwise, two sweeps.**
///    - The delay sweep (``GridSelector/pareto(levels:blocks:all:upTo:)``): for every distinct delay
///      T up to the delay budget, the most accurate grid of codes ≤ T.
///    - A Lagrangian sweep: grids minimizing `Σ ω(x − x̂)² + λ·Σ energy_fj(code of x)` for
///      λ = μ·W₀/S₀, μ = 2⁻⁴ … 2¹² (W₀, S₀ the error and energy sum of the most accurate grid under the
///      same delay cap), step ×2 for energy. For EDP the same at up to ``GridSelector/edpCaps`` delay
///      caps spread over the delay sweep (step ×4 in μ). The level choice for each λ is exact at the
///      given scales (``LevelDP`` with usage costs); the scales are searched as for the error alone.
///    With an error budget, the λ bracketing the best feasible candidate is then bisected (6 steps,
///    in log λ) at that candidate's cap, and the best feasible grid is refined once more with the full
///    search effort.
///
/// **What is optimal and what is not.** For every λ the grid is the exact minimizer of error + λ·energy
/// at its scales, so the Lagrangian candidates lie on the lower convex hull of the (energy, error)
/// trade-off; a grid in a non-convex dent of that trade-off can be missed, and so can a grid whose
/// scales would have to differ from both the error-optimal and the λ-optimal ones. The chosen grid is
/// the one of least objective among the candidates that meet the error budget; every reported energy is
/// recomputed from the quantized weights.
extension GridSelector {
    /// Subsets up to which the energy and EDP candidates are every K-subset of the allowed values.
    public static let exhaustiveSubsetLimit = 4096
    /// Subsets × weights up to which the exhaustive search is used.
    static let exhaustiveWorkLimit = 1 << 27
    /// Delay caps of the EDP Lagrangian sweep.
    public static let edpCaps = 6

    /// The candidates for `objective` (energy or EDP) with `k` levels among the codes of delay ≤
    /// `capNs` (every code when nil). `meets`, when given, is the error budget: the sweep is then refined
    /// around the best candidate that meets it. Every allowed level must have an energy figure.
    public func objectiveCandidates(levels k: Int, objective: Objective, capNs: Double?, meets: ((Quality) -> Bool)? = nil) -> [ParetoPoint] {
        precondition(objective.needsEnergy, "the delay objective uses pareto(levels:)")
        let allowed = (capNs.map { space.allowed(maxDelayNs: $0) } ?? space.levels).sorted { $0.value < $1.value }
        precondition(!allowed.isEmpty && allowed.allSatisfy { $0.energyFJ != nil })
        let kk = min(k, allowed.count)
        if let n = Subsets.count(allowed.count, kk), n <= Self.exhaustiveSubsetLimit, n * max(1, problem.elementCount) <= Self.exhaustiveWorkLimit {
            var sets: [[CodeLevel]] = []
            Subsets.forEach(allowed.count, kk) { sets.append($0.map { allowed[$0] }) }
            var points = [ParetoPoint?](repeating: nil, count: sets.count)
            points.withUnsafeMutableBufferPointer { pp in
                let base = pp.baseAddress!
                parallel.forEach(sets.count) { i in
                    let sol = self.fit(levels: sets[i])
                    base[i] = self.point(sol, budget: sol.maxDelayNs)
                }
            }
            return points.map { $0! }
        }
        let delaySweep = pareto(levels: k, all: true, upTo: capNs)
        // The caps of the Lagrangian sweep: the largest budget for energy; for EDP up to `edpCaps` of the
        // budgets whose grids have all K levels, evenly spread, the largest included.
        var caps = [delaySweep.count - 1]
        if objective == .edp {
            let full = delaySweep.indices.filter { delaySweep[$0].levels.count == kk }
            if full.count > 1 {
                let n = min(Self.edpCaps, full.count)
                caps = (0 ..< n).map { full[Int((Double($0) * Double(full.count - 1) / Double(n - 1)).rounded())] }
            }
        }
        let exponents = Array(stride(from: -4, through: 12, by: objective == .edp ? 2 : 1))
        let sweeper = self.sweeper
        func lambda(cap c: Int, exponent e: Double) -> Double {
            let q = delaySweep[c].quality
            let energy = q.energySumFJ > 0 ? q.energySumFJ : 1
            let error = q.weightedSquaredError > 0 ? q.weightedSquaredError : max(q.squaredSignal, 1) * 1e-12
            return pow(2, e) * error / energy
        }
        func solve(_ s: GridSelector, cap c: Int, exponent e: Double, seed: GridSolution) -> ParetoPoint {
            let budget = delaySweep[c].budgetNs
            let sol = s.select(allowed: space.allowed(maxDelayNs: budget), levels: k, seeds: [seed], energyWeight: lambda(cap: c, exponent: e))
            return point(sol, budget: budget)
        }
        let jobs = caps.flatMap { c in exponents.map { (c, Double($0)) } }
        var swept = [ParetoPoint?](repeating: nil, count: jobs.count)
        swept.withUnsafeMutableBufferPointer { pp in
            let base = pp.baseAddress!
            parallel.forEach(jobs.count) { i in
                base[i] = solve(sweeper, cap: jobs[i].0, exponent: jobs[i].1, seed: delaySweep[jobs[i].0].solution)
            }
        }
        var points = delaySweep + swept.map { $0! }
        guard let meets else { return points }
        // Bisect λ (in log) around the best candidate that meets the error budget: the largest λ that
        // still meets it is sought between that candidate's λ and the next one of the sweep.
        func best() -> (Int, Double)? {
            points.indices.compactMap { i in meets(points[i].quality) ? points[i].cost(objective).map { (i, $0) } : nil }
                .min { ($0.1, points[$0.0].quality.mse) < ($1.1, points[$1.0].quality.mse) }
        }
        guard let (b, _) = best() else { return points }
        let step = Double(exponents[1] - exponents[0])
        let chosen = points[b]
        let c = delaySweep.lastIndex { $0.budgetNs == chosen.budgetNs } ?? caps.last!
        var lo: Double, hi: Double
        if b < delaySweep.count {
            hi = Double(exponents[0]); lo = hi - 6
        } else {
            let e = jobs[b - delaySweep.count].1
            lo = e; hi = e + step
        }
        var seed = chosen.solution
        for _ in 0 ..< 6 {
            let mid = (lo + hi) / 2
            let p = solve(sweeper, cap: c, exponent: mid, seed: seed)
            points.append(p)
            if meets(p.quality) { lo = mid; seed = p.solution } else { hi = mid }
        }
        // The best feasible grid once more with the full effort, at its own λ.
        if let (i, _) = best() {
            let p = points[i]
            let sol = refine(p.solution, allowed: space.allowed(maxDelayNs: p.budgetNs), levels: k, energyWeight: p.solution.energyWeight)
            points.append(point(sol, budget: p.budgetNs))
        }
        return points
    }
}

/// The `k`-subsets of `0 ..< n`.
public enum Subsets {
    /// `n` choose `k` (0 when `k` is out of range), or nil above 2⁴⁰.
    public static func count(_ n: Int, _ k: Int) -> Int? {
        guard k >= 0, k <= n else { return 0 }
        var r = 1
        for i in 0 ..< min(k, n - k) {
            r = r * (n - i) / (i + 1)
            if r > 1 << 40 { return nil }
        }
        return r
    }

    /// Calls `body` with every `k`-subset of `0 ..< n` (ascending indices), in lexicographic order.
    public static func forEach(_ n: Int, _ k: Int, _ body: ([Int]) -> Void) {
        guard k >= 1, k <= n else { return }
        var idx = Array(0 ..< k)
        while true {
            body(idx)
            var i = k - 1
            while i >= 0 && idx[i] == n - k + i { i -= 1 }
            if i < 0 { return }
            idx[i] += 1
            for j in (i + 1) ..< k { idx[j] = idx[j - 1] + 1 }
        }
    }
}
