import HaloCore

// The floating-point MAC of `--format fp16|bf16`: Y = fp32(P + A·W), fused (exact product, one rounding to
// nearest, ties to even), with the datapath of a fused multiply-add unit:
//
//   decode A, W, P ─┬─ significand multiplier (array/Wallace/Dadda/Booth + adder)  ──────────┐
//                   ├─ alignment: shift = eA + eW − eP + K (carry-save + adder); P's        │
//                   │  significand shifted right by it, the bits shifted out ORed (sticky) ─ compound adder
//                   │                                                    (|X − Y| or X + Y) ─┤
//                   └─ exponent of the window (product's, or P's when P dominates)         leading-zero count
//                                                                                   normalization shift (left;
//                                                                               right for bf16 deep underflow)
//                                                           round to nearest even (incrementer), pack, specials
//
// See `MACGenerator` ("Floating point") for the window, the sticky argument and the conventions.

/// The fields of a floating-point operand as signals.
struct FloatFields {
    /// The sign bit.
    var sign: Signal
    /// The biased exponent field, bit 0 first.
    var exponentField: [Signal]
    /// `max(field, 1)`: the exponent of the significand's weight, so that the value is
    /// `significand · 2^(exponent − bias − fractionBits)` for zeros, subnormals and normals alike.
    var exponent: [Signal]
    /// The fraction with the hidden bit on top (hidden = exponent field ≠ 0), bit 0 first.
    var significand: [Signal]
    /// The fraction field, bit 0 first.
    var fraction: [Signal] { Array(significand.dropLast()) }
}

extension NetlistBuilder {
    /// Splits a sign/exponent/fraction bit pattern (bit 0 first) into its fields: the hidden bit is the OR of
    /// the exponent field, and the effective exponent is the field with its bit 0 forced to 1 when the field is 0.
    func decodeFloat(_ x: [Signal], exponentBits: Int, fractionBits: Int) -> FloatFields {
        let e = Array(x[fractionBits ..< fractionBits + exponentBits])
        let upper = orTree(Array(e.dropFirst()))
        let hidden = or(upper, e[0])                 // exponent field ≠ 0: normal
        let e0 = or(e[0], not(upper))                // effective exponent: 1 for zeros and subnormals
        return FloatFields(sign: x[fractionBits + exponentBits], exponentField: e, exponent: [e0] + e.dropFirst(),
                           significand: Array(x[0 ..< fractionBits]) + [hidden])
    }
}

/// What the special-value logic knows of an operand: NaN, ±∞, zero (its significand is 0).
struct FloatClass {
    var isNaN: Signal
    var isInfinite: Signal
    var isZero: Signal

    init(_ b: NetlistBuilder, _ f: FloatFields) {
        let allOnes = b.andTree(f.exponentField)
        let fractionNonzero = b.orTree(f.fraction)
        isNaN = b.and(allOnes, fractionNonzero)
        isInfinite = b.and(allOnes, b.not(fractionNonzero))
        isZero = b.not(b.or(f.significand.last!, fractionNonzero))
    }
}

/// The geometry of a floating-point MAC's datapath, fixed by the operand format (all in bits).
///
/// The **window** is the fixed-point field the product and the aligned addend are summed in, bit 0 first:
/// bit 0 is the sticky bit of the addend's bits shifted out; the product's LSB is bit `guardBits + 1`; the
/// addend, before its right shift, has its LSB at bit `addendLSB` = `guardBits + productBits + 3` (two bits
/// above the product's top bit, so that a product below it is under a quarter of the addend's unit); the top
/// bit (`windowBits − 1`) takes the carry of an addition.
struct FloatMACGeometry {
    /// The operand layout.
    let operand: IEEEFloatFormat
    /// The result and addend layout (binary32).
    let result = IEEEFloatFormat.binary32
    /// Whether P is added.
    let accumulate: Bool

