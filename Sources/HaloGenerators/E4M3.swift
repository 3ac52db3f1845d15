import HaloCore

/// FP8 E4M3 and the fixed-point accumulator of the generated e4m3 MACs.
///
/// ## Operands
/// An 8-bit code `S EEEE MMM`: sign S, exponent field E (bias 7), mantissa M. E = 0 is subnormal:
/// (−1)^S · M/8 · 2^−6; otherwise (−1)^S · (1 + M/8) · 2^(E−7). The largest magnitude is
/// `S.1111.110` = 448. The OCP format reserves `S.1111.111` for NaN; these MACs have no NaN and read it
/// as its bit pattern's value, ±480 (quantizers never produce it).
///
/// ## Accumulator
/// `P` and `Y` are two's complement fixed point with 18 fraction bits: the integer `k` on the bus stands
/// for `k · 2^−18`. The product of two e4m3 values is `(sA·sW) · 2^(eA + eW − 20)` with 4-bit significands
/// `s` (hidden bit and mantissa) and effective exponents `e` ∈ 1 … 15 (1 for subnormals), i.e. an integer
/// multiple of 2^−18 of magnitude at most 15·15·2^10 = 230,400 < 2^18: every product is exact in 37 bits
/// (1 sign, 18 integer, 18 fraction bits, `productBits`). The default accumulator has 41 bits (4 guard bits,
/// range ±2^22), `Y = (P + A·W) mod 2^41`; `--acc-width` chooses another width ≥ 37.
public enum E4M3 {
    /// Fraction bits of the accumulator: its LSB is 2^−18, the smallest product magnitude (2^−9 · 2^−9).
    public static let fractionBits = 18
    /// Bits of two's complement that hold every product exactly: 1 sign + 18 integer + 18 fraction.
    public static let productBits = 37

    /// The value of an 8-bit code (S.1111.111 read as ±480).
    public static func value(ofCode code: Int) -> Double {
        let s = (code >> 7) & 1, e = (code >> 3) & 15, m = code & 7
        let magnitude = e == 0 ? Double(m) / 8 * 0x1p-6 : (1 + Double(m) / 8) * Double(sign: .plus, exponent: e - 7, significand: 1)
        return s == 1 ? -magnitude : magnitude
    }

    /// The exact product of two codes as an accumulator integer (units of 2^−18).
    public static func product(_ a: Int, _ w: Int) -> Int {
        func split(_ c: Int) -> (sig: Int, exp: Int, neg: Bool) {
            let e = (c >> 3) & 15, m = c & 7
            return (e == 0 ? m : 8 + m, max(e, 1), (c >> 7) & 1 == 1)
        }
        let x = split(a), y = split(w)
        let magnitude = (x.sig * y.sig) << (x.exp + y.exp - 2)
        return x.neg != y.neg ? -magnitude : magnitude
    }
}
