import Foundation
import HaloCore

/// An unsigned 512-bit integer (eight 64-bit limbs, least significant first): wide enough for the exact sum
/// of a bf16 product (down to 2^−266) and a binary32 addend (up to 2^128) on one scale.
struct Wide512: Equatable, Comparable {
    var limbs = [UInt64](repeating: 0, count: 8)

    /// `value · 2^shift`.
    init(_ value: UInt64, shiftedLeft shift: Int) {
        precondition(shift >= 0 && shift + 64 <= 512)
        let (q, r) = (shift / 64, shift % 64)
        limbs[q] = value << UInt64(r)
        if r > 0 { limbs[q + 1] = value >> UInt64(64 - r) }
    }

    var isZero: Bool { limbs.allSatisfy { $0 == 0 } }

    static func + (a: Wide512, b: Wide512) -> Wide512 { limbwise(a, b) { $0.addingReportingOverflow($1) } }

    /// `a − b` for `a ≥ b`.
    static func - (a: Wide512, b: Wide512) -> Wide512 { limbwise(a, b) { $0.subtractingReportingOverflow($1) } }

    /// Limb by limb with carry (or borrow) propagation; the last one must be 0.
    private static func limbwise(_ a: Wide512, _ b: Wide512,
                                 _ op: (UInt64, UInt64) -> (partialValue: UInt64, overflow: Bool)) -> Wide512 {
        var r = Wide512(0, shiftedLeft: 0), carry: UInt64 = 0
        for i in 0..<8 {
            let (s1, o1) = op(a.limbs[i], b.limbs[i])
            let (s2, o2) = op(s1, carry)
            r.limbs[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        precondition(carry == 0)
        return r
    }

    static func < (a: Wide512, b: Wide512) -> Bool {
        for i in stride(from: 7, through: 0, by: -1) where a.limbs[i] != b.limbs[i] { return a.limbs[i] < b.limbs[i] }
        return false
    }

    func bit(_ i: Int) -> Bool { i >= 0 && i < 512 && (limbs[i / 64] >> UInt64(i % 64)) & 1 == 1 }

    /// The index of the highest set bit (nil for zero).
    var highestBit: Int? {
        for i in stride(from: 7, through: 0, by: -1) where limbs[i] != 0 { return 64 * i + 63 - limbs[i].leadingZeroBitCount }
        return nil
    }

    /// Whether any bit below `i` is set.
    func anyBelow(_ i: Int) -> Bool { (0..<min(i, 512)).contains { bit($0) } }

    /// Bits `from ..< from + 64` as an integer.
    func bits(from: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<64 where bit(from + k) { v |= 1 << UInt64(k) }
        return v
    }
}

/// The exact reference of the floating-point MACs, written for the tests independently of the generator:
/// decode the operands into integer significands and exponents, form `P + A·W` exactly as a 512-bit integer
/// times a power of two, and round it to binary32 (nearest, ties to even; subnormals; overflow to ∞).
/// Specials follow IEEE 754 `fusedMultiplyAdd`, with every NaN result `0x7FC00000` and an exact zero sum +0
/// unless both addends are −0.
enum FloatReference {
    /// A sign/exponent/fraction layout.
    struct Layout: Sendable {
        var exponentBits: Int
        var fractionBits: Int
        var bias: Int { (1 << (exponentBits - 1)) - 1 }
        var bits: Int { 1 + exponentBits + fractionBits }
        static let fp16 = Layout(exponentBits: 5, fractionBits: 10)
        static let bf16 = Layout(exponentBits: 8, fractionBits: 7)
        static let fp32 = Layout(exponentBits: 8, fractionBits: 23)
    }

    enum Kind { case finite, infinite, nan }

    /// A decoded operand: value = (−1)^negative · significand · 2^exponent when finite.
    struct Operand {
        var negative: Bool
        var kind: Kind
        var significand: UInt64
        var exponent: Int
    }

    static func decode(_ bits: UInt64, _ l: Layout) -> Operand {
        let negative = (bits >> UInt64(l.bits - 1)) & 1 == 1
        let field = Int((bits >> UInt64(l.fractionBits)) & ((1 << UInt64(l.exponentBits)) - 1))
        let fraction = bits & ((1 << UInt64(l.fractionBits)) - 1)
        if field == (1 << l.exponentBits) - 1 {
            return Operand(negative: negative, kind: fraction == 0 ? .infinite : .nan, significand: 0, exponent: 0)
        }
        let significand = field == 0 ? fraction : fraction | (1 << UInt64(l.fractionBits))
        return Operand(negative: negative, kind: .finite, significand: significand, exponent: max(field, 1) - l.bias - l.fractionBits)
    }

    static let nan: UInt32 = 0x7FC0_0000
    static func infinity(_ negative: Bool) -> UInt32 { (negative ? 0x8000_0000 : 0) | 0x7F80_0000 }
    static func zero(_ negative: Bool) -> UInt32 { negative ? 0x8000_0000 : 0 }

    /// `(−1)^negative · n · 2^scale` (n ≠ 0) rounded to binary32.
    static func round(negative: Bool, _ n: Wide512, scale: Int) -> UInt32 {
        let h = n.highestBit!
        let e = scale + h                                   // exponent of the leading bit
        var lsbExponent = max(e - 23, -149)                 // binary32: 24 significant bits, or the subnormal grid
        let shift = lsbExponent - scale
        var q: UInt64
        if shift <= 0 {
            q = n.bits(from: 0) << UInt64(-shift)           // exact (at most 24 bits)
        } else {
            q = n.bits(from: shift)
            let half = n.bit(shift - 1), sticky = n.anyBelow(shift - 1)
            if half && (sticky || q & 1 == 1) { q += 1 }
        }
        if q == 1 << 24 { q >>= 1; lsbExponent += 1 }
        let sign: UInt32 = negative ? 0x8000_0000 : 0
        if q >= 1 << 23 {
            let biased = lsbExponent + 23 + 127
            if biased >= 255 { return infinity(negative) }
            return sign | UInt32(biased) << 23 | UInt32(q - (1 << 23))
        }
        precondition(lsbExponent == -149)
        return sign | UInt32(q)
    }

    /// `fp32(p + a·w)` (or `fp32(a·w)` when `accumulate` is false) for `a`, `w` in `layout`, `p` binary32.
    static func fma(a: UInt64, w: UInt64, p: UInt64, layout: Layout, accumulate: Bool) -> UInt32 {
        let x = decode(a, layout), y = decode(w, layout)
        let c = decode(p, .fp32)
        let productNegative = x.negative != y.negative
        let xZero = x.kind == .finite && x.significand == 0, yZero = y.kind == .finite && y.significand == 0
        if x.kind == .nan || y.kind == .nan || (x.kind == .infinite && yZero) || (y.kind == .infinite && xZero) { return nan }
        let productInfinite = x.kind == .infinite || y.kind == .infinite
        if accumulate {
            if c.kind == .nan { return nan }
            if productInfinite && c.kind == .infinite && productNegative != c.negative { return nan }
            if productInfinite { return infinity(productNegative) }
            if c.kind == .infinite { return infinity(c.negative) }
        } else if productInfinite {
            return infinity(productNegative)
        }
        let sp = x.significand * y.significand, ep = x.exponent + y.exponent
        guard accumulate else {
            return sp == 0 ? zero(productNegative) : round(negative: productNegative, Wide512(sp, shiftedLeft: 0), scale: ep)
        }
        if sp == 0 && c.significand == 0 { return zero(productNegative && c.negative) }
        if sp == 0 { return round(negative: c.negative, Wide512(c.significand, shiftedLeft: 0), scale: c.exponent) }
        if c.significand == 0 { return round(negative: productNegative, Wide512(sp, shiftedLeft: 0), scale: ep) }
        let scale = min(ep, c.exponent)
        let u = Wide512(sp, shiftedLeft: ep - scale), v = Wide512(c.significand, shiftedLeft: c.exponent - scale)
        if productNegative == c.negative { return round(negative: productNegative, u + v, scale: scale) }
        if u == v { return zero(false) }
        return v < u ? round(negative: productNegative, u - v, scale: scale) : round(negative: c.negative, v - u, scale: scale)
    }
}

/// Operands for the floating-point tests: uniform bit patterns mixed with special values, subnormals,
/// operands near 1, and addends chosen to cancel the product (exactly, or within a few units) or to lie
/// near its exponent, where alignment, normalization and rounding are exercised hardest.
enum FloatVectors {
    /// Special and boundary bit patterns of a layout: ±0, ±min subnormal, ±max subnormal, ±min normal,
    /// ±1, ±max finite, ±∞, quiet and signalling NaNs.
    static func specials(_ l: Layout) -> [UInt64] {
        let f = UInt64(l.fractionBits), s: UInt64 = 1 << UInt64(l.bits - 1)
        let allOnes: UInt64 = (1 << UInt64(l.exponentBits)) - 1
        let positive: [UInt64] = [0, 1, (1 << f) - 1, 1 << f, UInt64(l.bias) << f, ((allOnes - 1) << f) | ((1 << f) - 1),
                                  allOnes << f, (allOnes << f) | (1 << (f - 1)), (allOnes << f) | 1]
        return positive + positive.map { $0 | s }
    }
    typealias Layout = FloatReference.Layout

    /// A random operand of `l`.
    static func operand(_ l: Layout, _ rng: inout SplitMix64) -> UInt64 {
        let r = rng.next() % 100
        let bits = UInt64(truncatingIfNeeded: rng.next()) & ((1 << UInt64(l.bits)) - 1)
        let s: UInt64 = 1 << UInt64(l.bits - 1)
        let fraction = bits & ((1 << UInt64(l.fractionBits)) - 1), sign = bits & s
        switch r {
        case 0..<40: return bits
        case 40..<50:
            let sp = specials(l)
            return sp[Int(rng.next() % UInt64(sp.count))]
        case 50..<62: return sign | fraction                          // subnormal (or zero)
        default:                                                      // normal, exponent within ±10 of 1
            let e = UInt64(max(1, min((1 << l.exponentBits) - 2, l.bias + Int(rng.next() % 21) - 10)))
            return sign | e << UInt64(l.fractionBits) | fraction
        }
    }

    /// A random addend for `a·w`: often near −a·w (cancellation) or near its exponent.
    static func addend(a: UInt64, w: UInt64, _ l: Layout, _ rng: inout SplitMix64) -> UInt64 {
        let product = UInt64(FloatReference.fma(a: a, w: w, p: 0, layout: l, accumulate: false))
        let r = rng.next() % 100
        switch r {
        case 0..<20:                                                  // −product, ± a few units
            let delta = Int64(rng.next() % 7) - 3
            let v = UInt64(bitPattern: Int64(product & 0x7FFF_FFFF) + delta) & 0x7FFF_FFFF
            return (product ^ 0x8000_0000) & 0x8000_0000 | v
        case 20..<25:
            return product ^ 0x8000_0000                              // exactly −product (when exact)
        case 25..<45:                                                 // exponent within ±30 of the product's
            let e = Int((product >> 23) & 0xFF) + Int(rng.next() % 61) - 30
            let field = UInt64(max(0, min(254, e)))
            return (rng.next() & 0x8000_0000) | field << 23 | (rng.next() & 0x7F_FFFF)
        default:
            return operand(.fp32, &rng)
        }
    }
}
