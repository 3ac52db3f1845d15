import Foundation
import HaloCore

/// Which tensors of a ``ModelFolder`` are quantized and which are kept, decided by a
/// ``TensorSelection`` before anything is read.
public struct ModelQuantizationPlan: Sendable {
    /// One tensor of the folder and what happens to it.
    public struct Item: Sendable, Equatable {
        /// Where the tensor is.
        public var location: ModelFolder.TensorLocation
        /// Quantized, or kept and why.
        public var decision: TensorSelection.Decision
        /// The tensor's name.
        public var name: String { location.info.name }
    }

    /// Every tensor of the folder, in the order a writer visits them (shard by shard, data order).
    public let items: [Item]
    /// Warnings of the selection (a glob that matched a 1-D tensor, a dtype Halo does not quantize).
    public let warnings: [String]

    /// The tensors to quantize.
    public var quantized: [ModelFolder.TensorLocation] {
        items.compactMap { $0.decision == .quantize ? $0.location : nil }
    }

    /// How many weights are quantized.
    public var quantizedWeightCount: Int { quantized.reduce(0) { $0 + $1.info.count } }

    /// Decides every tensor of `folder`. A name given exactly in `selection.include` that is not in the
    /// folder is an error (a typo would otherwise quantize nothing); so is a plan that quantizes nothing.
    public init(folder: ModelFolder, selection: TensorSelection) throws {
        var items: [Item] = []
        var warnings: [String] = []
        for location in folder.tensors {
            let (decision, warning) = selection.decide(name: location.info.name, shape: location.info.shape, dtype: location.info.dtype)
            items.append(Item(location: location, decision: decision))
            if let warning { warnings.append(warning) }
        }
        let names = Set(folder.tensors.map(\.info.name))
        for name in selection.include where !NamePattern.isGlob(name) && !names.contains(name) {
            throw HaloError("--tensor '\(name)': no tensor of that name in the model", file: folder.path)
        }
        guard items.contains(where: { $0.decision == .quantize }) else {
            let hint = selection.include.isEmpty
                ? "no 2-D linear-layer '*.weight' in F32, F16 or BF16 (name tensors with --tensor)"
                : "--tensor matched no quantizable tensor"
            throw HaloError("nothing to quantize: \(hint)", file: folder.path)
        }
        self.items = items
        self.warnings = warnings
    }
}

/// A bounded sample of a model's selected weights, from which a grid is chosen before it is applied to
/// every weight in one streaming pass.
///
/// **Sampling.** When the selected weights number at most `maxWeights`, the sample is all of them.
/// Otherwise whole rows (output channels of the matrix view `[shape[0], rest]`) are taken from every
/// selected tensor in the same proportion `maxWeights / total` (at least one row a tensor), drawn
/// uniformly without replacement (seeded by the tensor's name, so that no periodic structure of the
/// rows can bias it): every layer is represented by its own weight, and a row keeps its channel's
/// scale whole, so the per-channel and per-group normalization of the sample is the full data's. With one scale per tensor (`granularity` `.tensor`) the row holding the tensor's largest
/// magnitude is also taken, so each tensor's scale basis (its absmax) is the full tensor's.
/// The sample is deterministic: the same folder and budget give the same rows.
public enum ModelSampling {
    /// Default sample size in weights (16 Mi: a grid selection of a few seconds).
    public static let defaultMaxWeights = 1 << 24

    /// The rows to take from tensors of matrix shapes `shapes` (all rows when they fit in `maxWeights`),
    /// each tensor's in increasing order; `seeds` (one a tensor, e.g. ``seed(forName:)``) fix the draw.
    public static func rows(for shapes: [(rows: Int, cols: Int)], maxWeights: Int, seeds: [UInt64]? = nil) -> [[Int]] {
        let total = shapes.reduce(0) { $0 + $1.rows * $1.cols }
        if total <= maxWeights { return shapes.map { Array(0 ..< $0.rows) } }
        let fraction = Double(maxWeights) / Double(total)
        return shapes.enumerated().map { t, s in
            let k = min(s.rows, max(1, Int((Double(s.rows) * fraction).rounded(.down))))
            // Floyd's algorithm: k distinct rows, uniformly, in O(k).
            var rng = Xoshiro256(seed: seeds?[t] ?? UInt64(t + 1))
            var chosen = Set<Int>()
            for j in (s.rows - k) ..< s.rows {
                let r = Int(rng.next() % UInt64(j + 1))
                if !chosen.insert(r).inserted { chosen.insert(j) }
            }
            return chosen.sorted()
        }
    }

