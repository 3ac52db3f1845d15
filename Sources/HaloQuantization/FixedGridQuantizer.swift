import Foundation
import HaloCore

/// Quantizes one stored tensor onto a grid chosen beforehand, straight from its bytes, one block at a
/// time: the apply pass of a model folder (``ModelWriter``), where the grid is known and only each
/// block's scale is fitted.
///
/// **Same answer, less memory traffic.** For scales per output channel or per group (blocks inside a
/// row) and no importance, the result is exactly that of laying the tensor out as a
/// ``QuantizationProblem`` and calling ``GridSelector/fit(levels:blocks:)`` then
/// ``GridSelector/quantize(_:)``: each block is sorted the same way (by value, then position, with the
/// same radix sort), searched by the same ``BlockSearch/searchScale``, quantized by the same
/// ``GridSelector/quantizeSorted`` kernel, and the errors are summed in the same block order. What it
/// saves is the layout of the whole tensor (the F32 copy, the sorted values, importance and positions:
/// 16 bytes a weight, written and read again): a worker decodes one row into a scratch buffer of its
/// own and leaves only the codes, values and scales behind.
///
/// **Why per row.** Every block of these granularities lies within one row, so a row is a unit of
/// work that fits in a core's cache (a few thousand weights), and rows are independent: they are
/// spread over `options.threads` workers in chunks.
public struct FixedGridQuantizer: Sendable {
    /// The grid, ascending by value.
    public let levels: [CodeLevel]
    /// Scale granularity: `.channel` or `.group(G)`.
    public let granularity: Granularity
    /// Scale-search settings and worker threads.
    public let options: SelectorOptions

    /// A quantizer onto `levels` (any order). Nil for a granularity whose blocks span rows (`.tensor`):
    /// those are quantized through a ``QuantizationProblem``.
    public init?(levels: [CodeLevel], granularity: Granularity, options: SelectorOptions = SelectorOptions()) {
        if case .tensor = granularity { return nil }
        precondition(!levels.isEmpty, "a grid has at least one level")
        self.levels = levels.sorted { $0.value < $1.value }
        self.granularity = granularity
        self.options = options
    }

    /// Quantizes tensor `info` of `raw` (its stored bytes, `info.dtype`: F32, F16 or BF16), viewed as the
    /// matrix `[shape[0], rest]`. A non-finite weight is an error located at its index, as
    /// ``WeightTensor/checked(file:)`` reports it; `path` names the file in errors.
    public func quantize(_ info: SafeTensorsFile.TensorInfo, bytes raw: UnsafeRawBufferPointer, file path: String) throws -> QuantizedTensor {
        let shape = info.shape
        let count = info.count
        guard count > 0 else { throw HaloError("tensor '\(info.name)' is empty (shape \(shape))", file: path) }
        guard count < Int(Int32.max) else { throw HaloError("tensor '\(info.name)' has more than 2^31 elements", file: path) }
        let (rows, cols) = ModelSampling.matrixShape(info)
        let blockCols: Int
        switch granularity {
        case .tensor: preconditionFailure("checked at init")
        case .channel: blockCols = cols
        case .group(let g): blockCols = min(g, cols)
        }
        let colBlocks = ceilDiv(cols, blockCols)
        var codes = [UInt16](repeating: 0, count: count)
        var dequantized = [Float](repeating: 0, count: count)
        var scales = [Float](repeating: 0, count: rows * colBlocks)
        var perBlock = [Quality](repeating: Quality(), count: rows * colBlocks)
        let firstBad = AtomicMinimum()
        let values = levels.map(\.value)
        let loop = ParallelLoop(threads: options.threads)
        codes.withUnsafeMutableBufferPointer { cp in
            dequantized.withUnsafeMutableBufferPointer { dp in
                scales.withUnsafeMutableBufferPointer { sp in
                    perBlock.withUnsafeMutableBufferPointer { qp in
                        let cb = UnsafeSendableBuffer(cp), db = UnsafeSendableBuffer(dp)
                        let sb = UnsafeSendableBuffer(sp), qb = UnsafeSendableBuffer(qp)
                        let chunk = max(1, min(64, rows / (4 * loop.threads)))
                        loop.forEachChunk(count: rows, chunkSize: chunk, makeWorker: { RowScratch(cols: cols, blockCols: blockCols) }) { scratch, range in
                            for r in range {
                                let row = scratch.row
                                SafeTensorsFile.decode(raw, dtype: info.dtype, from: r * cols, count: cols, into: row)
                                if let c = (0 ..< cols).first(where: { !row[$0].isFinite }) {
                                    firstBad.record(r * cols + c)
                                    return
                                }
                                for j in 0 ..< colBlocks {
                                    let c0 = j * blockCols, n = min(blockCols, cols - c0)
                                    let b = r * colBlocks + j
                                    let (x, origin) = scratch.sortBlock(row + c0, count: n, bf16: info.dtype == "BF16")
                                    let search = BlockSearch(x: UnsafeBufferPointer(start: x, count: n), w: nil, scratch: scratch.prefix)
                                    let (s, _) = search.searchScale(levels: values, usage: nil, warm: nil, options: options)
                                    sb[b] = Float(s)
                                    let base = r * cols + c0
                                    qb[b] = GridSelector.quantizeSorted(count: n, x: x, importance: nil, origin: origin, grid: levels, scale: s,
                                                                        codes: cb.base.baseAddress! + base, dequantized: db.base.baseAddress! + base)
                                }
                            }
                        }
                    }
                }
            }
        }
        if let flat = firstBad.value {
            var value: Float = 0
            withUnsafeMutablePointer(to: &value) { SafeTensorsFile.decode(raw, dtype: info.dtype, from: flat, count: 1, into: $0) }
            throw HaloError("tensor '\(info.name)': element \(WeightTensor.index(ofFlat: flat, in: shape)) is \(value.isNaN ? "NaN" : "\(value) (not finite as a 32-bit float)")", file: path)
        }
        var quality = Quality()
        for q in perBlock { quality.add(q) }
        return QuantizedTensor(name: info.name, shape: shape, codes: codes, dequantized: dequantized, scales: scales,
                               scaleShape: [rows, colBlocks], scaleBlock: [1, blockCols], quality: quality)
    }
}