    /// Bits of the significand product.
    var productBits: Int { 2 * operand.significandBits }
    /// Window bits below the product (the addend's bits there are exact): 25 = binary32 significand + 1, so
    /// that when addend bits are shifted past bit 1 the sum (≥ 2^25 − 2^23 units) has its rounding position at
    /// bit 2 or above, two bits over the sticky bit — see `MACGenerator`.
    var guardBits: Int { accumulate ? result.significandBits + 1 : 0 }
    /// The addend's LSB before alignment (with the sticky bit at 0).
    var addendLSB: Int { guardBits + productBits + 3 }
    /// The window's bits (at least 26: 24 significand bits, a round bit, a sticky bit).
    var windowBits: Int { accumulate ? addendLSB + result.significandBits + 1 : max(26, productBits) }
    /// The product's LSB in the window.
    var productLSB: Int { accumulate ? guardBits + 1 : windowBits - productBits }
    /// Bits of the alignment shift amount (its right shifter's rows).
    let shiftBits = 7

    /// The biased binary32 exponent of the window's top bit when the product sets the window's scale,
    /// minus `eA + eW` (effective exponents): `E0 = eA + eW + productTopOffset`.
    var productTopOffset: Int {
        // The product's LSB weighs 2^(eA + eW − 2·(bias + fractionBits)); the top bit is windowBits − 1 − productLSB above.
        -2 * (operand.bias + operand.fractionBits) + (windowBits - 1 - productLSB) + result.bias
    }
    /// `E0 = eP + addendTopOffset` when the addend sets the scale (it is not shifted).
    var addendTopOffset: Int { -(result.bias + result.fractionBits) + (windowBits - 1 - addendLSB) + result.bias }
    /// The alignment shift is `eA + eW − eP + shiftOffset`: where the addend's LSB must move from `addendLSB`.
    var shiftOffset: Int { productTopOffset - addendTopOffset }

    /// Ranges of the effective exponents (including the all-ones field of ±∞ and NaN, whose datapath result is
    /// replaced but must not overflow the exponent arithmetic).
    var operandExponentRange: ClosedRange<Int> { 1 ... operand.maxExponentField }
    var addendExponentRange: ClosedRange<Int> { 1 ... result.maxExponentField }

    /// Range of `E0 − 1` over every exponent combination (either scale).
    var topExponentRange: ClosedRange<Int> {
        let lo = 2 * operandExponentRange.lowerBound + productTopOffset - 1
        let hi = 2 * operandExponentRange.upperBound + productTopOffset - 1
        guard accumulate else { return lo ... hi }
        return min(lo, addendExponentRange.lowerBound + addendTopOffset - 1) ... max(hi, addendExponentRange.upperBound + addendTopOffset - 1)
    }

    /// Whether a result can lie wholly below the binary32 normal range with the window's top bit there too
    /// (`E0 − 1 < 0`): then the normalization shifts right (bf16's products reach 2^−266).
    var needsRightShift: Bool { topExponentRange.lowerBound < 0 }

    /// Bits of the signed exponent arithmetic: every quantity (E0, E0 − 1 − leading zeros, the shift) fits.
    var exponentBits: Int {
        let shiftLo = 2 * operandExponentRange.lowerBound - addendExponentRange.upperBound + shiftOffset
        let shiftHi = 2 * operandExponentRange.upperBound - addendExponentRange.lowerBound + shiftOffset
        let lo = min(topExponentRange.lowerBound - windowBits, shiftLo), hi = max(topExponentRange.upperBound + 1, shiftHi)
        var bits = 2
        while -(1 << (bits - 1)) > lo || (1 << (bits - 1)) - 1 < hi { bits += 1 }
        return bits
    }
}

extension MACGenerator {
    // MARK: Floating point

