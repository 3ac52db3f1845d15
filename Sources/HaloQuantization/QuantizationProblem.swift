import Foundation

/// How many weights share one scale.
///
/// Every tensor is seen as a matrix `[rows, cols]` (``WeightTensor/matrixShape``): rows are output
/// channels (dim 0, as in a PyTorch `Linear` weight `[out_features, in_features]`).
/// - `tensor`: one scale per tensor (per tile under a DVFS plan);
/// - `channel`: one scale per row (per row and tile column under a DVFS plan);
/// - `group(G)`: one scale per run of `G` consecutive elements of a row (the last run of a row may
///   be shorter).
public enum Granularity: Sendable, Equatable, CustomStringConvertible {
    /// One scale per tensor.
    case tensor
    /// One scale per output channel (row).
    case channel
    /// One scale per group of `G` consecutive elements within a row.
    case group(Int)

    /// Parses `tensor`, `channel` or `group:G` (also `group=G`, `groupG`). Nil otherwise.
    public static func parse(_ text: String) -> Granularity? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "tensor" || t == "per-tensor" { return .tensor }
        if t == "channel" || t == "per-channel" || t == "row" { return .channel }
        if t.hasPrefix("group") {
            var rest = t.dropFirst(5)
            if rest.first == ":" || rest.first == "=" { rest = rest.dropFirst() }
            if let g = Int(rest), g >= 1 { return .group(g) }
        }
        return nil
    }

    /// `tensor`, `channel` or `group:G`.
    public var description: String {
        switch self {
        case .tensor: return "tensor"
        case .channel: return "channel"
        case .group(let g): return "group:\(g)"
        }
    }
}

/// The tile of a DVFS plan: `rows × cols` weights of a matrix (`--tile 128x128`).
public struct TileShape: Sendable, Equatable, CustomStringConvertible {
    /// Rows (output channels) per tile.
    public var rows: Int
    /// Columns (input features) per tile.
    public var cols: Int

    /// A tile shape; both sides ≥ 1.
    public init(rows: Int, cols: Int) {
        precondition(rows >= 1 && cols >= 1)
        self.rows = rows
        self.cols = cols
    }

    /// Parses `RxC` (`128x128`, also `128X64`, `128*64`). Nil otherwise.
    public static func parse(_ text: String) -> TileShape? {
        let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "*" || $0 == "×" })
        guard parts.count == 2, let r = Int(parts[0]), let c = Int(parts[1]), r >= 1, c >= 1 else { return nil }
        return TileShape(rows: r, cols: c)
    }

    /// `RxC`.
    public var description: String { "\(rows)x\(cols)" }
}

/// Weights laid out for quantization: every tensor cut into scale blocks (and tiles), each block's
/// elements stored contiguously and sorted by value, in flat arrays shared by every search.
///
/// A block is the rectangle of the matrix view `rows [i·bh, (i+1)·bh) × cols [j·bw, (j+1)·bw)`;
/// its scale is element `[i, j]` of the tensor's `[rowBlocks, colBlocks]` scale array. Blocks never
/// straddle tiles.
public struct QuantizationProblem: @unchecked Sendable {
    /// Where one tensor lives in the layout.
    public struct TensorInfo: Sendable, Equatable {
        /// The tensor's name.
        public var name: String
        /// Its shape as read.
        public var shape: [Int]
        /// Matrix view.
        public var rows: Int, cols: Int
        /// Block height and width (`bh`, `bw`).
        public var blockRows: Int, blockCols: Int
        /// Scale array shape `[rowBlocks, colBlocks]`.
        public var rowBlocks: Int, colBlocks: Int
        /// Index of its first block; blocks are numbered row-major over `[rowBlocks, colBlocks]`.
        public var firstBlock: Int
        /// Tile grid `[tileRows, tileCols]` (`[1, 1]` without tiles) and index of its first tile.
        public var tileRows: Int, tileCols: Int, firstTile: Int
        /// Element count.
        public var count: Int { rows * cols }
        /// Number of blocks.
        public var blockCount: Int { rowBlocks * colBlocks }
    }

