import Foundation

/// A weighted histogram of (scaled) weights: bins in increasing position, with prefix sums of the
/// weight `ω`, `ω·y` and `ω·y²`, so the squared error of sending any run of bins to one level is
/// O(1), and of the plain number of values, so the usage of a level (how many weights go to it, for the
/// energy term of ``LevelDP``) is O(1) too.
///
/// With at most ``exactLimit`` values every distinct value is its own bin and the histogram is exact.
/// Above that the range is cut into ``binCount`` equal-width bins that keep the **exact** moments of
/// their values; a bin's position (used only to decide which level it goes to) is its weighted mean.
/// Only a bin that straddles a decision boundary is then mis-assigned, by less than a bin width.
public struct WeightHistogram: Sendable {
    /// Values up to which the histogram is exact.
    public static let exactLimit = 1 << 16
    /// Bins above that.
    public static let binCount = 1 << 16

    /// Bin positions, ascending.
    public private(set) var positions: [Double]
    /// Prefix sums (count + 1 entries) of ω, ω·y, ω·y², and of the number of values.
    private(set) var p0: [Double], p1: [Double], p2: [Double], pn: [Double]
    /// Whether every bin is one distinct value.
    public private(set) var isExact: Bool

    /// Number of bins.
    public var count: Int { positions.count }
    /// Total weight.
    public var totalWeight: Double { p0.last ?? 0 }

    /// A histogram of `values` with weights `weights` (same count; all 1 when empty).
    public init(values: [Double], weights: [Double] = []) {
        precondition(weights.isEmpty || weights.count == values.count)
        var b = Builder(capacityHint: values.count)
        for i in values.indices { b.add(values[i], weights.isEmpty ? 1 : weights[i]) }
        self = b.finish()
    }

    init(positions: [Double], p0: [Double], p1: [Double], p2: [Double], pn: [Double], isExact: Bool) {
        self.positions = positions
        self.p0 = p0
        self.p1 = p1
        self.p2 = p2
        self.pn = pn
        self.isExact = isExact
    }

    /// Number of values in bins `a ..< b`.
    @inline(__always)
    func rangeCount(_ a: Int, _ b: Int) -> Double { a >= b ? 0 : pn[b] - pn[a] }

    /// Squared error of sending bins `a ..< b` to `level`.
    @inline(__always)
    func rangeCost(_ a: Int, _ b: Int, _ level: Double) -> Double {
        if a >= b { return 0 }
        let w = p0[b] - p0[a], s = p1[b] - p1[a], q = p2[b] - p2[a]
        return max(0, q - 2 * level * s + level * level * w)
    }

