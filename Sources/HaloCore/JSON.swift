import Foundation

/// A JSON value with the place it was read from, so that a reader can say *where* a file is wrong.
///
/// Halo reads JSON delay tables and report files with this small parser rather than `JSONSerialization`
/// because every error must be located (`file:line:column: error: …`), and because it bounds nesting
/// depth, so that no input can exhaust the stack.
public struct JSONNode: Sendable {
    /// The kinds of JSON value.
    public enum Value: Sendable {
        /// `null`.
        case null
        /// `true` or `false`.
        case bool(Bool)
        /// A number (every JSON number is read as a `Double`).
        case number(Double)
        /// A string, with escapes resolved.
        case string(String)
        /// An array.
        case array([JSONNode])
        /// An object; members in file order (a repeated key keeps every occurrence; lookups take the last).
        case object([(key: String, value: JSONNode)])
    }

    /// The value.
    public var value: Value
    /// Where the value begins.
    public var location: SourceLocation

    /// Creates a node.
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The member `key` of an object (the last one when repeated), or nil.
    public subscript(key: String) -> JSONNode? {
        guard case .object(let members) = value else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The number, or a number written as a string (`"4.2"`), or nil. Tolerant, for reports; delay
    /// tables take numbers only as numbers (see `DelayTable.parseJSON`).
    public var number: Double? {
        switch value {
        case .number(let d): return d
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The string, or nil.
    public var string: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    /// The elements of an array, or nil.
    public var array: [JSONNode]? {
        if case .array(let a) = value { return a }
        return nil
    }

    /// A short name of the value's kind, for messages (`an object`, `a number`, …).
    public var kindName: String {
        switch value {
        case .null: return "null"
        case .bool: return "a Boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Parses JSON text (UTF-8). `path` names the file in error locations.
    /// - Throws: `HaloError` located at the offending character, e.g. `r.json:3:7: error: expected ':' after an object key, found '1'`.
    public static func parse(_ data: Data, path: String, maxDepth: Int = 256) throws -> JSONNode {
        try data.withUnsafeBytes { raw in
            var p = JSONParser(bytes: raw.bindMemory(to: UInt8.self), path: path, maxDepth: maxDepth)
            return try p.parseDocument()
        }
    }
}

/// A recursive-descent JSON parser over bytes, with line/column tracking and a depth limit.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    let maxDepth: Int
    var i = 0
    var line = 1
    var lineStart = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, path: String, maxDepth: Int) {
        self.bytes = bytes
        self.path = path
        self.maxDepth = maxDepth
    }

    var here: SourceLocation { SourceLocation(file: path, line: line, column: i - lineStart + 1) }

    func describeHere() -> String {
        guard i < bytes.count else { return "the end of the file" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b == 0x20 { return "a space" }
        return String(format: "byte 0x%02X", b)
    }

    func fail(_ message: String) -> HaloError { HaloError(message, at: here) }

    mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A: i += 1; line += 1; lineStart = i
            default: return
            }
        }
    }

    mutating func parseDocument() throws -> JSONNode {
        // A UTF-8 byte-order mark is tolerated.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3; lineStart = 3 }
        skipSpace()
        guard i < bytes.count else { throw fail("empty file (expected a JSON object)") }
        let node = try parseValue()
        skipSpace()
        guard i >= bytes.count else { throw fail("unexpected \(describeHere()) after the JSON value") }
        return node
    }

    mutating func parseValue() throws -> JSONNode {
        skipSpace()
        let at = here
        guard i < bytes.count else { throw fail("expected a JSON value, found the end of the file") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return JSONNode(.string(try parseString()), at: at)
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(.bool(true), at: at)
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(.bool(false), at: at)
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(.null, at: at)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONNode(.number(try parseNumber()), at: at)
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            // NaN and Infinity (as Python's json module writes them) are read, and rejected by the report reader.
            if matches("NaN") { i += 3; return JSONNode(.number(.nan), at: at) }
            if matches("Infinity") { i += 8; return JSONNode(.number(.infinity), at: at) }
            throw fail("expected a JSON value, found \(describeHere())")
        default:
            throw fail("expected a JSON value, found \(describeHere())")
        }
    }

    func matches(_ word: String) -> Bool {
        var k = i
        for b in word.utf8 {
            guard k < bytes.count, bytes[k] == b else { return false }
            k += 1
        }
        return true
    }

    mutating func literal(_ word: String) throws {
        guard matches(word) else { throw fail("expected a JSON value, found \(describeHere())") }
        i += word.utf8.count
    }

    mutating func enter() throws {
        depth += 1
        if depth > maxDepth { throw fail("JSON nested deeper than \(maxDepth) levels") }
    }

    mutating func parseObject() throws -> JSONNode {
        let at = here
        try enter()
        i += 1
        var members: [(key: String, value: JSONNode)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; depth -= 1; return JSONNode(.object(members), at: at) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw fail("expected a string key in the object, found \(describeHere())")
            }
            let key = try parseString()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw fail("expected ':' after the key \"\(oneLine(key, limit: 40))\", found \(describeHere())")
            }
            i += 1
            members.append((key, try parseValue()))
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated object (expected ',' or '}', found the end of the file)") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in the object, found \(describeHere())")
        }
        depth -= 1
        return JSONNode(.object(members), at: at)
    }

    mutating func parseArray() throws -> JSONNode {
        let at = here
        try enter()
        i += 1
        var elements: [JSONNode] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; depth -= 1; return JSONNode(.array(elements), at: at) }
        while true {
            elements.append(try parseValue())
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated array (expected ',' or ']', found the end of the file)") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw fail("expected ',' or ']' in the array, found \(describeHere())")
        }
        depth -= 1
        return JSONNode(.array(elements), at: at)
    }

    mutating func parseString() throws -> String {
        let start = here
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw HaloError("unterminated string", at: start) }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b == 0x0A { throw HaloError("unterminated string (a newline inside it)", at: start) }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { throw HaloError("unterminated string", at: start) }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v: UInt32 = 0
                    for _ in 0..<4 {
                        guard i < bytes.count, let h = hexValue(bytes[i]) else {
                            i = min(i, bytes.count)
                            throw fail("malformed \\u escape (expected 4 hex digits)")
                        }
                        v = v * 16 + h
                        i += 1
                    }
                    // Surrogates (lone or paired) are replaced: report keys and names are ASCII in practice.
                    let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    i -= 2
                    throw fail("unknown escape '\\\(oneLine(String(Character(Unicode.Scalar(e))), limit: 1))' in a string")
                }
                continue
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    mutating func parseNumber() throws -> Double {
        let startIndex = i
        let start = here
        while i < bytes.count {
            let b = bytes[i]
            let isNumberByte = (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            if !isNumberByte { break }
            i += 1
            // Bounded, but long enough for any Double written in full (%.6f of 1.8e308 is 316 characters).
            if i - startIndex > 1024 { break }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[startIndex..<i]), as: UTF8.self)
        if text == "-", matches("Infinity") { i += 8; return -.infinity }
        guard let d = Double(text) else { throw HaloError("malformed number '\(text)'", at: start) }
        // A literal beyond the range of a Double would silently become ±infinity.
        guard d.isFinite else { throw HaloError("number '\(text)' is out of range (beyond ±1.8e308)", at: start) }
        return d
    }
}

/// `s` as a JSON string literal, quotes included: `"` and `\` escaped, control characters written as
/// `\n`, `\r`, `\t` or `\u00XX`. The one JSON string writer of every Halo file format.
public func jsonQuoted(_ s: String) -> String {
    var o = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": o += "\\\""
        case "\\": o += "\\\\"
        case "\n": o += "\\n"
        case "\r": o += "\\r"
        case "\t": o += "\\t"
        default:
            if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
        }
    }
    return o + "\""
}
