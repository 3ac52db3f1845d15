import Foundation
import HaloCore

/// Calibration statistics as a framework produces them, read as per-weight importance.
///
/// **The file.** A `.safetensors` file whose tensors are named after the weight tensors they describe:
/// - `NAME.act_sq` — F32, shape `[in_features]` (the `cols` of NAME's matrix view `[shape[0], rest]`):
///   the mean of x² of each input feature of the layer over the calibration data (AWQ-style). The
///   importance of weight (r, c) is `act_sq[c]`: the expected squared output error that weight's
///   rounding causes, per unit of squared rounding error.
/// - `NAME.fisher` — F32, the shape of NAME: the diagonal of the Fisher information (the sum of the
///   squared gradients of the loss with respect to each weight).
///
/// Any subset of the quantized tensors may have statistics; when a tensor has both, `fisher` is used
/// (it is per weight, the finer of the two). Statistics of a tensor that is in the model but not
/// quantized are ignored (``ignored``).
///
/// **Normalisation.** Each tensor's importance is scaled so that its mean over the tensor's weights is 1
/// (`act_sq[c] / mean(act_sq)`, `fisher / mean(fisher)`); a tensor without statistics has importance 1
/// for every weight. The statistics thus redistribute weight *within* a tensor and never between
/// tensors: every tensor counts, in total, as many units as it has weights, exactly as in an unweighted
/// run, so tensors with and without statistics mix, and a layer whose activations happen to be large
/// (after a GELU rather than a LayerNorm) does not decide the shared grid alone.
///
/// **Checks** (each a one-line error naming the file): a tensor whose name does not end in `.act_sq` or
/// `.fisher`, or whose NAME is no tensor of the model; a dtype other than F32; `act_sq` not a vector of
/// `in_features` values, `fisher` not of the weight's shape; a negative or non-finite value; a tensor
/// with no positive value (there is nothing to normalise by).
public struct CalibrationStatistics: Sendable {
    /// What a statistics tensor holds.
    public enum Kind: String, Sendable {
        /// Mean squared input activation per input feature.
        case actSq = "act_sq"
        /// Per-weight diagonal Fisher information.
        case fisher
    }

    /// The statistics of one weight tensor.
    public struct Entry: Sendable {
        /// The statistics tensor's header entry.
        public var info: SafeTensorsFile.TensorInfo
        /// Its kind.
        public var kind: Kind
        /// The normalising factor: 1 / the mean of the statistics over the weights.
        public var factor: Float
    }

    /// The file's path.
    public let path: String
    /// The statistics, by weight tensor name.
    public let entries: [String: Entry]
    /// Statistics tensors of model tensors that are not quantized (not used).
    public let ignored: [String]
    private let file: SafeTensorsFile

    /// Whether `file` is a statistics file: some tensor is named `….act_sq` or `….fisher`.
    public static func isStatisticsFile(_ file: SafeTensorsFile) -> Bool {
        file.tensors.contains { kind(of: $0.name) != nil }
    }

    /// The kind and weight name of a statistics tensor's name, or nil.
    static func kind(of name: String) -> (Kind, String)? {
        for kind in [Kind.actSq, .fisher] where name.hasSuffix("." + kind.rawValue) {
            return (kind, String(name.dropLast(kind.rawValue.count + 1)))
        }
        return nil
    }

    /// Opens and checks the statistics file at `path` against the quantized tensors `quantized` (name →
    /// shape as stored). `known` are the model's other tensor names: statistics of those are ignored;
    /// any other name is an error. Reads every statistics tensor once (to check and normalise it).
    public init(path: String, quantized: [String: [Int]], known: Set<String> = []) throws {
        try self.init(file: SafeTensorsFile(path: path), quantized: quantized, known: known)
    }

    /// The same, for an opened file.
    public init(file: SafeTensorsFile, quantized: [String: [Int]], known: Set<String> = []) throws {
        let path = file.path
        var entries: [String: Entry] = [:]
        var ignored: [String] = []
        for info in file.tensors {
            guard let (kind, name) = Self.kind(of: info.name) else {
                throw HaloError("tensor '\(info.name)': not calibration statistics (expected NAME.act_sq or NAME.fisher, NAME a weight tensor of the model)", file: path)
            }
            guard let shape = quantized[name] else {
                if known.contains(name) { ignored.append(info.name); continue }
                throw HaloError("tensor '\(info.name)': the model has no tensor '\(name)'", file: path)
            }
            guard info.dtype == "F32" else {
                throw HaloError("tensor '\(info.name)' has dtype \(info.dtype); calibration statistics are F32", file: path)
            }
            let cols = Self.columns(of: shape)
            switch kind {
            case .actSq:
                guard info.shape == [cols] else {
                    throw HaloError("tensor '\(info.name)' has shape \(info.shape); expected [\(cols)] (the in_features of '\(name)', shape \(shape))", file: path)
                }
            case .fisher:
                guard info.shape == shape else {
                    throw HaloError("tensor '\(info.name)' has shape \(info.shape); expected \(shape), the shape of '\(name)'", file: path)
                }
            }
            let sum = try Self.checkedSum(file, info)
            file.releasePages(of: info)
            guard sum > 0 else {
                throw HaloError("tensor '\(info.name)' has no positive value (its importance cannot be normalised to mean 1)", file: path)
            }
            let entry = Entry(info: info, kind: kind, factor: Float(Double(info.count) / sum))
            if let old = entries[name], old.kind == .fisher { continue } // fisher wins over act_sq
            entries[name] = entry
        }
        self.path = path
        self.file = file
        self.entries = entries
        self.ignored = ignored
    }

    /// The `cols` of the matrix view `[shape[0], rest]` (`[1, n]` for rank 0 and 1).
    static func columns(of shape: [Int]) -> Int {
        let n = shape.reduce(1, *)
        return shape.count >= 2 ? (shape[0] == 0 ? 0 : n / shape[0]) : n
    }

    /// Σ of a tensor's values, each checked finite and non-negative.
    private static func checkedSum(_ file: SafeTensorsFile, _ info: SafeTensorsFile.TensorInfo) throws -> Double {
        var sum = 0.0
        var bad: (Int, Float)?
        file.withBytes(of: info) { raw in
            for i in 0 ..< info.count {
                let v = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                if !v.isFinite || v < 0 { bad = (i, v); return }
                sum += Double(v)
            }
        }
        if let (i, v) = bad {
            let where_ = WeightTensor.index(ofFlat: i, in: info.shape)
            throw HaloError("tensor '\(info.name)': element \(where_) is \(v.isNaN ? "NaN" : String(describing: v)) (statistics must be finite and non-negative)", file: file.path)
        }
        return sum
    }

    /// The normalised importance of weight tensor `name` (shape `shape` as stored), for its rows `rows`
    /// of the matrix view (all rows when nil): `[cols]` values broadcast over the rows from `act_sq`, or
    /// `[rows.count, cols]` from `fisher`; `[cols]` ones when the tensor has no statistics.
    public func importance(for name: String, shape: [Int], rows: [Int]? = nil) throws -> WeightTensor {
        let cols = Self.columns(of: shape)
        guard let entry = entries[name] else {
            return WeightTensor(name: name, shape: [cols], values: [Float](repeating: 1, count: cols))
        }
        var tensor: WeightTensor
        if entry.kind == .fisher, let rows {
            tensor = try file.read(entry.info, rows: rows)
        } else {
            tensor = try file.read(entry.info)
        }
        file.releasePages(of: entry.info)
        for i in tensor.values.indices { tensor.values[i] *= entry.factor }
        return tensor
    }
}
