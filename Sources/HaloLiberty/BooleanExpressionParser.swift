import Foundation
import HaloCore

extension BooleanExpression {
    /// Parses Liberty Boolean syntax (a `function`, `when`, `three_state`, `next_state` … value).
    ///
    /// Accepted forms: `!a` and postfix `a'` (not), `&`, `*` and juxtaposition `a b` (and),
    /// `|` and `+` (or), `^` (xor), parentheses, the constants `0` and `1`, and pin names
    /// (`A`, `D[3]`, `x.y`), optionally quoted (`"A"` or `\"A\"`). A trailing `;` is allowed.
    /// Precedence follows OpenSTA's LibExprParse.yy, lowest to highest: `|`/`+`,
    /// `&`/`*`/juxtaposition, `^`, `!`, postfix `'`; binary operators are left-associative
    /// (long chains of one operator are built as balanced trees, which is equivalent).
    /// Repeated negations (`!!a`, `a''`) are folded.
    ///
    /// - Parameters:
    ///   - text: the expression, without the surrounding Liberty quotes.
    ///   - location: where `text` starts in a file; errors then point at the offending character.
    /// - Throws: `HaloError` naming the offending token, e.g.
    ///   `unexpected ')' in Boolean expression 'A)'`.
    public static func parse(_ text: String, location: SourceLocation? = nil) throws -> BooleanExpression {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = BooleanExpressionParser(bytes: buffer, start: 0, end: buffer.count) { offset in
                guard let location else { return nil }
                var line = location.line
                var column = location.column
                var i = 0
                while i < offset && i < buffer.count {
                    if buffer[i] == 0x0A { line += 1; column = 1 } else { column += 1 }
                    i += 1
                }
                return SourceLocation(file: location.file, line: line, column: column)
            }
            return try parser.parse()
        }
    }
}

/// Recursive-descent parser for Liberty Boolean expressions over a byte range.
struct BooleanExpressionParser {
    /// Deepest parenthesis nesting accepted.
    static let maximumDepth = 200

    private enum Token: Equatable {
        case name(String)
        case constant(Bool)
        case not, quote, and, or, xor, leftParen, rightParen, semicolon
        case end
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let start: Int
    private let end: Int
    private let locate: (Int) -> SourceLocation?
    private var position: Int
    private var token: Token = .end
    private var tokenStart = 0
    private var tokenEnd = 0
    private var depth = 0

    /// - Parameters:
    ///   - bytes/start/end: the expression's bytes (may contain `\` line continuations and `\"`).
    ///   - locate: maps a byte offset in `bytes` to a file location (nil when unknown).
    init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, locate: @escaping (Int) -> SourceLocation?) {
        self.bytes = bytes
        self.start = max(0, min(start, bytes.count))
        self.end = max(self.start, min(end, bytes.count))
        self.locate = locate
        self.position = self.start
    }

    /// Parses the whole range.
    mutating func parse() throws -> BooleanExpression {
        try advance()
        if token == .end || token == .semicolon {
            throw failure("empty Boolean expression", at: tokenStart)
        }
        let e = try parseOr()
        if token == .semicolon { try advance() }
        if token != .end {
            throw failure("unexpected \(describeToken()) in Boolean expression '\(expressionText())'", at: tokenStart)
        }
        return e
    }

    // MARK: Errors

