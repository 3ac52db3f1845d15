import HaloCore

/// The multiplier of a generated MAC.
public enum MultiplierArchitecture: String, CaseIterable, Sendable {
    /// Carry-save array: AND partial products, added row after row by rows of full adders (unsigned only;
    /// the signed array is `baughWooley`).
    case array
    /// Wallace tree over AND (unsigned) or Baugh-Wooley (signed) partial products.
    case wallace
    /// Dadda tree over AND (unsigned) or Baugh-Wooley (signed) partial products.
    case dadda
    /// Radix-4 (modified) Booth: ⌈n/2⌉ partial products ∈ {0, ±A, ±2A} of the signed weight
    /// (⌊n/2⌋+1 for an unsigned weight, read as n+1-bit signed), sign bits handled by constants,
    /// reduced by a Wallace tree.
    case booth4
    /// Baugh-Wooley signed array: the partial products of the sign bits inverted (NAND) with a correction
    /// constant, added by the carry-save array (signed only).
    case baughWooley = "baugh-wooley"

    /// The name in module names (no `-`).
    public var identifier: String { rawValue.replacingOccurrences(of: "-", with: "") }
}

/// The carry-propagate adder that adds the two rows left by the multiplier's reduction (and, for e4m3,
/// the exponents and the accumulation).
public enum AdderArchitecture: String, CaseIterable, Sendable {
    /// Ripple-carry: a chain of full adders.
    case ripple
    /// Kogge-Stone parallel prefix: log₂ n levels, fan-out 2, the most prefix cells.
    case koggeStone = "kogge-stone"
    /// Brent-Kung parallel prefix: 2 log₂ n − 1 levels, the fewest prefix cells.
    case brentKung = "brent-kung"
    /// Sklansky (divide-and-conquer) parallel prefix: log₂ n levels, fan-out up to n/2.
    case sklansky

    /// The name without hyphens, as used in module and file names (`koggestone`).
    public var identifier: String { rawValue.replacingOccurrences(of: "-", with: "") }
}

/// The number format of `A` and `W`.
public enum MACNumberFormat: String, CaseIterable, Sendable {
    /// Integers: `width`-bit two's complement (signed) or unsigned; `P` and `Y` are two's complement or
    /// unsigned of the accumulator width, and `Y = (P + A·W) mod 2^accumulatorWidth`.
    case int
    /// FP8 E4M3 (OCP 8-bit floating point, 1 sign, 4 exponent bits with bias 7, 3 mantissa bits;
    /// subnormals when the exponent field is 0). `P` and `Y` are fixed point; see `E4M3`.
    case e4m3
    /// IEEE 754 binary16 (FP16: 5 exponent bits with bias 15, 10 fraction bits, subnormals, ±∞, NaN). `P` and
    /// `Y` are IEEE binary32 and `Y = fp32(P + A·W)` with one rounding; see `MACGenerator` ("Floating point").
    case fp16
    /// bfloat16 (BF16: 8 exponent bits with bias 127, 7 fraction bits, subnormals, ±∞, NaN); `P`, `Y` binary32
    /// as for `fp16`.
    case bf16

    /// The IEEE-style layout of `A` and `W` for `fp16` and `bf16`; nil for `int` and `e4m3`.
    public var ieeeLayout: IEEEFloatFormat? {
        switch self {
        case .fp16: return .binary16
        case .bf16: return .bfloat16
        case .int, .e4m3: return nil
        }
    }

    /// The operand width the format fixes (8 for e4m3, 16 for fp16 and bf16); nil for `int`.
    public var operandWidth: Int? {
        switch self {
        case .int: return nil
        case .e4m3: return 8
        case .fp16, .bf16: return 16
        }
    }
}

