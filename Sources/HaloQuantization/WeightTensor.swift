import Foundation

/// A named tensor of weights held as one flat row-major (C order) array of `Float`.
///
/// F16 and BF16 inputs widen exactly to `Float`; `f8` (double) `.npy` inputs are rounded to `Float`,
/// and every error Halo reports is measured against these `Float` values.
public struct WeightTensor: Sendable, Equatable {
    /// The tensor's name (the safetensors key, or the file's stem for `.npy` and text files).
    public var name: String
    /// Dimensions, outermost first (`[out_features, in_features]` for a PyTorch `Linear`).
    public var shape: [Int]
    /// Elements in row-major order; `values.count == shape.reduce(1, *)`.
    public var values: [Float]

    /// A tensor; the caller guarantees `values.count` equals the product of `shape`.
    public init(name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// Number of elements.
    public var count: Int { values.count }

    /// The 2-D view Halo quantizes: `[shape[0], product of the rest]` for rank ≥ 2 (rows are output
    /// channels), `[1, n]` for rank 0 and 1.
    public var matrixShape: (rows: Int, cols: Int) {
        if shape.count >= 2 {
            let rows = shape[0]
            return (rows, rows == 0 ? 0 : count / rows)
        }
        return (1, count)
    }
}

/// An error in a binary weight file (safetensors, npy), or in a table or option that has no line and
/// column. Its `description` is the one line the CLI prints: `file: error: message`.
public struct WeightFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file as the user named it.
    public var path: String
    /// What is wrong, naming the offending tensor, field or offset.
    public var message: String

    /// An error about `path`.
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// `file: error: message`.
    public var description: String { "\(path): error: \(oneLine(message))" }
}

/// Shell-style name patterns for tensor selection: `*` matches any run of characters (dots included),
/// `?` one character; everything else matches itself.
public enum NamePattern {
    /// Whether `name` matches `pattern`.
    public static func matches(_ name: String, pattern: String) -> Bool {
        let n = Array(name.utf8), p = Array(pattern.utf8)
        var i = 0, j = 0
        var star = -1, mark = 0
        while i < n.count {
            if j < p.count && (p[j] == UInt8(ascii: "?") || p[j] == n[i]) {
                i += 1; j += 1
            } else if j < p.count && p[j] == UInt8(ascii: "*") {
                star = j; mark = i; j += 1
            } else if star >= 0 {
                j = star + 1; mark += 1; i = mark
            } else {
                return false
            }
        }
        while j < p.count && p[j] == UInt8(ascii: "*") { j += 1 }
        return j == p.count
    }

    /// Whether the pattern has wildcards.
    public static func isGlob(_ pattern: String) -> Bool { pattern.contains("*") || pattern.contains("?") }
}
