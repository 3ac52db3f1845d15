import Foundation

/// A `.safetensors` file, memory-mapped: an 8-byte little-endian header length N, N bytes of JSON
/// header (`{"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"key": "value"}}`), then the data buffer that the offsets index.
///
/// Opening validates the whole header (lengths, offsets inside the buffer, sizes matching shapes for
/// every known dtype); reading converts one tensor (F32, F16, BF16) to `Float`, touching only its
/// pages. Every failure is a `HaloError` naming the file (`w.safetensors: error: …`).
public struct SafeTensorsFile: @unchecked Sendable {
    /// One header entry.
    public struct TensorInfo: Sendable, Equatable {
        /// The key.
        public var name: String
        /// The dtype string as written (`F32`, `BF16`, `I64`, …).
        public var dtype: String
        /// Dimensions.
        public var shape: [Int]
        /// Byte range in the data buffer, `begin ..< end`.
        public var dataOffsets: Range<Int>

        /// Element count.
        public var count: Int { shape.reduce(1, *) }
        /// Whether Halo reads this dtype (F32, F16, BF16).
        public var isReadable: Bool { SafeTensorsFile.readableDTypes.contains(dtype) }
    }

    /// Dtypes Halo reads.
    public static let readableDTypes = ["F32", "F16", "BF16"]
    /// Byte size of every dtype in the safetensors specification.
    public static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    /// The path as given.
    public let path: String
    /// `__metadata__` (string to string), empty when absent.
    public let metadata: [String: String]
    /// Entries ordered by their data offset (the order the writer laid them out).
    public let tensors: [TensorInfo]
    private let data: Data
    private let dataStart: Int