    /// A tensor's sampling seed: FNV-1a of its name (the same rows in every run and on every machine).
    public static func seed(forName name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// The sample of `plan`'s tensors: each a tensor of the same name holding the chosen rows.
    public static func sample(folder: ModelFolder, plan: ModelQuantizationPlan, maxWeights: Int = defaultMaxWeights,
                              granularity: Granularity) throws -> [WeightTensor] {
        try sample(folder: folder, plan: plan, maxWeights: maxWeights, granularity: granularity, statistics: nil).weights
    }

    /// The sample and, with `statistics`, the importance of the same rows (``CalibrationStatistics/importance(for:shape:rows:)``).
    public static func sample(folder: ModelFolder, plan: ModelQuantizationPlan, maxWeights: Int = defaultMaxWeights,
                              granularity: Granularity, statistics: CalibrationStatistics?) throws -> (weights: [WeightTensor], importance: [WeightTensor]?) {
        var importance: [WeightTensor]? = statistics == nil ? nil : []
        let selected = plan.quantized
        let shapes = selected.map { matrixShape($0.info) }
        let chosen = rows(for: shapes, maxWeights: maxWeights, seeds: selected.map { seed(forName: $0.info.name) })
        var out: [WeightTensor] = []
        for (location, var rows) in zip(selected, chosen) {
            let file = folder.shards[location.shard].file
            if rows.count < matrixShape(location.info).rows && granularity == .tensor {
                let peak = try largestMagnitudeRow(file, location.info)
                if !rows.contains(peak) { rows.append(peak); rows.sort() }
            }
            out.append(try file.read(location.info, rows: rows).checked(file: file.path))
            file.releasePages(of: location.info)
            if let statistics { importance?.append(try statistics.importance(for: location.info.name, shape: location.info.shape, rows: rows)) }
        }
        return (out, importance)
    }

    /// `[shape[0], rest]` (a 1-D tensor is one row).
    static func matrixShape(_ info: SafeTensorsFile.TensorInfo) -> (rows: Int, cols: Int) {
        guard info.shape.count >= 2, info.shape[0] > 0 else { return (1, info.count) }
        return (info.shape[0], info.count / info.shape[0])
    }

    private static func largestMagnitudeRow(_ file: SafeTensorsFile, _ info: SafeTensorsFile.TensorInfo) throws -> Int {
        let (rows, cols) = matrixShape(info)
        var best = 0, bestValue: Float = -1
        var buffer = [Float](repeating: 0, count: cols)
        file.withBytes(of: info) { raw in
            buffer.withUnsafeMutableBufferPointer { b in
                for r in 0 ..< rows {
                    SafeTensorsFile.decode(raw, dtype: info.dtype, from: r * cols, count: cols, into: b.baseAddress!)
                    for v in b where abs(v) > bestValue { bestValue = abs(v); best = r }
                }
            }
        }
        return best
    }
}

/// Writes a quantized copy of a model folder that loads exactly as the original (`from_pretrained(out)`).
///
/// **The output folder.** The same shard file names, and in each shard the same tensor names, dtypes
/// and shapes in the same order; every tensor that is not quantized is copied byte for byte; a quantized
/// one holds `value(code) × scale` (the F32 product of the level and the block's F32 scale) rounded to the
/// tensor's own dtype (round to nearest even: BF16 stays BF16). Every other file of the folder (the
/// index, config, tokenizer, `modules.json`, pooling folders …) is copied unchanged. Beside them, where
/// a loader of the original model never looks: for each shard with quantized tensors a file
/// `halo-codes-…safetensors` (`model-00001-of-00003.safetensors` → `halo-codes-00001-of-00003.safetensors`,
/// `model.safetensors` → `halo-codes.safetensors`) holding `NAME.codes` (U8, or U16 for formats wider than
/// 8 bits; the bus codes, same shape) and `NAME.scale` (F32 `[rowBlocks, colBlocks]`, as `halo quantize`
/// writes them), and a manifest `halo.json` (Halo version, table, format, granularity, the grid, the
/// quantized and kept tensors, the codes files).
///
/// **Streaming.** The input is memory-mapped; tensors are quantized one at a time (the scales fitted to
/// each block for the given grid, every weight to its nearest level) and written as they are done, and
/// each tensor's mapped pages are released when it is written, so memory holds one tensor (about 30
/// bytes a weight while it is quantized) whatever the model's size.
///
/// **All or nothing.** Everything is written into a temporary folder beside the output
/// (`.NAME.halo-tmp-PID`), which is renamed to the output only when complete; on an error it is removed.
/// An existing output is refused unless `replace` is set (then it is replaced only after the new folder
/// is complete).
public struct ModelWriter {
    /// What the writer reports as it goes.
    public struct Progress: Sendable {
        /// Tensors quantized or copied so far, and in all.
        public var tensorsDone: Int, tensorCount: Int
        /// Weights quantized so far, and in all.
        public var quantizedWeightsDone: Int, quantizedWeightCount: Int
    }

