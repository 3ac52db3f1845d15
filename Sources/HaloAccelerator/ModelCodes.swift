import Foundation
import HaloCore
import HaloQuantization

/// The codes of a model folder written by `halo quantize --weights FOLDER -o OUT`: its `halo.json`
/// manifest (format, grid, quantized tensors, codes files) and the `NAME.codes` tensors of its
/// `halo-codes-*.safetensors` files, memory-mapped (nothing is read until a tensor's tiles are asked for).
public struct QuantizedModelCodes: Sendable {
    /// One quantized weight matrix.
    public struct Matrix: Sendable {
        /// The weight tensor's name (`….weight`).
        public var name: String
        /// Output features N (the tensor's first dimension).
        public var n: Int
        /// Input features K (the product of the other dimensions).
        public var k: Int
        /// Which codes file holds it.
        var file: Int
        /// Its `NAME.codes` entry.
        var info: SafeTensorsFile.TensorInfo
    }

    /// The folder.
    public let path: String
    /// The format of the codes.
    public let format: NumberFormat
    /// The grid's codes (from the manifest).
    public let gridCodes: [Int]
    /// The quantized matrices in manifest order.
    public let matrices: [Matrix]
    let files: [SafeTensorsFile]

    /// Opens the folder. Errors are located: the manifest at the offending value, a codes file or
    /// tensor that is missing or of the wrong dtype or shape at its file.
    public init(path: String) throws {
        self.path = path
        let manifestPath = URL(fileURLWithPath: path).appendingPathComponent("halo.json").path
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw HaloError("no halo.json: not a model folder written by 'halo quantize --weights FOLDER -o OUT'", at: SourceLocation(file: path))
        }
        let root = try JSONNode.parse(try InputFile.read(manifestPath), path: manifestPath)
        guard case .object = root.value else { throw HaloError("halo.json must be a JSON object, found \(root.kindName)", at: root.location) }
        guard let f = root["format"] else { throw HaloError("no 'format'", at: root.location) }
        guard let name = f.string, let format = NumberFormat.parse(name) else {
            throw HaloError("'format' must be a number format name, found \(describe(f))", at: f.location)
        }
        self.format = format
        guard let grid = root["grid"], let codes = grid["codes"]?.array, !codes.isEmpty else {
            throw HaloError("no 'grid.codes' array", at: (root["grid"] ?? root).location)
        }
        gridCodes = try codes.map { node in
            guard case .number(let d) = node.value, d == d.rounded(), d >= 0, d < Double(format.codeCount) else {
                throw HaloError("grid code must be an integer from 0 to \(format.codeCount - 1), found \(describe(node))", at: node.location)
            }
            return Int(d)
        }
        func strings(_ key: String) throws -> [(String, SourceLocation)] {
            guard let node = root[key] else { throw HaloError("no '\(key)' array", at: root.location) }
            guard let items = node.array else { throw HaloError("'\(key)' must be an array, found \(node.kindName)", at: node.location) }
            return try items.map { item in
                guard let s = item.string else { throw HaloError("'\(key)' holds strings, found \(describe(item))", at: item.location) }
                return (s, item.location)
            }
        }
        let codesFiles = try strings("codes_files")
        let quantized = try strings("quantized")
        var files: [SafeTensorsFile] = []
        var where_: [String: (Int, SafeTensorsFile.TensorInfo)] = [:]
        for (name, location) in codesFiles {
            let filePath = URL(fileURLWithPath: path).appendingPathComponent(name).path
            guard !name.contains("/"), FileManager.default.fileExists(atPath: filePath) else {
                throw HaloError("codes file '\(name)' is not in the folder", at: location)
            }
            let file = try SafeTensorsFile(path: filePath)
            for t in file.tensors where t.name.hasSuffix(".codes") { where_[String(t.name.dropLast(6))] = (files.count, t) }
            files.append(file)
        }
        let dtype = format.bits <= 8 ? "U8" : "U16"
        matrices = try quantized.map { name, location in
            guard let (file, info) = where_[name] else { throw HaloError("no '\(name).codes' in the codes files", at: location) }
            guard info.dtype == dtype else {
                throw HaloError("'\(name).codes' is \(info.dtype), expected \(dtype) for \(format)", at: SourceLocation(file: files[file].path))
            }
            guard info.shape.count >= 2, info.shape.allSatisfy({ $0 > 0 }) else {
                throw HaloError("'\(name).codes' has shape \(info.shape); a weight matrix has at least 2 dimensions", at: SourceLocation(file: files[file].path))
            }
            return Matrix(name: name, n: info.shape[0], k: info.count / info.shape[0], file: file, info: info)
        }
        self.files = files
    }

    /// Calls `body` with the codes of `matrix` row-major `[n, k]`, as integers.
    func withCodes<R>(_ matrix: Matrix, _ body: ((Int) -> Int) throws -> R) rethrows -> R {
        let file = files[matrix.file]
        defer { file.releasePages(of: matrix.info) }
        return try file.withBytes(of: matrix.info) { raw in
            if matrix.info.dtype == "U8" {
                let p = raw.bindMemory(to: UInt8.self)
                return try body { Int(p[$0]) }
            }
            return try body { Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        }
    }

    /// The code histogram of every `rows`×`cols` tile of `matrix` (index `kTile × nTiles + nTile`), after
    /// permuting its output channels (`outputOrder[i]` = the original row at position i) and its input
    /// features (`inputOrder[j]` = the original column at position j).
    public func tileHistograms(_ matrix: Matrix, rows r: Int, cols c: Int, outputOrder: [Int]? = nil, inputOrder: [Int]? = nil) -> [[Double]] {
        let kt = (matrix.k + r - 1) / r, nt = (matrix.n + c - 1) / c, codes = format.codeCount
        var counts = [UInt32](repeating: 0, count: kt * nt * codes)
        withCodes(matrix) { code in
            for i in 0 ..< matrix.n {
                let src = outputOrder?[i] ?? i, base = src * matrix.k, tn = i / c
                for j in 0 ..< matrix.k {
                    let col = inputOrder?[j] ?? j
                    counts[((j / r) * nt + tn) * codes + code(base + col)] += 1
                }
            }
        }
        return (0 ..< kt * nt).map { t in (0 ..< codes).map { Double(counts[t * codes + $0]) } }
    }

    /// The slowest code of every output channel (row) of `matrix`, by `delayNs` (indexed by code).
    public func rowMaxDelays(_ matrix: Matrix, delayNs: [Double]) -> [Double] {
        withCodes(matrix) { code in
            (0 ..< matrix.n).map { i in
                var m = 0.0
                for j in 0 ..< matrix.k { m = max(m, delayNs[code(i * matrix.k + j)]) }
                return m
            }
        }
    }
}

