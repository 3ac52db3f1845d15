import Foundation
import HaloCore
import HaloQuantization

/// One weight matrix of a model as the array multiplies it: `Y[M×N] = X[M×K] · W[K×N]`, the weights
/// held in the array (K along its rows, N along its columns), M activation rows streamed through.
public struct GEMMWeights: Sendable {
    /// Which weight codes the matrix holds.
    public enum Codes: Sendable {
        /// Every tile holds its weights in these proportions (index = code; they sum to 1).
        case shares([Double])
        /// Measured: the code histogram of every tile of an `rows`×`cols` array, index `kTile × nTiles
        /// + nTile` (counts of weights).
        case tiles([[Double]])
    }

    /// Name (the tensor's, or the shapes file's).
    public var name: String
    /// Input features K (the reduction; rows of the array).
    public var k: Int
    /// Output features N (columns of the array).
    public var n: Int
    /// The codes.
    public var codes: Codes

    /// A GEMM.
    public init(name: String, k: Int, n: Int, codes: Codes) {
        self.name = name
        self.k = k
        self.n = n
        self.codes = codes
    }

    /// Weight tiles along K and along N on an array of `rows`×`cols`.
    public func tileCounts(rows: Int, cols: Int) -> (k: Int, n: Int) { ((k + rows - 1) / rows, (n + cols - 1) / cols) }
}

/// What the model is run on: a prompt (prefill) and generated tokens (decode).
public struct Workload: Sendable, Equatable {
    /// Prompt length in tokens (prefill).
    public var prefillTokens = 512
    /// Sequences in a prefill batch.
    public var prefillBatch = 1
    /// Tokens generated (decode steps), each one pass over every weight.
    public var decodeTokens = 128
    /// Sequences in a decode batch.
    public var decodeBatch = 1

    /// Defaults: a 512-token prompt, 128 generated tokens, batch 1.
    public init() {}

    /// A workload.
    public init(prefillTokens: Int, prefillBatch: Int, decodeTokens: Int, decodeBatch: Int) {
        self.prefillTokens = prefillTokens
        self.prefillBatch = prefillBatch
        self.decodeTokens = decodeTokens
        self.decodeBatch = decodeBatch
    }
}

/// GEMM shapes from a JSON file: `{"gemms": [{"name": "q_proj", "k": 2048, "n": 2048, "repeat": 22}, …]}`
/// (`repeat`, default 1, appends that many copies named `NAME#i`). Errors are located at the value.
public enum GEMMShapesFile {
    /// One shape.
    public struct Shape: Sendable, Equatable {
        /// Name.
        public var name: String
        /// Input features.
        public var k: Int
        /// Output features.
        public var n: Int
    }

    /// The shapes in `path`, repeats expanded.
    public static func read(path: String) throws -> [Shape] {
        let root = try JSONNode.parse(try InputFile.read(path), path: path)
        guard case .object = root.value else { throw HaloError("a shapes file is a JSON object with 'gemms': [...], found \(root.kindName)", at: root.location) }
        guard let list = root["gemms"] else { throw HaloError("no 'gemms' array", at: root.location) }
        guard let items = list.array, !items.isEmpty else { throw HaloError("'gemms' must be a non-empty array, found \(list.kindName)", at: list.location) }
        var out: [Shape] = []
        for item in items {
            guard case .object(let members) = item.value else { throw HaloError("a GEMM is an object {\"name\", \"k\", \"n\"}, found \(item.kindName)", at: item.location) }
            for (key, node) in members where !["name", "k", "n", "repeat"].contains(key) {
                throw HaloError("unknown field '\(key)' of a GEMM (expected name, k, n, repeat)", at: node.location)
            }
            guard let nameNode = item["name"] else { throw HaloError("a GEMM needs a 'name'", at: item.location) }
            guard let name = nameNode.string, !name.isEmpty else { throw HaloError("'name' must be a non-empty string, found \(describe(nameNode))", at: nameNode.location) }
            func count(_ key: String, default value: Int? = nil) throws -> Int {
                guard let node = item[key] else {
                    if let value { return value }
                    throw HaloError("GEMM '\(name)' needs '\(key)'", at: item.location)
                }
                guard case .number(let d) = node.value, d == d.rounded(), d >= 1, d <= Double(1 << 24) else {
                    throw HaloError("'\(key)' must be an integer from 1 to \(1 << 24), found \(describe(node))", at: node.location)
                }
                return Int(d)
            }
            let k = try count("k"), n = try count("n"), r = try count("repeat", default: 1)
            if r == 1 { out.append(Shape(name: name, k: k, n: n)) } else {
                for i in 0 ..< r { out.append(Shape(name: "\(name)#\(i)", k: k, n: n)) }
            }
        }
        return out
    }
}