    /// One quantized tensor's outcome.
    public struct TensorResult: Sendable {
        /// Name.
        public var name: String
        /// Shape.
        public var shape: [Int]
        /// Its error at the fitted scales.
        public var quality: Quality
        /// With a sensitive split: its blocks on the sensitive grid (indices into the scale array, row-major).
        public var sensitiveBlocks: [Int] = []
        /// With a sensitive split: its weights on the sensitive grid.
        public var sensitiveWeights = 0
    }

    /// What was written.
    public struct Result: Sendable {
        /// The quantized tensors, in write order.
        public var tensors: [TensorResult]
        /// The error over all quantized weights.
        public var quality: Quality
        /// Tensors copied unchanged and why.
        public var kept: [(name: String, reason: String)]
        /// Files of the output folder, relative, sorted.
        public var files: [String]
    }

    /// The folder read.
    public var folder: ModelFolder
    /// What is quantized.
    public var plan: ModelQuantizationPlan
    /// The levels every quantized weight goes to (the selected grid), any order.
    public var grid: [CodeLevel]
    /// The table's code space (format and levels).
    public var space: CodeSpace
    /// One scale per tensor, output channel or group.
    public var granularity: Granularity
    /// Extra manifest fields (e.g. `table`: the delay table's path), written as strings.
    public var manifestFields: [(String, String)] = []
    /// Worker threads for each tensor's scale fit and quantization (0: all cores).
    public var threads = 0
    /// Calibration statistics: each tensor's scales fit its importance-weighted error (nil: unweighted).
    public var statistics: CalibrationStatistics?
    /// A sensitive split carried from the sample (``SensitiveSplit/threshold``): each tensor's blocks of at
    /// least this gain density go to the sensitive grid; `NAME.grid` (U8 `[rowBlocks, colBlocks]`, 0 fast,
    /// 1 sensitive) joins its codes. Nil: every block on `grid`.
    public var sensitiveThreshold: Double?

    /// A writer.
    public init(folder: ModelFolder, plan: ModelQuantizationPlan, grid: [CodeLevel], space: CodeSpace, granularity: Granularity) {
        self.folder = folder
        self.plan = plan
        self.grid = grid
        self.space = space
        self.granularity = granularity
    }

    /// The codes file of a shard.
    public static func codesFileName(forShard name: String) -> String {
        let base = (name as NSString).lastPathComponent
        let dir = (name as NSString).deletingLastPathComponent
        let renamed: String
        if base == "model.safetensors" {
            renamed = "halo-codes.safetensors"
        } else if base.hasPrefix("model-") {
            renamed = "halo-codes-" + base.dropFirst("model-".count)
        } else {
            renamed = "halo-codes-" + base
        }
        return dir.isEmpty ? renamed : (dir as NSString).appendingPathComponent(renamed)
    }

