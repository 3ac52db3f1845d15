import Foundation

/// NumPy `.npy` arrays: magic `\x93NUMPY`, version, a little-endian header length (2 bytes in
/// version 1, 4 in versions 2 and 3), a Python dict literal header
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`), then the data.
///
/// Reads `f4`, `f2` and `f8` in either byte order, C order only (a Fortran-order array is refused
/// with a clear error rather than silently transposed). Writes `<f4` and `<f8`.
public enum NPY {
    /// Reads a file; the tensor is named after the file's stem (`weights.npy` → `weights`).
    public static func read(path: String) throws -> WeightTensor {
        let data = try SafeTensorsFile.map(path)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try decode(data, path: path, name: stem)
    }

    /// Decodes `.npy` bytes; `path` only labels errors.
    public static func decode(_ data: Data, path: String, name: String) throws -> WeightTensor {
        let bytes = [UInt8](data.prefix(12))
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 6, Array(bytes[0 ..< 6]) == magic else {
            throw HaloError("bad magic: not a .npy file (expected \\x93NUMPY)", file: path)
        }
        guard bytes.count >= 10 else {
            throw HaloError("truncated file: \(data.count) bytes, too short for the .npy preamble", file: path)
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else {
                throw HaloError("truncated file: \(data.count) bytes, too short for the .npy preamble", file: path)
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw HaloError("unsupported .npy version \(major).\(bytes[7]) (supported: 1.0, 2.0, 3.0)", file: path)
        }
        guard headerStart + headerLength <= data.count else {
            throw HaloError("header length \(headerLength) exceeds the \(data.count - headerStart) bytes after the preamble (truncated file?)", file: path)
        }
        guard let header = String(data: data.subdata(in: headerStart ..< headerStart + headerLength), encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw HaloError("bad header: not text", file: path)
        }
        let dict = try parseHeader(header, path: path)
        guard let descr = dict["descr"], case .string(let d) = descr else {
            throw HaloError("bad header: no 'descr' string in \(header.trimmingCharacters(in: .whitespacesAndNewlines))", file: path)
        }
        guard let fo = dict["fortran_order"], case .bool(let fortran) = fo else {
            throw HaloError("bad header: no 'fortran_order' True/False", file: path)
        }
        guard let sh = dict["shape"], case .tuple(let shape) = sh else {
            throw HaloError("bad header: no 'shape' tuple", file: path)
        }
        guard !fortran else {
            throw HaloError("Fortran-order array: save it in C order (numpy.ascontiguousarray) before quantizing", file: path)
        }
        var littleEndian = true
        var kind = d
        if let f = d.first, "<>=|".contains(f) {
            littleEndian = f != ">"
            kind = String(d.dropFirst())
        }
        let itemSize: Int
        switch kind {
        case "f4": itemSize = 4
        case "f2": itemSize = 2
        case "f8": itemSize = 8
        default:
            throw HaloError("dtype '\(d)' is not supported; supported: f4, f2, f8 (either byte order)", file: path)
        }
        let (count, dataBytes) = try WeightTensor.checkedSize(shape, itemSize: itemSize, what: "bad header: shape", file: path)
        let start = headerStart + headerLength
        let available = data.count - start
        guard available == dataBytes else {
            throw HaloError("shape \(shape) of \(d) needs \(dataBytes) data bytes, the file has \(available)\(available < dataBytes ? " (truncated file)" : "")", file: path)
        }
        var values = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                switch itemSize {
                case 4:
                    for i in 0 ..< count {
                        let b = raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
                        out[i] = Float(bitPattern: littleEndian ? UInt32(littleEndian: b) : UInt32(bigEndian: b))
                    }
                case 2:
                    for i in 0 ..< count {
                        let b = raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)
                        out[i] = HalfFloat.float(fromBits: littleEndian ? UInt16(littleEndian: b) : UInt16(bigEndian: b))
                    }
                default:
                    for i in 0 ..< count {
                        let b = raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self)
                        out[i] = Float(Double(bitPattern: littleEndian ? UInt64(littleEndian: b) : UInt64(bigEndian: b)))
                    }
                }
            }
        }
        return WeightTensor(name: name, shape: shape, values: values)
    }

    /// The bytes of a version 1.0 `.npy` file holding `values` with `shape`, as `<f4` (default) or `<f8`.
    public static func encode(_ values: [Float], shape: [Int], double: Bool = false) -> Data {
        precondition(shape.reduce(1, *) == values.count)
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(double ? "<f8" : "<f4")', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let n = UInt16(header.utf8.count)
        out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
        out.append(contentsOf: Array(header.utf8))
        if double {
            let le = values.map { Double($0).bitPattern.littleEndian }
            le.withUnsafeBytes { out.append(contentsOf: $0) }
        } else {
            let le = values.map { $0.bitPattern.littleEndian }
            le.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes a `.npy` file (see ``encode(_:shape:double:)``).
    public static func write(_ tensor: WeightTensor, to path: String, double: Bool = false) throws {
        try OutputFiles.write(encode(tensor.values, shape: tensor.shape, double: double), to: path)
    }

    enum HeaderValue { case string(String), bool(Bool), tuple([Int]) }

    /// Parses the Python dict literal of the header: string keys, values that are strings,
    /// True/False, or tuples of integers.
    static func parseHeader(_ text: String, path: String) throws -> [String: HeaderValue] {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func bad(_ what: String) -> HaloError {
            HaloError("bad header: \(what) in \(text.trimmingCharacters(in: .whitespacesAndNewlines))", file: path)
        }
        func skipSpace() { while i < chars.count, chars[i].properties.isWhitespace { i += 1 } }
        func parseString() throws -> String {
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw bad("expected a quoted string") }
            let q = chars[i]; i += 1
            var s = ""
            while i < chars.count, chars[i] != q { s.unicodeScalars.append(chars[i]); i += 1 }
            guard i < chars.count else { throw bad("unterminated string") }
            i += 1
            return s
        }
        skipSpace()
        guard i < chars.count, chars[i] == "{" else { throw bad("expected '{'") }
        i += 1
        var result: [String: HeaderValue] = [:]
        while true {
            skipSpace()
            guard i < chars.count else { throw bad("unterminated dict") }
            if chars[i] == "}" { i += 1; break }
            let key = try parseString()
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                throw bad("unexpected key '\(key)' (a .npy header has 'descr', 'fortran_order' and 'shape')")
            }
            guard result[key] == nil else { throw bad("repeated key '\(key)'") }
            skipSpace()
            guard i < chars.count, chars[i] == ":" else { throw bad("expected ':' after '\(key)'") }
            i += 1
            skipSpace()
            guard i < chars.count else { throw bad("unterminated dict") }
            if chars[i] == "'" || chars[i] == "\"" {
                result[key] = .string(try parseString())
            } else if chars[i] == "(" {
                i += 1
                var dims: [Int] = []
                while true {
                    skipSpace()
                    guard i < chars.count else { throw bad("unterminated shape tuple") }
                    if chars[i] == ")" { i += 1; break }
                    var digits = ""
                    while i < chars.count, chars[i].properties.numericType != nil { digits.unicodeScalars.append(chars[i]); i += 1 }
                    if i < chars.count, chars[i] == "L" { i += 1 } // Python 2 longs
                    guard let n = Int(digits) else { throw bad("shape entry is not an integer") }
                    dims.append(n)
                    skipSpace()
                    if i < chars.count, chars[i] == "," { i += 1 }
                }
                result[key] = .tuple(dims)
            } else {
                var word = ""
                while i < chars.count, chars[i].properties.isAlphabetic { word.unicodeScalars.append(chars[i]); i += 1 }
                switch word {
                case "True": result[key] = .bool(true)
                case "False": result[key] = .bool(false)
                default: throw bad("unexpected value for '\(key)'")
                }
            }
            skipSpace()
            if i < chars.count, chars[i] == "," { i += 1 }
        }
        return result
    }
}
