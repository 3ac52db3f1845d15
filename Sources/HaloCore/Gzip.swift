import Foundation

/// gzip (RFC 1952) decompression, DEFLATE (RFC 1951) included, with no dependency: Liberty files and
/// netlists are often shipped compressed (`.lib.gz` in OpenROAD's flows), and OpenSTA reads them as they are.
///
/// Every member of a multi-member file is decompressed in turn; each member's CRC-32 and length are
/// checked. Malformed input is a `HaloError` naming the file and the byte offset, never a crash; the
/// output is bounded by `limitBytes` (a decompression bomb is refused, not followed).
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed bytes of a gzip file's contents.
    /// - Parameters:
    ///   - data: the whole file.
    ///   - path: names the file in errors.
    ///   - limitBytes: the most bytes the result may have.
    public static func decompress(_ data: Data, path: String, limitBytes: Int = Limits.maxTextInputBytes) throws -> Data {
        try data.withUnsafeBytes { raw -> Data in
            let bytes = raw.bindMemory(to: UInt8.self)
            var out = [UInt8]()
            out.reserveCapacity(min(limitBytes, max(1 << 16, bytes.count * 4)))
            var offset = 0
            repeat {
                offset = try member(bytes, at: offset, into: &out, path: path, limitBytes: limitBytes)
                // Trailing zero padding after the last member is tolerated (as gzip does).
                while offset < bytes.count && bytes[offset] == 0 { offset += 1 }
            } while offset < bytes.count
            return Data(out)
        }
    }

    private static func error(_ message: String, _ path: String, at offset: Int) -> HaloError {
        HaloError("malformed gzip data at byte \(offset): \(message)", file: path)
    }

    /// Decompresses one member starting at `start`; returns the offset after it.
    private static func member(_ b: UnsafeBufferPointer<UInt8>, at start: Int, into out: inout [UInt8], path: String,
                               limitBytes: Int) throws -> Int {
        guard b.count - start >= 18 else { throw error("truncated header", path, at: start) }
        guard b[start] == 0x1F, b[start + 1] == 0x8B else { throw error("not a gzip member (bad magic bytes)", path, at: start) }
        guard b[start + 2] == 8 else { throw error("compression method \(b[start + 2]) is not deflate", path, at: start + 2) }
        let flags = b[start + 3]
        guard flags & 0xE0 == 0 else { throw error("reserved header flags set", path, at: start + 3) }
        var p = start + 10
        if flags & 0x04 != 0 {   // FEXTRA
            guard p + 2 <= b.count else { throw error("truncated extra field", path, at: p) }
            p += 2 + (Int(b[p]) | Int(b[p + 1]) << 8)
        }
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {   // FNAME, FCOMMENT: zero-terminated
            while p < b.count && b[p] != 0 { p += 1 }
            p += 1
        }
        if flags & 0x02 != 0 { p += 2 }   // FHCRC
        guard p < b.count else { throw error("truncated header", path, at: min(p, b.count)) }
        let first = out.count
        var inflater = Inflater(bytes: b, position: p, path: path, limitBytes: limitBytes)
        try inflater.run(into: &out)
        p = inflater.byteAlignedPosition
        guard p + 8 <= b.count else { throw error("truncated trailer", path, at: p) }
        let crc = UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
        let size = UInt32(b[p + 4]) | UInt32(b[p + 5]) << 8 | UInt32(b[p + 6]) << 16 | UInt32(b[p + 7]) << 24
        let produced = out.count - first
        guard UInt32(truncatingIfNeeded: produced) == size else {
            throw error("length \(produced) differs from the trailer's \(size)", path, at: p + 4)
        }
        let actual = out.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[first...])) }
        guard actual == crc else { throw error("CRC-32 mismatch (the data is corrupt)", path, at: p) }
        return p + 8
    }
}

/// CRC-32 (IEEE 802.3, as gzip uses it).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for x in bytes { c = t[Int((c ^ UInt32(x)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}

