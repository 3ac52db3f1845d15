import Foundation

/// A code the MAC can be given: its bus bits, the value it encodes, its critical-path delay and, when
/// the table has it, its energy per operation.
public struct CodeLevel: Sendable, Equatable, Hashable {
    /// Unsigned integer of the bus bits (the table's `code`).
    public var code: Int
    /// The real value of the code in the format.
    public var value: Double
    /// Critical-path delay under this code, ns (0 when the table says no path exists: such a code
    /// constrains no clock, and fits every budget).
    public var delayNs: Double
    /// Energy of one MAC operation with this code held, fJ (the table's `energy_fj`); nil when not measured.
    public var energyFJ: Double?
    /// False when the table's delay is empty: no path exists under this code (every endpoint constant).
    public var hasPath: Bool

    /// A level; `hasPath` false for a code under which no path exists (then `delayNs` is 0).
    public init(code: Int, value: Double, delayNs: Double, energyFJ: Double? = nil, hasPath: Bool = true) {
        self.code = code
        self.value = value
        self.delayNs = delayNs
        self.energyFJ = energyFJ
        self.hasPath = hasPath
    }
}

/// A delay table read through a number format: which values can be levels and how fast each is.
///
/// - Codes that decode to NaN or ±∞ are never levels; codes absent from the table are not used
///   (their delay is unknown); a row with an empty delay (no path under that code) counts as 0 ns
///   (``CodeLevel/hasPath`` false): it constrains no clock. A table in which no usable code has a
///   positive delay is refused (every speed-up would be infinite).
/// - When several codes encode the same value (e4m3 +0 and −0), the fastest code stands for it (for
///   the energy and EDP objectives, the cheapest; see ``Objective``).
/// - A code's `energy_fj`, when the table has it, rides along as ``CodeLevel/energyFJ``.
/// - The **reference delay** — what every speed-up is measured against — is the table's `none` row
///   (the critical path with no case analysis, i.e. what a conventional design is signed off at),
///   or, when that row has no positive delay (or a table built in code has none), the largest delay
///   over all its codes.
public struct CodeSpace: Sendable {
    /// The format.
    public let format: NumberFormat
    /// One level per distinct finite value, sorted by value.
    public let levels: [CodeLevel]
    /// The reference delay, ns.
    public let referenceDelayNs: Double
    /// `"none row"` or `"slowest code"`: where ``referenceDelayNs`` comes from.
    public let referenceSource: String
    /// Number of the format's codes the table lacks (they are never used).
    public let missingCodes: Int
    /// Distinct delays of ``levels``, ascending, as budgets: delays closer together than
    /// ``delayResolutionNs`` count as one, represented by the largest of them.
    public let distinctDelays: [Double]
    /// Delays this close are one budget: 0.01 ps, the agreement of the timing engine with OpenSTA;
    /// a grid faster by less than that is not faster (and would cost accuracy for nothing).
    public static let delayResolutionNs = 1e-5
    /// How the table's energy was measured (JSON tables record it; nil for CSV or without energy).
    public private(set) var stimulus: DelayTable.Stimulus?

    /// Whether every level has an energy figure (the energy and EDP objectives need it).
    public var hasEnergy: Bool { levels.allSatisfy { $0.energyFJ != nil } }
    /// The first level without an energy figure, if any.
    public var levelWithoutEnergy: CodeLevel? { levels.first { $0.energyFJ == nil } }

    /// Reads `table` as codes of `format`. `tablePath` labels errors. Refuses a table with codes
    /// outside the format's code space, a JSON table whose bus width differs from the format's, and
    /// a table with no usable code. `objective` decides which code stands for a value that several
    /// codes encode.
    public init(table: DelayTable, format: NumberFormat, tablePath: String, objective: Objective = .delay) throws {
        self.format = format
        if table.metadata.busWidth > 0 && table.metadata.busWidth != format.bits {
            throw HaloError("the table is for a \(table.metadata.busWidth)-bit bus but \(format) has \(format.bits) bits", file: tablePath)
        }
        var byValue: [Double: CodeLevel] = [:]
        var present = 0
        for e in table.entries {
            guard e.code < format.codeCount else {
                throw HaloError("code \(e.code) is outside the \(format.bits)-bit code space of \(format) (0…\(format.codeCount - 1))", file: tablePath)
            }
            present += 1
            guard format.isLevel(e.code), let v = format.value(ofCode: e.code) else { continue }
            let level = CodeLevel(code: e.code, value: v == 0 ? 0 : v, delayNs: e.delayNs ?? 0, energyFJ: e.energyFJ, hasPath: e.delayNs != nil)
            if let old = byValue[level.value], !objective.prefers(level, over: old) { continue }
            byValue[level.value] = level
        }
        guard !byValue.isEmpty else {
            throw HaloError("no code of the table is a finite \(format) value", file: tablePath)
        }
        levels = byValue.values.sorted { $0.value < $1.value }
        missingCodes = format.codeCount - present
        // A code without a path constrains no clock; but if none has a path, there is nothing to measure.
        guard let slowest = levels.filter(\.hasPath).map(\.delayNs).max(), slowest > 0 else {
            throw HaloError("no code of the table has a path with a positive delay (every \(format) code's row is empty or 0 ns); speed-ups would be infinite", file: tablePath)
        }
        if let none = table.unconstrained?.delayNs, none > 0 {
            referenceDelayNs = none
            referenceSource = "none row"
        } else {
            referenceDelayNs = slowest
            referenceSource = "slowest code"
        }
        distinctDelays = CodeSpace.budgets(levels.map(\.delayNs))
        stimulus = table.metadata.stimulus
    }