    /// Maps and validates a file.
    public init(path: String) throws {
        self.path = path
        let data = try SafeTensorsFile.map(path)
        self.data = data
        guard data.count >= 8 else {
            throw HaloError("truncated file: \(data.count) bytes, but a safetensors file starts with an 8-byte header length", file: path)
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw HaloError("header length \(headerLength) exceeds the \(data.count - 8) bytes after the length field (truncated or not a safetensors file)", file: path)
        }
        let n = Int(headerLength)
        dataStart = 8 + n
        let headerBytes = data.subdata(in: 8 ..< 8 + n)
        guard let firstNonSpace = headerBytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D }),
              firstNonSpace == UInt8(ascii: "{") else {
            throw HaloError("bad header: the \(n)-byte JSON header does not start with '{' (not a safetensors file?)", file: path)
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: headerBytes) } catch {
            throw HaloError("bad header: the \(n)-byte header is not valid JSON", file: path)
        }
        guard let dict = object as? [String: Any] else {
            throw HaloError("bad header: the JSON header is not an object", file: path)
        }
        let bufferSize = data.count - dataStart
        var meta: [String: String] = [:]
        var infos: [TensorInfo] = []
        for (key, value) in dict {
            if key == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw HaloError("bad header: '__metadata__' is not an object", file: path)
                }
                for (k, v) in m {
                    guard let s = v as? String else {
                        throw HaloError("bad header: '__metadata__' value '\(k)' is not a string", file: path)
                    }
                    meta[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else {
                throw HaloError("bad header: entry '\(key)' is not an object", file: path)
            }
            guard let dtype = entry["dtype"] as? String else {
                throw HaloError("bad header: tensor '\(key)' has no 'dtype' string", file: path)
            }
            guard let shapeArray = entry["shape"] as? [Any] else {
                throw HaloError("bad header: tensor '\(key)' has no 'shape' array", file: path)
            }
            var shape: [Int] = []
            for d in shapeArray {
                guard let n = Self.integer(d), n >= 0 else {
                    throw HaloError("bad header: tensor '\(key)' has a shape entry that is not a non-negative integer", file: path)
                }
                shape.append(n)
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]), begin >= 0 else {
                throw HaloError("bad header: tensor '\(key)' needs 'data_offsets' [begin, end] with 0 ≤ begin ≤ end", file: path)
            }
            guard begin <= end else {
                throw HaloError("tensor '\(key)' has data_offsets [\(begin), \(end)] out of order (the end before the beginning)", file: path)
            }
            guard end <= bufferSize else {
                throw HaloError("tensor '\(key)' has data_offsets [\(begin), \(end)] beyond the \(bufferSize)-byte data buffer (truncated file?)", file: path)
            }
            // Sizes are checked for every dtype of the specification; a newer one is only located by its offsets.
            let (_, bytes) = try WeightTensor.checkedSize(shape, itemSize: Self.dtypeSizes[dtype] ?? 1, what: "bad header: tensor '\(key)', shape", file: path)
            if Self.dtypeSizes[dtype] != nil, bytes != end - begin {
                throw HaloError("tensor '\(key)' has shape \(shape) of \(dtype) (\(bytes) bytes) but data_offsets [\(begin), \(end)] span \(end - begin) bytes", file: path)
            }
            infos.append(TensorInfo(name: key, dtype: dtype, shape: shape, dataOffsets: begin ..< end))
        }
        infos.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        // The ranges tile the data buffer exactly, as the format's reference reader requires: no two
        // tensors share a byte, and no byte belongs to no tensor.
        var covered = 0
        var previous: TensorInfo?
        for info in infos {
            let r = info.dataOffsets
            if r.lowerBound < covered, let p = previous {
                throw HaloError("tensors '\(p.name)' (data_offsets [\(p.dataOffsets.lowerBound), \(p.dataOffsets.upperBound)]) and '\(info.name)' (data_offsets [\(r.lowerBound), \(r.upperBound)]) overlap", file: path)
            }
            if r.lowerBound > covered {
                throw HaloError("bytes \(covered)..<\(r.lowerBound) of the data buffer belong to no tensor (a gap before '\(info.name)', data_offsets [\(r.lowerBound), \(r.upperBound)])", file: path)
            }
            covered = r.upperBound
            previous = info
        }
        guard covered == bufferSize else {
            throw HaloError("the tensors end at byte \(covered) of the \(bufferSize)-byte data buffer (\(bufferSize - covered) trailing bytes belong to no tensor)", file: path)
        }
        metadata = meta
        tensors = infos
    }

    /// The entry of a name, if present.
    public func info(named name: String) -> TensorInfo? { tensors.first { $0.name == name } }

    /// Selects entries by exact names or globs (``NamePattern``), in file order, without duplicates.
    /// With no patterns: every readable (F32/F16/BF16) tensor of rank ≥ 2 (the weight matrices;
    /// biases and norms are left out). A pattern that matches nothing is an error listing what exists.
    public func select(_ patterns: [String]) throws -> [TensorInfo] {
        if patterns.isEmpty {
            let chosen = tensors.filter { $0.isReadable && $0.shape.count >= 2 }
            guard !chosen.isEmpty else {
                throw HaloError("no F32/F16/BF16 tensor of rank ≥ 2 to quantize (name one with --tensor)", file: path)
            }
            return chosen
        }
        var chosen: [TensorInfo] = []
        var taken = Set<String>()
        for pattern in patterns {
            let hits = NamePattern.isGlob(pattern) ? tensors.filter { NamePattern.matches($0.name, pattern: pattern) }
                                                   : tensors.filter { $0.name == pattern }
            guard !hits.isEmpty else {
                let names = tensors.prefix(5).map { "'\($0.name)'" }.joined(separator: ", ")
                throw HaloError("no tensor matches '\(pattern)' (the file has \(tensors.count) tensors: \(names)\(tensors.count > 5 ? ", …" : ""))", file: path)
            }
            for h in hits where taken.insert(h.name).inserted { chosen.append(h) }
        }
        return chosen
    }

    /// Reads one tensor as `Float`. Unsupported dtypes are an error naming the supported ones.
    public func read(_ info: TensorInfo) throws -> WeightTensor {
        try checkReadable(info)
        var values = [Float](repeating: 0, count: info.count)
        values.withUnsafeMutableBufferPointer { out in
            withBytes(of: info) { Self.decode($0, dtype: info.dtype, from: 0, count: info.count, into: out.baseAddress!) }
        }
        return WeightTensor(name: info.name, shape: info.shape, values: values)
    }

    /// Reads some rows of a tensor's matrix view `[shape[0], rest]` as `Float`: a tensor of shape
    /// `[rows.count, rest]` holding them in the order given (each index in `0 ..< shape[0]`).
    public func read(_ info: TensorInfo, rows: [Int]) throws -> WeightTensor {
        try checkReadable(info)
        let cols = info.shape.count < 2 ? 1 : info.count / max(1, info.shape[0])
        let height = info.shape.first ?? 1
        var values = [Float](repeating: 0, count: rows.count * cols)
        try values.withUnsafeMutableBufferPointer { out in
            try withBytes(of: info) { raw in
                for (i, r) in rows.enumerated() {
                    guard r >= 0 && r < height else {
                        throw HaloError("tensor '\(info.name)': row \(r) outside 0..<\(height)", at: SourceLocation(file: path))
                    }
                    Self.decode(raw, dtype: info.dtype, from: r * cols, count: cols, into: out.baseAddress! + i * cols)
                }
            }
        }
        return WeightTensor(name: info.name, shape: [rows.count, cols], values: values)
    }

    /// The raw little-endian bytes of one tensor, without a copy (valid inside `body` only).
    public func withBytes<R>(of info: TensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[(dataStart + info.dataOffsets.lowerBound) ..< (dataStart + info.dataOffsets.upperBound)]))
        }
    }

    /// Drops the memory-mapped pages of a tensor from this process (`madvise(MADV_DONTNEED)`): a
    /// streaming reader calls it when done with a tensor, so that the resident size of a pass over a
    /// model stays that of one tensor rather than growing to the file's size. The data stays readable
    /// (the pages are read again from the file if touched).
    public func releasePages(of info: TensorInfo) {
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let begin = Int(bitPattern: base) + dataStart + info.dataOffsets.lowerBound
            let end = Int(bitPattern: base) + dataStart + info.dataOffsets.upperBound
            let first = (begin + page - 1) / page * page, last = end / page * page
            guard last > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return }
            _ = madvise(start, last - first, Int32(MADV_DONTNEED))
        }
    }

    private func checkReadable(_ info: TensorInfo) throws {
        guard info.isReadable else {
            throw HaloError("tensor '\(info.name)' has dtype \(info.dtype); supported: \(Self.readableDTypes.joined(separator: ", "))", file: path)
        }
    }

    /// Decodes `count` elements of a readable dtype, from element `first` of `raw`, into `out`.
    static func decode(_ raw: UnsafeRawBufferPointer, dtype: String, from first: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case "F32":
            for i in 0 ..< count {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * (first + i), as: UInt32.self)))
            }
        case "F16":
            for i in 0 ..< count {
                out[i] = HalfFloat.float(fromBits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * (first + i), as: UInt16.self)))
            }
        default: // BF16
            for i in 0 ..< count {
                let b = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * (first + i), as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(b) << 16)
            }
        }
    }

    /// The bytes of one tensor as stored (any dtype), to copy it unchanged.
    public func rawBytes(_ info: TensorInfo) -> Data {
        withBytes(of: info) { Data($0) }
    }

    /// Reads one tensor by exact name.
    public func read(named name: String) throws -> WeightTensor {
        guard let info = info(named: name) else { throw HaloError("no tensor named '\(name)'", file: path) }
        return try read(info)
    }

    /// A JSON integer as an `Int`: nil for anything else, and for integers beyond `Int` (they cannot
    /// be a size or an offset of a file). Sizes made of them are checked for overflow where they are used.
    private static func integer(_ any: Any) -> Int? {
        guard let n = any as? NSNumber else { return nil }
        switch String(cString: n.objCType) {
        case "c": return nil // JSON true/false arrive as NSNumber too; they are not integers
        case "d", "f": return Int(exactly: n.doubleValue)
        case "Q", "L", "I", "S", "C": return n.uint64Value <= UInt64(Int.max) ? Int(n.uint64Value) : nil
        default: return n.intValue
        }
    }

    /// The file at `path`, memory-mapped, after checking that it is a readable file.
    static func map(_ path: String) throws -> Data {
        guard try InputFile.check(path).isRegular else {
            throw HaloError("is not a regular file (weight files are memory-mapped)", file: path)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw HaloError("cannot read: \(Self.reason(error))", file: path)
        }
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain && (ns.code == NSFileReadNoSuchFileError || ns.code == 260) { return "no such file" }
        return ns.localizedDescription
    }
}