    /// The first bin whose position is ≥ `y`.
    @inline(__always)
    func lowerBound(_ y: Double, from: Int = 0, to: Int? = nil) -> Int {
        var lo = from, hi = to ?? positions.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if positions[mid] < y { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The weighted squared error of sending every bin to its nearest level of `levels` (ascending).
    public func cost(levels: [Double]) -> Double {
        guard !levels.isEmpty, count > 0 else { return 0 }
        var total = 0.0
        var start = 0
        for k in levels.indices {
            let end = k + 1 < levels.count ? lowerBound((levels[k] + levels[k + 1]) / 2, from: start) : count
            total += rangeCost(start, end, levels[k])
            start = end
        }
        return total
    }

    /// Accumulates values, exactly while few, in equal-width bins beyond.
    struct Builder {
        private var ys: [Double] = []
        private var ws: [Double] = []

        init(capacityHint: Int) {
            ys.reserveCapacity(min(capacityHint, 1 << 20))
            ws.reserveCapacity(min(capacityHint, 1 << 20))
        }

        mutating func add(_ y: Double, _ w: Double) {
            ys.append(y)
            ws.append(w)
        }

        func finish() -> WeightHistogram { WeightHistogram.build(ys, ws) }
    }

    /// Builds from parallel arrays of positions and weights.
    static func build(_ ys: [Double], _ ws: [Double]) -> WeightHistogram {
        let n = ys.count
        guard n > 0 else { return WeightHistogram(positions: [], p0: [0], p1: [0], p2: [0], pn: [0], isExact: true) }
        var positions: [Double] = []
        var p0: [Double] = [0], p1: [Double] = [0], p2: [Double] = [0], pn: [Double] = [0]
        if n <= exactLimit {
            let order = (0 ..< n).sorted { ys[$0] < ys[$1] }
            positions.reserveCapacity(n)
            var i = 0
            while i < n {
                let y = ys[order[i]]
                var w = 0.0, c = 0.0
                while i < n && ys[order[i]] == y { w += ws[order[i]]; c += 1; i += 1 }
                positions.append(y)
                p0.append(p0.last! + w)
                p1.append(p1.last! + w * y)
                p2.append(p2.last! + w * y * y)
                pn.append(pn.last! + c)
            }
            return WeightHistogram(positions: positions, p0: p0, p1: p1, p2: p2, pn: pn, isExact: true)
        }
        var lo = Double.infinity, hi = -Double.infinity
        for y in ys { lo = min(lo, y); hi = max(hi, y) }
        var m0 = [Double](repeating: 0, count: binCount), m1 = m0, m2 = m0, mn = m0
        let width = (hi - lo) / Double(binCount)
        for i in 0 ..< n {
            let y = ys[i], w = ws[i]
            let k = width > 0 ? min(binCount - 1, max(0, Int((y - lo) / width))) : 0
            m0[k] += w; m1[k] += w * y; m2[k] += w * y * y; mn[k] += 1
        }
        return fromMoments(m0, m1, m2, mn)
    }

    /// A binned histogram from per-bin moments (Σω, Σωy, Σωy², number of values) of equal-width bins in
    /// increasing order. Bins with no weight are dropped (with their values, when all of them have zero
    /// importance: they carry no error, and only the usage term of ``LevelDP`` misses them); the rest
    /// are positioned at their weighted mean.
    static func fromMoments(_ m0: [Double], _ m1: [Double], _ m2: [Double], _ mn: [Double]) -> WeightHistogram {
        var positions: [Double] = []
        var p0: [Double] = [0], p1: [Double] = [0], p2: [Double] = [0], pn: [Double] = [0]
        for k in m0.indices where m0[k] > 0 {
            positions.append(m1[k] / m0[k])
            p0.append(p0.last! + m0[k])
            p1.append(p1.last! + m1[k])
            p2.append(p2.last! + m2[k])
            pn.append(pn.last! + mn[k])
        }
        return WeightHistogram(positions: positions, p0: p0, p1: p1, p2: p2, pn: pn, isExact: false)
    }
}

/// The exact choice of `K` levels among fixed candidate positions minimizing the weighted squared
/// error of a histogram, every bin going to its nearest chosen level.
///
/// With candidates `c₀ < … < c_{M−1}` and chosen levels `c_{i₁} < … < c_{i_K}`, the error splits into
/// a left tail (bins below `c_{i₁}`, all sent to it), a right tail (above `c_{i_K}`), and one term per
/// pair of consecutive levels (bins between them, split at their midpoint). Each term is O(1) from the
/// histogram's prefix sums, so the dynamic program
/// `F₁(j) = left(j)`, `F_k(j) = min_{i<j} F_{k−1}(i) + seg(i, j)`, answer `min_j F_K(j) + right(j)`
/// is exact in O(K·M²) after O(M² log B) for the segment costs.
///
/// Candidates outside the data's range are pruned without loss (only the nearest one on each side can
/// be useful). If more than ``exactCandidateLimit`` remain (16-bit formats), they are thinned evenly
/// by rank and the result is marked inexact.
///
/// **Usage costs.** With `unitCosts` (`u_j` per value sent to candidate `j`, e.g. `λ·energy_fj` of its
/// code), the program minimizes `error + Σ_j u_j·n_j`, `n_j` the number of values whose nearest chosen
/// level is `c_j`. The usage term splits over the same segments as the error (a segment's values all go
/// to one level), so the program stays exact; the only change is that candidates beyond the data are
/// no longer pruned (a far but cheap level can be worth its error).
public enum LevelDP {
    /// Candidates above which the program thins them (O(K·M²) time, O(M²) memory).
    public static let exactCandidateLimit = 1024

    /// The result: chosen candidate indices (ascending), the error, and whether it is provably optimal
    /// on the histogram.
    public struct Result: Sendable, Equatable {
        /// Indices into the candidates, ascending.
        public var chosen: [Int]
        /// Weighted squared error on the histogram.
        public var cost: Double
        /// False when candidates were thinned (the choice is then optimal among the kept ones only).
        public var isExact: Bool
    }

    /// Chooses `k` of `candidates` (ascending, distinct). `unitCosts`, when given (one per candidate,
    /// non-negative), adds `unitCosts[j]` per value sent to candidate `j` to the cost. `threads`: workers
    /// of the segment-cost table (0: every active core; the result does not depend on it).
    public static func solve(histogram h: WeightHistogram, candidates: [Double], k: Int, unitCosts: [Double]? = nil,
                             threads: Int = 0) -> Result {
        let m = candidates.count
        precondition(k >= 1 && m >= 1)
        precondition(unitCosts.map { $0.count == m } ?? true)
        if h.count == 0 && unitCosts == nil { return Result(chosen: Array(0 ..< min(k, m)), cost: 0, isExact: true) }
        var keep: [Int] = []
        var lastBelow = -1
        var firstAbove = -1
        let yMin = h.positions.first ?? 0, yMax = h.positions.last ?? 0
        if unitCosts == nil {
            // Prune: keep candidates within [min, max] of the data and the nearest one beyond each end.
            for j in 0 ..< m {
                let c = candidates[j]
                if c < yMin { lastBelow = j } else if c > yMax { if firstAbove < 0 { firstAbove = j } } else { keep.append(j) }
            }
            if lastBelow >= 0 { keep.insert(lastBelow, at: 0) }
            if firstAbove >= 0 { keep.append(firstAbove) }
        } else {
            keep = Array(0 ..< m)
        }
        var exact = true
        if keep.count > exactCandidateLimit {
            exact = false
            let n = keep.count
            keep = (0 ..< exactCandidateLimit).map { keep[Int((Double($0) * Double(n - 1) / Double(exactCandidateLimit - 1)).rounded())] }
        }
        if keep.count <= k && unitCosts == nil {
            // Every useful candidate fits; pad with the pruned ones nearest the data (they cannot
            // lower the error, but the grid has the K levels asked for when the format has them).
            var chosen = keep
            var below = (lastBelow >= 0 ? lastBelow : 0) - 1, above = firstAbove >= 0 ? firstAbove + 1 : m
            while chosen.count < min(k, m) {
                let useBelow = below >= 0 && (above >= m || yMin - candidates[below] <= candidates[above] - yMax)
                if useBelow { chosen.append(below); below -= 1 } else { chosen.append(above); above += 1 }
            }
            chosen.sort()
            let levels = keep.map { candidates[$0] }
            return Result(chosen: chosen, cost: h.cost(levels: levels), isExact: exact)
        }
        if unitCosts == nil && keep.count > monotoneProgramThreshold {
            return monotoneProgram(h, keep: keep, candidates: candidates, k: min(k, keep.count), exact: exact)
        }
        return program(h, keep: keep, candidates: candidates, unitCosts: unitCosts, k: min(k, keep.count), exact: exact, threads: threads)
    }

    /// Kept candidates above which the error-only program uses ``monotoneProgram(_:keep:candidates:k:exact:)``
    /// (16-bit formats; 8-bit tables keep the plain scan, and with it their tie-breaking).
    static let monotoneProgramThreshold = 256

    /// The same program in O(K·M·log M·log B) instead of O(K·M²): the segment cost satisfies the quadrangle
    /// inequality `seg(a,c) + seg(b,d) ≤ seg(a,d) + seg(b,c)` for `a ≤ b ≤ c ≤ d` (each bin contributes
    /// `W·min(dist to the left level, dist to the right level)²`, a supermodular function of the two
    /// distances), so the best predecessor of candidate `j` never decreases with `j` and each level of the
    /// program is solved by divide and conquer over `j` with the predecessor range halved (the optimum is
    /// the same as the full scan's; among equal costs the chosen grid may differ). Segment costs are
    /// computed when visited (binary search of the midpoint), not tabulated.
    private static func monotoneProgram(_ h: WeightHistogram, keep: [Int], candidates: [Double], k: Int, exact: Bool) -> Result {
        let c = keep.map { candidates[$0] }
        let mm = c.count
        let B = h.count
        var lo = [Int](repeating: 0, count: mm)
        for j in 0 ..< mm { lo[j] = h.lowerBound(c[j], from: j > 0 ? lo[j - 1] : 0) }
        @inline(__always) func seg(_ i: Int, _ j: Int) -> Double {
            let split = h.lowerBound((c[i] + c[j]) / 2, from: lo[i], to: lo[j])
            return h.rangeCost(lo[i], split, c[i]) + h.rangeCost(split, lo[j], c[j])
        }
        var prev = (0 ..< mm).map { h.rangeCost(0, lo[$0], c[$0]) }
        var arg = [Int32](repeating: -1, count: k * mm)
        for level in 1 ..< max(1, k) {
            var cur = [Double](repeating: .infinity, count: mm)
            guard level <= mm - 1 else { prev = cur; continue }
            // Columns j in level ..< mm, predecessors i in level − 1 ..< j; solved for a middle column, then the
            // halves with the predecessor range split at its argmin.
            var stack: [(jLo: Int, jHi: Int, iLo: Int, iHi: Int)] = [(level, mm - 1, level - 1, mm - 2)]
            while let (jLo, jHi, iLo, iHi) = stack.popLast() {
                guard jLo <= jHi else { continue }
                let j = (jLo + jHi) / 2
                var best = Double.infinity, bi = max(iLo, level - 1)
                var i = max(iLo, level - 1)
                while i <= min(iHi, j - 1) {
                    if prev[i] < .infinity {
                        let v = prev[i] + seg(i, j)
                        if v < best { best = v; bi = i }
                    }
                    i += 1
                }
                cur[j] = best
                arg[level * mm + j] = Int32(bi)
                stack.append((jLo, j - 1, iLo, bi))
                stack.append((j + 1, jHi, bi, iHi))
            }
            prev = cur
        }
        return finish(prev, arg: arg, keep: keep, k: k, exact: exact) { h.rangeCost(lo[$0], B, c[$0]) }
    }

    /// The last level (the one with the least cost plus `rightTail`), then the others back through `arg`
    /// (`arg[level·M + j]`: the predecessor of kept candidate j at that level).
    private static func finish(_ last: [Double], arg: [Int32], keep: [Int], k: Int, exact: Bool,
                               rightTail: (Int) -> Double) -> Result {
        let mm = last.count
        var best = Double.infinity
        var bj = -1
        for j in (k - 1) ..< mm {
            let v = last[j] + rightTail(j)
            if v < best { best = v; bj = j }
        }
        var chosen = [Int](repeating: 0, count: k)
        var j = bj
        for level in stride(from: k - 1, through: 0, by: -1) {
            chosen[level] = keep[j]
            if level > 0 { j = Int(arg[level * mm + j]) }
        }
        return Result(chosen: chosen, cost: best, isExact: exact)
    }

    /// The dynamic program over the kept candidates (`keep`, ascending indices into `candidates`,
    /// at least `k` of them): `k` of them minimizing the error plus, with `unitCosts`, the usage cost.
    private static func program(_ h: WeightHistogram, keep: [Int], candidates: [Double], unitCosts: [Double]?, k: Int, exact: Bool,
                                threads: Int) -> Result {
        let c = keep.map { candidates[$0] }
        let u = unitCosts.map { costs in keep.map { costs[$0] } }
        let mm = c.count
        let B = h.count
        // Cost of sending bins a ..< b to kept candidate j.
        @inline(__always) func cost(_ a: Int, _ b: Int, _ j: Int) -> Double {
            guard let u else { return h.rangeCost(a, b, c[j]) }
            return h.rangeCost(a, b, c[j]) + u[j] * h.rangeCount(a, b)
        }
        // lo[j]: first bin at or above candidate j.
        var lo = [Int](repeating: 0, count: mm)
        for j in 0 ..< mm { lo[j] = h.lowerBound(c[j], from: j > 0 ? lo[j - 1] : 0) }
        // seg[i*mm + j] for i < j.
        var seg = [Double](repeating: 0, count: mm * mm)
        seg.withUnsafeMutableBufferPointer { sp in
            let base = sp.baseAddress!
            let parallel = ParallelLoop(threads: threads)
            let rows = parallel.chunks(mm, minimumPerChunk: 8)
            parallel.forEach(rows.count) { r in
                for i in rows[r] {
                    var split = lo[i]
                    for j in (i + 1) ..< mm {
                        split = h.lowerBound((c[i] + c[j]) / 2, from: split, to: lo[j])
                        base[i * mm + j] = cost(lo[i], split, i) + cost(split, lo[j], j)
                    }
                }
            }
        }
        var prev = [Double](repeating: .infinity, count: mm)
        var cur = prev
        for j in 0 ..< mm { prev[j] = cost(0, lo[j], j) }
        var arg = [Int32](repeating: -1, count: k * mm)
        seg.withUnsafeBufferPointer { sp in
            for level in 1 ..< max(1, k) {
                for j in 0 ..< mm { cur[j] = .infinity }
                if level <= mm - 1 {
                    for j in level ..< mm {
                        var best = Double.infinity
                        var bi = -1
                        var i = level - 1
                        while i < j {
                            let v = prev[i] + sp[i * mm + j]
                            if v < best { best = v; bi = i }
                            i += 1
                        }
                        cur[j] = best
                        arg[level * mm + j] = Int32(bi)
                    }
                }
                swap(&prev, &cur)
            }
        }
        return finish(prev, arg: arg, keep: keep, k: k, exact: exact) { cost(lo[$0], B, $0) }
    }
}
