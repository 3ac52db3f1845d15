import Foundation
import HaloCore

/// A Hugging Face model folder: its weights in `.safetensors` shards and every other file (config,
/// tokenizer, `modules.json`, pooling folders …), as `from_pretrained` reads it.
///
/// The shards are the files that `model.safetensors.index.json` names in its `weight_map` when the
/// index is present, else every `*.safetensors` file at the top of the folder (in name order). Opening
/// memory-maps and validates every shard header (see ``SafeTensorsFile``) and checks the index against
/// them: every tensor the index names is in the shard it names, and every tensor of a shard is in the
/// index, with that shard. Nothing is read beyond the headers. Errors are one located line: a bad index
/// at its `line:column`, a shard at its file.
public struct ModelFolder: Sendable {
    /// The index file's name, as Hugging Face writes it.
    public static let indexFileName = "model.safetensors.index.json"

    /// One weight file of the folder.
    public struct Shard: Sendable {
        /// The file's name inside the folder (as the index names it).
        public var fileName: String
        /// The file, header validated, memory-mapped.
        public var file: SafeTensorsFile
    }

    /// A tensor and the shard that holds it.
    public struct TensorLocation: Sendable, Equatable {
        /// Index into ``shards``.
        public var shard: Int
        /// The tensor's header entry.
        public var info: SafeTensorsFile.TensorInfo
    }

    /// The folder's path as given.
    public let path: String
    /// Whether the folder has `model.safetensors.index.json`.
    public let hasIndex: Bool
    /// The weight files, in index order of first mention (or name order without an index).
    public let shards: [Shard]
    /// Every tensor: shard by shard, each shard's tensors in data-offset order (the order to write them).
    public let tensors: [TensorLocation]
    /// Every other file, relative to the folder, sorted: copied unchanged into a quantized folder. The
    /// index is one of them (its weight map stays valid: shard and tensor names do not change).
    public let otherFiles: [String]

    /// Whether `path` is a directory (a model folder rather than a weight file).
    public static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Opens and validates the folder at `path`.
    public init(path: String) throws {
        guard Self.isFolder(path) else { throw HaloError("is not a folder", at: SourceLocation(file: path)) }
        self.path = path
        let folder = URL(fileURLWithPath: path)
        let indexPath = folder.appendingPathComponent(Self.indexFileName).path
        hasIndex = FileManager.default.fileExists(atPath: indexPath)
        let all = try Self.files(in: folder)
        var shardNames: [String]
        var expected: [String: (shard: String, location: SourceLocation)] = [:]
        if hasIndex {
            (shardNames, expected) = try Self.readIndex(indexPath)
        } else {
            shardNames = all.filter { !$0.contains("/") && $0.hasSuffix(".safetensors") }
            guard !shardNames.isEmpty else {
                throw HaloError("no .safetensors weight file and no \(Self.indexFileName) in the folder", at: SourceLocation(file: path))
            }
        }
        var shards: [Shard] = []
        var tensors: [TensorLocation] = []
        var holder: [String: String] = [:]
        for name in shardNames {
            let shardPath = folder.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: shardPath) else {
                let place = expected.values.filter { $0.shard == name }.map(\.location)
                    .min { ($0.line, $0.column) < ($1.line, $1.column) } ?? SourceLocation(file: indexPath)
                throw HaloError("shard '\(name)' named by the index is missing from the folder", at: place)
            }
            let file = try SafeTensorsFile(path: shardPath)
            for info in file.tensors {
                if let other = holder[info.name] {
                    throw HaloError("tensor '\(info.name)' is in both '\(other)' and '\(name)'", at: SourceLocation(file: shardPath))
                }
                holder[info.name] = name
                if hasIndex {
                    guard let entry = expected[info.name] else {
                        throw HaloError("tensor '\(info.name)' is not in \(Self.indexFileName) (the shard's header disagrees with the index)", at: SourceLocation(file: shardPath))
                    }
                    guard entry.shard == name else {
                        throw HaloError("tensor '\(info.name)' is in '\(name)', but the index puts it in '\(entry.shard)'", at: entry.location)
                    }
                }
                tensors.append(TensorLocation(shard: shards.count, info: info))
            }
            shards.append(Shard(fileName: name, file: file))
        }
        if hasIndex {
            for (tensor, entry) in expected.sorted(by: { $0.key < $1.key }) where holder[tensor] == nil {
                throw HaloError("tensor '\(tensor)' is not in shard '\(entry.shard)' (the shard's header disagrees with the index)", at: entry.location)
            }
        }
        let shardSet = Set(shardNames)
        self.shards = shards
        self.tensors = tensors
        otherFiles = all.filter { !shardSet.contains($0) }
    }

    /// Every regular file under `folder` (symbolic links followed), relative paths, sorted.
    static func files(in folder: URL) throws -> [String] {
        let base = folder.standardizedFileURL.resolvingSymlinksInPath().path
        guard let walker = FileManager.default.enumerator(atPath: base) else {
            throw HaloError("cannot list the folder", at: SourceLocation(file: folder.path))
        }
        var out: [String] = []
        for case let relative as String in walker {
            let full = (base as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else {
                throw HaloError("'\(relative)' is a broken symbolic link", at: SourceLocation(file: folder.path))
            }
            if !isDirectory.boolValue { out.append(relative) }
        }
        return out.sorted()
    }

    /// The index's shard files (in order of first mention) and, for each tensor, its shard and the place
    /// of its entry.
    static func readIndex(_ indexPath: String) throws -> ([String], [String: (shard: String, location: SourceLocation)]) {
        let root = try JSONNode.parse(try InputFile.read(indexPath), path: indexPath)
        guard case .object = root.value else {
            throw HaloError("the index must be a JSON object, found \(root.kindName)", at: root.location)
        }
        guard let map = root["weight_map"] else {
            throw HaloError("the index has no 'weight_map'", at: root.location)
        }
        guard case .object(let members) = map.value else {
            throw HaloError("'weight_map' must be an object of tensor name to shard file, found \(map.kindName)", at: map.location)
        }
        var order: [String] = []
        var seen = Set<String>()
        var entries: [String: (shard: String, location: SourceLocation)] = [:]
        for (tensor, node) in members {
            guard let file = node.string else {
                throw HaloError("'weight_map' entry '\(tensor)' must be a shard file name, found \(node.kindName)", at: node.location)
            }
            guard !file.isEmpty, !file.hasPrefix("/"), !file.split(separator: "/").contains(".."), file.hasSuffix(".safetensors") else {
                throw HaloError("'weight_map' entry '\(tensor)' names '\(file)': expected a .safetensors file inside the folder", at: node.location)
            }
            guard entries[tensor] == nil else {
                throw HaloError("'weight_map' names tensor '\(tensor)' twice", at: node.location)
            }
            entries[tensor] = (file, node.location)
            if seen.insert(file).inserted { order.append(file) }
        }
        guard !order.isEmpty else { throw HaloError("'weight_map' is empty", at: map.location) }
        return (order, entries)
    }
}