/// Writes `.safetensors` files: F32 (dequantized weights, scales), U8 and U16 (bus codes).
public enum SafeTensorsWriter {
    /// Tensor contents in one of the written dtypes.
    public enum Payload: Sendable, Equatable {
        /// 32-bit floats (dtype `F32`).
        case f32([Float])
        /// Bytes (dtype `U8`).
        case u8([UInt8])
        /// 16-bit unsigned integers (dtype `U16`), for codes of formats wider than 8 bits.
        case u16([UInt16])
        /// Bytes of any dtype, copied as they are (a tensor of the input passed through).
        case raw(dtype: String, bytes: Data)

        /// The safetensors dtype string.
        public var dtype: String {
            switch self {
            case .f32: return "F32"
            case .u8: return "U8"
            case .u16: return "U16"
            case .raw(let dtype, _): return dtype
            }
        }

        var byteCount: Int {
            switch self {
            case .f32(let v): return 4 * v.count
            case .u8(let v): return v.count
            case .u16(let v): return 2 * v.count
            case .raw(_, let bytes): return bytes.count
            }
        }

        var count: Int {
            switch self {
            case .f32(let v): return v.count
            case .u8(let v): return v.count
            case .u16(let v): return v.count
            case .raw(let dtype, let bytes): return bytes.count / max(1, SafeTensorsFile.dtypeSizes[dtype] ?? 1)
            }
        }
    }

