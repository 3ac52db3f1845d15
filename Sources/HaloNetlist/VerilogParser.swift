import Foundation
import HaloCore

// Parser for structural Verilog: modules → a small syntax tree (`VModule`), one per module.
// Behavioural constructs are rejected with a located error; parameters, specify blocks,
// attributes and delays are skipped.

/// A constant: bits MSB first, each 0, 1, 2 (x) or 3 (z). Unsized constants keep their minimal width
/// and take the width of their context.
struct VConst {
    var bits: [UInt8]
    var sized: Bool
    /// SystemVerilog `'0`/`'1`/`'x`/`'z`: every bit of the context takes the one value in `bits`.
    var fill = false

    static let x: UInt8 = 2
    static let z: UInt8 = 3

    /// The constant extended (with 0, or with x/z when its leftmost bit is x/z) or truncated to `width` bits.
    func fitted(to width: Int) -> [UInt8] {
        if fill { return [UInt8](repeating: bits.first ?? 0, count: width) }
        if bits.count == width { return bits }
        if bits.count > width { return Array(bits[(bits.count - width)...]) }
        let pad: UInt8 = (bits.first ?? 0) >= 2 ? (bits.first ?? 0) : 0
        return [UInt8](repeating: pad, count: width - bits.count) + bits
    }
}

/// An expression in a port connection or an assign.
enum VExpr {
    case ident(Int32, VLoc)
    case bit(Int32, Int, VLoc)
    case part(Int32, Int, Int, VLoc)
    /// `name[base +: width]` (up == true) or `name[base -: width]`.
    case indexedPart(Int32, Int, Int, Bool, VLoc)
    case const(VConst, VLoc)
    case concat([VExpr], VLoc)
    case repl(Int, [VExpr], VLoc)

    var loc: VLoc {
        switch self {
        case .ident(_, let l), .bit(_, _, let l), .part(_, _, _, let l), .indexedPart(_, _, _, _, let l),
             .const(_, let l), .concat(_, let l), .repl(_, _, let l):
            return l
        }
    }
}

/// One name of a declaration (`input [7:0] a;`, `wire b;`).
struct VNetDecl {
    var name: Int32
    var loc: VLoc
    var dir: PortDirection?
    /// Declared with a net/variable type (wire, reg, tri, supply0, ...).
    var isNet: Bool
    var range: (msb: Int, lsb: Int)?
    /// -1, or 0/1 for supply0/supply1.
    var supply: Int8
}

/// One connection of an instance: named (`pin >= 0`) or positional.
struct VConn {
    var pin: Int32
    var loc: VLoc
    var expr: VExpr?
}

/// One instance (of a module, a cell or a gate primitive).
struct VInstance {
    var cell: Int32
    var cellLoc: VLoc
    var prim: GatePrimitive?
    /// Instance name id, -1 for an unnamed gate primitive.
    var name: Int32
    var nameLoc: VLoc
    var named: Bool
    var conns: [VConn]
}

/// `assign lhs = rhs;` (also a net declaration assignment).
struct VAssign {
    var lhs: VExpr
    var rhs: VExpr
    var loc: VLoc
}

enum VItem {
    case instance(VInstance)
    indirect case assign(VAssign)
}

/// A parsed module.
final class VModule {
    let name: Int32
    let loc: VLoc
    /// Port names in header order.
    var ports: [(name: Int32, loc: VLoc)] = []
    var ansi = false
    var decls: [VNetDecl] = []
    var items: [VItem] = []
    /// `` `default_nettype none`` was in effect.
    var nettypeNone = false

    init(name: Int32, loc: VLoc) {
        self.name = name
        self.loc = loc
    }
}

/// Recursive-descent parser over one file's tokens.
struct VerilogParser {
    private var lx: VerilogLexer
    private var tok: VToken
    private var ahead: [VToken] = []
    private let buf: UnsafeBufferPointer<UInt8>
    private let file: Int32
    private let path: String
    /// Modules parsed so far, in source order.
    private(set) var modules: [VModule] = []
    private let diagnostics: DiagnosticSink?

    private let idLogic: Int32
    private let idAlwaysFF: Int32
    private let idAlwaysComb: Int32
    private let idAlwaysLatch: Int32

    /// Limits that keep hostile inputs from recursing without bound.
    static let maxExprDepth = 200
    static let maxRangeWidth = 1 << 24
    static let maxConstWidth = 1 << 20

    /// Declarations and items of the module being parsed.
    private var curDecls: [VNetDecl] = []
    private var curItems: [VItem] = []