    /// The header lines of a floating-point MAC's netlist.
    static func floatHeaderLines(_ spec: MACSpec) -> [String] {
        let name = spec.format == .fp16 ? "IEEE binary16 (FP16)" : "bfloat16 (BF16)"
        var lines: [String] = []
        if spec.accumulate {
            lines.append("Y = fp32(P + A*W) fused: exact product, one rounding to nearest even; A, W: \(name); P, Y: IEEE binary32")
            lines.append("subnormals in and out; +-Inf and NaN as IEEE 754 fusedMultiplyAdd; every NaN result is 0x7FC00000; an exact zero sum is -0 only when P and A*W are both -0")
        } else {
            lines.append("Y = fp32(A*W), one rounding to nearest even; A, W: \(name); Y: IEEE binary32")
            lines.append("subnormals in and out; +-Inf and NaN as IEEE 754 multiplication; every NaN result is 0x7FC00000")
        }
        return lines
    }

    /// The FMA datapath (see `MACGenerator`, "Floating point"): `Y = fp32(P + A·W)`, or `fp32(A·W)` without P.
    static func floatMAC(_ b: NetlistBuilder, _ spec: MACSpec, a: [Signal], w: [Signal], p: [Signal]?) -> [Signal] {
        let layout = spec.format.ieeeLayout!
        let geometry = FloatMACGeometry(operand: layout, accumulate: p != nil)
        let n = geometry.windowBits, ew = geometry.exponentBits
        let da = b.decodeFloat(a, exponentBits: layout.exponentBits, fractionBits: layout.fractionBits)
        let dw = b.decodeFloat(w, exponentBits: layout.exponentBits, fractionBits: layout.fractionBits)
        let ca = FloatClass(b, da), cw = FloatClass(b, dw)
        let productSign = b.xor(da.sign, dw.sign)
        let productZero = b.or(ca.isZero, cw.isZero)
        let product = significandProduct(b, spec, da.significand, dw.significand)
        let productNaN = b.or(b.or(ca.isNaN, cw.isNaN), b.or(b.and(ca.isInfinite, cw.isZero), b.and(cw.isInfinite, ca.isZero)))
        let productInfinite = b.and(b.or(ca.isInfinite, cw.isInfinite), b.not(productNaN))
        // E0 − 1 and E0 (E0: the biased binary32 exponent of the window's top bit) at the product's scale.
        let productTop = exponentSum(b, spec, [(da.exponent, false), (dw.exponent, false)], constant: geometry.productTopOffset - 1, width: ew)

        let magnitude: [Signal], topMinusOne: [Signal], top: [Signal], sign: Signal, zeroSign: Signal
        var nan = productNaN, infinite = productInfinite, infiniteSign = productSign
        if let p {
            let dc = b.decodeFloat(p, exponentBits: 8, fractionBits: 23)
            let cc = FloatClass(b, dc)
            // Alignment: the addend moves right by eA + eW − eP + offset, clamped at 0 (the addend dominates: the
            // product is under a quarter of its unit) and when the product is 0; saturated at 127 (all sticky).
            let shift = exponentSum(b, spec, [(da.exponent, false), (dw.exponent, false), (dc.exponent, true)],
                                    constant: geometry.shiftOffset, width: ew).sum
            let shiftNegative = shift[ew - 1]
            let saturated = b.and(b.not(shiftNegative), b.orTree(Array(shift[geometry.shiftBits ..< ew - 1])))
            let noShift = b.or(productZero, shiftNegative)
            let amount = (0 ..< geometry.shiftBits).map { b.and(b.not(noShift), b.or(shift[$0], saturated)) }
            let addendNonzero = b.not(cc.isZero)
            let addendDominates = b.and(addendNonzero, noShift)
            let placed = [Signal](repeating: .zero, count: geometry.addendLSB - 1) + dc.significand
            let aligned = b.shiftRightSticky(placed, by: amount)
            // A zero product takes the addend's sign, so that it is never subtracted: a held zero weight then
            // leaves Y = P through wires and the normalization, with no carry chain (the sign of a zero product
            // matters only for a zero result, `zeroSign`).
            let datapathSign = b.mux(productZero, productSign, dc.sign)
            let effectiveSubtraction = b.xor(datapathSign, dc.sign)
            let y = ([aligned.sticky] + aligned.bits + [.zero]).map { b.xor($0, effectiveSubtraction) }
            let x = [Signal](repeating: .zero, count: geometry.productLSB) + product
                + [Signal](repeating: .zero, count: n - geometry.productLSB - geometry.productBits)
            // Compound adder: S0 = X + Ŷ, S1 = S0 + 1. Addition: S0. Subtraction (Ŷ = ~Y): X − Y = S1 when it is
            // ≥ 0, else |X − Y| = Y − X = ~S0.
            let (s0, s1) = b.compoundAdd(spec.adder, x, y)
            let negative = s1[n - 1]
            magnitude = (0 ..< n).map { i in b.mux(effectiveSubtraction, s0[i], b.mux(negative, s1[i], b.not(s0[i]))) }
            sign = b.xor(datapathSign, b.and(effectiveSubtraction, negative))
            zeroSign = b.and(productSign, dc.sign)
            // The window's scale: the addend's when it dominates.
            let addendTop = exponentSum(b, spec, [(dc.exponent, false)], constant: geometry.addendTopOffset - 1, width: ew)
            topMinusOne = zip(productTop.sum, addendTop.sum).map { b.mux(addendDominates, $0, $1) }
            top = zip(productTop.sumPlusOne, addendTop.sumPlusOne).map { b.mux(addendDominates, $0, $1) }
            // Specials: NaN operands, ∞ − ∞; an infinite addend.
            nan = b.or(b.or(productNaN, cc.isNaN), b.and(b.and(productInfinite, cc.isInfinite), effectiveSubtraction))
            infinite = b.and(b.or(productInfinite, cc.isInfinite), b.not(nan))
            infiniteSign = b.mux(productInfinite, dc.sign, productSign)
        } else {
            magnitude = [Signal](repeating: .zero, count: n - geometry.productBits) + product
            topMinusOne = productTop.sum
            top = productTop.sumPlusOne
            sign = productSign
            zeroSign = productSign
        }
        let rounded = normalizeAndRound(b, spec, geometry, magnitude: magnitude, topMinusOne: topMinusOne, top: top)
        // Result: NaN ≻ ∞ (special or overflow) ≻ exact zero ≻ the rounded number.
        let overflowOrInfinite = b.or(infinite, rounded.overflow)
        let kill = b.or(b.or(nan, overflowOrInfinite), rounded.zero)
        let fractionBits = geometry.result.fractionBits
        var y = (0 ..< fractionBits).map { b.and(rounded.bits[$0], b.not(kill)) }
        y[fractionBits - 1] = b.or(y[fractionBits - 1], nan)          // quiet NaN 0x7FC00000
        for i in fractionBits ..< 31 {
            y.append(b.or(b.and(rounded.bits[i], b.not(rounded.zero)), b.or(nan, overflowOrInfinite)))
        }
        let finiteSign = b.mux(rounded.zero, sign, zeroSign)
        let resultSign = b.mux(overflowOrInfinite, finiteSign, b.mux(infinite, sign, infiniteSign))
        y.append(b.and(resultSign, b.not(nan)))
        return y
    }

