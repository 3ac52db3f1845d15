import HaloCore

// The generic Liberty syntax tree: groups `name (args) { … }`, simple attributes `name : value ;`,
// complex attributes `name (v1, v2, …) ;` and variables `name = value ;`. It knows nothing of
// cells or pins. Values are byte ranges of the source buffer; nothing is decoded until asked.

/// One attribute value or group argument.
struct LibertyValue {
    enum Kind: UInt8 {
        /// An unquoted word such as `table_lookup`, `0.5`, `D[3:0]`.
        case word
        /// A quoted string (the range is its content, without the quotes).
        case string
        /// Several tokens written without quotes (`A + B`, `!(A B)`), kept as their source text.
        case raw
    }

    var kind: Kind
    /// Content range in the source buffer.
    var start: Int
    var end: Int
    /// Position of the value's first byte (for a string: its opening quote).
    var line: Int
    var column: Int
    /// For a string: it holds escapes or line continuations.
    var hasEscape: Bool
}

/// How an attribute was written.
enum LibertyAttributeForm: UInt8 {
    /// `name : value ;`
    case simple
    /// `name (v1, v2, …) ;`
    case complex
    /// `name = value ;`
    case variable
}

/// One attribute statement.
struct LibertyAttribute {
    /// Interned name (index into `LibertySyntaxTree.names`).
    var name: Int
    var form: LibertyAttributeForm
    /// Values are `tree.values[firstValue ..< firstValue + valueCount]`.
    var firstValue: Int
    var valueCount: Int
    /// Position of the attribute's name.
    var line: Int
    var column: Int
}

/// One group statement. Children are indices into `LibertySyntaxTree.groups`, so the tree has no
/// recursive structure (no deep recursion on deinit).
struct LibertyGroupNode {
    var name: Int
    var firstArgument: Int
    var argumentCount: Int
    var attributes: [LibertyAttribute] = []
    var children: [Int] = []
    var line: Int
    var column: Int
}

/// A parsed Liberty file. Valid only while the source buffer it was parsed from is alive.
final class LibertySyntaxTree {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    /// Interned attribute and group names.
    var names: [String] = []
    var values: [LibertyValue] = []
    var groups: [LibertyGroupNode] = []
    /// Index of the top-level group (the `library`).
    var root = 0

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// The name of a group or attribute.
    @inline(__always) func name(_ id: Int) -> String { names[id] }

    func arguments(of group: LibertyGroupNode) -> ArraySlice<LibertyValue> {
        values[group.firstArgument ..< group.firstArgument + group.argumentCount]
    }

    func values(of attribute: LibertyAttribute) -> ArraySlice<LibertyValue> {
        values[attribute.firstValue ..< attribute.firstValue + attribute.valueCount]
    }

    /// The text of a value: a string's content (unescaped), a word or raw text as written.
    func text(_ value: LibertyValue) -> String {
        if value.kind == .string && value.hasEscape {
            return LibertyBytes.unescapedString(bytes, value.start, value.end)
        }
        return LibertyBytes.string(bytes, value.start, value.end)
    }

    /// True when the value's text is exactly `literal` (ASCII), without decoding a String.
    func textEquals(_ value: LibertyValue, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard value.end - value.start == count, !value.hasEscape else { return false }
        let p = literal.utf8Start
        for k in 0..<count where bytes[value.start + k] != p[k] { return false }
        return true
    }

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: path, line: line, column: column)
    }

    func location(of value: LibertyValue) -> SourceLocation {
        location(line: value.line, column: value.column)
    }

    func location(of group: LibertyGroupNode) -> SourceLocation {
        location(line: group.line, column: group.column)
    }

    func location(of attribute: LibertyAttribute) -> SourceLocation {
        location(line: attribute.line, column: attribute.column)
    }

    /// The location of byte `offset`, which lies inside `value`'s source range.
    func location(ofOffset offset: Int, in value: LibertyValue) -> SourceLocation {
        var line = value.line
        var column = value.column
        var i = value.kind == .string ? value.start - 1 : value.start
        let end = min(offset, bytes.count)
        while i < end {
            if bytes[i] == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
        return location(line: line, column: column)
    }
}

/// Interns names (byte ranges) without building a String per occurrence.
private struct NameInterner {
    private var slots: [Int32] = Array(repeating: -1, count: 256)
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private(set) var names: [String] = []

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = start
        while i < end {
            h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3
            i += 1
        }
        return h
    }

    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        let h = NameInterner.hash(bytes, start, end)
        let length = end - start
        var mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = Int(slots[slot])
            if id < 0 { break }
            if hashes[id] == h, lengths[id] == length {
                let s = starts[id]
                var same = true
                var k = 0
                while k < length {
                    if bytes[s + k] != bytes[start + k] { same = false; break }
                    k += 1
                }
                if same { return id }
            }
            slot = (slot + 1) & mask
        }
        let id = names.count
        names.append(LibertyBytes.string(bytes, start, end))
        hashes.append(h)
        starts.append(start)
        lengths.append(length)
        slots[slot] = Int32(truncatingIfNeeded: id)
        if names.count * 2 > slots.count {
            // Grow and rehash.
            var grown = Array(repeating: Int32(-1), count: slots.count * 2)
            mask = grown.count - 1
            for (k, hk) in hashes.enumerated() {
                var s = Int(truncatingIfNeeded: hk) & mask
                while grown[s] >= 0 { s = (s + 1) & mask }
                grown[s] = Int32(truncatingIfNeeded: k)
            }
            slots = grown
        }
        return id
    }
}