/// A canonical Huffman code as a single-level table: indexed by the next `bits` input bits (LSB first),
/// each entry is `symbol << 4 | length` (length 0: no code).
private struct HuffmanTable {
    var bits = 0
    var entries: [UInt32] = []

    /// Builds the table of code lengths `lengths` (0 = symbol unused). False when the lengths do not form
    /// a valid prefix code (over-subscribed), or no symbol has a code.
    mutating func build(_ lengths: ArraySlice<UInt8>) -> Bool {
        var count = [Int](repeating: 0, count: 16)
        for l in lengths { count[Int(l)] += 1 }
        count[0] = 0
        bits = count.lastIndex { $0 > 0 } ?? 0
        guard bits > 0 else { return false }
        var left = 1
        for l in 1...15 {
            left <<= 1
            left -= count[l]
            if left < 0 { return false }
        }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for l in 1...15 {
            code = (code + count[l - 1]) << 1
            next[l] = code
        }
        entries = [UInt32](repeating: 0, count: 1 << bits)
        for (k, l) in lengths.enumerated() where l > 0 {
            let len = Int(l)
            var c = next[len]
            next[len] += 1
            // Reverse the code's bits: DEFLATE sends Huffman codes most significant bit first.
            var r = 0
            for _ in 0..<len { r = (r << 1) | (c & 1); c >>= 1 }
            let entry = UInt32(k) << 4 | UInt32(len)
            var i = r
            while i < entries.count {
                entries[i] = entry
                i += 1 << len
            }
        }
        return true
    }
}

/// A DEFLATE decoder over a byte buffer (RFC 1951).
private struct Inflater {
    let b: UnsafeBufferPointer<UInt8>
    var position: Int
    let path: String
    let limitBytes: Int
    /// Bits not yet consumed, LSB first, and how many.
    var bitBuffer: UInt64 = 0
    var bitCount = 0

    init(bytes: UnsafeBufferPointer<UInt8>, position: Int, path: String, limitBytes: Int) {
        self.b = bytes
        self.position = position
        self.path = path
        self.limitBytes = limitBytes
    }

    /// The input position after the last consumed bit, rounded up to a whole byte.
    var byteAlignedPosition: Int { position - bitCount / 8 }

    func fail(_ message: String) -> HaloError {
        HaloError("malformed gzip data at byte \(byteAlignedPosition): \(message)", file: path)
    }

