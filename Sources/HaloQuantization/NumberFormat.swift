import Foundation
import HaloCore

/// How the bits on a MAC's weight bus encode a real value: the `code` column of a delay table is
/// the unsigned integer of those bits, and a number format decodes it.
///
/// - `int N`: two's complement, `code ≥ 2^(N−1)` is `code − 2^N` (int8 code 255 is −1).
/// - `uint N`: the code itself.
/// - `e4m3`: OCP 8-bit floating point E4M3 (bias 7). No infinities; only `S.1111.111`
///   (0x7F, 0xFF) is NaN, so the largest magnitude is 0x7E = 448. Subnormals are `m·2⁻⁹`.
/// - `e5m2`: OCP 8-bit floating point E5M2 (bias 15), IEEE-like: exponent 31 with mantissa 0 is
///   ±∞, with mantissa ≠ 0 NaN; largest finite 0x7B = 57344; subnormals `m·2⁻¹⁶`.
/// - `e2m1`: OCP 4-bit floating point E2M1 (bias 1): 0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives;
///   no infinities, no NaN.
/// - `fp16`: IEEE 754 binary16 (bias 15, 10 fraction bits): 63,488 finite codes (±0 one value),
///   largest 65504, subnormals down to 2⁻²⁴; 2 infinities and 2,046 NaN codes.
/// - `bf16`: bfloat16 (bias 127, 7 fraction bits): the upper half of binary32, largest ≈ 3.39·10³⁸,
///   subnormals down to 2⁻¹³³; 2 infinities and 254 NaN codes.
///
/// NaN and infinite codes are never quantization levels (``isLevel(_:)``).
public enum NumberFormat: Sendable, Hashable, CustomStringConvertible {
    /// Two's complement integer of the given width (2…16 bits).
    case int(bits: Int)
    /// Unsigned integer of the given width (1…16 bits).
    case uint(bits: Int)
    /// OCP FP8 E4M3 ("float8_e4m3fn"): no infinities, NaN only at S.1111.111.
    case e4m3
    /// OCP FP8 E5M2: IEEE-style infinities and NaNs.
    case e5m2
    /// OCP FP4 E2M1.
    case e2m1
    /// IEEE 754 binary16 (FP16, half precision).
    case fp16
    /// bfloat16 (BF16).
    case bf16

    /// The names ``parse(_:)`` accepts, for help texts and errors.
    public static let acceptedNames = "intN (int8, int4, …), uintN, e4m3, e5m2, e2m1, fp16, bf16"