    /// One tensor to write.
    public struct Entry: Sendable, Equatable {
        /// The key.
        public var name: String
        /// Dimensions; their product must equal the payload's element count.
        public var shape: [Int]
        /// Contents.
        public var payload: Payload

        /// An entry.
        public init(name: String, shape: [Int], payload: Payload) {
            self.name = name
            self.shape = shape
            self.payload = payload
        }
    }

    /// The bytes of a file holding `entries` in order (data contiguous, header padded with spaces so
    /// the data starts at a multiple of 8) and `metadata` as `__metadata__`.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> Data {
        for e in entries {
            precondition(e.shape.reduce(1, *) == e.payload.count, "shape \(e.shape) of '\(e.name)' does not hold \(e.payload.count) elements")
        }
        let (headerBytes, dataBytes) = header(entries.map { ($0.name, $0.payload.dtype, $0.shape, $0.payload.byteCount) }, metadata: metadata)
        var out = Data(capacity: headerBytes.count + dataBytes)
        out.append(contentsOf: headerBytes)
        for e in entries {
            switch e.payload {
            case .f32(let v):
                var bits = [UInt32](repeating: 0, count: v.count)
                for i in v.indices { bits[i] = v[i].bitPattern.littleEndian }
                bits.withUnsafeBytes { out.append(contentsOf: $0) }
            case .u8(let v):
                out.append(contentsOf: v)
            case .u16(let v):
                let le = v.map { $0.littleEndian }
                le.withUnsafeBytes { out.append(contentsOf: $0) }
            case .raw(_, let bytes):
                out.append(bytes)
            }
        }
        return out
    }

    /// The bytes before the data of a file holding tensors of these names, dtypes, shapes and byte counts
    /// in order: the 8-byte little-endian length and the JSON header, padded with spaces so that the
    /// data starts at a multiple of 8; and the data buffer's size.
    static func header(_ items: [(name: String, dtype: String, shape: [Int], bytes: Int)],
                       metadata: [String: String]) -> (bytes: [UInt8], dataBytes: Int) {
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)):\(JSONText.string($0.value))" }.joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for e in items {
            if !first { header += "," }
            first = false
            let end = offset + e.bytes
            header += "\(JSONText.string(e.name)):{\"dtype\":\"\(e.dtype)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        return (out, offset)
    }

    /// Writes a file: all or nothing, a symbolic link followed, a device written through (HaloCore's `OutputFiles`).
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to path: String) throws {
        try OutputFiles.write(encode(entries, metadata: metadata), to: path)
    }
}

/// IEEE 754 binary16 decoding and encoding without relying on the platform's `Float16`.
public enum HalfFloat {
    /// The `Float` of half-precision bits (exact).
    public static func float(fromBits h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F)
        let man = UInt32(h & 0x3FF)
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (man << 13)) }
        if exp == 0 {
            if man == 0 { return Float(bitPattern: sign) }
            let v = Float(man) * 0x1p-24
            return sign != 0 ? -v : v
        }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (man << 13))
    }

    /// The half-precision bits of a `Float`, rounded to nearest even (overflow gives ±∞).
    public static func bits(from f: Float) -> UInt16 {
        let x = f.bitPattern
        let sign = UInt16((x >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let a = abs(f)
        if a >= 65520 { return sign | 0x7C00 }
        if a < 0x1p-14 {
            // Subnormal half: multiple of 2^-24.
            let q = (a * 0x1p24).rounded(.toNearestOrEven)
            return sign | UInt16(q)
        }
        let exp = Int((x >> 23) & 0xFF) - 127 + 15
        var man = x & 0x7F_FFFF
        var e = exp
        // Round 23-bit mantissa to 10 bits, nearest even.
        let rest = man & 0x1FFF
        man >>= 13
        if rest > 0x1000 || (rest == 0x1000 && (man & 1) == 1) { man += 1 }
        if man == 0x400 { man = 0; e += 1 }
        return sign | UInt16(e) << 10 | UInt16(man)
    }
}

/// Minimal JSON text helpers shared by the writers.
enum JSONText {
    /// A JSON string literal (HaloCore's `jsonQuoted`).
    static func string(_ s: String) -> String { jsonQuoted(s) }

    /// A JSON number (shortest round-trip form), `null` for NaN and infinities.
    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