/// What to generate: a multiply-accumulate `Y = P + A·W` (or a multiplier `Y = A·W`), optionally registered.
public struct MACSpec: Sendable, Equatable {
    /// How the partial products are formed and reduced.
    public var multiplier: MultiplierArchitecture
    /// The carry-propagate adder of the final addition (and of the accumulation).
    public var adder: AdderArchitecture
    /// Bits of `A` and `W` (2…32 for `int`; 8 for `e4m3`; 16 for `fp16` and `bf16`).
    public var width: Int
    /// Two's complement operands (`int`). Floating-point operands carry their own sign, so this must be true
    /// for the other formats.
    public var signed: Bool
    /// Bits of `P` and `Y`; nil for the default (`int`: 2·width + 4 with accumulation, 2·width without;
    /// `e4m3`: 41 with accumulation, 37 without; `fp16`, `bf16`: 32, IEEE binary32, the only width).
    public var accumulatorWidth: Int?
    /// The number format of `A` and `W`.
    public var format: MACNumberFormat
    /// Registers around the MAC: weight register `wreg` (loaded from `W` when `load_w`), activation
    /// register `areg` (from `A`), partial-sum register `preg` (from `P`) and output register driving `Y`,
    /// all clocked by the rising edge of `clk`.
    public var registered: Bool
    /// `Y = P + A·W`; false for a plain multiplier `Y = A·W` (no `P` port).
    public var accumulate: Bool
    /// The Verilog module name; nil for `defaultModuleName`.
    public var moduleName: String?

    /// A specification; the defaults give a signed 8-bit accumulating MAC with a ripple-carry adder.
    public init(multiplier: MultiplierArchitecture, adder: AdderArchitecture = .ripple, width: Int = 8,
                signed: Bool = true, accumulatorWidth: Int? = nil, format: MACNumberFormat = .int,
                registered: Bool = false, accumulate: Bool = true, moduleName: String? = nil) {
        self.multiplier = multiplier
        self.adder = adder
        self.width = width
        self.signed = signed
        self.accumulatorWidth = accumulatorWidth
        self.format = format
        self.registered = registered
        self.accumulate = accumulate
        self.moduleName = moduleName
    }

    /// The default accumulator width (see `accumulatorWidth`).
    public var defaultAccumulatorWidth: Int {
        switch format {
        case .int: return accumulate ? 2 * width + 4 : 2 * width
        case .e4m3: return accumulate ? E4M3.productBits + 4 : E4M3.productBits
        case .fp16, .bf16: return IEEEFloatFormat.binary32.totalBits
        }
    }

    /// Bits of `P` and `Y`.
    public var resolvedAccumulatorWidth: Int { accumulatorWidth ?? defaultAccumulatorWidth }

    /// `mac_<multiplier>_<adder>_<s|u><width>` (int) or `mac_<multiplier>_<adder>_<format>` (e4m3, fp16, bf16),
    /// with `mul_` instead of `mac_` for a plain multiplier, `_a<bits>` for a non-default accumulator width and
    /// `_reg` when registered. For example `mac_booth4_koggestone_s8`, `mul_array_ripple_u4`,
    /// `mac_dadda_sklansky_e4m3_reg`, `mac_wallace_koggestone_bf16`.
    public var defaultModuleName: String {
        var name = (accumulate ? "mac_" : "mul_") + multiplier.identifier + "_" + adder.identifier + "_"
        name += format == .int ? (signed ? "s" : "u") + String(width) : format.rawValue
        if let a = accumulatorWidth, a != defaultAccumulatorWidth { name += "_a\(a)" }
        if registered { name += "_reg" }
        return name
    }

    /// The module name the netlist uses: `moduleName`, or `defaultModuleName` when nil.
    public var resolvedModuleName: String { moduleName ?? defaultModuleName }

    /// The bus the weight is held on for characterization: `W`, or the register outputs `wreg` when registered.
    public var weightBus: String { registered ? "wreg" : "W" }

    /// The `halo generate` command line that produces this netlist.
    public var commandLine: String {
        var parts = ["halo", "generate", "mac", "--multiplier", multiplier.rawValue, "--adder", adder.rawValue,
                     "--width", String(width), signed ? "--signed" : "--unsigned"]
        if format != .int { parts += ["--format", format.rawValue] }
        if let a = accumulatorWidth { parts += ["--acc-width", String(a)] }
        if registered { parts.append("--registered") }
        if !accumulate { parts.append("--no-accumulate") }
        if let m = moduleName { parts += ["--top", m] }
        return parts.joined(separator: " ")
    }

    /// Ports in declaration order with their widths.
    public var ports: [(name: String, width: Int, isInput: Bool)] {
        let n = width, m = resolvedAccumulatorWidth
        var p: [(String, Int, Bool)] = registered ? [("clk", 1, true), ("load_w", 1, true)] : []
        p += [("A", n, true), ("W", n, true)]
        if accumulate { p.append(("P", m, true)) }
        p.append(("Y", m, false))
        return p
    }

