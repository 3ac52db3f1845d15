import Foundation
import HaloCore

// Lexer for structural Verilog. Works on raw UTF-8 bytes, interns identifiers and keeps
// line/column bookkeeping incrementally so that every token carries its location cheaply.

/// A compact source position: file index into the reader's path table, 1-based line and column.
struct VLoc: Sendable {
    var file: Int32
    var line: Int32
    var col: Int32
}

/// Interns identifier byte strings to dense `Int32` ids; one table is shared by all files of a read.
struct VerilogInterner {
    /// The interned names, by id.
    private(set) var strings: [String] = []
    private var storage: [UInt8] = []
    private var starts: [Int] = [0]
    /// Open addressing; an entry is `hash >> 32 << 32 | (id + 1)`, 0 when empty, so that most
    /// mismatching probes are rejected without touching the name bytes.
    private var table = [UInt64](repeating: 0, count: 1 << 12)
    private var mask = (1 << 12) - 1

    init() {}

    var count: Int { strings.count }

    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = 0
        while i < n {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3
            i += 1
        }
        return h ^ (h >> 29)
    }

    /// The id of the byte string `p[0..<n]`, adding it when new.
    mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let h = VerilogInterner.hash(p, n)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & mask
        let found: Int32 = table.withUnsafeBufferPointer { tab in
            starts.withUnsafeBufferPointer { st in
                storage.withUnsafeBufferPointer { sto in
                    while true {
                        let entry = tab[slot]
                        if entry == 0 { return -1 }
                        if entry & 0xFFFF_FFFF_0000_0000 == tag {
                            let i = Int(entry & 0xFFFF_FFFF) - 1
                            let s = st[i], len = st[i + 1] - s
                            if len == n {
                                if n == 0 { return Int32(i) }
                                if let base = sto.baseAddress, memcmp(base + s, p, n) == 0 { return Int32(i) }
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        if found >= 0 { return found }
        storage.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        starts.append(storage.count)
        let id = Int32(strings.count)
        strings.append(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        table[slot] = tag | UInt64(id + 1)
        if strings.count * 2 > table.count { grow() }
        return id
    }

    /// The id of `s`, adding it when new.
    mutating func intern(_ s: String) -> Int32 {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, buf.count > 0 else {
                var zero: UInt8 = 0
                return intern(&zero, 0)
            }
            return intern(base, buf.count)
        }
    }

    private mutating func grow() {
        let newSize = table.count * 2
        var t = [UInt64](repeating: 0, count: newSize)
        let m = newSize - 1
        for i in 0..<strings.count {
            let h = storage.withUnsafeBufferPointer { sto -> UInt64 in
                guard let base = sto.baseAddress else { var z: UInt8 = 0; return VerilogInterner.hash(&z, 0) }
                return VerilogInterner.hash(base + starts[i], starts[i + 1] - starts[i])
            }
            var slot = Int(truncatingIfNeeded: h) & m
            while t[slot] != 0 { slot = (slot + 1) & m }
            t[slot] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(i + 1)
        }
        table = t
        mask = m
    }
}

/// Reserved words the reader recognises. They are interned first, so a keyword's id is its raw value.
enum VKeyword: Int32, CaseIterable {
    case module, macromodule, endmodule, input, output, `inout`
    case wire, tri, tri0, tri1, wand, wor, triand, trior, trireg, uwire, supply0, supply1, reg
    case signed, unsigned, scalared, vectored
    case assign, parameter, localparam, defparam, specparam, specify, endspecify
    case always, initial, function, endfunction, task, endtask
    case generate, endgenerate, genvar, integer, real, realtime, time, event
    case and, or, nand, nor, xor, xnor, not, buf
    case bufif0, bufif1, notif0, notif1, nmos, pmos, cmos, rnmos, rpmos, rcmos
    case tran, tranif0, tranif1, rtran, rtranif0, rtranif1, pullup, pulldown
    case primitive, endprimitive
    case strong0, strong1, pull0, pull1, weak0, weak1, highz0, highz1, small, medium, large
    case begin, end, `if`, `else`, `case`, casex, casez, endcase, `for`, `while`, `repeat`, forever, fork, join
    case force, release, deassign, disable, wait

    /// The keyword's spelling.
    var text: String {
        switch self {
        case .if: return "if"
        case .else: return "else"
        case .case: return "case"
        case .for: return "for"
        case .while: return "while"
        case .repeat: return "repeat"
        default: return String(describing: self)
        }
    }
}

/// Token kinds.
enum VTokKind: UInt8 {
    case eof, ident, keyword, number, real, string, punct, sysIdent
}

/// Punctuation codes above the ASCII range.
enum VPunct {
    static let plusColon: Int32 = 256
    static let minusColon: Int32 = 257
}

/// One token: kind, payload id (intern id, keyword raw value or punctuation code), byte range and position.
struct VToken {
    var kind: VTokKind
    var id: Int32
    var start: Int
    var end: Int
    var line: Int32
    var col: Int32

    @inline(__always) func isPunct(_ c: UInt8) -> Bool { kind == .punct && id == Int32(c) }
    @inline(__always) func isKeyword(_ k: VKeyword) -> Bool { kind == .keyword && id == k.rawValue }
}

/// The lexer proper: call `next()` until it returns an `.eof` token.
struct VerilogLexer {
    let buf: UnsafeBufferPointer<UInt8>
    let file: Int32
    let path: String
    /// Identifier table; shared with the parser and later the elaborator.
    var interner: VerilogInterner
    private(set) var pos = 0
    private var line: Int32 = 1
    private var lineStart = 0
    /// Set by `` `default_nettype none``, cleared by `` `default_nettype wire`` / `` `resetall``.
    private(set) var defaultNettypeNone = false

    init(buf: UnsafeBufferPointer<UInt8>, file: Int32, path: String, interner: VerilogInterner) {
        self.buf = buf
        self.file = file
        self.path = path
        self.interner = interner
        // Skip a UTF-8 byte order mark.
        if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3; lineStart = 3 }
    }

    func location(line: Int32, col: Int32) -> SourceLocation {
        SourceLocation(file: path, line: Int(line), column: Int(col))
    }

    private func here(_ offset: Int) -> SourceLocation {
        SourceLocation(file: path, line: Int(line), column: offset - lineStart + 1)
    }

    @inline(__always) private static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }

    @inline(__always) private static func isIdentChar(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 36
    }

    @inline(__always) private static func isBaseChar(_ c: UInt8) -> Bool {
        switch c | 0x20 {
        case 98, 111, 100, 104: return true // b o d h
        default: return false
        }
    }

    @inline(__always) private static func isSpace(_ c: UInt8) -> Bool {
        c == 32 || c == 9 || c == 10 || c == 13 || c == 12 || c == 11
    }

    /// Skips whitespace, comments, attributes and compiler directives.
    private mutating func skipTrivia() throws {
        let n = buf.count
        while pos < n {
            let c = buf[pos]
            if c == 10 {
                pos += 1; line += 1; lineStart = pos
            } else if c == 32 || c == 9 || c == 13 || c == 12 || c == 11 {
                pos += 1
            } else if c == 47 /* / */ && pos + 1 < n && buf[pos + 1] == 47 {
                pos += 2
                while pos < n && buf[pos] != 10 { pos += 1 }
            } else if c == 47 && pos + 1 < n && buf[pos + 1] == 42 /* * */ {
                let startLoc = here(pos)
                pos += 2
                var closed = false
                while pos < n {
                    let d = buf[pos]
                    if d == 42 && pos + 1 < n && buf[pos + 1] == 47 { pos += 2; closed = true; break }
                    if d == 10 { line += 1; lineStart = pos + 1 }
                    pos += 1
                }
                if !closed { throw HaloError("unterminated comment", at: startLoc) }
            } else if c == 40 /* ( */ && pos + 1 < n && buf[pos + 1] == 42
                        && !(pos + 2 < n && buf[pos + 2] == 41 /* ) */) {
                try skipAttribute()
            } else if c == 96 /* ` */ {
                try directive()
            } else {
                return
            }
        }
    }

    /// Skips `(* ... *)`, strings inside included.
    private mutating func skipAttribute() throws {
        let n = buf.count
        let startLoc = here(pos)
        pos += 2
        while pos < n {
            let d = buf[pos]
            if d == 42 && pos + 1 < n && buf[pos + 1] == 41 { pos += 2; return }
            if d == 34 /* " */ {
                _ = try lexString()
                continue
            }
            if d == 10 { line += 1; lineStart = pos + 1 }
            pos += 1
        }
        throw HaloError("unterminated attribute '(*'", at: startLoc)
    }

    /// Handles a compiler directive at `pos` (the backtick).
    private mutating func directive() throws {
        let n = buf.count
        let startLoc = here(pos)
        var e = pos + 1
        while e < n && VerilogLexer.isIdentChar(buf[e]) { e += 1 }
        let name = String(decoding: UnsafeBufferPointer(rebasing: buf[(pos + 1)..<e]), as: UTF8.self)
        pos = e
        switch name {
        case "celldefine", "endcelldefine", "nounconnected_drive", "enable_portfaults", "disable_portfaults",
             "suppress_faults", "nosuppress_faults", "delay_mode_distributed", "delay_mode_path",
             "delay_mode_unit", "delay_mode_zero", "end_keywords":
            return
        case "resetall":
            defaultNettypeNone = false
        case "timescale", "line", "pragma", "begin_keywords", "unconnected_drive", "default_decay_time",
             "default_trireg_strength":
            _ = restOfLine()
        case "default_nettype":
            let arg = restOfLine()
            defaultNettypeNone = arg.hasPrefix("none")
        case "define", "undef", "undefineall", "ifdef", "ifndef", "elsif", "else", "endif", "include":
            throw HaloError("compiler directive '`\(name)' is not supported (preprocess the netlist first)",
                            at: startLoc)
        case "":
            throw HaloError("unexpected character '`'", at: startLoc)
        default:
            throw HaloError("unsupported compiler directive or macro '`\(name)'", at: startLoc)
        }
    }

    /// Consumes the rest of the line (a directive's argument), without a trailing `//` comment.
    private mutating func restOfLine() -> String {
        let n = buf.count
        var s = pos
        while s < n && (buf[s] == 32 || buf[s] == 9) { s += 1 }
        var t = s
        while t < n && buf[t] != 10 { t += 1 }
        pos = t
        var text = String(decoding: UnsafeBufferPointer(rebasing: buf[s..<t]), as: UTF8.self)
        if let r = text.range(of: "//") { text = String(text[..<r.lowerBound]) }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// Lexes a string literal starting at `pos` (the quote); returns its end offset.
    private mutating func lexString() throws -> Int {
        let n = buf.count
        let startLoc = here(pos)
        pos += 1
        while pos < n {
            let d = buf[pos]
            if d == 34 { pos += 1; return pos }
            if d == 92 /* \ */ { pos += 2; continue }
            if d == 10 { break }
            pos += 1
        }
        throw HaloError("unterminated string", at: startLoc)
    }

    /// The next token.
    mutating func next() throws -> VToken {
        try skipTrivia()
        let n = buf.count
        let start = pos
        let col = Int32(truncatingIfNeeded: pos - lineStart + 1)
        if pos >= n {
            return VToken(kind: .eof, id: -1, start: n, end: n, line: line, col: col)
        }
        let c = buf[pos]
        guard let base = buf.baseAddress else {
            return VToken(kind: .eof, id: -1, start: n, end: n, line: line, col: col)
        }
        if VerilogLexer.isIdentStart(c) {
            var e = pos + 1
            while e < n && VerilogLexer.isIdentChar(buf[e]) { e += 1 }
            pos = e
            let id = interner.intern(base + start, e - start)
            if id < VerilogLexer.keywordCount {
                return VToken(kind: .keyword, id: id, start: start, end: e, line: line, col: col)
            }
            return VToken(kind: .ident, id: id, start: start, end: e, line: line, col: col)
        }
        if c == 92 /* \ escaped identifier */ {
            var e = pos + 1
            while e < n && !VerilogLexer.isSpace(buf[e]) { e += 1 }
            if e == pos + 1 { throw HaloError("empty escaped identifier", at: here(pos)) }
            pos = e
            let id = interner.intern(base + start + 1, e - start - 1)
            return VToken(kind: .ident, id: id, start: start, end: e, line: line, col: col)
        }
        if c >= 48 && c <= 57 || c == 39 /* ' */ {
            return try lexNumber(col: col)
        }
        if c == 36 /* $ */ {
            var e = pos + 1
            while e < n && VerilogLexer.isIdentChar(buf[e]) { e += 1 }
            pos = e
            let id = interner.intern(base + start, e - start)
            return VToken(kind: .sysIdent, id: id, start: start, end: e, line: line, col: col)
        }
        if c == 34 {
            let e = try lexString()
            return VToken(kind: .string, id: -1, start: start, end: e, line: line, col: col)
        }
        if (c == 43 || c == 45) && pos + 1 < n && buf[pos + 1] == 58 {
            pos += 2
            return VToken(kind: .punct, id: c == 43 ? VPunct.plusColon : VPunct.minusColon,
                          start: start, end: pos, line: line, col: col)
        }
        if c >= 0x80 {
            // One whole UTF-8 sequence, so that the error message shows the character.
            var e = pos + 1
            while e < n && buf[e] & 0xC0 == 0x80 { e += 1 }
            pos = e
            return VToken(kind: .punct, id: 0, start: start, end: e, line: line, col: col)
        }
        pos += 1
        return VToken(kind: .punct, id: Int32(c), start: start, end: pos, line: line, col: col)
    }

    /// Lexes a number: decimal, real, or based (`8'hff`, `'b1`, `4 'd 9`, `20'sh0`).
    private mutating func lexNumber(col: Int32) throws -> VToken {
        let n = buf.count
        let start = pos
        var e = pos
        if buf[e] != 39 {
            while e < n && (buf[e] >= 48 && buf[e] <= 57 || buf[e] == 95) { e += 1 }
            // Real number?
            var isReal = false
            if e + 1 < n && buf[e] == 46 /* . */ && buf[e + 1] >= 48 && buf[e + 1] <= 57 {
                isReal = true
                e += 1
                while e < n && (buf[e] >= 48 && buf[e] <= 57 || buf[e] == 95) { e += 1 }
            }
            if e < n && (buf[e] == 101 || buf[e] == 69) {
                var f = e + 1
                if f < n && (buf[f] == 43 || buf[f] == 45) { f += 1 }
                if f < n && buf[f] >= 48 && buf[f] <= 57 {
                    isReal = true
                    e = f
                    while e < n && (buf[e] >= 48 && buf[e] <= 57 || buf[e] == 95) { e += 1 }
                }
            }
            if isReal {
                pos = e
                return VToken(kind: .real, id: -1, start: start, end: e, line: line, col: col)
            }
            // Size followed by a base?
            var f = e
            while f < n && (buf[f] == 32 || buf[f] == 9) { f += 1 }
            if !(f < n && buf[f] == 39) {
                pos = e
                return VToken(kind: .number, id: -1, start: start, end: e, line: line, col: col)
            }
            e = f
        }
        // buf[e] == '\''
        let quoteOffset = e
        e += 1
        if quoteOffset == start && e < n {
            // SystemVerilog fill literal '0, '1, 'x, 'z.
            switch buf[e] {
            case 48, 49, 120, 88, 122, 90:
                if !(e + 1 < n && VerilogLexer.isIdentChar(buf[e + 1])) {
                    pos = e + 1
                    return VToken(kind: .number, id: -1, start: start, end: pos, line: line, col: col)
                }
            default:
                break
            }
        }
        if e < n && (buf[e] == 115 || buf[e] == 83) { e += 1 } // s / S
        guard e < n, VerilogLexer.isBaseChar(buf[e]) else {
            throw HaloError("invalid based number: expected b, o, d or h after the apostrophe",
                            at: here(quoteOffset))
        }
        e += 1
        while e < n && (buf[e] == 32 || buf[e] == 9) { e += 1 }
        let digitsStart = e
        while e < n && (VerilogLexer.isIdentChar(buf[e]) || buf[e] == 63 /* ? */) && buf[e] != 36 { e += 1 }
        if e == digitsStart {
            throw HaloError("missing digits in based number", at: here(quoteOffset))
        }
        pos = e
        return VToken(kind: .number, id: -1, start: start, end: e, line: line, col: col)
    }

    /// Number of keywords; interned first by `makeInterner()`.
    static let keywordCount = Int32(VKeyword.allCases.count)

    /// A fresh interner holding the keywords at ids equal to their raw values.
    static func makeInterner() -> VerilogInterner {
        var interner = VerilogInterner()
        for k in VKeyword.allCases {
            let id = interner.intern(k.text)
            assert(id == k.rawValue)
        }
        return interner
    }
}
