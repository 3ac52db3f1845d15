import Foundation
import HaloCore

/// Writes a `.safetensors` file tensor by tensor, so that a model shard is never held in memory: the
/// header (every name, dtype and shape, known before any data) is written first, then each tensor's
/// bytes in order as they are produced, in as many pieces as the caller likes.
///
/// The file is written where it is told (a model writer gives it a path inside its temporary folder);
/// ``finish()`` checks that every tensor got exactly its bytes. A write error is one line naming the file.
public final class SafeTensorsStreamWriter {
    /// One tensor of the file.
    public struct Entry: Sendable, Equatable {
        /// The key.
        public var name: String
        /// The safetensors dtype (`F32`, `BF16`, `U8`, …).
        public var dtype: String
        /// Dimensions.
        public var shape: [Int]

        /// An entry.
        public init(name: String, dtype: String, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        /// Its size in bytes (nil for a dtype of unknown size).
        var byteCount: Int? { SafeTensorsFile.dtypeSizes[dtype].map { $0 * shape.reduce(1, *) } }
    }

    /// The file being written.
    public let path: String
    private let entries: [Entry]
    private let sizes: [Int]
    private let handle: FileHandle
    private var current = 0
    private var writtenInCurrent = 0

    /// Creates (or truncates) the file at `path` and writes the header for `entries`.
    public init(path: String, entries: [Entry], metadata: [String: String] = [:]) throws {
        self.path = path
        self.entries = entries
        sizes = try entries.map { e in
            guard let n = e.byteCount else { throw HaloError("tensor '\(e.name)': dtype \(e.dtype) has no known size", file: path) }
            return n
        }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw HaloError("cannot create the file", file: path)
        }
        do { handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path)) } catch {
            throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: path)
        }
        let (header, _) = SafeTensorsWriter.header(zip(entries, sizes).map { ($0.name, $0.dtype, $0.shape, $1) }, metadata: metadata)
        try header.withUnsafeBytes { try write($0) }
        skipEmpty()
    }

    deinit { try? handle.close() }

    /// The name of the tensor whose bytes come next (nil when every tensor is complete).
    public var next: String? { current < entries.count ? entries[current].name : nil }

    /// Appends bytes of the current tensor (a tensor may be given in several pieces; a piece never spans
    /// two tensors).
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard current < entries.count else { throw HaloError("more data than the header's tensors hold", file: path) }
        guard writtenInCurrent + bytes.count <= sizes[current] else {
            throw HaloError("tensor '\(entries[current].name)' given \(writtenInCurrent + bytes.count) bytes, but its header says \(sizes[current])", file: path)
        }
        try write(bytes)
        writtenInCurrent += bytes.count
        if writtenInCurrent == sizes[current] {
            current += 1
            writtenInCurrent = 0
            skipEmpty()
        }
    }

    /// Appends floats of the current tensor, converted to its dtype (`F32`, `F16` or `BF16`, rounded to
    /// nearest even).
    public func append(floats: UnsafeBufferPointer<Float>) throws {
        guard current < entries.count else { throw HaloError("more data than the header's tensors hold", file: path) }
        let dtype = entries[current].dtype
        let chunk = 1 << 16
        var start = 0
        while start < floats.count {
            let n = min(chunk, floats.count - start)
            switch dtype {
            case "F32":
                var bits = [UInt32](repeating: 0, count: n)
                for i in 0 ..< n { bits[i] = floats[start + i].bitPattern.littleEndian }
                try bits.withUnsafeBytes { try append($0) }
            case "F16", "BF16":
                var bits = [UInt16](repeating: 0, count: n)
                if dtype == "F16" {
                    for i in 0 ..< n { bits[i] = HalfFloat.bits(from: floats[start + i]).littleEndian }
                } else {
                    for i in 0 ..< n { bits[i] = BFloat16.bits(from: floats[start + i]).littleEndian }
                }
                try bits.withUnsafeBytes { try append($0) }
            default:
                throw HaloError("tensor '\(entries[current].name)': cannot write floats as \(dtype)", file: path)
            }
            start += n
        }
    }

    /// Checks that every tensor is complete and closes the file.
    public func finish() throws {
        guard current == entries.count else {
            throw HaloError("tensor '\(entries[current].name)' is incomplete (\(writtenInCurrent) of \(sizes[current]) bytes)", file: path)
        }
        do { try handle.synchronize(); try handle.close() } catch {
            throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: path)
        }
    }

    private func skipEmpty() {
        while current < entries.count && sizes[current] == 0 { current += 1 }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        do { try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)) } catch {
            throw HaloError("cannot write: \(SafeTensorsFile.reason(error))", file: path)
        }
    }
}

/// bfloat16 (the upper half of an IEEE binary32) encoding, rounded to nearest even.
public enum BFloat16 {
    /// The bfloat16 bits of a `Float`, rounded to nearest even (NaN stays a quiet NaN of the same sign).
    public static func bits(from f: Float) -> UInt16 {
        let x = f.bitPattern
        if f.isNaN { return UInt16(x >> 16) | 0x0040 }
        let rounded = x &+ 0x7FFF &+ ((x >> 16) & 1)
        return UInt16(rounded >> 16)
    }

    /// The `Float` of bfloat16 bits (exact).
    public static func float(fromBits b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
}