    /// Largest accumulator width accepted.
    public static let maxAccumulatorWidth = 128

    /// Throws a `HaloError` naming the problem if the combination cannot be generated.
    public func validate() throws {
        switch format {
        case .int:
            guard (2...32).contains(width) else {
                throw HaloError("--width \(width) is out of range (integer MACs take 2 … 32 bits)")
            }
            if multiplier == .array && signed {
                throw HaloError("the carry-save array multiplier is unsigned; the signed array is '--multiplier baugh-wooley' (or use --unsigned)")
            }
            if multiplier == .baughWooley && !signed {
                throw HaloError("Baugh-Wooley is a signed multiplier; for unsigned operands use '--multiplier array' (or --signed)")
            }
            guard (2...MACSpec.maxAccumulatorWidth).contains(resolvedAccumulatorWidth) else {
                throw HaloError("--acc-width \(resolvedAccumulatorWidth) is out of range (2 … \(MACSpec.maxAccumulatorWidth) bits)")
            }
        case .e4m3, .fp16, .bf16:
            let operandWidth = format.operandWidth!
            guard width == operandWidth else {
                throw HaloError("--format \(format) takes \(operandWidth)-bit operands (--width \(operandWidth)), not \(width)")
            }
            guard signed else {
                throw HaloError("\(format) operands carry their own sign bit; --unsigned does not apply to --format \(format)")
            }
            if multiplier == .baughWooley {
                throw HaloError("the \(format) significand product is unsigned (sign-magnitude), so Baugh-Wooley does not apply; use array, wallace, dadda or booth4")
            }
            if format == .e4m3 {
                guard (E4M3.productBits...MACSpec.maxAccumulatorWidth).contains(resolvedAccumulatorWidth) else {
                    throw HaloError("--acc-width \(resolvedAccumulatorWidth) cannot hold every e4m3 product exactly (\(E4M3.productBits) … \(MACSpec.maxAccumulatorWidth) bits with \(E4M3.fractionBits) fraction bits)")
                }
            } else if resolvedAccumulatorWidth != defaultAccumulatorWidth {
                throw HaloError("--acc-width \(resolvedAccumulatorWidth) does not apply to --format \(format): P and Y are IEEE binary32 (\(defaultAccumulatorWidth) bits)")
            }
        }
        if let m = moduleName, !MACSpec.isVerilogIdentifier(m) {
            throw HaloError("'\(m)' is not a Verilog module name (letters, digits, _ and $, not starting with a digit or $)")
        }
    }

