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

extension WeightTensor {
    /// The most elements a tensor may have to be quantized (flat indices are 32-bit).
    public static let maxElements = Int(Int32.max) - 1

    /// Checks a tensor read from `path` for quantization: not empty, at most ``maxElements`` elements,
    /// every value finite. Errors name the file and the tensor (`w.npy: error: tensor 'w': element
    /// [1, 2] is NaN`).
    public func checked(file path: String) throws -> WeightTensor {
        guard count > 0 else { throw HaloError("tensor '\(name)' is empty (shape \(shape))", file: path) }
        guard count <= WeightTensor.maxElements else {
            throw HaloError("tensor '\(name)' has \(count) elements, more than \(WeightTensor.maxElements)", file: path)
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw HaloError("tensor '\(name)': element \(index(ofFlat: i)) is \(values[i].isNaN ? "NaN" : "\(values[i]) (not finite as a 32-bit float)")",
                            file: path)
        }
        return self
    }

    /// The index `[i, j, …]` in `shape` of flat (row-major) element `flat`.
    func index(ofFlat flat: Int) -> String { Self.index(ofFlat: flat, in: shape) }

    /// The index `[i, j, …]` in `shape` of flat (row-major) element `flat`.
    static func index(ofFlat flat: Int, in shape: [Int]) -> String {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() where shape[d] > 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return "[" + index.map(String.init).joined(separator: ", ") + "]"
    }

    /// Element count and byte size of `shape` at `itemSize` bytes an element, refused (naming the shape
    /// and the limit) when either exceeds what an `Int` holds.
    static func checkedSize(_ shape: [Int], itemSize: Int, what: String, file path: String) throws -> (count: Int, bytes: Int) {
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw HaloError("\(what) \(shape): more than \(Int.max) elements", file: path)
            }
            count = p
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow else {
            throw HaloError("\(what) \(shape): \(count) elements × \(itemSize) bytes is more than \(Int.max) bytes", file: path)
        }
        return (count, bytes)
    }
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