    init(buf: UnsafeBufferPointer<UInt8>, file: Int32, path: String, interner: VerilogInterner,
         diagnostics: DiagnosticSink?) throws {
        self.buf = buf
        self.file = file
        self.path = path
        self.diagnostics = diagnostics
        var interner = interner
        idLogic = interner.intern("logic")
        idAlwaysFF = interner.intern("always_ff")
        idAlwaysComb = interner.intern("always_comb")
        idAlwaysLatch = interner.intern("always_latch")
        lx = VerilogLexer(buf: buf, file: file, path: path, interner: interner)
        tok = VToken(kind: .eof, id: -1, start: 0, end: 0, line: 1, col: 1)
        tok = try lx.next()
    }

    // MARK: - Token helpers

    @inline(__always) private mutating func advance() throws {
        if ahead.isEmpty { tok = try lx.next() } else { tok = ahead.removeFirst() }
    }

    private mutating func peek() throws -> VToken {
        if ahead.isEmpty { ahead.append(try lx.next()) }
        return ahead[0]
    }

    @inline(__always) private func loc(_ t: VToken) -> VLoc { VLoc(file: file, line: t.line, col: t.col) }

    private func srcLoc(_ t: VToken) -> SourceLocation {
        SourceLocation(file: path, line: Int(t.line), column: Int(t.col))
    }

    private func srcLoc(_ l: VLoc) -> SourceLocation {
        SourceLocation(file: path, line: Int(l.line), column: Int(l.col))
    }