    static func isVerilogIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

/// A generated netlist.
public struct GeneratedMAC: Sendable {
    /// The specification it was generated from.
    public var spec: MACSpec
    /// The module name.
    public var module: String
    /// Structural Verilog of Yosys internal cells (`$_AND_`, `$_XOR_`, …, `$_MUX_`, `$_DFF_P_`, `$_DFFE_PP_`).
    public var verilog: String
    /// Cell instances by Yosys cell name.
    public var cellCounts: [String: Int]
    /// Number of cell instances.
    public var cellCount: Int { cellCounts.values.reduce(0, +) }
}

/// Generates MAC netlists. The result is structural Verilog that Halo times with its generic library and
/// that Yosys reads and maps to a Liberty library.
///
/// ## Structure
/// Partial products (AND, Baugh-Wooley or radix-4 Booth, see `MultiplierArchitecture`) and the bits of `P`
/// form one bit matrix, so the accumulation is fused into the multiplier's reduction (`P` enters as the
/// last row of the array, or the last bits of each tree column); constants from sign handling are summed
/// into one row. The reduction (carry-save array, Wallace or Dadda tree) leaves two rows that the chosen
/// carry-propagate adder adds modulo 2^accumulatorWidth.
///
/// For `e4m3`, the 4-bit significands (hidden bit and 3 mantissa bits) are multiplied by the chosen
/// multiplier (unsigned, 8-bit product, chosen adder), the effective exponents are added by the chosen adder,
/// a logarithmic barrel shifter places the product, and the chosen adder adds `P` and the product's two's
/// complement (`(m ⊕ s) + s`, the sign as carry-in; s is 0 when the weight is ±0, so a zero weight
/// leaves `Y = P`). See `E4M3` for the fixed-point format.
///
/// ## Floating point (`fp16`, `bf16`)
/// `Y = fp32(P + A·W)` with `A`, `W` in binary16 or bfloat16 and `P`, `Y` in IEEE binary32, as a fused
/// multiply-add unit computes it: the product is exact (11 × 11 or 8 × 8 significand bits), the sum is rounded
/// once to nearest, ties to even. Subnormal operands and results are supported (no flush to zero).
/// - **Multiplier**: the significands (hidden bit and fraction; the hidden bit is 0 for subnormals, whose
///   effective exponent field is 1) by the chosen multiplier and adder.
/// - **Alignment**: `P`'s significand starts two bits above the product's top bit and moves right by
///   `eA + eW − eP + K` (a carry-save reduction and the chosen adder), by a logarithmic shifter whose dropped
///   bits are ORed into a sticky bit at the bottom of the window. A negative shift (the addend dominates: the
///   product is below a quarter of its unit) or a zero product leaves `P` unshifted and the window takes `P`'s
///   exponent; shifts beyond 127 drop every bit. The window has 25 bits below the product: when addend bits
///   are dropped, the product (≥ 2^25 units) exceeds the addend (< 2^23) enough that the result's rounding
///   position is two bits above the sticky bit, so the sticky stands in for the dropped bits exactly (the
///   computed and the exact sums lie strictly between the same two rounding boundaries).
/// - **Addition**: a compound adder (one carry network, `S = X + Ŷ` and `S + 1`, the chosen architecture)
///   gives `X + Y`, or for an effective subtraction `X − Y = S + 1` when it is ≥ 0 and `Y − X = ~S` otherwise.
/// - **Normalization**: a logarithmic leading-zero counter and left shifter; with `E0` the exponent of the
///   window's top bit, the result is normal when `E0 − z ≥ 1` (shift by z), subnormal otherwise (shift by
///   `E0 − 1`); bf16 products reach 2^−266, so there the window can lie wholly below 2^−126 and is shifted
///   right by `1 − E0` with sticky.
/// - **Rounding**: round to nearest even from the round and sticky bits, by an incrementer (the chosen adder)
///   on exponent and fraction together: a subnormal can become normal, the largest finite value ∞.
/// - **Specials** (IEEE 754 `fusedMultiplyAdd`): NaN when an operand is NaN, for ∞ × 0 and for ∞ − ∞; ±∞
///   from an infinite product or addend; overflow to ±∞. Every NaN result is the quiet NaN `0x7FC00000`
///   (no payload propagation; NVIDIA GPUs return `0x7FFFFFFF`, RISC-V `0x7FC00000`). A zero result has the
///   IEEE sign: an exact zero sum is −0 only when `P` and `A·W` are both −0 (round to nearest); a non-zero sum
///   that rounds to zero keeps its sign.
/// - Without accumulation (`--no-accumulate`), `Y = fp32(A·W)` through the same normalization and rounding
///   (fp16 products are exact in binary32; bf16 products round on overflow and underflow).
///
/// ## Ports
/// `A` (activation), `W` (weight), `P` (partial sum in, absent with `accumulate == false`), `Y` (out);
/// registered: also `clk` and `load_w`, with internal register buses `wreg`, `areg`, `preg`. In the registered
/// version `Y` is the output register: `A` and `P` sampled at one rising edge of `clk` (with the weight in
/// `wreg`) give `Y` after the next.
public enum MACGenerator {
    /// Generates the netlist of `spec` (validated first).
    public static func generate(_ spec: MACSpec) throws -> GeneratedMAC {
        try spec.validate()
        let b = NetlistBuilder()
        let n = spec.width, m = spec.resolvedAccumulatorWidth
        var a: [Signal], w: [Signal], p: [Signal]?
        if spec.registered {
            let clk = b.input("clk", width: 1, scalar: true)[0]
            let loadW = b.input("load_w", width: 1, scalar: true)[0]
            b.clock = clk
            let aPort = b.input("A", width: n), wPort = b.input("W", width: n)
            let pPort = spec.accumulate ? b.input("P", width: m) : nil
            w = b.register("wreg", width: n, enable: loadW)
            b.connect(w, to: wPort)
            a = b.register("areg", width: n)
            b.connect(a, to: aPort)
            if let pPort {
                let preg = b.register("preg", width: m)
                b.connect(preg, to: pPort)
                p = preg
            } else {
                p = nil
            }
        } else {
            a = b.input("A", width: n)
            w = b.input("W", width: n)
            p = spec.accumulate ? b.input("P", width: m) : nil
        }

        let y: [Signal]
        switch spec.format {
        case .int: y = integerMAC(b, spec, a: a, w: w, p: p, width: m)
        case .e4m3: y = e4m3MAC(b, spec, a: a, w: w, p: p, width: m)
        case .fp16, .bf16: y = floatMAC(b, spec, a: a, w: w, p: p)
        }

        if spec.registered {
            let yreg = b.register("Y", width: m, isOutput: true)
            b.connect(yreg, to: y)
        } else {
            b.output("Y", y)
        }
        let module = spec.resolvedModuleName
        let header = headerLines(spec)
        return GeneratedMAC(spec: spec, module: module, verilog: b.verilog(module: module, header: header),
                            cellCounts: b.cellCounts())
    }