    /// `Σ terms + constant` modulo 2^width (unsigned terms zero-extended, `negative` ones subtracted) and the
    /// same plus one: the terms and the constant in a carry-save reduction, then the compound adder.
    static func exponentSum(_ b: NetlistBuilder, _ spec: MACSpec, _ terms: [(bits: [Signal], negative: Bool)], constant: Int,
                            width: Int) -> (sum: [Signal], sumPlusOne: [Signal]) {
        var matrix = BitMatrix(width: width)
        matrix.addConstant(constant)
        for (bits, negative) in terms {
            let row = matrix.rows.count
            for (k, s) in bits.enumerated() { matrix.add(s, column: k, negative: negative, row: row, builder: b) }
        }
        let rows = matrix.rowsWithConstant
        let (x, y): ([Signal], [Signal])
        if rows.count <= 2 {
            let zeros = [Signal](repeating: .zero, count: width)
            (x, y) = (rows.first ?? zeros, rows.count > 1 ? rows[1] : zeros)
        } else {
            (x, y) = b.reduce(matrix, reduction(of: spec.multiplier))
        }
        return b.compoundAdd(spec.adder, x, y)
    }

    /// Normalization and rounding of a window `magnitude` (bit 0 first) whose top bit has biased binary32
    /// exponent `top` (`topMinusOne` = top − 1, both signed, `geometry.exponentBits` wide):
    /// leading-zero count z; a normal result when `top − z ≥ 1` (shift left by z, exponent `top − z`), else a
    /// subnormal one (shift left by `top − 1`, exponent field 0), or, when `top − 1 < 0`, a right shift by
    /// `1 − top` with sticky; then round to nearest even on the 24-bit significand (its carry runs into the
    /// exponent: a subnormal may become normal, 2^128 overflows). Returns the 31 bits of exponent and fraction,
    /// whether they overflowed (exponent ≥ 255) and whether the magnitude is zero.
    static func normalizeAndRound(_ b: NetlistBuilder, _ spec: MACSpec, _ geometry: FloatMACGeometry, magnitude: [Signal],
                                  topMinusOne: [Signal], top: [Signal]) -> (bits: [Signal], overflow: Signal, zero: Signal) {
        let n = magnitude.count, ew = geometry.exponentBits
        let significandBits = geometry.result.significandBits
        let lzc = b.leadingZeroCount(magnitude)
        let z = lzc.count
        // e = top − z (S1) and top − 1 − z (S0): one compound adder of top and ~z.
        let notZ = (0 ..< ew).map { $0 < z.count ? b.not(z[$0]) : Signal.one }
        let (belowTop, exponent) = b.compoundAdd(spec.adder, top, notZ)
        let normal = b.not(belowTop[ew - 1])
        let topNegative = geometry.needsRightShift ? topMinusOne[ew - 1] : Signal.zero
        let left = (0 ..< z.count).map { b.mux(normal, b.and(topMinusOne[$0], b.not(topNegative)), z[$0]) }
        var normalized = b.shiftLeft(magnitude, by: left)
        var sticky = Signal.zero
        if geometry.needsRightShift {
            // top − 1 < 0: shift right by 1 − top = ~(top − 1) + 1, saturated (all bits become sticky).
            let inverted = topMinusOne.map { b.not($0) }
            let saturated = b.orTree(Array(inverted[z.count ..< ew - 1]))
            let amount = (0 ..< z.count).map { b.and(topNegative, b.or(inverted[$0], saturated)) }
            let shifted = b.shiftRightSticky(normalized, by: amount)
            let once = b.shiftRightSticky(shifted.bits, by: [topNegative])
            normalized = once.bits
            sticky = b.or(shifted.sticky, once.sticky)
        }
        let significand = Array(normalized[(n - significandBits)...])
        let roundBit = normalized[n - significandBits - 1]
        sticky = b.or(sticky, b.orTree(Array(normalized[..<(n - significandBits - 1)])))
        let roundUp = b.and(roundBit, b.or(sticky, significand[0]))
        // Exponent field (0 for a subnormal: the hidden bit is then 0) above the 23 fraction bits; the increment's
        // carry runs from the fraction into the exponent.
        var fieldBits = 1
        while (1 << fieldBits) <= geometry.topExponentRange.upperBound + 1 { fieldBits += 1 }
        let field = (0 ..< fieldBits).map { b.and(exponent[$0], normal) }
        let packed = Array(significand.dropLast()) + field
        let bits = b.add(spec.adder, packed, [Signal](repeating: .zero, count: packed.count), carryIn: roundUp)
        let fractionBits = geometry.result.fractionBits
        let exponentField = Array(bits[fractionBits ..< fractionBits + 8])
        let overflow = b.or(b.andTree(exponentField), b.orTree(Array(bits[(fractionBits + 8)...])))
        return (Array(bits[..<(fractionBits + 8)]), overflow, lzc.allZero)
    }
}