/// One worker's memory for ``FixedGridQuantizer``: a decoded row, one block's sort keys, sorted values
/// and positions with the sort's scratch, and the block search's prefix sums. Allocated once per worker, reused for every row.
private final class RowScratch {
    let row: UnsafeMutablePointer<Float>
    let keys: UnsafeMutablePointer<UInt32>, scratchKeys: UnsafeMutablePointer<UInt32>
    let origin: UnsafeMutablePointer<Int32>, scratchOrigin: UnsafeMutablePointer<Int32>
    let sorted: UnsafeMutablePointer<Float>
    let prefix: UnsafeMutablePointer<Double>

    init(cols: Int, blockCols: Int) {
        row = .allocate(capacity: cols)
        keys = .allocate(capacity: blockCols); scratchKeys = .allocate(capacity: blockCols)
        origin = .allocate(capacity: blockCols); scratchOrigin = .allocate(capacity: blockCols)
        sorted = .allocate(capacity: blockCols)
        prefix = .allocate(capacity: 3 * (blockCols + 1))
    }

    deinit {
        row.deallocate(); keys.deallocate(); scratchKeys.deallocate()
        origin.deallocate(); scratchOrigin.deallocate(); sorted.deallocate(); prefix.deallocate()
    }

    /// The `n` values at `values` sorted ascending (ties by position), and each one's position.
    /// `bf16`: every value is a BF16 value (its lower 16 bits zero), so that its ordered upper half and
    /// its position (when `n` ≤ 65,536) pack into one 32-bit item sorted in two passes.
    func sortBlock(_ values: UnsafePointer<Float>, count n: Int, bf16: Bool) -> (UnsafePointer<Float>, UnsafePointer<Int32>) {
        if bf16 && n <= 1 << 16 {
            for k in 0 ..< n { keys[k] = (QuantizationProblem.orderedBits(values[k]) & 0xFFFF_0000) | UInt32(k) }
            RadixSort.sortByUpperHalf(n, keys: keys, scratch: scratchKeys)
            for k in 0 ..< n {
                let at = Int(keys[k] & 0xFFFF)
                origin[k] = Int32(at)
                sorted[k] = values[at]
            }
            return (UnsafePointer(sorted), UnsafePointer(origin))
        }
        for k in 0 ..< n {
            keys[k] = QuantizationProblem.orderedBits(values[k])
            origin[k] = Int32(k)
        }
        RadixSort.sort(n, keys: keys, values: origin, scratchKeys: scratchKeys, scratchValues: scratchOrigin)
        for k in 0 ..< n { sorted[k] = values[Int(origin[k])] }
        return (UnsafePointer(sorted), UnsafePointer(origin))
    }
}

/// The smallest index recorded by any thread (the first bad weight, whichever worker found it).
private final class AtomicMinimum: @unchecked Sendable {
    private let lock = NSLock()
    private var smallest: Int?

    func record(_ i: Int) {
        lock.lock(); defer { lock.unlock() }
        smallest = min(smallest ?? i, i)
    }

    var value: Int? {
        lock.lock(); defer { lock.unlock() }
        return smallest
    }
}
