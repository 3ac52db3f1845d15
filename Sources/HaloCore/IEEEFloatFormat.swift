/// The field layout of an IEEE 754 binary floating-point format, or of one with the same rules (bfloat16):
/// a sign bit, an exponent field of `exponentBits` with bias `2^(exponentBits−1) − 1`, and a fraction of
/// `fractionBits`. Exponent field 0 is ±0 (fraction 0) or subnormal `(−1)^s · f/2^F · 2^(1−bias)`; all ones
/// is ±∞ (fraction 0) or NaN; otherwise `(−1)^s · (1 + f/2^F) · 2^(e−bias)`.
///
/// Codes are the unsigned integers of the bit patterns (sign in the top bit), as on a MAC's weight bus.
/// Shared by the generators (FP16/BF16 MACs), the quantization formats and the plots.
public struct IEEEFloatFormat: Sendable, Hashable {
    /// Bits of the biased exponent field.
    public let exponentBits: Int
    /// Bits of the fraction (trailing significand) field.
    public let fractionBits: Int

    /// A layout; `exponentBits` 2…11, `fractionBits` 1…52.
    public init(exponentBits: Int, fractionBits: Int) {
        precondition((2...11).contains(exponentBits) && (1...52).contains(fractionBits))
        self.exponentBits = exponentBits
        self.fractionBits = fractionBits
    }

    /// IEEE 754 binary16 (FP16, "half"): 5 exponent bits (bias 15), 10 fraction bits.
    public static let binary16 = IEEEFloatFormat(exponentBits: 5, fractionBits: 10)
    /// bfloat16 (BF16): the upper half of binary32, 8 exponent bits (bias 127), 7 fraction bits.
    public static let bfloat16 = IEEEFloatFormat(exponentBits: 8, fractionBits: 7)
    /// IEEE 754 binary32 (FP32): 8 exponent bits (bias 127), 23 fraction bits.
    public static let binary32 = IEEEFloatFormat(exponentBits: 8, fractionBits: 23)

    /// The exponent bias, `2^(exponentBits−1) − 1`.
    public var bias: Int { (1 << (exponentBits - 1)) - 1 }
    /// Bits of a code: sign, exponent, fraction.
    public var totalBits: Int { 1 + exponentBits + fractionBits }
    /// Bits of the significand with its hidden bit (`fractionBits + 1`).
    public var significandBits: Int { fractionBits + 1 }
    /// The largest exponent field value (all ones: ±∞ and NaN).
    public var maxExponentField: Int { (1 << exponentBits) - 1 }

    /// The fields of a code: sign, biased exponent field, fraction field.
    public func fields(ofCode code: Int) -> (negative: Bool, exponent: Int, fraction: Int) {
        ((code >> (exponentBits + fractionBits)) & 1 == 1, (code >> fractionBits) & maxExponentField,
         code & ((1 << fractionBits) - 1))
    }

    /// Whether a code is NaN (exponent all ones, fraction ≠ 0).
    public func isNaN(code: Int) -> Bool {
        let f = fields(ofCode: code)
        return f.exponent == maxExponentField && f.fraction != 0
    }

    /// Whether a code is ±∞ (exponent all ones, fraction 0).
    public func isInfinite(code: Int) -> Bool {
        let f = fields(ofCode: code)
        return f.exponent == maxExponentField && f.fraction == 0
    }

    /// The value of a code (`.nan` for NaN codes, `±.infinity` for infinities; −0 for the negative zero).
    /// Exact for formats of up to 11 exponent and 52 fraction bits.
    public func value(ofCode code: Int) -> Double {
        let f = fields(ofCode: code)
        if f.exponent == maxExponentField { return f.fraction == 0 ? (f.negative ? -.infinity : .infinity) : .nan }
        let significand = Double(f.exponent == 0 ? f.fraction : (1 << fractionBits) | f.fraction)
        let magnitude = significand * Double(sign: .plus, exponent: max(f.exponent, 1) - bias - fractionBits, significand: 1)
        return f.negative ? -magnitude : magnitude
    }

    /// The code of a value the format represents exactly (nil otherwise, and for NaN); −0 gives the
    /// negative-zero code.
    public func code(ofExactValue v: Double) -> Int? {
        if v.isNaN { return nil }
        let signBit = v.sign == .minus ? 1 << (exponentBits + fractionBits) : 0
        if v.isInfinite { return signBit | (maxExponentField << fractionBits) }
        let m = v.magnitude
        if m == 0 { return signBit }
        // The smallest subnormal's exponent is 1 − bias − fractionBits; every representable value is an
        // integer multiple of it below 2^(maxExponentField − bias).
        let lsbExponent = 1 - bias - fractionBits
        let e = max(Int(m.exponent), 1 - bias)
        guard e < maxExponentField - bias else { return nil }
        let unit = Double(sign: .plus, exponent: max(e - fractionBits, lsbExponent), significand: 1)
        let q = m / unit
        guard q == q.rounded(), q < Double(1 << (fractionBits + 1)) else { return nil }
        let significand = Int(q)
        let field = significand >> fractionBits == 0 ? 0 : e + bias
        return signBit | (field << fractionBits) | (significand & ((1 << fractionBits) - 1))
    }
}