    /// One of N jobs of a quantization split over machines (`--shard I/N`, numbered from 0 as
    /// `halo characterize --shard` and batch array jobs are): job `index` writes the `index`-th of `count`
    /// contiguous groups of the model's shard files (and their codes files); job 0 also copies every other
    /// file; every job writes the same `halo.json`.
    public struct Part: Sendable, Equatable, CustomStringConvertible {
        /// Job number, from 0.
        public var index: Int
        /// Number of jobs.
        public var count: Int

        /// A part; `0 ≤ index < count`.
        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        /// `I/N`.
        public var description: String { "\(index)/\(count)" }

        /// Checks that the part is one of at most as many parts as `folder` has shard files.
        public func check(against folder: ModelFolder) throws {
            guard count >= 1, (0 ..< count).contains(index) else {
                throw HaloError("--shard \(self): expected I/N with 0 ≤ I < N")
            }
            let n = folder.shards.count
            guard count <= n else {
                throw HaloError("--shard \(self): the model has \(n) shard file\(n == 1 ? "" : "s"), so at most \(n) parts", file: folder.path)
            }
        }

        /// The shards (indices) of this part among `shardCount`: contiguous, sizes differing by at most one.
        public func shards(of shardCount: Int) -> Range<Int> {
            index * shardCount / count ..< (index + 1) * shardCount / count
        }
    }

