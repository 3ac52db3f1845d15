import HaloCore

// The Liberty lexer: bytes in, tokens out. It works on a UTF-8 byte buffer and never builds a
// String per token; tokens are byte ranges with a line and column.

/// One Liberty token: a byte range of the source buffer plus its position.
struct LibertyToken {
    enum Kind: UInt8 {
        /// An unquoted word: a name, a number, `table_lookup`, `D[3:0]`, `%s[%d]`, `!A` …
        case word
        /// A double-quoted string; `contentStart..<contentEnd` is the text between the quotes.
        case string
        case leftParen, rightParen, leftBrace, rightBrace, colon, semicolon, comma, equals
        case endOfFile
    }

    var kind: Kind
    /// Offset of the token's first byte (for a string: its opening quote).
    var start: Int
    /// Offset just past the token (for a string: past its closing quote).
    var end: Int
    /// 1-based line of the first byte.
    var line: Int
    /// 1-based column (in bytes) of the first byte.
    var column: Int
    /// True when a real line break (not a `\` continuation) separates this token from the previous one.
    var newlineBefore: Bool
    /// For a string: it contains a backslash (escape or line continuation) and needs unescaping.
    var hasEscape: Bool

    /// The content range: the whole word, or the text between a string's quotes.
    var contentStart: Int { kind == .string ? start + 1 : start }
    var contentEnd: Int { kind == .string ? end - 1 : end }
}

/// Liberty lexer over a byte buffer. The buffer must stay valid while the lexer is used.
struct LibertyLexer {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    private(set) var position = 0
    private var line = 1
    private var lineStart = 0

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        // Skip a UTF-8 byte-order mark.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            position = 3
            lineStart = 3
        }
    }

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: path, line: line, column: column)
    }

    /// If a `\` at `i` starts a line continuation (`\` + optional blanks + newline), returns the
    /// offset of the newline byte (`\n`), else nil.
    @inline(__always)
    static func continuationNewline(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        var j = i + 1
        let n = bytes.count
        while j < n {
            let c = bytes[j]
            if c == 0x0A { return j }                       // \n
            if c == 0x20 || c == 0x09 || c == 0x0D { j += 1; continue }   // blanks, \r
            return nil
        }
        return nil
    }

    /// Bytes that end an unquoted word.
    @inline(__always)
    static func isWordDelimiter(_ c: UInt8) -> Bool {
        switch c {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C,            // blanks and line breaks
             0x28, 0x29, 0x7B, 0x7D,                         // ( ) { }
             0x3A, 0x3B, 0x2C, 0x22, 0x3D:                   // : ; , " =
            return true
        default:
            return false
        }
    }

    /// Returns the next token; throws on an unterminated string or comment.
    mutating func next() throws -> LibertyToken {
        let n = bytes.count
        var newline = false
        // Skip blanks, line breaks, continuations and comments.
        while position < n {
            let c = bytes[position]
            if c == 0x0A {
                position += 1
                line += 1
                lineStart = position
                newline = true
            } else if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C {
                position += 1
            } else if c == 0x5C, let nl = LibertyLexer.continuationNewline(bytes, at: position) {
                position = nl + 1
                line += 1
                lineStart = position
            } else if c == 0x2F, position + 1 < n, bytes[position + 1] == 0x2A {   // /*
                let startLine = line, startColumn = position - lineStart + 1
                position += 2
                var closed = false
                while position < n {
                    let d = bytes[position]
                    if d == 0x2A, position + 1 < n, bytes[position + 1] == 0x2F {
                        position += 2
                        closed = true
                        break
                    }
                    position += 1
                    if d == 0x0A {
                        line += 1
                        lineStart = position
                        newline = true
                    }
                }
                if !closed {
                    throw HaloError("unterminated comment", at: location(line: startLine, column: startColumn))
                }
            } else if c == 0x2F, position + 1 < n, bytes[position + 1] == 0x2F {   // //
                position += 2
                while position < n, bytes[position] != 0x0A { position += 1 }
            } else {
                break
            }
        }
        let start = position
        let column = start - lineStart + 1
        guard position < n else {
            return LibertyToken(kind: .endOfFile, start: n, end: n, line: line, column: column,
                                newlineBefore: newline, hasEscape: false)
        }
        let c = bytes[position]
        var kind: LibertyToken.Kind
        switch c {
        case 0x28: kind = .leftParen
        case 0x29: kind = .rightParen
        case 0x7B: kind = .leftBrace
        case 0x7D: kind = .rightBrace
        case 0x3A: kind = .colon
        case 0x3B: kind = .semicolon
        case 0x2C: kind = .comma
        case 0x3D: kind = .equals
        case 0x22:
            return try lexString(start: start, column: column, newline: newline)
        default:
            return lexWord(start: start, column: column, newline: newline)
        }
        position += 1
        return LibertyToken(kind: kind, start: start, end: position, line: line, column: column,
                            newlineBefore: newline, hasEscape: false)
    }

    private mutating func lexString(start: Int, column: Int, newline: Bool) throws -> LibertyToken {
        let n = bytes.count
        let startLine = line
        var escape = false
        position = start + 1
        while position < n {
            let d = bytes[position]
            if d == 0x22 {
                position += 1
                return LibertyToken(kind: .string, start: start, end: position, line: startLine, column: column,
                                    newlineBefore: newline, hasEscape: escape)
            }
            if d == 0x5C {
                escape = true
                if let nl = LibertyLexer.continuationNewline(bytes, at: position) {
                    position = nl + 1
                    line += 1
                    lineStart = position
                    continue
                }
                // An escaped character: skip it (but never a line break, which is an error below).
                if position + 1 < n, bytes[position + 1] != 0x0A {
                    position += 2
                } else {
                    position += 1
                }
                continue
            }
            if d == 0x0A { break }
            position += 1
        }
        throw HaloError("unterminated string", at: location(line: startLine, column: column))
    }

    private mutating func lexWord(start: Int, column: Int, newline: Bool) -> LibertyToken {
        let n = bytes.count
        var bracketDepth = 0
        position = start
        while position < n {
            let d = bytes[position]
            if d == 0x5B {            // [
                bracketDepth += 1
            } else if d == 0x5D {     // ]
                if bracketDepth > 0 { bracketDepth -= 1 }
            } else if d == 0x3A, bracketDepth > 0 {
                // `:` inside a bit range such as D[3:0] belongs to the word.
            } else if LibertyLexer.isWordDelimiter(d) {
                break
            } else if d == 0x5C, LibertyLexer.continuationNewline(bytes, at: position) != nil {
                break
            } else if d == 0x2F, position + 1 < n, bytes[position + 1] == 0x2A || bytes[position + 1] == 0x2F {
                if position > start { break }
            }
            position += 1
        }
        if position == start { position += 1 }   // never return an empty token
        return LibertyToken(kind: .word, start: start, end: position, line: line, column: column,
                            newlineBefore: newline, hasEscape: false)
    }
}