/// Builds a `LibertySyntaxTree` from tokens. Iterative (an explicit stack of open groups), so deep
/// nesting cannot overflow the call stack; nesting is bounded by `maximumDepth`.
struct LibertyParser {
    /// Deepest group nesting accepted.
    static let maximumDepth = 1000

    private var lexer: LibertyLexer
    private var peeked: LibertyToken?
    private var interner = NameInterner()
    private let tree: LibertySyntaxTree

    private init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        lexer = LibertyLexer(bytes: bytes, path: path)
        tree = LibertySyntaxTree(bytes: bytes, path: path)
    }

    /// Parses a whole file: exactly one top-level group (the `library`).
    static func parse(bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> LibertySyntaxTree {
        var parser = LibertyParser(bytes: bytes, path: path)
        try parser.parseFile()
        parser.tree.names = parser.interner.names
        return parser.tree
    }

    // MARK: Tokens

    private mutating func nextToken() throws -> LibertyToken {
        if let t = peeked {
            peeked = nil
            return t
        }
        return try lexer.next()
    }

    private mutating func peekToken() throws -> LibertyToken {
        if let t = peeked { return t }
        let t = try lexer.next()
        peeked = t
        return t
    }

    private func text(_ t: LibertyToken) -> String {
        LibertyBytes.string(lexer.bytes, t.start, t.end)
    }

    /// How a token is named in error messages: `'}'`, `'area'`, `'"1ns"'`, `end of file`.
    private func describe(_ t: LibertyToken) -> String {
        if t.kind == .endOfFile { return "end of file" }
        return "'" + LibertyBytes.excerpt(text(t)) + "'"
    }

    private func location(_ t: LibertyToken) -> SourceLocation {
        lexer.location(line: t.line, column: t.column)
    }

    private func error(_ message: String, at t: LibertyToken) -> HaloError {
        HaloError(message, at: location(t))
    }

    private func value(of t: LibertyToken) -> LibertyValue {
        LibertyValue(kind: t.kind == .string ? .string : .word, start: t.contentStart, end: t.contentEnd,
                     line: t.line, column: t.column, hasEscape: t.hasEscape)
    }

    // MARK: Grammar

    private mutating func parseFile() throws {
        // Top level: one group; stray semicolons are tolerated.
        var first = try nextToken()
        while first.kind == .semicolon { first = try nextToken() }
        guard first.kind == .word else {
            throw error("expected 'library' group, found \(describe(first))", at: first)
        }
        let open = try peekToken()
        guard open.kind == .leftParen else {
            throw error("expected '(' after '\(LibertyBytes.excerpt(text(first)))', found \(describe(open))", at: open)
        }
        _ = try nextToken()
        let (firstArg, argCount) = try parseArguments(after: first)
        let brace = try nextToken()
        guard brace.kind == .leftBrace else {
            throw error("expected '{' to open group '\(LibertyBytes.excerpt(text(first)))', found \(describe(brace))", at: brace)
        }
        tree.groups.append(LibertyGroupNode(name: interner.intern(lexer.bytes, first.start, first.end),
                                            firstArgument: firstArg, argumentCount: argCount,
                                            line: first.line, column: first.column))
        tree.root = 0
        try parseBody()
        var t = try nextToken()
        while t.kind == .semicolon { t = try nextToken() }
        guard t.kind == .endOfFile else {
            throw error("expected end of file after the '\(LibertyBytes.excerpt(text(first)))' group, found \(describe(t))", at: t)
        }
    }

    /// Parses statements until the root group is closed.
    private mutating func parseBody() throws {
        var stack: [Int] = [0]
        while let current = stack.last {
            let t = try nextToken()
            switch t.kind {
            case .rightBrace:
                stack.removeLast()
            case .semicolon:
                continue
            case .endOfFile:
                let g = tree.groups[current]
                throw error("unterminated group '\(LibertyBytes.excerpt(interner.names[g.name]))' (opened at line \(g.line))", at: t)
            case .word:
                if let child = try parseStatement(name: t, parent: current) {
                    if stack.count >= LibertyParser.maximumDepth {
                        throw error("groups nested more than \(LibertyParser.maximumDepth) deep", at: t)
                    }
                    tree.groups[current].children.append(child)
                    stack.append(child)
                }
            default:
                throw error("expected an attribute or group name, found \(describe(t))", at: t)
            }
        }
    }

    /// Parses one statement whose name token has been read. Returns the index of a newly opened
    /// group (whose body the caller then parses), or nil for an attribute.
    private mutating func parseStatement(name: LibertyToken, parent: Int) throws -> Int? {
        let nameID = interner.intern(lexer.bytes, name.start, name.end)
        let t = try nextToken()
        switch t.kind {
        case .colon, .equals:
            let first = tree.values.count
            try parseSimpleValue(name: name, separator: t)
            tree.groups[parent].attributes.append(
                LibertyAttribute(name: nameID, form: t.kind == .colon ? .simple : .variable,
                                 firstValue: first, valueCount: tree.values.count - first,
                                 line: name.line, column: name.column))
            return nil
        case .leftParen:
            let (firstArg, argCount) = try parseArguments(after: name)
            let after = try peekToken()
            if after.kind == .leftBrace {
                _ = try nextToken()
                tree.groups.append(LibertyGroupNode(name: nameID, firstArgument: firstArg, argumentCount: argCount,
                                                    line: name.line, column: name.column))
                return tree.groups.count - 1
            }
            if after.kind == .semicolon { _ = try nextToken() }
            tree.groups[parent].attributes.append(
                LibertyAttribute(name: nameID, form: .complex, firstValue: firstArg, valueCount: argCount,
                                 line: name.line, column: name.column))
            return nil
        default:
            throw error("expected ':' or '(' after '\(LibertyBytes.excerpt(text(name)))', found \(describe(t))", at: t)
        }
    }

    /// Parses the value of `name : value` up to `;`, `}` or the end of the line. A single word or
    /// string is kept as such; several tokens (`A + B`) become one raw value.
    private mutating func parseSimpleValue(name: LibertyToken, separator: LibertyToken) throws {
        var first: LibertyToken?
        var last: LibertyToken?
        var count = 0
        loop: while true {
            let t = try peekToken()
            switch t.kind {
            case .semicolon:
                if first == nil {
                    throw error("expected a value after '\(LibertyBytes.excerpt(text(name))) \(text(separator))', found ';'", at: t)
                }
                _ = try nextToken()
                break loop
            case .rightBrace, .endOfFile:
                if first == nil {
                    throw error("expected a value after '\(LibertyBytes.excerpt(text(name))) \(text(separator))', found \(describe(t))", at: t)
                }
                break loop
            case .word, .string, .leftParen, .rightParen, .colon, .comma:
                // Vendor values such as `date : 2020:10:11` or `a, b` are kept as raw text;
                // a value cannot start with ':' or ','.
                if first != nil && t.newlineBefore { break loop }
                if first == nil && (t.kind == .colon || t.kind == .comma) {
                    throw error("unexpected \(describe(t)) in the value of '\(LibertyBytes.excerpt(text(name)))'", at: t)
                }
                _ = try nextToken()
                if first == nil { first = t }
                last = t
                count += 1
            default:
                if first != nil && t.newlineBefore { break loop }
                throw error("unexpected \(describe(t)) in the value of '\(LibertyBytes.excerpt(text(name)))'", at: t)
            }
        }
        guard let f = first, let l = last else { return }
        if count == 1 && (f.kind == .word || f.kind == .string) {
            tree.values.append(value(of: f))
        } else {
            tree.values.append(LibertyValue(kind: .raw, start: f.start, end: l.end, line: f.line, column: f.column,
                                            hasEscape: false))
        }
    }

    /// Parses `v1, v2 v3, …)` after an opening parenthesis; commas are optional. A nested
    /// parenthesized expression becomes one raw value.
    private mutating func parseArguments(after name: LibertyToken) throws -> (first: Int, count: Int) {
        let first = tree.values.count
        while true {
            let t = try nextToken()
            switch t.kind {
            case .rightParen:
                return (first, tree.values.count - first)
            case .comma:
                continue
            case .word, .string:
                tree.values.append(value(of: t))
            case .leftParen:
                // Balanced nested parentheses: keep the source text as one value.
                var depth = 1
                var last = t
                while depth > 0 {
                    let u = try nextToken()
                    switch u.kind {
                    case .leftParen: depth += 1
                    case .rightParen: depth -= 1
                    case .word, .string, .comma: break
                    default:
                        throw error("expected ')' in the arguments of '\(LibertyBytes.excerpt(text(name)))', found \(describe(u))", at: u)
                    }
                    last = u
                }
                tree.values.append(LibertyValue(kind: .raw, start: t.start, end: last.end, line: t.line,
                                                column: t.column, hasEscape: false))
            default:
                throw error("expected ')' to close the arguments of '\(LibertyBytes.excerpt(text(name)))', found \(describe(t))", at: t)
            }
        }
    }
}
