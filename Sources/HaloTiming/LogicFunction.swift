import HaloCore
import HaloLiberty

/// A three-valued logic level, as case analysis uses it.
public enum LogicValue: UInt8, Sendable {
    /// Logic 0.
    case zero = 0
    /// Logic 1.
    case one = 1
    /// Not a constant: the pin switches.
    case unknown = 2

    /// The constant of a bit.
    public init(_ bit: Bool) { self = bit ? .one : .zero }
}

/// The timing sense of an arc under the current constants (OpenSTA's `Sim::functionSense`).
public enum ArcSense: UInt8, Sendable {
    /// Output can only rise when the input rises.
    case positiveUnate
    /// Output can only fall when the input rises.
    case negativeUnate
    /// Both directions.
    case nonUnate
    /// The output does not depend on the input at all: the arc is off.
    case none
    /// The output's function does not mention the input (e.g. a flop's clock → Q): use the library's sense.
    case unknown
}

/// A Boolean function of a cell's pins compiled to a truth table, for fast evaluation under constants.
///
/// Variable `k` of the table is `variablePins[k]`: a cell pin index, or -1 for a variable that is not a
/// pin (a flop's internal state `IQ`), which always reads as unknown.
/// Minterm `m` holds the function's value when variable `k` equals bit `k` of `m`.
public struct CompiledFunction: Sendable {
    /// Per variable: the cell pin index it reads, or -1 for an internal state variable.
    public let variablePins: [Int]
    /// 2^n bits packed in 64-bit words (at least one word).
    public let table: [UInt64]

    /// Functions of more variables than this are refused (a 16-input function has a 65,536-bit table).
    public static let maximumVariables = 16

    /// Compiles `expression` over the cell's pins. Throws for more than `maximumVariables` variables.
    public init(_ expression: BooleanExpression, pinIndex: (String) -> Int?) throws {
        let names = expression.variables
        guard names.count <= CompiledFunction.maximumVariables else {
            throw HaloError("function '\(expression)' has \(names.count) variables; at most \(CompiledFunction.maximumVariables) are supported")
        }
        variablePins = names.map { pinIndex($0) ?? -1 }
        let n = names.count
        let mintermCount = 1 << n
        var words = [UInt64](repeating: 0, count: max(1, mintermCount / 64))
        var slot: [String: Int] = [:]
        for (k, name) in names.enumerated() { slot[name] = k }
        for m in 0..<mintermCount {
            let v = expression.evaluate { name in
                guard let k = slot[name] else { return false }
                return (m >> k) & 1 == 1
            }
            if v { words[m >> 6] |= 1 << UInt64(m & 63) }
        }
        table = words
    }

    @inline(__always) private func bit(_ m: Int) -> Bool {
        (table[m >> 6] >> UInt64(m & 63)) & 1 == 1
    }

    /// Per-variable masks of minterms in which that variable is 1 (for up to 6 variables).
    private static let singleWordMasks: [UInt64] = [
        0xAAAA_AAAA_AAAA_AAAA, 0xCCCC_CCCC_CCCC_CCCC, 0xF0F0_F0F0_F0F0_F0F0,
        0xFF00_FF00_FF00_FF00, 0xFFFF_0000_FFFF_0000, 0xFFFF_FFFF_0000_0000,
    ]

    /// Minterms consistent with the constants among the variables (one word, n ≤ 6).
    @inline(__always) private func careMask(_ values: (Int) -> LogicValue) -> UInt64 {
        let n = variablePins.count
        var care: UInt64 = n == 6 ? ~0 : (UInt64(1) << UInt64(1 << n)) &- 1
        for k in 0..<n {
            let p = variablePins[k]
            guard p >= 0 else { continue }
            switch values(p) {
            case .zero: care &= ~CompiledFunction.singleWordMasks[k]
            case .one: care &= CompiledFunction.singleWordMasks[k]
            case .unknown: break
            }
        }
        return care
    }

    /// The function's value with the given pin values (unknown unless the constants decide it).
    public func evaluate(_ values: (Int) -> LogicValue) -> LogicValue {
        let n = variablePins.count
        if n <= 6 {
            let care = careMask(values)
            let on = table[0] & care
            if on == 0 { return .zero }
            if on == care { return .one }
            return .unknown
        }
        var sawZero = false, sawOne = false
        forEachConsistentMinterm(values) { m in
            if bit(m) { sawOne = true } else { sawZero = true }
            return !(sawOne && sawZero)
        }
        if sawOne && sawZero { return .unknown }
        return sawOne ? .one : .zero
    }

    /// The sense of the function in the pin `pin` with the other pins' constants put in
    /// (positive/negative/non-unate, `none` when it no longer depends on the pin, `unknown` when
    /// the pin is not a variable of the function).
    public func sense(ofPin pin: Int, _ values: (Int) -> LogicValue) -> ArcSense {
        guard let k = variablePins.firstIndex(of: pin) else { return .unknown }
        let n = variablePins.count
        var increasing = true, decreasing = true
        if n <= 6 {
            let care0 = careMask(values) & ~CompiledFunction.singleWordMasks[k]
            let f0 = table[0] & care0
            let f1 = (table[0] >> UInt64(1 << k)) & care0
            increasing = (f0 & ~f1) == 0
            decreasing = (f1 & ~f0) == 0
        } else {
            let bitK = 1 << k
            forEachConsistentMinterm(values) { m in
                if m & bitK == 0 {
                    let f0 = bit(m), f1 = bit(m | bitK)
                    if f0 && !f1 { increasing = false }
                    if f1 && !f0 { decreasing = false }
                }
                return increasing || decreasing
            }
        }
        if increasing && decreasing { return .none }
        if increasing { return .positiveUnate }
        if decreasing { return .negativeUnate }
        return .nonUnate
    }

    /// Calls `body` on every minterm consistent with the constants until it returns false.
    private func forEachConsistentMinterm(_ values: (Int) -> LogicValue, _ body: (Int) -> Bool) {
        let n = variablePins.count
        var fixedMask = 0, fixedBits = 0
        for k in 0..<n {
            let p = variablePins[k]
            guard p >= 0 else { continue }
            switch values(p) {
            case .zero: fixedMask |= 1 << k
            case .one: fixedMask |= 1 << k; fixedBits |= 1 << k
            case .unknown: break
            }
        }
        let free = ((1 << n) - 1) & ~fixedMask
        // Enumerate subsets of the free bits.
        var sub = 0
        while true {
            if !body(sub | fixedBits) { return }
            if sub == free { return }
            sub = (sub &- free) & free
        }
    }
}