    /// Parses a format name: `int8`, `int4`, `uint8`, `e4m3` (also `fp8-e4m3`, `float8_e4m3fn`),
    /// `e5m2` (`fp8-e5m2`, `float8_e5m2`), `e2m1` (`fp4`, `fp4-e2m1`), `fp16` (`float16`, `half`,
    /// `binary16`), `bf16` (`bfloat16`). Case-insensitive.
    /// Returns nil for anything else.
    public static func parse(_ text: String) -> NumberFormat? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "e4m3", "fp8-e4m3", "fp8_e4m3", "e4m3fn", "float8_e4m3fn", "float8_e4m3": return .e4m3
        case "e5m2", "fp8-e5m2", "fp8_e5m2", "float8_e5m2": return .e5m2
        case "e2m1", "fp4", "fp4-e2m1", "fp4_e2m1", "float4_e2m1", "float4_e2m1fn": return .e2m1
        case "fp16", "f16", "float16", "half", "binary16": return .fp16
        case "bf16", "bfloat16": return .bf16
        default: break
        }
        if t.hasPrefix("uint"), let n = Int(t.dropFirst(4)), (1...16).contains(n) { return .uint(bits: n) }
        if t.hasPrefix("int"), let n = Int(t.dropFirst(3)), (2...16).contains(n) { return .int(bits: n) }
        return nil
    }

    /// Bits on the bus.
    public var bits: Int {
        switch self {
        case .int(let n), .uint(let n): return n
        case .e4m3, .e5m2: return 8
        case .e2m1: return 4
        case .fp16, .bf16: return 16
        }
    }

    /// Number of codes, `2^bits`.
    public var codeCount: Int { 1 << bits }

    /// The canonical name (`int8`, `uint4`, `e4m3`, `e5m2`, `e2m1`, `fp16`, `bf16`).
    public var description: String {
        switch self {
        case .int(let n): return "int\(n)"
        case .uint(let n): return "uint\(n)"
        case .e4m3: return "e4m3"
        case .e5m2: return "e5m2"
        case .e2m1: return "e2m1"
        case .fp16: return "fp16"
        case .bf16: return "bf16"
        }
    }

    /// True for the integer formats (`int N`, `uint N`).
    public var isInteger: Bool {
        switch self {
        case .int, .uint: return true
        default: return false
        }
    }

    /// The real value of a code (the unsigned integer of the bus bits). NaN codes give `.nan`,
    /// infinite codes `±.infinity`. Codes outside `0 ..< 2^bits` give nil.
    public func value(ofCode code: Int) -> Double? {
        guard code >= 0, code < codeCount else { return nil }
        switch self {
        case .int(let n):
            return Double(code >= (1 << (n - 1)) ? code - (1 << n) : code)
        case .uint:
            return Double(code)
        case .e4m3:
            return Self.minifloat(code, exponentBits: 4, mantissaBits: 3, bias: 7, ieeeSpecials: false, nanAllOnesOnly: true)
        case .e5m2:
            return Self.minifloat(code, exponentBits: 5, mantissaBits: 2, bias: 15, ieeeSpecials: true, nanAllOnesOnly: false)
        case .e2m1:
            return Self.minifloat(code, exponentBits: 2, mantissaBits: 1, bias: 1, ieeeSpecials: false, nanAllOnesOnly: false)
        case .fp16:
            return IEEEFloatFormat.binary16.value(ofCode: code)
        case .bf16:
            return IEEEFloatFormat.bfloat16.value(ofCode: code)
        }
    }

    /// Whether a code can be a quantization level: inside the code space and finite (not NaN, not ±∞).
    public func isLevel(_ code: Int) -> Bool {
        guard let v = value(ofCode: code) else { return false }
        return v.isFinite
    }

    /// The code of an integer value in an integer format (`int8`: −1 → 255), nil if out of range or
    /// the format is not an integer one.
    public func code(ofInteger v: Int) -> Int? {
        switch self {
        case .int(let n):
            guard v >= -(1 << (n - 1)), v < (1 << (n - 1)) else { return nil }
            return v < 0 ? v + (1 << n) : v
        case .uint(let n):
            guard v >= 0, v < (1 << n) else { return nil }
            return v
        default:
            return nil
        }
    }

    /// Decodes a sign/exponent/mantissa minifloat.
    /// - `ieeeSpecials`: exponent all ones is ∞ (mantissa 0) or NaN (E5M2).
    /// - `nanAllOnesOnly`: only exponent and mantissa all ones is NaN; no infinities (E4M3).
    private static func minifloat(_ code: Int, exponentBits: Int, mantissaBits: Int, bias: Int,
                                  ieeeSpecials: Bool, nanAllOnesOnly: Bool) -> Double {
        let sign: Double = (code >> (exponentBits + mantissaBits)) & 1 == 1 ? -1 : 1
        let e = (code >> mantissaBits) & ((1 << exponentBits) - 1)
        let m = code & ((1 << mantissaBits) - 1)
        let eMax = (1 << exponentBits) - 1
        let mMax = (1 << mantissaBits) - 1
        if ieeeSpecials && e == eMax { return m == 0 ? sign * .infinity : .nan }
        if nanAllOnesOnly && e == eMax && m == mMax { return .nan }
        let fraction = Double(m) / Double(1 << mantissaBits)
        if e == 0 { return sign * fraction * pow(2, Double(1 - bias)) }
        return sign * (1 + fraction) * pow(2, Double(e - bias))
    }
}