    private func expressionText() -> String {
        // Line breaks and runs of blanks print as one space.
        let raw = LibertyBytes.unescapedString(bytes, start, end)
        var s = ""
        var blank = false
        for ch in raw {
            if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" || ch == "\r\n" {
                blank = true
                continue
            }
            if blank && !s.isEmpty { s.append(" ") }
            blank = false
            s.append(ch)
        }
        if blank && !s.isEmpty { s.append(" ") }
        return LibertyBytes.excerpt(s, limit: 80)
    }

    private func describeToken() -> String {
        if token == .end { return "end of expression" }
        return "'" + LibertyBytes.excerpt(LibertyBytes.string(bytes, tokenStart, tokenEnd)) + "'"
    }

    private func failure(_ message: String, at offset: Int) -> HaloError {
        if let location = locate(offset) {
            return HaloError(message, at: location)
        }
        return HaloError(message + " (column \(offset - start + 1))")
    }

    // MARK: Lexing

    @inline(__always) private static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

    @inline(__always) private static func isNameChar(_ c: UInt8) -> Bool {
        isNameStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5B || c == 0x5D
    }

    private mutating func advance() throws {
        // Skip blanks and line continuations.
        while position < end {
            let c = bytes[position]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C {
                position += 1
            } else if c == 0x5C, let nl = LibertyLexer.continuationNewline(bytes, at: position), nl < end {
                position = nl + 1
            } else {
                break
            }
        }
        tokenStart = position
        guard position < end else {
            token = .end
            tokenEnd = position
            return
        }
        let c = bytes[position]
        position += 1
        switch c {
        case 0x21: token = .not                 // !
        case 0x27: token = .quote               // '
        case 0x26, 0x2A: token = .and           // & *
        case 0x7C, 0x2B: token = .or            // | +
        case 0x5E: token = .xor                 // ^
        case 0x28: token = .leftParen
        case 0x29: token = .rightParen
        case 0x3B: token = .semicolon
        case 0x22:                              // "name"
            token = .name(try quotedName(openedAt: tokenStart))
        case 0x5C where position < end && bytes[position] == 0x22:   // \"name\"
            position += 1
            token = .name(try quotedName(openedAt: tokenStart))
        default:
            if c >= 0x30 && c <= 0x39 {
                while position < end, BooleanExpressionParser.isNameChar(bytes[position]) { position += 1 }
                if position - tokenStart == 1 && (c == 0x30 || c == 0x31) {
                    token = .constant(c == 0x31)
                } else {
                    tokenEnd = position
                    throw failure("invalid name '\(LibertyBytes.string(bytes, tokenStart, position))' in Boolean expression '\(expressionText())'", at: tokenStart)
                }
            } else if BooleanExpressionParser.isNameStart(c) {
                while position < end, BooleanExpressionParser.isNameChar(bytes[position]) { position += 1 }
                token = .name(LibertyBytes.string(bytes, tokenStart, position))
            } else {
                // Include a whole UTF-8 sequence in the message.
                while position < end, bytes[position] & 0xC0 == 0x80 { position += 1 }
                throw failure("unexpected character '\(LibertyBytes.string(bytes, tokenStart, position))' in Boolean expression '\(expressionText())'", at: tokenStart)
            }
        }
        tokenEnd = position
    }

    /// Reads a quoted name after its opening `"` or `\"`; it ends at `"` or `\"`.
    private mutating func quotedName(openedAt open: Int) throws -> String {
        let nameStart = position
        while position < end {
            let c = bytes[position]
            if c == 0x22 {
                let name = LibertyBytes.string(bytes, nameStart, position)
                position += 1
                return try checkedQuotedName(name, at: open)
            }
            if c == 0x5C, position + 1 < end, bytes[position + 1] == 0x22 {
                let name = LibertyBytes.string(bytes, nameStart, position)
                position += 2
                return try checkedQuotedName(name, at: open)
            }
            if c == 0x0A { break }
            position += 1
        }
        throw failure("unterminated quoted name in Boolean expression '\(expressionText())'", at: open)
    }

    private func checkedQuotedName(_ name: String, at open: Int) throws -> String {
        let trimmed = name.trimmingCharacters(in: [" ", "\t"])
        if trimmed.isEmpty {
            throw failure("empty quoted name in Boolean expression '\(expressionText())'", at: open)
        }
        return trimmed
    }

    // MARK: Grammar

    /// Builds a balanced tree of one associative operator (depth log n, not n).
    private static func combine(_ operands: [BooleanExpression],
                                _ make: (BooleanExpression, BooleanExpression) -> BooleanExpression) -> BooleanExpression {
        func build(_ lo: Int, _ hi: Int) -> BooleanExpression {
            if hi - lo == 1 { return operands[lo] }
            let mid = lo + (hi - lo + 1) / 2
            return make(build(lo, mid), build(mid, hi))
        }
        return operands.isEmpty ? .constant(false) : build(0, operands.count)
    }

    private mutating func parseOr() throws -> BooleanExpression {
        var operands = [try parseAnd()]
        while token == .or {
            try advance()
            operands.append(try parseAnd())
        }
        return operands.count == 1 ? operands[0] : BooleanExpressionParser.combine(operands) { .or($0, $1) }
    }

    private var startsOperand: Bool {
        switch token {
        case .name, .constant, .leftParen, .not: return true
        default: return false
        }
    }

    private mutating func parseAnd() throws -> BooleanExpression {
        var operands = [try parseXor()]
        while true {
            if token == .and {
                try advance()
                operands.append(try parseXor())
            } else if startsOperand {
                operands.append(try parseXor())   // juxtaposition
            } else {
                break
            }
        }
        return operands.count == 1 ? operands[0] : BooleanExpressionParser.combine(operands) { .and($0, $1) }
    }

    private mutating func parseXor() throws -> BooleanExpression {
        var operands = [try parseUnary()]
        while token == .xor {
            try advance()
            operands.append(try parseUnary())
        }
        return operands.count == 1 ? operands[0] : BooleanExpressionParser.combine(operands) { .xor($0, $1) }
    }

    private mutating func parseUnary() throws -> BooleanExpression {
        var negations = 0
        while token == .not {
            negations += 1
            try advance()
        }
        let e = try parsePostfix()
        return negations % 2 == 1 ? BooleanExpressionParser.negate(e) : e
    }

    private mutating func parsePostfix() throws -> BooleanExpression {
        let e = try parsePrimary()
        var negations = 0
        while token == .quote {
            negations += 1
            try advance()
        }
        return negations % 2 == 1 ? BooleanExpressionParser.negate(e) : e
    }

    private static func negate(_ e: BooleanExpression) -> BooleanExpression {
        if case .not(let inner) = e { return inner }
        return .not(e)
    }

    private mutating func parsePrimary() throws -> BooleanExpression {
        switch token {
        case .name(let name):
            try advance()
            return .variable(name)
        case .constant(let value):
            try advance()
            return .constant(value)
        case .leftParen:
            let open = tokenStart
            depth += 1
            if depth > BooleanExpressionParser.maximumDepth {
                throw failure("Boolean expression nested more than \(BooleanExpressionParser.maximumDepth) parentheses deep", at: open)
            }
            try advance()
            if token == .rightParen {
                throw failure("empty parentheses in Boolean expression '\(expressionText())'", at: tokenStart)
            }
            let e = try parseOr()
            guard token == .rightParen else {
                throw failure("expected ')' in Boolean expression '\(expressionText())', found \(describeToken())", at: tokenStart)
            }
            depth -= 1
            try advance()
            return e
        default:
            throw failure("unexpected \(describeToken()) in Boolean expression '\(expressionText())'", at: tokenStart)
        }
    }
}