    static func headerLines(_ spec: MACSpec) -> [String] {
        let m = spec.resolvedAccumulatorWidth
        var lines = ["Generated by Halo \(HaloVersion.string): \(spec.commandLine)"]
        let op = spec.accumulate ? "Y = P + A*W" : "Y = A*W"
        switch spec.format {
        case .int:
            let kind = spec.signed ? "two's complement" : "unsigned"
            lines.append("\(op) mod 2^\(m); A, W: \(spec.width)-bit \(kind)" + (spec.accumulate ? "; P, Y: \(m)-bit \(kind)" : "; Y: \(m)-bit \(kind)"))
        case .e4m3:
            lines.append("\(op); A, W: FP8 E4M3 (bias 7, subnormals; S.1111.111 read as +-480, not NaN)")
            lines.append((spec.accumulate ? "P, Y" : "Y") + ": \(m)-bit two's complement fixed point with \(E4M3.fractionBits) fraction bits (LSB 2^-\(E4M3.fractionBits)), exact, wrapping mod 2^\(m)")
        case .fp16, .bf16:
            lines += floatHeaderLines(spec)
        }
        lines.append("multiplier \(spec.multiplier.rawValue), adder \(spec.adder.rawValue)"
                     + (spec.registered ? "; registered: wreg <= W when load_w, areg <= A, preg <= P, Y <= MAC(areg, wreg, preg) on posedge clk" : ""))
        return lines
    }

    // MARK: Integer MAC

    static func reduction(of multiplier: MultiplierArchitecture) -> Reduction {
        switch multiplier {
        case .array, .baughWooley: return .array
        case .wallace, .booth4: return .wallace
        case .dadda: return .dadda
        }
    }

    /// Adds the partial products of `a · w` (operands of the given signedness) to the matrix.
    static func addPartialProducts(_ b: NetlistBuilder, _ matrix: inout BitMatrix, multiplier: MultiplierArchitecture,
                                   a: [Signal], w: [Signal], signed: Bool) {
        if multiplier == .booth4 {
            addBoothPartialProducts(b, &matrix, a: a, w: w, signed: signed)
            return
        }
        let na = a.count, nw = w.count
        for j in 0..<nw {
            let row = matrix.rows.count
            for i in 0..<na {
                // Baugh-Wooley: the products of exactly one sign bit have negative weight.
                let negative = signed && ((i == na - 1) != (j == nw - 1))
                matrix.add(b.and(a[i], w[j]), column: i + j, negative: negative, row: row, builder: b)
            }
        }
    }