    /// Writes the quantized folder at `output`: the whole folder, renamed into place when complete; or,
    /// with `part`, that part's files into `output` (created if needed; other parts write theirs), each
    /// file renamed into place when complete. Without `replace` an existing output (for a part: a file
    /// the part would write) is refused.
    ///
    /// Parts need no merge step: when every part has run, the folder is the one a single run writes,
    /// byte for byte (the grid is given, and each tensor's scales depend on that tensor alone). Until
    /// then shard files named by the index are missing, which every loader (and ``ModelFolder``) refuses.
    public func write(to output: String, replace: Bool = false, part: Part? = nil, progress: ((Progress) -> Void)? = nil) throws -> Result {
        let fm = FileManager.default
        let outURL = URL(fileURLWithPath: output).standardizedFileURL
        if outURL.resolvingSymlinksInPath().path == URL(fileURLWithPath: folder.path).standardizedFileURL.resolvingSymlinksInPath().path {
            throw HaloError("is the input model folder; give another output folder", file: output)
        }
        let parent = outURL.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HaloError("cannot write: no such directory '\(parent.path)'", file: output)
        }
        guard fm.isWritableFile(atPath: parent.path) else {
            throw HaloError("cannot write: the directory '\(parent.path)' is not writable", file: output)
        }
        if let part {
            try part.check(against: folder)
            if fm.fileExists(atPath: outURL.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw HaloError("exists and is not a folder", file: output) }
            } else {
                do { try fm.createDirectory(at: outURL, withIntermediateDirectories: false) } catch {
                    if !fm.fileExists(atPath: outURL.path) { throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: output) }
                }
            }
            let sink = FileSink(directory: outURL, renameEachFile: true, replace: replace, output: output)
            do {
                return try writeContents(into: sink, shards: part.shards(of: folder.shards.count), copyOtherFiles: part.index == 0, progress: progress)
            } catch {
                sink.removeTemporaries()
                throw error
            }
        }
        if fm.fileExists(atPath: outURL.path) && !replace {
            throw HaloError("already exists (give another output folder, or --force to replace it)", file: output)
        }
        let temporary = parent.appendingPathComponent(".\(outURL.lastPathComponent).halo-tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: temporary)
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: output)
        }
        do {
            let sink = FileSink(directory: temporary, renameEachFile: false, replace: true, output: output)
            let result = try writeContents(into: sink, shards: 0 ..< folder.shards.count, copyOtherFiles: true, progress: progress)
            try commit(temporary, to: outURL, replace: replace, output: output)
            return result
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
    }

    /// Where a run's files go: straight into a temporary folder (a whole run, renamed as a whole), or
    /// each into its place under a temporary name, renamed when complete (a part).
    final class FileSink {
        let directory: URL
        let renameEachFile: Bool
        let replace: Bool
        let output: String
        private var pending: [URL] = []

        init(directory: URL, renameEachFile: Bool, replace: Bool, output: String) {
            self.directory = directory
            self.renameEachFile = renameEachFile
            self.replace = replace
            self.output = output
        }

        private func temporary(_ final: URL) -> URL {
            final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).halo-tmp-\(ProcessInfo.processInfo.processIdentifier)")
        }

        /// The path to write `relative` to (its folder created).
        func path(for relative: String) throws -> URL {
            let final = directory.appendingPathComponent(relative)
            if renameEachFile && !replace && FileManager.default.fileExists(atPath: final.path) && relative != "halo.json" {
                throw HaloError("'\(relative)' already exists (an earlier run's? --force replaces it)", file: output)
            }
            do { try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
                throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: output)
            }
            guard renameEachFile else { return final }
            let temp = temporary(final)
            try? FileManager.default.removeItem(at: temp)
            pending.append(temp)
            return temp
        }

        /// Puts the file written at `path(for: relative)` in its place.
        func commit(_ relative: String) throws {
            guard renameEachFile else { return }
            let final = directory.appendingPathComponent(relative)
            let temp = temporary(final)
            guard rename(temp.path, final.path) == 0 else {
                throw HaloError("cannot write '\(relative)': \(String(cString: strerror(errno)))", file: output)
            }
            pending.removeAll { $0 == temp }
        }

        /// Removes the temporary files of an interrupted part.
        func removeTemporaries() {
            for p in pending { try? FileManager.default.removeItem(at: p) }
        }
    }

    private func writeContents(into sink: FileSink, shards: Range<Int>, copyOtherFiles: Bool, progress: ((Progress) -> Void)?) throws -> Result {
        let fm = FileManager.default
        var written: [String] = []
        for relative in copyOtherFiles ? folder.otherFiles : [] {
            let source = URL(fileURLWithPath: folder.path).appendingPathComponent(relative).resolvingSymlinksInPath()
            let target = try sink.path(for: relative)
            do { try fm.copyItem(at: source, to: target) } catch {
                throw HaloError("cannot copy '\(relative)': \(SafeTensorsFile.reason(error))", file: folder.path)
            }
            try sink.commit(relative)
            written.append(relative)
        }
        let codesDType = space.format.bits <= 8 ? "U8" : "U16"
        let byShard = Dictionary(grouping: plan.items, by: { $0.location.shard })
        let mine = plan.items.filter { shards.contains($0.location.shard) }
        var state = Progress(tensorsDone: 0, tensorCount: mine.count, quantizedWeightsDone: 0,
                             quantizedWeightCount: mine.reduce(0) { $0 + ($1.decision == .quantize ? $1.location.info.count : 0) })
        var results: [TensorResult] = []
        var total = Quality()
        // Tensors are quantized `workers` at a time, one thread each (a tensor's own steps are short and
        // partly serial: decoding, checking, writing), and written in the shard's order as they are done;
        // a model with fewer tensors than twice the workers is quantized one tensor at a time over every thread.
        let loop = ParallelLoop(threads: threads)
        let order = shards.flatMap { byShard[$0] ?? [] }
        let perTensorThreads = loop.threads > 1 && order.filter({ $0.decision == .quantize }).count >= 2 * loop.threads ? 1 : threads
        var open: (shard: Int, writer: SafeTensorsStreamWriter, codes: SafeTensorsStreamWriter?, codesName: String)?
        func finishShard() throws {
            guard let o = open else { return }
            let shard = folder.shards[o.shard]
            try o.writer.finish()
            try sink.commit(shard.fileName)
            written.append(shard.fileName)
            if let codes = o.codes {
                try codes.finish()
                try sink.commit(o.codesName)
                written.append(o.codesName)
            }
            open = nil
        }
        func openShard(_ s: Int) throws {
            let shard = folder.shards[s]
            let items = byShard[s] ?? []
            let writer = try SafeTensorsStreamWriter(
                path: try sink.path(for: shard.fileName).path,
                entries: items.map { .init(name: $0.name, dtype: $0.location.info.dtype, shape: $0.location.info.shape) },
                metadata: shard.file.metadata)
            let quantizedHere = items.filter { $0.decision == .quantize }
            let codesName = Self.codesFileName(forShard: shard.fileName)
            var codesWriter: SafeTensorsStreamWriter?
            if !quantizedHere.isEmpty {
                var entries: [SafeTensorsStreamWriter.Entry] = []
                for item in quantizedHere {
                    let blocks = blockShape(item.location.info)
                    entries.append(.init(name: item.name + ".codes", dtype: codesDType, shape: item.location.info.shape))
                    entries.append(.init(name: item.name + ".scale", dtype: "F32", shape: [blocks.rowBlocks, blocks.colBlocks]))
                    if sensitiveThreshold != nil {
                        entries.append(.init(name: item.name + ".grid", dtype: "U8", shape: [blocks.rowBlocks, blocks.colBlocks]))
                    }
                }
                codesWriter = try SafeTensorsStreamWriter(path: try sink.path(for: codesName).path, entries: entries,
                                                          metadata: ["format": "halo-codes", "halo_version": HaloVersion.string])
            }
            open = (s, writer, codesWriter, codesName)
        }
        // Shards without tensors first (nothing to wait for).
        for s in shards where (byShard[s] ?? []).isEmpty {
            try openShard(s)
            try finishShard()
        }
        let writer = self
        try loop.orderedPipeline(count: order.count, window: loop.threads + 1, produce: { i -> TensorOutcome? in
            let item = order[i]
            guard item.decision == .quantize else { return nil }
            return try writer.quantize(writer.folder.shards[item.location.shard].file, item.location.info, threads: perTensorThreads)
        }, consume: { i, outcome in
            let item = order[i]
            let info = item.location.info
            let file = folder.shards[item.location.shard].file
            if open?.shard != item.location.shard {
                try finishShard()
                try openShard(item.location.shard)
            }
            guard let o = open else { return }
            if let outcome, let codesWriter = o.codes {
                let q = outcome.tensor
                try q.dequantized.withUnsafeBufferPointer { try o.writer.append(floats: $0) }
                if codesDType == "U8" {
                    let bytes = q.codes.map { UInt8(truncatingIfNeeded: $0) }
                    try bytes.withUnsafeBytes { try codesWriter.append($0) }
                } else {
                    let le = q.codes.map { $0.littleEndian }
                    try le.withUnsafeBytes { try codesWriter.append($0) }
                }
                let le = q.scales.map { $0.bitPattern.littleEndian }
                try le.withUnsafeBytes { try codesWriter.append($0) }
                var result = TensorResult(name: info.name, shape: info.shape, quality: q.quality)
                if let gridMap = outcome.gridMap {
                    try gridMap.withUnsafeBytes { try codesWriter.append($0) }
                    result.sensitiveBlocks = outcome.sensitiveBlocks
                    result.sensitiveWeights = outcome.sensitiveWeights
                }
                results.append(result)
                total.add(q.quality)
                state.quantizedWeightsDone += info.count
            } else {
                try file.withBytes(of: info) { try o.writer.append($0) }
            }
            file.releasePages(of: info)
            state.tensorsDone += 1
            progress?(state)
        })
        try finishShard()
        let kept = mine.compactMap { item -> (name: String, reason: String)? in
            if case .keep(let reason) = item.decision { return (item.name, reason) }
            return nil
        }
        let manifestPath = try sink.path(for: "halo.json")
        guard fm.createFile(atPath: manifestPath.path, contents: Data((manifest().render() + "\n").utf8)) else {
            throw HaloError("cannot write halo.json", file: sink.output)
        }
        try sink.commit("halo.json")
        written.append("halo.json")
        return Result(tensors: results, quality: total, kept: kept, files: written.sorted())
    }

    /// One tensor quantized onto the grid: scales fitted to each block for these levels, every weight to
    /// its nearest level.
    /// One tensor's quantization, ready to be written: the tensor, and with a sensitive split its block
    /// map (`NAME.grid`) and what went to the sensitive grid.
    private struct TensorOutcome: Sendable {
        var tensor: QuantizedTensor
        var gridMap: [UInt8]? = nil
        var sensitiveBlocks: [Int] = []
        var sensitiveWeights = 0
    }

    /// One tensor quantized onto the grid: scales fitted to each block for these levels, every weight to
    /// its nearest level. Without importance or a split, straight from the stored bytes row by row
    /// (``FixedGridQuantizer``, the same answer as the general path); otherwise through a
    /// ``QuantizationProblem``.
    private func quantize(_ file: SafeTensorsFile, _ info: SafeTensorsFile.TensorInfo, threads: Int) throws -> TensorOutcome {
        var options = SelectorOptions()
        options.threads = threads
        if statistics == nil, sensitiveThreshold == nil,
           let rows = FixedGridQuantizer(levels: grid, granularity: granularity, options: options) {
            return TensorOutcome(tensor: try file.withBytes(of: info) { try rows.quantize(info, bytes: $0, file: file.path) })
        }
        let tensor = try file.read(info).checked(file: file.path)
        let importance = try statistics.map { [try $0.importance(for: info.name, shape: info.shape)] }
        let problem = try QuantizationProblem(tensors: [tensor], importance: importance, granularity: granularity, threads: threads)
        let selector = GridSelector(problem: problem, space: space, options: options)
        if let sensitiveThreshold {
            let split = SensitiveSplit.apply(selector: selector, fastGrid: grid, threshold: sensitiveThreshold)
            return TensorOutcome(tensor: selector.quantize(split.assignment)[0], gridMap: split.gridMap(ofTensor: 0, in: problem),
                                 sensitiveBlocks: split.sensitiveBlocks, sensitiveWeights: split.sensitiveWeights)
        }
        return TensorOutcome(tensor: selector.quantize(Assignment(selector.fit(levels: grid)))[0])
    }

    private func blockShape(_ info: SafeTensorsFile.TensorInfo) -> (rowBlocks: Int, colBlocks: Int) {
        let (rows, cols) = ModelSampling.matrixShape(info)
        switch granularity {
        case .tensor: return (1, 1)
        case .channel: return (rows, 1)
        case .group(let g): return (rows, (cols + g - 1) / g)
        }
    }

    /// The manifest: what the plan and the grid say, nothing measured, so that every part of a split
    /// run writes the same one.
    private func manifest() -> JSONValue {
        let sorted = grid.sorted { $0.value < $1.value }
        let codesFiles = folder.shards.indices.filter { s in plan.items.contains { $0.location.shard == s && $0.decision == .quantize } }
            .map { Self.codesFileName(forShard: folder.shards[$0].fileName) }
        var fields: [(String, JSONValue)] = [("halo_version", .string(HaloVersion.string))]
        for (k, v) in manifestFields { fields.append((k, .string(v))) }
        fields += [
            ("format", .string(space.format.description)),
            ("granularity", .string(granularity.description)),
            ("grid", .object([("codes", .array(sorted.map { .int($0.code) })),
                              ("values", .array(sorted.map { .number($0.value) })),
                              ("max_delay_ns", .number(sorted.map(\.delayNs).max() ?? 0))])),
            ("codes_files", .array(codesFiles.map { .string($0) })),
        ]
        if let sensitiveThreshold {
            fields.append(("sensitive", SensitiveSplit.manifestJSON(fast: sorted, space: space, threshold: sensitiveThreshold)))
        }
        fields += [
            ("quantized", .array(plan.items.filter { $0.decision == .quantize }.map { .string($0.name) })),
            ("kept", .array(plan.items.compactMap { item in
                guard case .keep(let reason) = item.decision else { return nil }
                return .object([("name", .string(item.name)), ("reason", .string(reason))])
            })),
        ]
        return .object(fields)
    }

    private func commit(_ temporary: URL, to output: URL, replace: Bool, output path: String) throws {
        let fm = FileManager.default
        var old: URL?
        if fm.fileExists(atPath: output.path) {
            guard replace else { throw HaloError("already exists (give another output folder, or --force to replace it)", file: path) }
            let aside = temporary.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).halo-old-\(ProcessInfo.processInfo.processIdentifier)")
            try? fm.removeItem(at: aside)
            do { try fm.moveItem(at: output, to: aside) } catch {
                throw HaloError("cannot replace: \(SafeTensorsFile.reason(error))", file: path)
            }
            old = aside
        }
        do { try fm.moveItem(at: temporary, to: output) } catch {
            if let old { try? fm.moveItem(at: old, to: output) }
            throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: path)
        }
        if let old { try? fm.removeItem(at: old) }
    }
}