    /// `'text'` of a token, or `end of file`.
    private func describe(_ t: VToken) -> String {
        if t.kind == .eof { return "end of file" }
        let end = min(t.end, t.start + 60, buf.count)
        let start = min(t.start, end)
        var text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<end]), as: UTF8.self)
        if t.end > end { text += "..." }
        return "'\(text)'"
    }

    private func error(_ message: String, _ t: VToken) -> HaloError {
        HaloError(message, at: srcLoc(t))
    }

    private func expected(_ what: String, _ t: VToken) -> HaloError {
        HaloError("expected \(what), found \(describe(t))", at: srcLoc(t))
    }

    private mutating func expectPunct(_ c: UInt8, _ context: String) throws {
        guard tok.isPunct(c) else {
            throw expected("'\(Character(UnicodeScalar(c)))' \(context)", tok)
        }
        try advance()
    }

    private mutating func expectIdent(_ what: String) throws -> VToken {
        guard tok.kind == .ident else { throw expected(what, tok) }
        let t = tok
        try advance()
        return t
    }

    private func name(_ id: Int32) -> String { lx.interner.strings[Int(id)] }

    /// The interner, with every identifier of this file; take it after parsing.
    var interner: VerilogInterner { lx.interner }

    // MARK: - File level

    /// Parses the whole file.
    mutating func parseFile() throws {
        while tok.kind != .eof {
            if tok.isKeyword(.module) || tok.isKeyword(.macromodule) {
                try parseModule()
            } else if tok.isKeyword(.primitive) {
                try skipUDP()
            } else if tok.isPunct(59) {
                try advance()
            } else {
                throw expected("'module'", tok)
            }
        }
    }

    private mutating func skipUDP() throws {
        let start = tok
        try advance()
        let nameText = tok.kind == .ident ? name(tok.id) : "?"
        while !tok.isKeyword(.endprimitive) {
            if tok.kind == .eof {
                throw error("unexpected end of file in primitive '\(nameText)' (missing 'endprimitive')", tok)
            }
            try advance()
        }
        try advance()
        diagnostics?.warn("user-defined primitive '\(nameText)' skipped", at: srcLoc(start))
    }

    // MARK: - Modules

    private mutating func parseModule() throws {
        try advance()
        let nameTok = try expectIdent("module name")
        let m = VModule(name: nameTok.id, loc: loc(nameTok))
        m.nettypeNone = lx.defaultNettypeNone
        if tok.isPunct(35) /* # */ {
            try advance()
            guard tok.isPunct(40) else { throw expected("'(' after '#' in module header", tok) }
            try skipBalanced()
        }
        curDecls = []
        curItems = []
        if tok.isPunct(40) { try parsePortList(m) }
        try expectPunct(59, "after module header")
        try parseBody(m)
        m.decls = curDecls
        m.items = curItems
        curDecls = []
        curItems = []
        modules.append(m)
    }

    private func isDirection(_ t: VToken) -> PortDirection? {
        guard t.kind == .keyword else { return nil }
        switch t.id {
        case VKeyword.input.rawValue: return .input
        case VKeyword.output.rawValue: return .output
        case VKeyword.inout.rawValue: return .inout
        default: return nil
        }
    }

    /// A net type keyword; returns the supply value (-1 for none).
    private func netType(_ t: VToken) -> Int8? {
        if t.kind == .ident && t.id == idLogic { return -1 }
        guard t.kind == .keyword, let k = VKeyword(rawValue: t.id) else { return nil }
        switch k {
        case .wire, .tri, .tri0, .tri1, .wand, .wor, .triand, .trior, .trireg, .uwire, .reg: return -1
        case .supply0: return 0
        case .supply1: return 1
        default: return nil
        }
    }

    /// `reg` or `logic`: a variable, whose declaration assignment is an initial value.
    private func isVariableType(_ t: VToken) -> Bool {
        t.isKeyword(.reg) || (t.kind == .ident && t.id == idLogic)
    }

    private mutating func parsePortList(_ m: VModule) throws {
        try advance() // (
        if tok.isPunct(41) { try advance(); return }
        if isDirection(tok) != nil {
            m.ansi = true
            var dir: PortDirection = .input
            var range: (msb: Int, lsb: Int)?
            var isNet = false
            var supply: Int8 = -1
            var first = true
            while true {
                if let d = isDirection(tok) {
                    dir = d
                    range = nil
                    isNet = false
                    supply = -1
                    try advance()
                    if let s = netType(tok) { isNet = true; supply = s; try advance() }
                    while tok.isKeyword(.signed) || tok.isKeyword(.unsigned) { try advance() }
                    if tok.isPunct(91) { range = try parseRange() }
                } else if first {
                    throw expected("port direction", tok)
                }
                first = false
                let n = try expectIdent("port name")
                if tok.isPunct(91) { throw error("arrays of ports are not supported", tok) }
                m.ports.append((n.id, loc(n)))
                curDecls.append(VNetDecl(name: n.id, loc: loc(n), dir: dir, isNet: isNet, range: range,
                                        supply: supply))
                if tok.isPunct(44) { try advance(); continue }
                if tok.isPunct(41) { try advance(); break }
                throw expected("',' or ')' in port list", tok)
            }
        } else {
            while true {
                if tok.isPunct(46) || tok.isPunct(123) {
                    throw error("port expressions in a module's port list are not supported, found \(describe(tok))",
                                tok)
                }
                let n = try expectIdent("port name")
                if tok.isPunct(91) {
                    throw error("port expressions in a module's port list are not supported, found \(describe(tok))",
                                tok)
                }
                m.ports.append((n.id, loc(n)))
                if tok.isPunct(44) { try advance(); continue }
                if tok.isPunct(41) { try advance(); break }
                throw expected("',' or ')' in port list", tok)
            }
        }
    }

    private mutating func parseBody(_ m: VModule) throws {
        while true {
            switch tok.kind {
            case .eof:
                throw error("unexpected end of file in module '\(name(m.name))' (missing 'endmodule')", tok)
            case .keyword:
                guard let k = VKeyword(rawValue: tok.id) else { throw error("unexpected \(describe(tok))", tok) }
                switch k {
                case .endmodule:
                    try advance()
                    if tok.isPunct(58) /* : */ {
                        try advance()
                        _ = try expectIdent("module name after 'endmodule :'")
                    }
                    return
                case .input, .output, .inout:
                    try parseDecl(m, dir: isDirection(tok))
                case .wire, .tri, .tri0, .tri1, .wand, .wor, .triand, .trior, .trireg, .uwire, .reg,
                     .supply0, .supply1:
                    try parseDecl(m, dir: nil)
                case .assign:
                    try parseAssign(m)
                case .parameter, .localparam, .defparam, .specparam, .integer, .real, .realtime, .time,
                     .event, .genvar:
                    try skipStatement()
                case .specify:
                    let start = tok
                    while !tok.isKeyword(.endspecify) {
                        if tok.kind == .eof {
                            throw error("unexpected end of file in specify block (missing 'endspecify')", start)
                        }
                        try advance()
                    }
                    try advance()
                case .always, .initial, .function, .task:
                    throw error("behavioral construct '\(k.text)' is not supported in a structural netlist", tok)
                case .and, .or, .nand, .nor, .xor, .xnor, .not, .buf:
                    try parseGate(m, GatePrimitive(rawValue: k.text) ?? .buf)
                case .bufif0, .bufif1, .notif0, .notif1, .nmos, .pmos, .cmos, .rnmos, .rpmos, .rcmos,
                     .tran, .tranif0, .tranif1, .rtran, .rtranif0, .rtranif1, .pullup, .pulldown:
                    throw error("gate primitive '\(k.text)' is not supported", tok)
                case .module, .macromodule:
                    throw error("unexpected 'module' inside module '\(name(m.name))' (missing 'endmodule')", tok)
                default:
                    throw error("unsupported construct '\(k.text)' in a structural netlist", tok)
                }
            case .ident:
                if tok.id == idAlwaysFF || tok.id == idAlwaysComb || tok.id == idAlwaysLatch {
                    throw error("behavioral construct '\(name(tok.id))' is not supported in a structural netlist",
                                tok)
                }
                if tok.id == idLogic {
                    let next = try peek()
                    if next.isPunct(91) || next.isKeyword(.signed) || next.isKeyword(.unsigned) {
                        try parseDecl(m, dir: nil)
                        continue
                    }
                    if next.kind == .ident {
                        try parseLogicOrInstance(m)
                        continue
                    }
                }
                try parseInstance(m)
            case .punct where tok.isPunct(59):
                try advance()
            default:
                throw error("unexpected \(describe(tok)) in module body", tok)
            }
        }
    }

    /// `logic a;` is a declaration; `logic u1 (...)` an instance of a cell named `logic`.
    private mutating func parseLogicOrInstance(_ m: VModule) throws {
        while ahead.count < 2 { ahead.append(try lx.next()) }
        if ahead[1].isPunct(40) {
            try parseInstance(m)
        } else {
            try parseDecl(m, dir: nil)
        }
    }

    // MARK: - Declarations

    private mutating func parseDecl(_ m: VModule, dir: PortDirection?) throws {
        var isNet = dir == nil
        var supply: Int8 = -1
        var isVariable = false
        if dir == nil {
            supply = netType(tok) ?? -1
            isVariable = isVariableType(tok)
            try advance()
        } else {
            try advance()
            if let s = netType(tok) {
                isNet = true
                supply = s
                isVariable = isVariableType(tok)
                try advance()
            }
        }
        if isNet && tok.isPunct(40) {
            // Drive or charge strength.
            try skipBalanced()
        }
        while tok.isKeyword(.signed) || tok.isKeyword(.unsigned) || tok.isKeyword(.vectored)
                || tok.isKeyword(.scalared) {
            try advance()
        }
        var range: (msb: Int, lsb: Int)?
        if tok.isPunct(91) { range = try parseRange() }
        if tok.isPunct(35) { try skipDelay() }
        while true {
            let n = try expectIdent(isNet ? "net name" : "port name")
            if tok.isPunct(91) {
                throw error("arrays of nets are not supported ('\(name(n.id))[...]')", tok)
            }
            curDecls.append(VNetDecl(name: n.id, loc: loc(n), dir: dir, isNet: isNet, range: range, supply: supply))
            if tok.isPunct(61) /* = */ {
                try advance()
                let rhs = try parseExpr(0)
                if isVariable {
                    // `reg q = 1'b0;` gives an initial value, not a connection.
                    diagnostics?.warn("initial value of variable '\(name(n.id))' ignored", at: srcLoc(n))
                } else {
                    curItems.append(.assign(VAssign(lhs: .ident(n.id, loc(n)), rhs: rhs, loc: loc(n))))
                }
            }
            if tok.isPunct(44) { try advance(); continue }
            if tok.isPunct(59) { try advance(); break }
            throw expected("',' or ';' in declaration", tok)
        }
    }

    /// `[msb:lsb]`
    private mutating func parseRange() throws -> (msb: Int, lsb: Int) {
        let open = tok
        try advance()
        let msb = try constExpr(0)
        try expectPunct(58, "in range")
        let lsb = try constExpr(0)
        try expectPunct(93, "after range")
        let (w, o) = msb.subtractingReportingOverflow(lsb)
        if o || w.magnitude >= UInt(VerilogParser.maxRangeWidth) {
            throw error("range [\(msb):\(lsb)] is too wide", open)
        }
        return (msb, lsb)
    }

    // MARK: - Assigns

    private mutating func parseAssign(_ m: VModule) throws {
        try advance()
        if tok.isPunct(40) { try skipBalanced() }
        if tok.isPunct(35) { try skipDelay() }
        while true {
            let start = tok
            let lhs = try parseExpr(0)
            try expectPunct(61, "in assign")
            let rhs = try parseExpr(0)
            curItems.append(.assign(VAssign(lhs: lhs, rhs: rhs, loc: loc(start))))
            if tok.isPunct(44) { try advance(); continue }
            if tok.isPunct(59) { try advance(); break }
            throw expected("';' after assign", tok)
        }
    }

    // MARK: - Instances

    private mutating func parseInstance(_ m: VModule) throws {
        let cellTok = tok
        try advance()
        if tok.isPunct(35) {
            try advance()
            if tok.isPunct(40) {
                try skipBalanced()
            } else if tok.kind == .number || tok.kind == .real || tok.kind == .ident {
                try advance()
            } else {
                throw expected("parameter value after '#'", tok)
            }
        }
        while true {
            guard tok.kind == .ident else {
                throw expected("instance name after '\(name(cellTok.id))'", tok)
            }
            let nameTok = tok
            try advance()
            if tok.isPunct(91) { throw error("instance arrays are not supported", tok) }
            guard tok.isPunct(40) else { throw expected("'(' after instance name", tok) }
            let (conns, named) = try parseConnections(primitive: nil)
            curItems.append(.instance(VInstance(cell: cellTok.id, cellLoc: loc(cellTok), prim: nil,
                                               name: nameTok.id, nameLoc: loc(nameTok), named: named,
                                               conns: conns)))
            if tok.isPunct(44) { try advance(); continue }
            if tok.isPunct(59) { try advance(); break }
            throw expected("';' after instance", tok)
        }
    }

    private func isStrength(_ t: VToken) -> Bool {
        guard t.kind == .keyword, let k = VKeyword(rawValue: t.id) else { return false }
        switch k {
        case .supply0, .supply1, .strong0, .strong1, .pull0, .pull1, .weak0, .weak1, .highz0, .highz1:
            return true
        default:
            return false
        }
    }

    private mutating func parseGate(_ m: VModule, _ prim: GatePrimitive) throws {
        let kwTok = tok
        try advance()
        if try tok.isPunct(40) && isStrength(peek()) { try skipBalanced() }
        if tok.isPunct(35) { try skipDelay() }
        while true {
            var nameId: Int32 = -1
            var nameLoc = loc(kwTok)
            if tok.kind == .ident {
                nameId = tok.id
                nameLoc = loc(tok)
                try advance()
                if tok.isPunct(91) { throw error("instance arrays are not supported", tok) }
            }
            guard tok.isPunct(40) else { throw expected("'(' in gate instance", tok) }
            let (conns, _) = try parseConnections(primitive: prim)
            curItems.append(.instance(VInstance(cell: kwTok.id, cellLoc: loc(kwTok), prim: prim, name: nameId,
                                               nameLoc: nameLoc, named: false, conns: conns)))
            if tok.isPunct(44) { try advance(); continue }
            if tok.isPunct(59) { try advance(); break }
            throw expected("';' after instance", tok)
        }
    }

    /// `( ... )` of an instance; `tok` is the '('.
    private mutating func parseConnections(primitive: GatePrimitive?) throws -> ([VConn], Bool) {
        try advance()
        var conns: [VConn] = []
        if tok.isPunct(41) { try advance(); return (conns, false) }
        if tok.isPunct(46) /* . */ {
            if let p = primitive {
                throw error("gate primitive '\(p.rawValue)' takes positional connections, found '.'", tok)
            }
            while true {
                guard tok.isPunct(46) else {
                    throw expected("'.' in named connection list (named and positional connections cannot be mixed)",
                                   tok)
                }
                try advance()
                let pinTok = try expectIdent("port name after '.'")
                guard tok.isPunct(40) else { throw expected("'(' after '.\(name(pinTok.id))'", tok) }
                try advance()
                var expr: VExpr?
                if !tok.isPunct(41) { expr = try parseExpr(0) }
                guard tok.isPunct(41) else { throw expected("')' after connection '.\(name(pinTok.id))('", tok) }
                try advance()
                conns.append(VConn(pin: pinTok.id, loc: loc(pinTok), expr: expr))
                if tok.isPunct(44) { try advance(); continue }
                if tok.isPunct(41) { try advance(); break }
                throw expected("',' or ')' in connection list", tok)
            }
            return (conns, true)
        }
        while true {
            let start = tok
            var expr: VExpr?
            if tok.isPunct(46) {
                throw error("named and positional connections cannot be mixed, found '.'", tok)
            }
            if !tok.isPunct(44) && !tok.isPunct(41) { expr = try parseExpr(0) }
            conns.append(VConn(pin: -1, loc: loc(start), expr: expr))
            if tok.isPunct(44) { try advance(); continue }
            if tok.isPunct(41) { try advance(); break }
            throw expected("',' or ')' in connection list", tok)
        }
        return (conns, false)
    }

    // MARK: - Skipping

    /// Skips a parenthesized group; `tok` is the '('.
    private mutating func skipBalanced() throws {
        let open = tok
        var depth = 0
        repeat {
            if tok.kind == .eof {
                throw error("unexpected end of file: '(' is never closed", open)
            }
            if tok.isPunct(40) { depth += 1 } else if tok.isPunct(41) { depth -= 1 }
            try advance()
        } while depth > 0
    }

    /// Skips `#delay`; `tok` is the '#'.
    private mutating func skipDelay() throws {
        try advance()
        if tok.isPunct(40) {
            try skipBalanced()
        } else if tok.kind == .number || tok.kind == .real || tok.kind == .ident {
            try advance()
        } else {
            throw expected("delay value after '#'", tok)
        }
    }

    /// Skips to and past the next ';' outside parentheses and braces.
    private mutating func skipStatement() throws {
        let start = tok
        var depth = 0
        while true {
            if tok.kind == .eof {
                throw error("unexpected end of file in '\(describe(start).dropFirst().dropLast())' statement (missing ';')",
                            start)
            }
            if tok.isPunct(40) || tok.isPunct(123) || tok.isPunct(91) { depth += 1 }
            if tok.isPunct(41) || tok.isPunct(125) || tok.isPunct(93) { depth -= 1 }
            if tok.isPunct(59) && depth <= 0 { try advance(); return }
            try advance()
        }
    }

    // MARK: - Expressions

    /// Operator characters, which structural netlists do not use.
    private func isOperator(_ t: VToken) -> Bool {
        guard t.kind == .punct, t.id > 0, t.id < 128 else { return false }
        switch UInt8(t.id) {
        case 33, 37, 38, 42, 43, 45, 47, 60, 62, 63, 94, 124, 126: return true // ! % & * + - / < > ? ^ | ~
        default: return false
        }
    }

    private func operatorError(_ t: VToken) -> HaloError {
        error("operator \(describe(t)) is not supported in a structural netlist", t)
    }

    private mutating func parseExpr(_ depth: Int) throws -> VExpr {
        if isOperator(tok) { throw operatorError(tok) }
        let e = try parsePrimary(depth)
        if isOperator(tok) { throw operatorError(tok) }
        return e
    }

    private mutating func parsePrimary(_ depth: Int) throws -> VExpr {
        if depth > VerilogParser.maxExprDepth {
            throw error("expression nested too deeply (more than \(VerilogParser.maxExprDepth) levels)", tok)
        }
        let start = tok
        switch tok.kind {
        case .ident:
            let id = tok.id
            try advance()
            guard tok.isPunct(91) else { return .ident(id, loc(start)) }
            try advance()
            let a = try constExpr(0)
            var result: VExpr
            if tok.isPunct(58) {
                try advance()
                let b = try constExpr(0)
                result = .part(id, a, b, loc(start))
            } else if tok.kind == .punct && (tok.id == VPunct.plusColon || tok.id == VPunct.minusColon) {
                let up = tok.id == VPunct.plusColon
                let wTok = tok
                try advance()
                let w = try constExpr(0)
                if w < 1 || w > VerilogParser.maxRangeWidth {
                    throw error("invalid part-select width \(w)", wTok)
                }
                result = .indexedPart(id, a, w, up, loc(start))
            } else {
                result = .bit(id, a, loc(start))
            }
            try expectPunct(93, "after select")
            if tok.isPunct(91) {
                throw error("multiple selects on '\(name(id))' are not supported", tok)
            }
            return result
        case .number:
            let c = try parseNumber(tok)
            try advance()
            return .const(c, loc(start))
        case .punct where tok.isPunct(123):
            try advance()
            if tok.isPunct(125) { throw error("empty concatenation", tok) }
            if tok.isPunct(40) {
                // Replication with a parenthesized count.
                let count = try constExpr(depth + 1)
                guard tok.isPunct(123) else { throw expected("'{' after replication count", tok) }
                return try parseReplication(count: count, start: start, depth: depth)
            }
            let first = try parseExpr(depth + 1)
            if tok.isPunct(123) {
                guard case .const(let c, _) = first else {
                    throw error("replication count must be a constant", start)
                }
                let count = try constValue(c, start)
                return try parseReplication(count: count, start: start, depth: depth)
            }
            var parts = [first]
            while tok.isPunct(44) {
                try advance()
                parts.append(try parseExpr(depth + 1))
            }
            guard tok.isPunct(125) else { throw expected("',' or '}' in concatenation", tok) }
            try advance()
            return .concat(parts, loc(start))
        case .sysIdent:
            throw error("system function \(describe(tok)) is not supported in a structural netlist", tok)
        case .string:
            throw error("string \(describe(tok)) is not allowed in a connection", tok)
        case .real:
            throw error("real number \(describe(tok)) is not allowed in a connection", tok)
        default:
            throw expected("expression", tok)
        }
    }

    /// `tok` is the inner '{' of `{count{...}}`.
    private mutating func parseReplication(count: Int, start: VToken, depth: Int) throws -> VExpr {
        if count < 0 { throw error("negative replication count \(count)", start) }
        if count > VerilogParser.maxConstWidth { throw error("replication count \(count) is too large", start) }
        try advance()
        var parts = [try parseExpr(depth + 1)]
        while tok.isPunct(44) {
            try advance()
            parts.append(try parseExpr(depth + 1))
        }
        try expectPunct(125, "in replication")
        try expectPunct(125, "after replication")
        return .repl(count, parts, loc(start))
    }

    // MARK: - Constant expressions (ranges, selects, replication counts)

    private mutating func constExpr(_ depth: Int) throws -> Int {
        var v = try constTerm(depth)
        while tok.isPunct(43) || tok.isPunct(45) {
            let op = tok
            try advance()
            let r = try constTerm(depth)
            let (s, o) = op.isPunct(43) ? v.addingReportingOverflow(r) : v.subtractingReportingOverflow(r)
            if o { throw error("constant expression overflows", op) }
            v = s
        }
        return v
    }

    private mutating func constTerm(_ depth: Int) throws -> Int {
        var v = try constUnary(depth)
        while tok.isPunct(42) || tok.isPunct(47) || tok.isPunct(37) {
            let op = tok
            try advance()
            let r = try constUnary(depth)
            if op.isPunct(42) {
                let (p, o) = v.multipliedReportingOverflow(by: r)
                if o { throw error("constant expression overflows", op) }
                v = p
            } else {
                if r == 0 { throw error("division by zero in constant expression", op) }
                let (q, o) = op.isPunct(47) ? v.dividedReportingOverflow(by: r) : v.remainderReportingOverflow(dividingBy: r)
                if o { throw error("constant expression overflows", op) }
                v = q
            }
        }
        return v
    }

    private mutating func constUnary(_ depth: Int) throws -> Int {
        if depth > VerilogParser.maxExprDepth {
            throw error("expression nested too deeply (more than \(VerilogParser.maxExprDepth) levels)", tok)
        }
        if tok.isPunct(45) {
            let op = tok
            try advance()
            let v = try constUnary(depth + 1)
            let (n, o) = (0).subtractingReportingOverflow(v)
            if o { throw error("constant expression overflows", op) }
            return n
        }
        if tok.isPunct(43) {
            try advance()
            return try constUnary(depth + 1)
        }
        if tok.isPunct(40) {
            try advance()
            let v = try constExpr(depth + 1)
            try expectPunct(41, "in constant expression")
            return v
        }
        if tok.kind == .number {
            let t = tok
            if t.end - t.start <= 18 {
                // Fast path: plain decimal digits.
                var v = 0
                var i = t.start
                while i < t.end, buf[i] >= 48, buf[i] <= 57 {
                    v = v * 10 + Int(buf[i] - 48)
                    i += 1
                }
                if i == t.end {
                    try advance()
                    return v
                }
            }
            let c = try parseNumber(tok)
            try advance()
            return try constValue(c, t)
        }
        if tok.kind == .ident {
            throw error("identifier '\(name(tok.id))' in a constant expression is not supported (parameters are not evaluated)",
                        tok)
        }
        throw expected("constant", tok)
    }

    private func constValue(_ c: VConst, _ t: VToken) throws -> Int {
        var v = 0
        for b in c.bits {
            if b >= 2 { throw error("constant \(describe(t)) with x or z bits is not allowed here", t) }
            if v > (Int.max >> 2) { throw error("constant \(describe(t)) is too large", t) }
            v = v << 1 | Int(b)
        }
        return v
    }

    // MARK: - Numbers

    /// Decodes a number token into bits.
    private func parseNumber(_ t: VToken) throws -> VConst {
        var i = t.start
        let end = t.end
        var sizeDigits: [UInt8] = []
        while i < end && buf[i] != 39 && buf[i] != 32 && buf[i] != 9 {
            if buf[i] != 95 { sizeDigits.append(buf[i] - 48) }
            i += 1
        }
        if i == end {
            // Plain decimal: unsized.
            var bits = try decimalBits(sizeDigits, t)
            strip(&bits)
            return VConst(bits: bits, sized: false)
        }
        while i < end && buf[i] != 39 { i += 1 }
        i += 1 // '
        if sizeDigits.isEmpty && i + 1 == end {
            switch buf[i] | 0x20 {
            case 48: return VConst(bits: [0], sized: false, fill: true)
            case 49: return VConst(bits: [1], sized: false, fill: true)
            case 120: return VConst(bits: [VConst.x], sized: false, fill: true)
            case 122: return VConst(bits: [VConst.z], sized: false, fill: true)
            default: break
            }
        }
        if i < end && (buf[i] == 115 || buf[i] == 83) { i += 1 }
        guard i < end else { throw error("invalid number \(describe(t))", t) }
        let base = buf[i] | 0x20
        i += 1
        while i < end && (buf[i] == 32 || buf[i] == 9) { i += 1 }
        var size: Int?
        if !sizeDigits.isEmpty {
            var s = 0
            for d in sizeDigits {
                s = s * 10 + Int(d)
                if s > VerilogParser.maxConstWidth { throw error("constant width in \(describe(t)) is too large", t) }
            }
            if s == 0 { throw error("constant width must be positive in \(describe(t))", t) }
            size = s
        }
        var bits: [UInt8] = []
        let baseName: String
        switch base {
        case 98: baseName = "binary"
        case 111: baseName = "octal"
        case 104: baseName = "hexadecimal"
        default: baseName = "decimal"
        }
        if base == 100 {
            var digits: [UInt8] = []
            var xz: UInt8?
            var j = i
            while j < end {
                let c = buf[j] | 0x20
                if buf[j] == 95 { j += 1; continue }
                if c == 120 { xz = VConst.x } else if c == 122 || buf[j] == 63 { xz = VConst.z } else if buf[j] >= 48 && buf[j] <= 57 {
                    digits.append(buf[j] - 48)
                } else {
                    throw error("invalid digit '\(Character(UnicodeScalar(buf[j])))' in decimal constant \(describe(t))", t)
                }
                j += 1
            }
            if let v = xz {
                if !digits.isEmpty { throw error("invalid decimal constant \(describe(t))", t) }
                bits = [v]
            } else {
                bits = try decimalBits(digits, t)
            }
        } else {
            let per = base == 98 ? 1 : base == 111 ? 3 : 4
            var j = i
            bits.reserveCapacity((end - i) * per)
            while j < end {
                let raw = buf[j]
                j += 1
                if raw == 95 { continue }
                let c = raw | 0x20
                var value: Int = -1
                var fill: UInt8 = 0
                if c == 120 { fill = VConst.x } else if c == 122 || raw == 63 { fill = VConst.z } else if raw >= 48 && raw <= 57 {
                    value = Int(raw - 48)
                } else if c >= 97 && c <= 102 {
                    value = Int(c - 97 + 10)
                } else {
                    throw error("invalid digit '\(Character(UnicodeScalar(raw)))' in \(baseName) constant \(describe(t))", t)
                }
                if value >= (1 << per) {
                    throw error("invalid digit '\(Character(UnicodeScalar(raw)))' in \(baseName) constant \(describe(t))", t)
                }
                if value < 0 {
                    for _ in 0..<per { bits.append(fill) }
                } else {
                    var k = per - 1
                    while k >= 0 { bits.append(UInt8((value >> k) & 1)); k -= 1 }
                }
                if bits.count > VerilogParser.maxConstWidth * 4 {
                    throw error("constant \(describe(t)) is too long", t)
                }
            }
        }
        if bits.isEmpty { throw error("missing digits in \(describe(t))", t) }
        if let size {
            return VConst(bits: VConst(bits: bits, sized: false).fitted(to: size), sized: true)
        }
        strip(&bits)
        return VConst(bits: bits, sized: false)
    }

    /// Removes leading zero bits, keeping at least one.
    private func strip(_ bits: inout [UInt8]) {
        var k = 0
        while k < bits.count - 1 && bits[k] == 0 { k += 1 }
        if k > 0 { bits.removeFirst(k) }
    }

    /// Decimal digits (values 0-9) to bits, MSB first.
    private func decimalBits(_ digits: [UInt8], _ t: VToken) throws -> [UInt8] {
        if digits.isEmpty { throw error("missing digits in \(describe(t))", t) }
        if digits.count > 4000 { throw error("decimal constant \(describe(t)) is too long", t) }
        var limbs: [UInt32] = [0] // little endian
        for d in digits {
            var carry = UInt64(d)
            for k in 0..<limbs.count {
                let v = UInt64(limbs[k]) * 10 + carry
                limbs[k] = UInt32(truncatingIfNeeded: v)
                carry = v >> 32
            }
            if carry > 0 { limbs.append(UInt32(carry)) }
        }
        var bits: [UInt8] = []
        bits.reserveCapacity(limbs.count * 32)
        for limb in limbs.reversed() {
            var k = 31
            while k >= 0 { bits.append(UInt8((limb >> UInt32(k)) & 1)); k -= 1 }
        }
        strip(&bits)
        return bits
    }
}