// MARK: - Byte-level helpers shared by the parser and the reader

enum LibertyBytes {
    /// Decodes `bytes[start..<end]` as UTF-8 (invalid bytes become U+FFFD).
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let s = max(0, min(start, bytes.count)), e = max(s, min(end, bytes.count))
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
    }

    /// Decodes the content of a quoted string: drops `\` line continuations, turns `\"` into `"`
    /// and `\\` into `\`, keeps other escapes as written.
    static func unescapedString(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let s = max(0, min(start, bytes.count)), e = max(s, min(end, bytes.count))
        var out: [UInt8] = []
        out.reserveCapacity(e - s)
        var i = s
        while i < e {
            let c = bytes[i]
            if c == 0x5C {
                if let nl = LibertyLexer.continuationNewline(bytes, at: i), nl < e {
                    i = nl + 1
                    continue
                }
                if i + 1 < e, bytes[i + 1] == 0x22 || bytes[i + 1] == 0x5C {
                    out.append(bytes[i + 1])
                    i += 2
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A short, printable rendering of a token's text for error messages.
    static func excerpt(_ text: String, limit: Int = 60) -> String {
        // Control characters (binary input) print as '?', so that a message stays one line.
        var printable = text
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            var scalars = String.UnicodeScalarView()
            for u in text.unicodeScalars {
                scalars.append(u.value < 0x20 || u.value == 0x7F ? "?" : u)
            }
            printable = String(scalars)
        }
        if printable.utf8.count <= limit { return printable }
        return String(printable.prefix(limit)) + "..."
    }

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses a Liberty number (`1`, `-0.5`, `.5`, `1.0e-3`, `+2E5`) spanning exactly
    /// `bytes[start..<end]`; nil when malformed. Correctly rounded.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        guard start >= 0, end <= bytes.count, start < end else { return nil }
        var i = start
        var negative = false
        if bytes[i] == 0x2D || bytes[i] == 0x2B {
            negative = bytes[i] == 0x2D
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var inexact = false
        var sawDigit = false
        while i < end {
            let d = bytes[i] &- 0x30
            guard d < 10 else { break }
            sawDigit = true
            if mantissa == 0 && d == 0 {
                // leading zero
            } else if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
            } else {
                exponent += 1
                if d != 0 { inexact = true }
            }
            i += 1
        }
        if i < end, bytes[i] == 0x2E {   // .
            i += 1
            while i < end {
                let d = bytes[i] &- 0x30
                guard d < 10 else { break }
                sawDigit = true
                if mantissa == 0 && d == 0 {
                    exponent -= 1
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    digits += 1
                    exponent -= 1
                } else if d != 0 {
                    inexact = true
                }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < end, bytes[i] == 0x65 || bytes[i] == 0x45 {   // e E
            i += 1
            var expNegative = false
            if i < end, bytes[i] == 0x2D || bytes[i] == 0x2B {
                expNegative = bytes[i] == 0x2D
                i += 1
            }
            var e = 0
            var sawExpDigit = false
            while i < end {
                let d = bytes[i] &- 0x30
                guard d < 10 else { break }
                sawExpDigit = true
                if e < 100_000 { e = e * 10 + Int(d) }
                i += 1
            }
            guard sawExpDigit else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == end else { return nil }
        var value: Double
        if mantissa == 0 {
            value = 0
        } else if !inexact, mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
            value = Double(mantissa)
            if exponent >= 0 {
                value *= exactPowersOfTen[exponent]
            } else {
                value /= exactPowersOfTen[-exponent]
            }
        } else {
            let text = string(bytes, negative || bytes[start] == 0x2B ? start + 1 : start, end)
            guard let v = Double(text) else { return nil }
            value = v
        }
        return negative ? -value : value
    }
}