    /// A code space from explicit levels (tests, synthetic tables).
    public init(format: NumberFormat, levels: [CodeLevel], referenceDelayNs: Double) {
        self.format = format
        self.levels = levels.sorted { $0.value < $1.value }
        self.referenceDelayNs = referenceDelayNs
        self.referenceSource = "given"
        self.missingCodes = 0
        self.distinctDelays = CodeSpace.budgets(levels.map(\.delayNs))
    }

    /// Sorted delays grouped within ``delayResolutionNs`` of each group's fastest; one (the largest) per group.
    static func budgets(_ delays: [Double]) -> [Double] {
        var budgets: [Double] = []
        var groupStart = -Double.infinity
        for d in Set(delays).sorted() {
            if d - groupStart <= delayResolutionNs, !budgets.isEmpty {
                budgets[budgets.count - 1] = d
            } else {
                budgets.append(d)
                groupStart = d
            }
        }
        return budgets
    }

    /// Levels whose delay is at most `maxDelayNs` (a tiny tolerance absorbs printing round-off).
    public func allowed(maxDelayNs: Double) -> [CodeLevel] {
        levels.filter { $0.delayNs <= maxDelayNs + 1e-12 }
    }

    /// The `k` fastest levels, ignoring error (ties: smaller magnitude, then smaller code).
    public func fastest(_ k: Int) -> [CodeLevel] {
        let sorted = levels.sorted { ($0.delayNs, abs($0.value), $0.code) < ($1.delayNs, abs($1.value), $1.code) }
        return Array(sorted.prefix(k)).sorted { $0.value < $1.value }
    }

    /// The level of a code, if the code is usable.
    public func level(ofCode code: Int) -> CodeLevel? { levels.first { $0.code == code } }

    /// Speed-up of a clock period against the reference delay: infinite (written `null` in reports)
    /// for a grid whose codes all have no path, which needs no clock period at all.
    public func speedup(maxDelayNs: Double) -> Double { maxDelayNs > 0 ? referenceDelayNs / maxDelayNs : .infinity }

    /// The smallest budget under which at least `k` distinct values are allowed (the whole table's
    /// slowest delay when it has fewer than `k`).
    public func smallestBudget(admitting k: Int) -> Double {
        let delays = levels.map(\.delayNs).sorted()
        return delays[min(k, delays.count) - 1]
    }

    /// The baselines of the report, each a set of levels (see ``Baseline``): every code; for integer
    /// formats of N bits, the N/2-bit integers placed in the low bits (int4 −8…7 in int8) and in the
    /// high bits (multiples of 16 in int8); for fp16 and bf16, the codes whose values are FP8 E4M3,
    /// FP8 E5M2 and FP4 E2M1 values (every such value is exact in both: a narrower format's grid on
    /// the wide MAC); and the `k` fastest codes ignoring error (left out when `k` covers every code).
    public func baselines(levels k: Int) -> [Baseline] {
        var out: [Baseline] = []
        out.append(Baseline(name: format.isInteger ? "\(format) (all codes)" : "\(format) (all finite codes)", levels: levels))
        switch format {
        case .int(let n) where n >= 2:
            let h = n / 2
            let lowSet = (-(1 << (h - 1)) ..< (1 << (h - 1))).compactMap { format.code(ofInteger: $0) }
            let step = 1 << (n - h)
            let highSet = stride(from: -(1 << (n - 1)), to: 1 << (n - 1), by: step).compactMap { format.code(ofInteger: $0) }
            out.append(Baseline(name: "int\(h) low bits (\(-(1 << (h - 1)))…\((1 << (h - 1)) - 1))", levels: levels.filter { lowSet.contains($0.code) }))
            out.append(Baseline(name: "int\(h) high bits (multiples of \(step))", levels: levels.filter { highSet.contains($0.code) }))
        case .uint(let n) where n >= 2:
            let h = n / 2
            let step = 1 << (n - h)
            out.append(Baseline(name: "uint\(h) low bits (0…\((1 << h) - 1))", levels: levels.filter { $0.code < (1 << h) }))
            out.append(Baseline(name: "uint\(h) high bits (multiples of \(step))", levels: levels.filter { $0.code % step == 0 }))
        case .fp16, .bf16:
            for narrow in [NumberFormat.e4m3, .e5m2, .e2m1] {
                let values = Set((0 ..< narrow.codeCount).compactMap { c -> Double? in
                    guard narrow.isLevel(c), let v = narrow.value(ofCode: c) else { return nil }
                    return v == 0 ? 0 : v
                })
                out.append(Baseline(name: "\(narrow)-valued codes (\(values.count) values)", levels: levels.filter { values.contains($0.value) }))
            }
        default:
            break
        }
        if k < levels.count { out.append(Baseline(name: "\(k) fastest codes", levels: fastest(k))) }
        return out.filter { !$0.levels.isEmpty }
    }
}

/// A fixed set of levels measured as a baseline (no level choice, only the scale search).
public struct Baseline: Sendable, Equatable {
    /// Display name (`int8 (all codes)`, `int4 low bits (-8…7)`, `int4 high bits (multiples of 16)`,
    /// `e4m3-valued codes (253 values)`, `16 fastest codes`).
    public var name: String
    /// Its levels, sorted by value.
    public var levels: [CodeLevel]
    /// The slowest of its codes: the clock period it needs.
    public var maxDelayNs: Double { levels.map(\.delayNs).max() ?? 0 }
}