/// Output-channel permutations: in a weight-stationary array a layer's output-channel order is free
/// when the layer that consumes its outputs takes its input features in the same order.
///
/// Convention (what a loader applies): `permutation[i]` is the original index at new position i. The
/// producers' rows (output channels; and their biases) and the consumer's columns (input features) are
/// all taken in that order: `W1' = W1[perm, :]`, `b1' = b1[perm]`, `W2' = W2[:, perm]`; then
/// `W2'·f(W1'·x + b1') = W2·f(W1·x + b1)` for any elementwise f.
public struct ChannelPermutation: Sendable, Equatable {
    /// Tensors whose output channels are permuted (several when they feed one elementwise product,
    /// as LLaMA's gate and up projections do).
    public var producers: [String]
    /// The tensor whose input features follow.
    public var consumer: String
    /// `permutation[i]` = the original channel at position i.
    public var permutation: [Int]

    /// A permutation.
    public init(producers: [String], consumer: String, permutation: [Int]) {
        self.producers = producers
        self.consumer = consumer
        self.permutation = permutation
    }

    /// The producer/consumer groups Halo knows by name: LLaMA-style `P.mlp.up_proj` and `P.mlp.gate_proj`
    /// feeding `P.mlp.down_proj`; BERT-style `P.intermediate.dense` feeding `P.output.dense`; `P.fc1`
    /// feeding `P.fc2`. Attention projections are left alone (their channels are split into heads).
    public static func groups(names: [String]) -> [(producers: [String], consumer: String)] {
        let set = Set(names)
        var out: [(producers: [String], consumer: String)] = []
        for name in names {
            for (producerSuffix, partners, consumerSuffix) in [(".mlp.up_proj.weight", [".mlp.gate_proj.weight"], ".mlp.down_proj.weight"),
                                                               (".intermediate.dense.weight", [], ".output.dense.weight"),
                                                               (".fc1.weight", [], ".fc2.weight")] where name.hasSuffix(producerSuffix) {
                let prefix = String(name.dropLast(producerSuffix.count))
                let consumer = prefix + consumerSuffix
                guard set.contains(consumer) else { continue }
                out.append(([name] + partners.map { prefix + $0 }.filter(set.contains), consumer))
            }
        }
        return out
    }

    /// Slow channels together: channels sorted by their slowest code's delay, slowest first (ties in
    /// channel order), so that the tiles of fast channels hold no slow code.
    public static func slowestFirst(rowMaxDelayNs: [Double]) -> [Int] {
        rowMaxDelayNs.indices.sorted { (rowMaxDelayNs[$0], -$0) > (rowMaxDelayNs[$1], -$1) }
    }

    /// Rows of a row-major `[rows, cols]` matrix in the order `permutation`.
    public static func permuteRows<T>(_ m: [T], cols: Int, by permutation: [Int]) -> [T] {
        permutation.flatMap { m[($0 * cols) ..< ($0 * cols + cols)] }
    }

    /// Columns of a row-major `[rows, cols]` matrix in the order `permutation`.
    public static func permuteColumns<T>(_ m: [T], cols: Int, by permutation: [Int]) -> [T] {
        stride(from: 0, to: m.count, by: cols).flatMap { base in permutation.map { m[base + $0] } }
    }

    /// The permutations as JSON a loader can apply.
    public static func json(_ permutations: [ChannelPermutation]) -> JSONValue {
        .object([("format", .string("halo-channel-permutations")),
                 ("convention", .string("permutation[i] is the original channel at position i: producers' rows (and biases) W[perm, :], the consumer's columns W[:, perm]")),
                 ("groups", .array(permutations.map { p in
                     .object([("producers", .array(p.producers.map { .string($0) })), ("consumer", .string(p.consumer)),
                              ("permutation", .array(p.permutation.map { .int($0) }))])
                 }))])
    }
}
