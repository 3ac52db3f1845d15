import Foundation
import HaloCore

/// Which tensors of a model are quantized onto the MAC's grid, and which are kept as they are.
///
/// **Default: the weights a MAC array multiplies** — every 2-D `*.weight` of a linear or projection
/// layer, in F32, F16 or BF16. Kept in full precision: embeddings (a name part containing `embed`,
/// or `wte`/`wpe`: table look-ups, not products), normalization gains (a part containing `norm`, or
/// `ln`/`ln_*`), biases and every other 1-D tensor (added, not multiplied), and `lm_head` (kept in
/// full precision, as GPTQ and AWQ do). A name part is a dot-separated component, compared without case.
///
/// **`include` (`--tensor`)** replaces the default: a tensor is quantized when an exact name or a glob
/// names it. A glob that matches a tensor of rank < 2 skips it with a warning (a glob like
/// `encoder.*.weight` also matches LayerNorm gains); naming it exactly quantizes it anyway.
/// **`skip` (`--skip`)** globs or names are kept whatever else matches them.
public struct TensorSelection: Sendable, Equatable {
    /// Exact names or globs of the tensors to quantize (empty: the default rule).
    public var include: [String]
    /// Exact names or globs of tensors to keep.
    public var skip: [String]

    /// A selection; with no `include` the default rule applies.
    public init(include: [String] = [], skip: [String] = []) {
        self.include = include
        self.skip = skip
    }

    /// What happens to one tensor.
    public enum Decision: Sendable, Equatable {
        /// Quantized onto the grid.
        case quantize
        /// Copied unchanged, for the reason given (`embedding`, `1-D`, …).
        case keep(reason: String)
    }

    /// The decision for a tensor, and a warning when a glob matched a tensor it should not quantize.
    public func decide(name: String, shape: [Int], dtype: String) -> (decision: Decision, warning: String?) {
        if skip.contains(where: { NamePattern.matches(name, pattern: $0) }) { return (.keep(reason: "--skip"), nil) }
        let readable = SafeTensorsFile.readableDTypes.contains(dtype)
        if include.isEmpty {
            if let reason = Self.defaultKeepReason(name: name, shape: shape) { return (.keep(reason: reason), nil) }
            guard readable else { return (.keep(reason: "dtype \(dtype)"), nil) }
            return (.quantize, nil)
        }
        let exact = include.contains(name)
        guard exact || include.contains(where: { NamePattern.matches(name, pattern: $0) }) else {
            return (.keep(reason: "not named by --tensor"), nil)
        }
        if !exact && shape.count < 2 {
            return (.keep(reason: "\(shape.count)-D"),
                    "tensor '\(name)' (\(shape.count)-D, shape \(shape)) matches a --tensor glob but is not a matrix a MAC multiplies; kept (name it exactly to quantize it)")
        }
        guard readable else { return (.keep(reason: "dtype \(dtype)"), "tensor '\(name)' has dtype \(dtype) (Halo quantizes F32, F16 and BF16); kept") }
        return (.quantize, nil)
    }

    /// Why the default rule keeps a tensor, or nil when it is a MAC weight.
    public static func defaultKeepReason(name: String, shape: [Int]) -> String? {
        let parts = name.lowercased().split(separator: ".").map(String.init)
        if parts.contains(where: { $0.contains("embed") || $0 == "wte" || $0 == "wpe" }) { return "embedding" }
        if parts.contains("lm_head") { return "lm_head (kept in full precision)" }
        if parts.contains(where: { $0.contains("norm") || $0 == "ln" || $0.hasPrefix("ln_") }) { return "normalization" }
        if shape.count != 2 { return shape.count < 2 ? "\(shape.count)-D (bias or gain)" : "\(shape.count)-D" }
        if parts.last != "weight" { return "not a .weight" }
        return nil
    }
}
