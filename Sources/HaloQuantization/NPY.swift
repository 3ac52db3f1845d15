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
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw WeightFileError(path, "cannot read the file (\(SafeTensorsFile.reason(error)))")
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try decode(data, path: path, name: stem)
    }

    /// Decodes `.npy` bytes; `path` only labels errors.
    public static func decode(_ data: Data, path: String, name: String) throws -> WeightTensor {
        let bytes = [UInt8](data.prefix(12))
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 6, Array(bytes[0 ..< 6]) == magic else {
            throw WeightFileError(path, "bad magic: not a .npy file (expected \\x93NUMPY)")
        }
        guard bytes.count >= 10 else {
            throw WeightFileError(path, "truncated file: \(data.count) bytes, too short for the .npy preamble")
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
                throw WeightFileError(path, "truncated file: \(data.count) bytes, too short for the .npy preamble")
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw WeightFileError(path, "unsupported .npy version \(major).\(bytes[7]) (supported: 1.0, 2.0, 3.0)")
        }
        guard headerStart + headerLength <= data.count else {
            throw WeightFileError(path, "header length \(headerLength) exceeds the \(data.count - headerStart) bytes after the preamble (truncated file?)")
        }
        guard let header = String(data: data.subdata(in: headerStart ..< headerStart + headerLength), encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw WeightFileError(path, "bad header: not text")
        }
        let dict = try parseHeader(header, path: path)
        guard let descr = dict["descr"], case .string(let d) = descr else {
            throw WeightFileError(path, "bad header: no 'descr' string in \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let fo = dict["fortran_order"], case .bool(let fortran) = fo else {
            throw WeightFileError(path, "bad header: no 'fortran_order' True/False")
        }
        guard let sh = dict["shape"], case .tuple(let shape) = sh else {
            throw WeightFileError(path, "bad header: no 'shape' tuple")
        }
        guard !fortran else {
            throw WeightFileError(path, "Fortran-order array: save it in C order (numpy.ascontiguousarray) before quantizing")
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
            throw WeightFileError(path, "dtype '\(d)' is not supported; supported: f4, f2, f8 (either byte order)")
        }
        var count = 1
        for s in shape {
            let (p, o) = count.multipliedReportingOverflow(by: s)
            guard !o else { throw WeightFileError(path, "bad header: impossibly large shape \(shape)") }
            count = p
        }
        let start = headerStart + headerLength
        let available = data.count - start
        guard available == count * itemSize else {
            throw WeightFileError(path, "shape \(shape) of \(d) needs \(count * itemSize) data bytes, the file has \(available)\(available < count * itemSize ? " (truncated file)" : "")")
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
        do { try encode(tensor.values, shape: tensor.shape, double: double).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw WeightFileError(path, "cannot write the file (\(SafeTensorsFile.reason(error)))")
        }
    }

    enum HeaderValue { case string(String), bool(Bool), tuple([Int]) }

    /// Parses the Python dict literal of the header: string keys, values that are strings,
    /// True/False, or tuples of integers.
    static func parseHeader(_ text: String, path: String) throws -> [String: HeaderValue] {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func bad(_ what: String) -> WeightFileError {
            WeightFileError(path, "bad header: \(what) in \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
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