    /// Radix-4 Booth partial products: digit k = −2·w[2k+1] + w[2k] + w[2k−1] ∈ {−2 … 2}; row k is
    /// (|d|·A) ⊕ neg as an (na+1)-bit two's complement number at 2^(2k), plus neg at 2^(2k) (placed in a
    /// later row's free column).
    static func addBoothPartialProducts(_ b: NetlistBuilder, _ matrix: inout BitMatrix, a: [Signal], w: [Signal], signed: Bool) {
        // Unsigned operands are read as signed numbers one bit wider (a zero sign bit).
        let aa = signed ? a : a + [.zero], ww = signed ? w : w + [.zero]
        let na = aa.count, nw = ww.count
        func wBit(_ j: Int) -> Signal { j < 0 ? .zero : ww[min(j, nw - 1)] }
        func aBit(_ j: Int) -> Signal { j < 0 ? .zero : aa[min(j, na - 1)] }
        let digits = (nw + 1) / 2
        var firstRow: [Int] = []
        for k in 0..<digits {
            let hi = wBit(2 * k + 1), mid = wBit(2 * k), lo = wBit(2 * k - 1)
            let one = b.xor(mid, lo)
            // two: 011 or 100
            let two = b.and(b.xor(hi, mid), b.not(one))
            let neg = hi
            let row = matrix.rows.count
            firstRow.append(row)
            for j in 0...na {
                let bit = b.xor(b.or(b.and(one, aBit(j)), b.and(two, aBit(j - 1))), neg)
                matrix.add(bit, column: 2 * k + j, negative: j == na, row: row, builder: b)
            }
        }
        for k in 0..<digits {
            let neg = wBit(2 * k + 1)
            matrix.add(neg, column: 2 * k, row: k + 1 < digits ? firstRow[k + 1] : matrix.rows.count, builder: b)
        }
    }

    static func integerMAC(_ b: NetlistBuilder, _ spec: MACSpec, a: [Signal], w: [Signal], p: [Signal]?, width m: Int) -> [Signal] {
        var matrix = BitMatrix(width: m)
        addPartialProducts(b, &matrix, multiplier: spec.multiplier, a: a, w: w, signed: spec.signed)
        if let p { matrix.addRow(p, builder: b) }
        let (x, y) = b.reduce(matrix, reduction(of: spec.multiplier))
        return b.add(spec.adder, x, y)
    }

    /// The unsigned product of two significands (hidden bit on top) by the spec's multiplier and adder,
    /// `x.count + y.count` bits: the significand multiplier of the floating-point MACs.
    static func significandProduct(_ b: NetlistBuilder, _ spec: MACSpec, _ x: [Signal], _ y: [Signal]) -> [Signal] {
        var matrix = BitMatrix(width: x.count + y.count)
        addPartialProducts(b, &matrix, multiplier: spec.multiplier, a: x, w: y, signed: false)
        let (u, v) = b.reduce(matrix, reduction(of: spec.multiplier))
        return b.add(spec.adder, u, v)
    }

    // MARK: E4M3 MAC

    static func e4m3MAC(_ b: NetlistBuilder, _ spec: MACSpec, a: [Signal], w: [Signal], p: [Signal]?, width m: Int) -> [Signal] {
        let da = b.decodeFloat(a, exponentBits: 4, fractionBits: 3), dw = b.decodeFloat(w, exponentBits: 4, fractionBits: 3)
        // Significand product (unsigned 4 × 4 → 8 bits).
        let product = significandProduct(b, spec, da.significand, dw.significand)
        // Exponent sum 2 … 30 (5 bits).
        let shift = b.add(spec.adder, da.exponent + [.zero], dw.exponent + [.zero])
        // product · 2^shift in units of 2^-20; bits 0 and 1 are always 0 (shift ≥ 2).
        let shifted = b.shiftLeft(product + [Signal](repeating: .zero, count: 30), by: shift)
        let magnitude = Array(shifted[2..<(2 + E4M3.productBits - 1)])
        // The sign is forced to 0 when the weight is ±0, so that a zero weight leaves Y = P with no carry chain
        // (a zero product adds 0 with either sign: this changes no result, only which paths a held zero weight
        // keeps alive). Only the weight is tested: it is the operand held constant, and the sign stays shallow.
        let weightNonzero = b.or(b.or(dw.significand[0], dw.significand[1]), b.or(dw.significand[2], dw.significand[3]))
        let sign = b.and(b.xor(da.sign, dw.sign), weightNonzero)
        let operand = (0..<m).map { i in i < magnitude.count ? b.xor(magnitude[i], sign) : sign }
        let addend = p ?? [Signal](repeating: .zero, count: m)
        return b.add(spec.adder, addend, operand, carryIn: sign)
    }
}