    @inline(__always) mutating func refill() {
        while bitCount <= 56 && position < b.count {
            bitBuffer |= UInt64(b[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    @inline(__always) mutating func take(_ n: Int) throws -> Int {
        if bitCount < n { refill(); guard bitCount >= n else { throw fail("unexpected end of data") } }
        let v = Int(bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return v
    }

    @inline(__always) mutating func decode(_ t: HuffmanTable) throws -> Int {
        if bitCount < t.bits { refill() }
        let e = t.entries[Int(bitBuffer & ((1 << UInt64(t.bits)) - 1))]
        let len = Int(e & 15)
        guard len > 0, len <= bitCount else { throw fail(len == 0 ? "invalid Huffman code" : "unexpected end of data") }
        bitBuffer >>= UInt64(len)
        bitCount -= len
        return Int(e >> 4)
    }

    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                      1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                                       11, 11, 12, 12, 13, 13]
    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    mutating func run(into out: inout [UInt8]) throws {
        var last = 0
        repeat {
            last = try take(1)
            switch try take(2) {
            case 0: try stored(into: &out)
            case 1:
                var lit = HuffmanTable(), dist = HuffmanTable()
                var lengths = [UInt8](repeating: 8, count: 288)
                for k in 144..<256 { lengths[k] = 9 }
                for k in 256..<280 { lengths[k] = 7 }
                _ = lit.build(lengths[...])
                _ = dist.build([UInt8](repeating: 5, count: 30)[...])
                try codes(lit, dist, into: &out)
            case 2:
                let (lit, dist) = try dynamicTables()
                try codes(lit, dist, into: &out)
            default: throw fail("invalid block type 3")
            }
        } while last == 0
        // Give back whole unconsumed bytes: the trailer follows the last block's byte.
        let whole = bitCount / 8
        position -= whole
        bitCount -= whole * 8
    }

    mutating func stored(into out: inout [UInt8]) throws {
        // Skip to a byte boundary, then LEN and NLEN.
        _ = try take(bitCount % 8)
        let len = try take(16), nlen = try take(16)
        guard len == (~nlen & 0xFFFF) else { throw fail("stored block length check failed") }
        // Bytes still in the bit buffer come first.
        var remaining = len
        while remaining > 0 && bitCount >= 8 {
            out.append(UInt8(try take(8)))
            remaining -= 1
        }
        guard position + remaining <= b.count else { throw fail("unexpected end of data in a stored block") }
        guard out.count + remaining <= limitBytes else { throw tooLarge() }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[position ..< position + remaining]))
        position += remaining
    }

    func tooLarge() -> HaloError {
        HaloError("decompresses to more than \(limitBytes) bytes, the limit for this kind of input", file: path)
    }

    mutating func dynamicTables() throws -> (HuffmanTable, HuffmanTable) {
        let hlit = try take(5) + 257, hdist = try take(5) + 1, hclen = try take(4) + 4
        guard hlit <= 286, hdist <= 30 else { throw fail("too many length or distance codes") }
        var codeLengths = [UInt8](repeating: 0, count: 19)
        for k in 0..<hclen { codeLengths[Inflater.codeLengthOrder[k]] = UInt8(try take(3)) }
        var clTable = HuffmanTable()
        guard clTable.build(codeLengths[...]) else { throw fail("invalid code-length code") }
        var lengths = [UInt8](repeating: 0, count: hlit + hdist)
        var k = 0
        while k < lengths.count {
            let sym = try decode(clTable)
            switch sym {
            case 0...15:
                lengths[k] = UInt8(sym)
                k += 1
            case 16:
                guard k > 0 else { throw fail("repeat with no previous length") }
                let n = 3 + (try take(2))
                guard k + n <= lengths.count else { throw fail("too many code lengths") }
                for _ in 0..<n { lengths[k] = lengths[k - 1]; k += 1 }
            default:
                let n = sym == 17 ? 3 + (try take(3)) : 11 + (try take(7))
                guard k + n <= lengths.count else { throw fail("too many code lengths") }
                k += n
            }
        }
        guard lengths[256] > 0 else { throw fail("no end-of-block code") }
        var lit = HuffmanTable(), dist = HuffmanTable()
        guard lit.build(lengths[0..<hlit]) else { throw fail("invalid literal/length code") }
        // A block may use no distance code at all (only literals): allowed, with an empty table.
        if !dist.build(lengths[hlit...]) && lengths[hlit...].contains(where: { $0 > 0 }) {
            throw fail("invalid distance code")
        }
        return (lit, dist)
    }

    mutating func codes(_ lit: HuffmanTable, _ dist: HuffmanTable, into out: inout [UInt8]) throws {
        while true {
            let sym = try decode(lit)
            if sym < 256 {
                guard out.count < limitBytes else { throw tooLarge() }
                out.append(UInt8(sym))
                continue
            }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw fail("invalid length symbol \(sym)") }
            let length = Inflater.lengthBase[li] + (try take(Inflater.lengthExtra[li]))
            guard !dist.entries.isEmpty else { throw fail("a match with no distance code") }
            let di = try decode(dist)
            guard di < 30 else { throw fail("invalid distance symbol \(di)") }
            let distance = Inflater.distanceBase[di] + (try take(Inflater.distanceExtra[di]))
            guard distance <= out.count else { throw fail("distance \(distance) before the start of the data") }
            guard out.count + length <= limitBytes else { throw tooLarge() }
            var from = out.count - distance
            for _ in 0..<length {
                out.append(out[from])
                from += 1
            }
        }
    }
}