    /// The tensors, in input order.
    public let tensors: [TensorInfo]
    /// Scale granularity.
    public let granularity: Granularity
    /// DVFS tile, if any.
    public let tile: TileShape?
    /// Whether per-weight importance was given (otherwise every weight counts 1).
    public let hasImportance: Bool
    /// Block `b` holds sorted elements `blockStart[b] ..< blockStart[b + 1]`.
    public let blockStart: [Int]
    /// Tensor of each block.
    public let blockTensor: [Int32]
    /// Global tile of each block.
    public let blockTile: [Int32]
    /// Number of tiles over all tensors (one per tensor without `tile`).
    public let tileCount: Int
    /// Tensor, first row, first column, row and column counts of each tile.
    public let tiles: [(tensor: Int, row: Int, col: Int, rows: Int, cols: Int)]
    /// Values sorted within each block.
    let x: [Float]
    /// Importance aligned with `x` (all 1 without importance).
    let w: [Float]
    /// Index of each element in its tensor's flat row-major array.
    let origin: [Int32]

    /// Number of blocks.
    public var blockCount: Int { blockStart.count - 1 }
    /// Number of weights.
    public var elementCount: Int { x.count }

    /// Lays out `tensors`. `importance`, when given, has one entry per tensor: a tensor of the same
    /// element count, or of `cols` elements broadcast over the rows (per-input-feature statistics such
    /// as mean squared activations). Importance must be finite and non-negative; weights must be finite.
    /// `threads`: workers of the layout (0: every active core; the layout does not depend on it).
    public init(tensors input: [WeightTensor], importance: [WeightTensor]? = nil, granularity: Granularity,
                tile: TileShape? = nil, threads: Int = 0) throws {
        guard !input.isEmpty else { throw HaloError("no weight tensors to quantize") }
        if let imp = importance, imp.count != input.count {
            throw HaloError("\(imp.count) importance tensors for \(input.count) weight tensors")
        }
        if let tile, case .group(let g) = granularity, tile.cols % g != 0 {
            throw HaloError("tile width \(tile.cols) is not a multiple of the group size \(g) (a scale group may not straddle tiles)")
        }
        var infos: [TensorInfo] = []
        var tiles: [(Int, Int, Int, Int, Int)] = []
        var blockCount = 0
        for (t, tensor) in input.enumerated() {
            guard tensor.count > 0 else { throw HaloError("tensor '\(tensor.name)' is empty (shape \(tensor.shape))") }
            guard tensor.count < Int(Int32.max) else { throw HaloError("tensor '\(tensor.name)' has more than 2^31 elements") }
            if let i = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw HaloError("tensor '\(tensor.name)' has a non-finite value (\(tensor.values[i])) at flat index \(i)")
            }
            let (rows, cols) = tensor.matrixShape
            var bh: Int, bw: Int
            switch granularity {
            case .tensor: bh = rows; bw = cols
            case .channel: bh = 1; bw = cols
            case .group(let g): bh = 1; bw = min(g, cols)
            }
            var tileRows = 1, tileCols = 1
            if let tile {
                bh = min(bh, tile.rows)
                bw = min(bw, tile.cols)
                tileRows = ceilDiv(rows, tile.rows)
                tileCols = ceilDiv(cols, tile.cols)
                for i in 0 ..< tileRows {
                    for j in 0 ..< tileCols {
                        let r0 = i * tile.rows, c0 = j * tile.cols
                        tiles.append((t, r0, c0, min(tile.rows, rows - r0), min(tile.cols, cols - c0)))
                    }
                }
            } else {
                tiles.append((t, 0, 0, rows, cols))
            }
            let rb = ceilDiv(rows, bh), cb = ceilDiv(cols, bw)
            infos.append(TensorInfo(name: tensor.name, shape: tensor.shape, rows: rows, cols: cols, blockRows: bh, blockCols: bw,
                                    rowBlocks: rb, colBlocks: cb, firstBlock: blockCount, tileRows: tileRows, tileCols: tileCols,
                                    firstTile: tiles.count - tileRows * tileCols))
            blockCount += rb * cb
            if let imp = importance?[t] {
                guard imp.count == tensor.count || imp.count == cols else {
                    throw HaloError("importance '\(imp.name)' has shape \(imp.shape); weights '\(tensor.name)' have shape \(tensor.shape) (expected the same shape, or \(cols) values broadcast over the rows)")
                }
                if let i = imp.values.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                    throw HaloError("importance '\(imp.name)' has a negative or non-finite value (\(imp.values[i])) at flat index \(i)")
                }
            }
        }
        // Block extents.
        var start = [Int](repeating: 0, count: blockCount + 1)
        var bTensor = [Int32](repeating: 0, count: blockCount)
        var bTile = [Int32](repeating: 0, count: blockCount)
        for (t, info) in infos.enumerated() {
            for i in 0 ..< info.rowBlocks {
                for j in 0 ..< info.colBlocks {
                    let b = info.firstBlock + i * info.colBlocks + j
                    let h = min(info.blockRows, info.rows - i * info.blockRows)
                    let wd = min(info.blockCols, info.cols - j * info.blockCols)
                    start[b + 1] = h * wd
                    bTensor[b] = Int32(t)
                    var tileIndex = info.firstTile
                    if let tile {
                        tileIndex += (i * info.blockRows / tile.rows) * info.tileCols + (j * info.blockCols / tile.cols)
                    }
                    bTile[b] = Int32(tileIndex)
                }
            }
        }
        for b in 0 ..< blockCount { start[b + 1] += start[b] }
        let total = start[blockCount]
        var xs = [Float](repeating: 0, count: total)
        var ws = [Float](repeating: 1, count: total)
        var org = [Int32](repeating: 0, count: total)
        let hasImportance = importance != nil
        xs.withUnsafeMutableBufferPointer { xp in
            ws.withUnsafeMutableBufferPointer { wp in
                org.withUnsafeMutableBufferPointer { op in
                    let xBase = xp.baseAddress!, wBase = wp.baseAddress!, oBase = op.baseAddress!
                    let parallel = ParallelLoop(threads: threads)
                    let jobs = parallel.chunks(blockCount, minimumPerChunk: 64)
                    let largestBlock = infos.map { $0.blockRows * $0.blockCols }.max() ?? 0
                    parallel.forEach(jobs.count) { job in
                        // One block's sort keys (ordered value bits) and flat indices, and the sort's scratch.
                        var work = [UInt32](repeating: 0, count: 2 * largestBlock)
                        var indices = [Int32](repeating: 0, count: 2 * largestBlock)
                        work.withUnsafeMutableBufferPointer { wk in
                            indices.withUnsafeMutableBufferPointer { ix in
                                let keys = wk.baseAddress!, scratchKeys = keys + largestBlock
                                let flats = ix.baseAddress!, scratchFlats = flats + largestBlock
                                for b in jobs[job] {
                                    let t = Int(bTensor[b])
                                    let info = infos[t]
                                    let local = b - info.firstBlock
                                    let i = local / info.colBlocks, j = local % info.colBlocks
                                    let r0 = i * info.blockRows, c0 = j * info.blockCols
                                    let h = min(info.blockRows, info.rows - r0), wd = min(info.blockCols, info.cols - c0)
                                    let s = start[b]
                                    input[t].values.withUnsafeBufferPointer { values in
                                        var n = 0
                                        for r in r0 ..< r0 + h {
                                            for c in c0 ..< c0 + wd {
                                                let flat = r * info.cols + c
                                                keys[n] = Self.orderedBits(values[flat])
                                                flats[n] = Int32(flat)
                                                n += 1
                                            }
                                        }
                                        // Stable: ordered by (value, flat index), as the weights were visited in index order.
                                        RadixSort.sort(n, keys: keys, values: flats, scratchKeys: scratchKeys, scratchValues: scratchFlats)
                                        for k in 0 ..< n {
                                            let flat = Int(flats[k])
                                            xBase[s + k] = values[flat]
                                            oBase[s + k] = flats[k]
                                        }
                                        if let imp = importance?[t].values {
                                            for k in 0 ..< n {
                                                let flat = Int(flats[k])
                                                wBase[s + k] = imp.count == values.count ? imp[flat] : imp[flat % info.cols]
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.tensors = infos
        self.granularity = granularity
        self.tile = tile
        self.hasImportance = hasImportance
        self.blockStart = start
        self.blockTensor = bTensor
        self.blockTile = bTile
        self.tileCount = tiles.count
        self.tiles = tiles.map { (tensor: $0.0, row: $0.1, col: $0.2, rows: $0.3, cols: $0.4) }
        self.x = xs
        self.w = ws
        self.origin = org
    }

    /// A `UInt32` whose unsigned order is the order of the floats (−0 before +0).
    static func orderedBits(_ f: Float) -> UInt32 {
        let b = f.bitPattern
        return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
    }

    /// The blocks of a tile.
    public func blocks(ofTile tile: Int) -> [Int] {
        let t = tiles[tile].tensor
        let info = tensors[t]
        return (info.firstBlock ..< info.firstBlock + info.blockCount).filter { Int(blockTile[$0]) == tile }
    }
}

/// ⌈a / b⌉ for a ≥ 0 and b ≥ 1, without the overflow of `(a + b − 1) / b` when b is huge.
func ceilDiv(_ a: Int, _ b: Int) -> Int { a / b + (a % b == 0 ? 0 : 1) }
