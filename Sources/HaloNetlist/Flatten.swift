import Foundation
import HaloCore

// Elaboration: every module reachable from the top is compiled once into local bit numbers
// (its declared nets laid out bit by bit, MSB first), then the hierarchy is flattened by mapping
// each instance's local bits to global nets. `assign` merges nets with union-find.

/// Special bit codes of compiled connections (non-negative codes are local bit numbers).
enum VBit {
    /// Unconnected (empty connection, x or z constant bit).
    static let open: Int32 = -1
    static let zero: Int32 = -2
    static let one: Int32 = -3
}

/// A declared (or implicit) net of a module, laid out at `offset` in the module's local bits.
struct CDecl {
    var name: Int32
    var loc: VLoc
    var dir: PortDirection?
    var hasNet: Bool
    var hasRange: Bool
    var msb: Int
    var lsb: Int
    var offset: Int
    var supply: Int8

    var width: Int { hasRange ? abs(msb - lsb) + 1 : 1 }

    /// Position (0 = leftmost/MSB as declared) of bit `index`, or nil when out of range.
    func position(of index: Int) -> Int? {
        guard hasRange else { return nil }
        if msb >= lsb {
            return index <= msb && index >= lsb ? msb - index : nil
        }
        return index >= msb && index <= lsb ? index - msb : nil
    }

    /// Bit index of position `p`.
    func index(at p: Int) -> Int { msb >= lsb ? msb - p : msb + p }

    var rangeText: String { "[\(msb):\(lsb)]" }
}

/// A port of a compiled module.
struct CPort {
    var name: Int32
    var decl: Int
    var dir: PortDirection
    var offset: Int
    var width: Int
    /// Offset of this port's bits in `CSub.codes`.
    var codeOffset: Int
}

/// A leaf instance with local bit codes.
struct CLeaf {
    var name: String
    var cell: String
    var prim: Int
    var pins: [(String, Int32)]
    var loc: VLoc
}

/// An instance of a defined module; `codes` holds, per child port bit, the parent's bit code.
struct CSub {
    var name: String
    var child: Int
    var codes: [Int32]
    var loc: VLoc
}

enum CItem {
    case leaf(CLeaf)
    case sub(CSub)
}

/// A module compiled to local bits.
final class CModule {
    let ast: VModule
    let name: String
    var decls: [CDecl] = []
    var bitCount = 0
    var bitDecl: [Int32] = []
    var ports: [CPort] = []
    var portIndex: [Int32: Int] = [:]
    var portBitCount = 0
    var items: [CItem] = []
    var assignL: [Int32] = []
    var assignR: [Int32] = []
    var supplies: [(Int32, Bool)] = []
    /// Levels of hierarchy including this one.
    var depth = 1
    /// Leaf instances after flattening (saturating).
    var flatLeaves = 0
    /// Nets after flattening (saturating).
    var flatNets = 0
    /// Where this module's declarations start in the flattened design's declaration locations (-1: not yet there).
    var declarationBase = -1

    init(ast: VModule, name: String) {
        self.ast = ast
        self.name = name
    }

    /// Name of local bit `b` (`bus[3]` or `n`).
    func bitName(_ b: Int, _ names: [String]) -> String {
        let d = decls[Int(bitDecl[b])]
        let base = names[Int(d.name)]
        if !d.hasRange { return base }
        return "\(base)[\(d.index(at: b - d.offset))]"
    }
}

/// Compiles and flattens parsed modules.
final class VerilogElaborator {
    static let maxDepth = 1000
    static let maxFlatInstances = 50_000_000
    static let maxFlatNets = 100_000_000
    static let maxModuleBits = 1 << 26
    static let maxExprBits = 1 << 22

    var interner: VerilogInterner
    let paths: [String]
    let diagnostics: DiagnosticSink?
    let isLeafCell: ((String) -> Bool)?
    /// Unknown cells with connections become black boxes (dropped: their pins neither drive nor load,
    /// as OpenSTA's black-box ports of unknown direction) instead of an error.
    let blackBoxUnknownCells: Bool
    let modules: [VModule]
    /// Instances of unknown cells with no connections (tap, filler, decap cells), skipped: name → count.
    private var skippedUnconnected: [String: Int] = [:]
    /// Instances of unknown cells made black boxes: name → count.
    private var blackBoxes: [String: Int] = [:]
    private var names: [String] { interner.strings }
    private var moduleIndex: [Int32: Int] = [:]
    private var compiled: [CModule?]
    private var leafCache: [Int32: Bool] = [:]
    private var scratch: [Int32] = []
    /// Per name id: the index in the module's items of the instance of that name (-1 when none), to
    /// refuse a name used twice in one module.
    private var instanceScratch: [Int32] = []
    private var tmp: [Int32] = []

    init(modules: [VModule], interner: VerilogInterner, paths: [String], diagnostics: DiagnosticSink?,
         isLeafCell: ((String) -> Bool)?, blackBoxUnknownCells: Bool = false) {
        self.modules = modules
        self.interner = interner
        self.paths = paths
        self.diagnostics = diagnostics
        self.isLeafCell = isLeafCell
        self.blackBoxUnknownCells = blackBoxUnknownCells
        compiled = [CModule?](repeating: nil, count: modules.count)
    }

    func srcLoc(_ l: VLoc) -> SourceLocation {
        let f = Int(l.file)
        return SourceLocation(file: f >= 0 && f < paths.count ? paths[f] : "?", line: Int(l.line), column: Int(l.col))
    }

    private func name(_ id: Int32) -> String { interner.strings[Int(id)] }

    // MARK: - Driver

    func run(top: String?) throws -> FlatDesign {
        if modules.isEmpty {
            let at = paths.first.map { SourceLocation(file: $0, line: 1, column: 1) }
            throw HaloError(paths.count > 1 ? "no module definitions found in any of the \(paths.count) files"
                                            : "no module definitions found", at: at)
        }
        for (i, m) in modules.enumerated() {
            if let prev = moduleIndex[m.name] {
                throw HaloError("module '\(name(m.name))' is already defined at \(srcLoc(modules[prev].loc))",
                                at: srcLoc(m.loc))
            }
            moduleIndex[m.name] = i
        }
        let topIndex = try chooseTop(top)
        let order = try postOrder(from: topIndex)
        scratch = [Int32](repeating: -1, count: interner.count)
        instanceScratch = scratch
        for m in order {
            let cm = try compile(m)
            compiled[m] = cm
            modules[m].items = [] // the syntax tree is no longer needed; free it before flattening
        }
        guard let topModule = compiled[topIndex] else { throw HaloError("internal error: top not compiled") }
        func summary(_ counts: [String: Int]) -> String {
            let names = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            let shown = names.prefix(3).map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            return shown + (names.count > 3 ? ", and \(names.count - 3) more cell types" : "")
        }
        if !skippedUnconnected.isEmpty {
            let n = skippedUnconnected.values.reduce(0, +)
            diagnostics?.warn("skipped \(n) instance\(n == 1 ? "" : "s") of unknown cells with no connections (\(summary(skippedUnconnected)))")
        }
        if !blackBoxes.isEmpty {
            let n = blackBoxes.values.reduce(0, +)
            diagnostics?.warn("\(n) instance\(n == 1 ? "" : "s") of unknown cells timed as black boxes, their pins neither driving nor loading a net (\(summary(blackBoxes)))")
        }
        if topModule.flatLeaves > VerilogElaborator.maxFlatInstances {
            throw HaloError("the flattened design would have more than \(VerilogElaborator.maxFlatInstances) instances")
        }
        if topModule.flatNets > VerilogElaborator.maxFlatNets {
            throw HaloError("the flattened design would have more than \(VerilogElaborator.maxFlatNets) nets")
        }
        return flatten(topModule)
    }

    private func chooseTop(_ top: String?) throws -> Int {
        if let top {
            let id = interner.intern(top)
            guard let i = moduleIndex[id] else {
                var list = modules.prefix(10).map { name($0.name) }.joined(separator: ", ")
                if modules.count > 10 { list += ", ..." }
                throw HaloError("top module '\(top)' not found (modules: \(list))")
            }
            return i
        }
        var instantiated = [Bool](repeating: false, count: modules.count)
        for (i, m) in modules.enumerated() {
            for item in m.items {
                if case .instance(let inst) = item, inst.prim == nil, let c = moduleIndex[inst.cell], c != i {
                    instantiated[c] = true
                }
            }
        }
        let candidates = modules.indices.filter { !instantiated[$0] }
        if candidates.count == 1 { return candidates[0] }
        func list(_ idx: [Int]) -> String {
            var s = idx.prefix(20).map { name(modules[$0].name) }.joined(separator: ", ")
            if idx.count > 20 { s += ", ..." }
            return s
        }
        if candidates.isEmpty {
            throw HaloError("cannot determine the top module: every module is instantiated by another (\(list(Array(modules.indices))))")
        }
        throw HaloError("several candidates for the top module: \(list(candidates)) (name one as top)")
    }

    /// Modules reachable from `top`, children before parents; detects recursive instantiation.
    private func postOrder(from top: Int) throws -> [Int] {
        var state = [UInt8](repeating: 0, count: modules.count)
        var stack: [(m: Int, item: Int)] = [(top, 0)]
        var order: [Int] = []
        state[top] = 1
        while let last = stack.last {
            let items = modules[last.m].items
            var i = last.item
            var child: (Int, VInstance)?
            while i < items.count {
                if case .instance(let inst) = items[i], inst.prim == nil, let c = moduleIndex[inst.cell] {
                    child = (c, inst)
                    i += 1
                    break
                }
                i += 1
            }
            stack[stack.count - 1].item = i
            if let (c, inst) = child {
                if state[c] == 1 {
                    var cycle: [String] = []
                    if let start = stack.firstIndex(where: { $0.m == c }) {
                        cycle = stack[start...].map { name(modules[$0.m].name) }
                    }
                    cycle.append(name(modules[c].name))
                    throw HaloError("recursive instantiation: \(cycle.joined(separator: " -> "))",
                                    at: srcLoc(inst.cellLoc))
                }
                if state[c] == 0 {
                    state[c] = 1
                    stack.append((c, 0))
                }
            } else {
                state[last.m] = 2
                order.append(last.m)
                stack.removeLast()
            }
        }
        return order
    }

    private func isLeaf(_ cell: Int32) -> Bool {
        if let known = leafCache[cell] { return known }
        let r = isLeafCell?(name(cell)) ?? true
        leafCache[cell] = r
        return r
    }

    // MARK: - Compiling one module

    private func compile(_ index: Int) throws -> CModule {
        let ast = modules[index]
        let cm = CModule(ast: ast, name: name(ast.name))
        defer {
            for d in cm.decls { scratch[Int(d.name)] = -1 }
        }
        // Declarations, merged by name.
        for d in ast.decls {
            let slot = Int(scratch[Int(d.name)])
            if slot < 0 {
                scratch[Int(d.name)] = Int32(cm.decls.count)
                cm.decls.append(CDecl(name: d.name, loc: d.loc, dir: d.dir, hasNet: d.isNet, hasRange: d.range != nil,
                                      msb: d.range?.msb ?? 0, lsb: d.range?.lsb ?? 0, offset: 0, supply: d.supply))
                continue
            }
            var e = cm.decls[slot]
            if d.dir != nil && e.dir != nil {
                throw HaloError("port '\(name(d.name))' is already declared", at: srcLoc(d.loc))
            }
            if d.isNet && e.hasNet {
                throw HaloError("net '\(name(d.name))' is already declared", at: srcLoc(d.loc))
            }
            if let r = d.range {
                if e.hasRange && (e.msb != r.msb || e.lsb != r.lsb) {
                    throw HaloError("range [\(r.msb):\(r.lsb)] of '\(name(d.name))' differs from its earlier declaration \(e.rangeText)",
                                    at: srcLoc(d.loc))
                }
                e.hasRange = true
                e.msb = r.msb
                e.lsb = r.lsb
            }
            if d.dir != nil { e.dir = d.dir }
            if d.isNet { e.hasNet = true }
            if d.supply >= 0 { e.supply = d.supply }
            cm.decls[slot] = e
        }
        var bits = 0
        for k in cm.decls.indices {
            cm.decls[k].offset = bits
            bits += cm.decls[k].width
            if bits > VerilogElaborator.maxModuleBits {
                throw HaloError("module '\(cm.name)' has too many net bits", at: srcLoc(ast.loc))
            }
        }
        cm.bitCount = bits
        // Ports.
        var isPort = [Bool](repeating: false, count: cm.decls.count)
        var codeOffset = 0
        for (pid, ploc) in ast.ports {
            let slot = Int(scratch[Int(pid)])
            guard slot >= 0, let dir = cm.decls[slot].dir else {
                throw HaloError("port '\(name(pid))' of module '\(cm.name)' has no input, output or inout declaration",
                                at: srcLoc(ploc))
            }
            if isPort[slot] {
                throw HaloError("port '\(name(pid))' is listed twice in the port list of module '\(cm.name)'",
                                at: srcLoc(ploc))
            }
            isPort[slot] = true
            let d = cm.decls[slot]
            cm.portIndex[pid] = cm.ports.count
            cm.ports.append(CPort(name: pid, decl: slot, dir: dir, offset: d.offset, width: d.width,
                                  codeOffset: codeOffset))
            codeOffset += d.width
        }
        cm.portBitCount = codeOffset
        for (k, d) in cm.decls.enumerated() where d.dir != nil && !isPort[k] {
            throw HaloError("'\(name(d.name))' is declared as \(d.dir?.rawValue ?? "port") but is not in the port list of module '\(cm.name)'",
                            at: srcLoc(d.loc))
        }
        for d in cm.decls where d.supply >= 0 {
            for b in d.offset..<(d.offset + d.width) { cm.supplies.append((Int32(b), d.supply == 1)) }
        }
        // Items.
        var unnamed = 0
        var leaves = 0
        var childLeaves = 0
        var childNets = 0
        var depth = 1
        defer {
            for case .instance(let inst) in ast.items where inst.name >= 0 { instanceScratch[Int(inst.name)] = -1 }
        }
        for (itemIndex, item) in ast.items.enumerated() {
            switch item {
            case .assign(let a):
                try compileAssign(cm, a)
            case .instance(let inst):
                if inst.name >= 0 {
                    let previous = Int(instanceScratch[Int(inst.name)])
                    if previous >= 0, case .instance(let first) = ast.items[previous] {
                        throw HaloError("instance '\(name(inst.name))' is already defined at \(srcLoc(first.nameLoc))",
                                        at: srcLoc(inst.nameLoc))
                    }
                    instanceScratch[Int(inst.name)] = Int32(itemIndex)
                }
                if let p = inst.prim {
                    leaves += try compilePrimitive(cm, inst, p, &unnamed)
                } else if let ci = moduleIndex[inst.cell] {
                    guard let child = compiled[ci] else {
                        throw HaloError("internal error: module '\(name(inst.cell))' not compiled", at: srcLoc(inst.cellLoc))
                    }
                    try compileSub(cm, inst, ci, child)
                    childLeaves = VerilogElaborator.satAdd(childLeaves, child.flatLeaves)
                    childNets = VerilogElaborator.satAdd(childNets, child.flatNets)
                    depth = max(depth, child.depth + 1)
                } else if isLeaf(inst.cell) {
                    try compileLeaf(cm, inst)
                    leaves += 1
                } else if inst.conns.isEmpty {
                    // A cell with no connections (a tap or filler cell of a placed netlist) cannot change any
                    // delay: skipped, as OpenSTA's empty black box.
                    skippedUnconnected[name(inst.cell), default: 0] += 1
                } else if blackBoxUnknownCells {
                    blackBoxes[name(inst.cell), default: 0] += 1
                } else {
                    throw HaloError("unknown cell or module '\(name(inst.cell))'", at: srcLoc(inst.cellLoc))
                }
            }
        }
        if depth > VerilogElaborator.maxDepth {
            throw HaloError("module hierarchy below '\(cm.name)' is deeper than \(VerilogElaborator.maxDepth) levels",
                            at: srcLoc(ast.loc))
        }
        cm.depth = depth
        cm.flatLeaves = VerilogElaborator.satAdd(leaves, childLeaves)
        cm.flatNets = VerilogElaborator.satAdd(cm.bitCount, childNets)
        // Bit → declaration table (implicit nets included).
        cm.bitDecl = [Int32](repeating: 0, count: cm.bitCount)
        for (k, d) in cm.decls.enumerated() {
            for b in d.offset..<(d.offset + d.width) { cm.bitDecl[b] = Int32(k) }
        }
        return cm
    }

    static func satAdd(_ a: Int, _ b: Int) -> Int {
        let (s, o) = a.addingReportingOverflow(b)
        return o ? Int.max : s
    }

    // MARK: Expressions

    private func lookup(_ cm: CModule, _ id: Int32, _ l: VLoc, implicit: Bool) throws -> Int {
        let slot = Int(scratch[Int(id)])
        if slot >= 0 { return slot }
        if implicit && !cm.ast.nettypeNone {
            let k = cm.decls.count
            scratch[Int(id)] = Int32(k)
            cm.decls.append(CDecl(name: id, loc: l, dir: nil, hasNet: true, hasRange: false, msb: 0, lsb: 0,
                                  offset: cm.bitCount, supply: -1))
            cm.bitCount += 1
            diagnostics?.warn("implicit net '\(name(id))'", at: srcLoc(l))
            return k
        }
        if implicit {
            throw HaloError("undefined net '\(name(id))' (`default_nettype none is in effect)", at: srcLoc(l))
        }
        throw HaloError("undefined net '\(name(id))'", at: srcLoc(l))
    }

    private func appendConst(_ bits: [UInt8], _ l: VLoc, into out: inout [Int32]) {
        var warned = false
        for b in bits {
            switch b {
            case 0: out.append(VBit.zero)
            case 1: out.append(VBit.one)
            default:
                out.append(VBit.open)
                if !warned {
                    warned = true
                    diagnostics?.warn("x/z constant bit treated as unconnected", at: srcLoc(l))
                }
            }
        }
    }

    /// Resolves a whole connection or assign side; an unsized constant takes the width `target`
    /// (or its minimal width when `target` is nil).
    private func resolveTop(_ cm: CModule, _ e: VExpr, target: Int?, implicit: Bool, into out: inout [Int32]) throws {
        out.removeAll(keepingCapacity: true)
        if case .const(let c, let l) = e, !c.sized {
            appendConst(c.fitted(to: target ?? c.bits.count), l, into: &out)
            return
        }
        try resolve(cm, e, implicit: implicit, into: &out)
    }

    private func resolve(_ cm: CModule, _ e: VExpr, implicit: Bool, into out: inout [Int32]) throws {
        switch e {
        case .ident(let id, let l):
            let d = cm.decls[try lookup(cm, id, l, implicit: implicit)]
            var b = d.offset
            let end = d.offset + d.width
            while b < end { out.append(Int32(b)); b += 1 }
        case .bit(let id, let i, let l):
            let d = cm.decls[try lookup(cm, id, l, implicit: false)]
            guard let p = d.position(of: i) else {
                if !d.hasRange {
                    throw HaloError("bit index \(i) is out of range for scalar net '\(name(id))'", at: srcLoc(l))
                }
                throw HaloError("bit index \(i) is out of range \(d.rangeText) of '\(name(id))'", at: srcLoc(l))
            }
            out.append(Int32(d.offset + p))
        case .part(let id, let a, let b, let l):
            try appendPart(cm, id, a, b, l, into: &out)
        case .indexedPart(let id, let base, let w, let up, let l):
            let d = cm.decls[try lookup(cm, id, l, implicit: false)]
            let (lo, o1) = up ? (base, false) : base.subtractingReportingOverflow(w - 1)
            let (hi, o2) = up ? base.addingReportingOverflow(w - 1) : (base, false)
            if o1 || o2 { throw HaloError("part-select of '\(name(id))' is out of range", at: srcLoc(l)) }
            if d.msb >= d.lsb {
                try appendPart(cm, id, hi, lo, l, into: &out)
            } else {
                try appendPart(cm, id, lo, hi, l, into: &out)
            }
        case .const(let c, let l):
            appendConst(c.sized || c.fill ? c.bits : c.fitted(to: max(32, c.bits.count)), l, into: &out)
        case .concat(let parts, _):
            for p in parts { try resolve(cm, p, implicit: implicit, into: &out) }
        case .repl(let n, let parts, let l):
            let start = out.count
            for p in parts { try resolve(cm, p, implicit: implicit, into: &out) }
            let seg = out.count - start
            if n == 0 {
                out.removeLast(seg)
            } else if seg > 0 {
                let (total, o) = seg.multipliedReportingOverflow(by: n)
                if o || total > VerilogElaborator.maxExprBits {
                    throw HaloError("replication is too wide", at: srcLoc(l))
                }
                let segment = Array(out[start...])
                for _ in 1..<n { out.append(contentsOf: segment) }
            }
        }
        if out.count > VerilogElaborator.maxExprBits {
            throw HaloError("expression is too wide", at: srcLoc(e.loc))
        }
    }

    private func appendPart(_ cm: CModule, _ id: Int32, _ a: Int, _ b: Int, _ l: VLoc, into out: inout [Int32]) throws {
        let d = cm.decls[try lookup(cm, id, l, implicit: false)]
        if !d.hasRange {
            throw HaloError("part-select [\(a):\(b)] of scalar net '\(name(id))'", at: srcLoc(l))
        }
        guard let pa = d.position(of: a), let pb = d.position(of: b) else {
            throw HaloError("part-select [\(a):\(b)] is out of range \(d.rangeText) of '\(name(id))'", at: srcLoc(l))
        }
        if pa > pb {
            throw HaloError("part-select [\(a):\(b)] is reversed relative to the declaration \(d.rangeText) of '\(name(id))'",
                            at: srcLoc(l))
        }
        var p = pa
        while p <= pb { out.append(Int32(d.offset + p)); p += 1 }
    }

    private func containsConst(_ e: VExpr) -> Bool {
        switch e {
        case .const: return true
        case .concat(let parts, _), .repl(_, let parts, _): return parts.contains { containsConst($0) }
        default: return false
        }
    }

    // MARK: Items

    private func compileAssign(_ cm: CModule, _ a: VAssign) throws {
        if containsConst(a.lhs) {
            throw HaloError("the left side of an assign must be nets, not a constant", at: srcLoc(a.lhs.loc))
        }
        var lhs: [Int32] = []
        try resolveTop(cm, a.lhs, target: nil, implicit: true, into: &lhs)
        try resolveTop(cm, a.rhs, target: lhs.count, implicit: false, into: &tmp)
        if lhs.count != tmp.count {
            throw HaloError("assign width mismatch: left \(lhs.count) bits, right \(tmp.count) bits", at: srcLoc(a.loc))
        }
        cm.assignL.append(contentsOf: lhs)
        cm.assignR.append(contentsOf: tmp)
    }

    private func compileLeaf(_ cm: CModule, _ inst: VInstance) throws {
        let cell = name(inst.cell)
        if !inst.named && !inst.conns.isEmpty {
            throw HaloError("positional connections to cell '\(cell)' are not supported (its pin order is unknown); use named connections",
                            at: srcLoc(inst.cellLoc))
        }
        var pins: [(String, Int32)] = []
        pins.reserveCapacity(inst.conns.count)
        var seen: Set<Int32> = []
        let checkDup = inst.conns.count > 8
        for (k, c) in inst.conns.enumerated() {
            let duplicate = checkDup ? !seen.insert(c.pin).inserted
                                     : inst.conns[0..<k].contains { $0.pin == c.pin }
            if duplicate {
                throw HaloError("pin '\(name(c.pin))' of instance '\(name(inst.name))' is connected twice", at: srcLoc(c.loc))
            }
            let pin = name(c.pin)
            guard let e = c.expr else {
                pins.append((pin, VBit.open))
                continue
            }
            try resolveTop(cm, e, target: nil, implicit: true, into: &tmp)
            switch tmp.count {
            case 0: pins.append((pin, VBit.open))
            case 1: pins.append((pin, tmp[0]))
            default:
                let w = tmp.count
                for (j, code) in tmp.enumerated() { pins.append(("\(pin)[\(w - 1 - j)]", code)) }
            }
        }
        cm.items.append(.leaf(CLeaf(name: name(inst.name), cell: cell, prim: 0, pins: pins, loc: inst.nameLoc)))
    }

    private static let inputPinNames: [String] = (0..<24).map { String(UnicodeScalar(UInt8(65 + $0))) }

    private static func inputPin(_ i: Int) -> String {
        i < inputPinNames.count ? inputPinNames[i] : "I\(i)"
    }

    private func compilePrimitive(_ cm: CModule, _ inst: VInstance, _ p: GatePrimitive, _ unnamed: inout Int) throws -> Int {
        let n = inst.conns.count
        if n < 2 {
            throw HaloError("gate primitive '\(p.rawValue)' needs at least 2 connections, found \(n)",
                            at: srcLoc(inst.nameLoc))
        }
        var codes: [Int32] = []
        codes.reserveCapacity(n)
        for c in inst.conns {
            guard let e = c.expr else {
                codes.append(VBit.open)
                continue
            }
            try resolveTop(cm, e, target: 1, implicit: true, into: &tmp)
            if tmp.count != 1 {
                throw HaloError("connection of gate primitive '\(p.rawValue)' must be 1 bit, found \(tmp.count) bits",
                                at: srcLoc(e.loc))
            }
            codes.append(tmp[0])
        }
        let base: String
        if inst.name >= 0 {
            base = name(inst.name)
        } else {
            base = "_prim_\(unnamed)"
            unnamed += 1
        }
        if p == .not || p == .buf {
            let input = codes[n - 1]
            for k in 0..<(n - 1) {
                cm.items.append(.leaf(CLeaf(name: k == 0 ? base : "\(base)_\(k)", cell: p.rawValue, prim: 1,
                                            pins: [("Y", codes[k]), ("A", input)], loc: inst.nameLoc)))
            }
            return n - 1
        }
        var pins: [(String, Int32)] = [("Y", codes[0])]
        for k in 1..<n { pins.append((VerilogElaborator.inputPin(k - 1), codes[k])) }
        cm.items.append(.leaf(CLeaf(name: base, cell: p.rawValue, prim: n - 1, pins: pins, loc: inst.nameLoc)))
        return 1
    }

    private func compileSub(_ cm: CModule, _ inst: VInstance, _ ci: Int, _ child: CModule) throws {
        var codes = [Int32](repeating: VBit.open, count: child.portBitCount)
        let instName = name(inst.name)
        func fill(_ pi: Int, _ e: VExpr) throws {
            var isConst = false
            if case .const = e { isConst = true }
            let port = child.ports[pi]
            if case .const(let c, let l) = e {
                // A constant is zero-extended or truncated to the port, as Verilog does.
                tmp.removeAll(keepingCapacity: true)
                appendConst(c.fitted(to: port.width), l, into: &tmp)
                if c.sized && c.bits.count != port.width {
                    diagnostics?.warn("connection to port '\(name(port.name))' of instance '\(instName)' is \(c.bits.count) bits, the port is \(port.width) bits",
                                      at: srcLoc(l))
                }
            } else {
                try resolveTop(cm, e, target: port.width, implicit: true, into: &tmp)
            }
            let w = tmp.count
            if w != port.width && !isConst {
                diagnostics?.warn("connection to port '\(name(port.name))' of instance '\(instName)' is \(w) bits, the port is \(port.width) bits",
                                  at: srcLoc(e.loc))
            }
            let shift = port.width - w
            for j in 0..<port.width {
                let k = j - shift
                if k >= 0 && k < w { codes[port.codeOffset + j] = tmp[k] }
            }
        }
        if inst.named {
            var connected = [Bool](repeating: false, count: child.ports.count)
            for c in inst.conns {
                guard let pi = child.portIndex[c.pin] else {
                    throw HaloError("module '\(child.name)' has no port '\(name(c.pin))'", at: srcLoc(c.loc))
                }
                if connected[pi] {
                    throw HaloError("port '\(name(c.pin))' of instance '\(instName)' is connected twice", at: srcLoc(c.loc))
                }
                connected[pi] = true
                if let e = c.expr { try fill(pi, e) }
            }
        } else {
            if inst.conns.count > child.ports.count {
                let extra = inst.conns[child.ports.count]
                throw HaloError("too many positional connections to module '\(child.name)' (it has \(child.ports.count) ports)",
                                at: srcLoc(extra.expr?.loc ?? extra.loc))
            }
            for (i, c) in inst.conns.enumerated() {
                if let e = c.expr { try fill(i, e) }
            }
        }
        cm.items.append(.sub(CSub(name: instName, child: ci, codes: codes, loc: inst.nameLoc)))
    }

    // MARK: - Flattening

    /// The declaration of local bit `bit` of `cm`, as an index into the builder's declaration locations
    /// (each module's declarations are listed once, however often the module is instantiated).
    private func declaration(_ cm: CModule, bit: Int, _ b: FlatBuilder) -> Int32 {
        if cm.declarationBase < 0 {
            cm.declarationBase = b.declarationLocations.count
            b.declarationLocations.append(contentsOf: cm.decls.map { srcLoc($0.loc) })
        }
        return Int32(cm.declarationBase + Int(cm.bitDecl[bit]))
    }

    private func flatten(_ top: CModule) -> FlatDesign {
        let b = FlatBuilder(diagnostics: diagnostics)
        let strings = interner.strings
        b.reserve(nets: top.flatNets, instances: top.flatLeaves)
        var topMap = [Int32](repeating: 0, count: top.bitCount)
        var portBit = [Bool](repeating: false, count: top.bitCount)
        for p in top.ports {
            for k in p.offset..<(p.offset + p.width) { portBit[k] = true }
        }
        for k in 0..<top.bitCount {
            topMap[k] = b.newNet(top.bitName(k, strings), isPort: portBit[k], declaration: declaration(top, bit: k, b))
        }
        b.applyAssigns(top, topMap)

        struct Frame {
            var cm: CModule
            var map: [Int32]
            var prefix: String
            var item: Int
        }
        var stack = [Frame(cm: top, map: topMap, prefix: "", item: 0)]
        while !stack.isEmpty {
            let fi = stack.count - 1
            let cm = stack[fi].cm
            let itemIndex = stack[fi].item
            if itemIndex >= cm.items.count {
                stack.removeLast()
                continue
            }
            stack[fi].item = itemIndex + 1
            switch cm.items[itemIndex] {
            case .leaf(let leaf):
                let map = stack[fi].map
                let prefix = stack[fi].prefix
                var conns: [PinConnection] = []
                conns.reserveCapacity(leaf.pins.count)
                for (pin, code) in leaf.pins {
                    let net: Int?
                    if code >= 0 {
                        net = Int(map[Int(code)])
                    } else if code == VBit.open {
                        net = nil
                    } else {
                        net = Int(b.constNet(code == VBit.one))
                    }
                    conns.append(PinConnection(pin: pin, net: net))
                }
                b.instances.append(FlatInstance(name: prefix.isEmpty ? leaf.name : prefix + "/" + leaf.name,
                                                cellName: leaf.cell, primitiveInputCount: leaf.prim,
                                                connections: conns, location: srcLoc(leaf.loc)))
            case .sub(let sub):
                guard let child = compiled[sub.child] else { continue }
                let parentPrefix = stack[fi].prefix
                let prefix = parentPrefix.isEmpty ? sub.name : parentPrefix + "/" + sub.name
                var childMap = [Int32](repeating: -1, count: child.bitCount)
                do {
                    let map = stack[fi].map
                    for p in child.ports {
                        for j in 0..<p.width {
                            let code = sub.codes[p.codeOffset + j]
                            let g: Int32
                            if code >= 0 {
                                g = map[Int(code)]
                            } else if code == VBit.open {
                                continue
                            } else {
                                g = b.constNet(code == VBit.one)
                            }
                            childMap[p.offset + j] = g
                        }
                    }
                }
                for k in 0..<child.bitCount where childMap[k] < 0 {
                    childMap[k] = b.newNet(prefix + "/" + child.bitName(k, strings), isPort: false,
                                           declaration: declaration(child, bit: k, b))
                }
                b.applyAssigns(child, childMap)
                stack.append(Frame(cm: child, map: childMap, prefix: prefix, item: 0))
            }
        }

        // Top-level ports, each bus in ascending bit order.
        var ports: [FlatPort] = []
        for p in top.ports {
            let d = top.decls[p.decl]
            let busName = strings[Int(p.name)]
            if !d.hasRange {
                ports.append(FlatPort(name: busName, busName: busName, bit: nil, direction: p.dir,
                                      net: Int(topMap[p.offset])))
            } else {
                for idx in min(d.msb, d.lsb)...max(d.msb, d.lsb) {
                    let pos = d.position(of: idx) ?? 0
                    ports.append(FlatPort(name: "\(busName)[\(idx)]", busName: busName, bit: idx, direction: p.dir,
                                          net: Int(topMap[p.offset + pos])))
                }
            }
        }
        return b.finish(topName: top.name, ports: ports, sourcePath: srcLoc(top.ast.loc).file)
    }
}

/// Global nets with union-find, and the instances being collected.
final class FlatBuilder {
    var names: [String] = []
    var parent: [Int32] = []
    var isPort: [Bool] = []
    var constVal: [Int8] = []
    /// Per net: its declaration, an index into `declarationLocations` (-1 for the constant nets).
    var declarations: [Int32] = []
    var declarationLocations: [SourceLocation] = []
    var instances: [FlatInstance] = []
    private var const0: Int32 = -1
    private var const1: Int32 = -1
    private var merged = false
    let diagnostics: DiagnosticSink?

    init(diagnostics: DiagnosticSink?) { self.diagnostics = diagnostics }

    func reserve(nets: Int, instances count: Int) {
        let n = min(nets, 50_000_000)
        names.reserveCapacity(n)
        parent.reserveCapacity(n)
        isPort.reserveCapacity(n)
        constVal.reserveCapacity(n)
        declarations.reserveCapacity(n)
        instances.reserveCapacity(min(count, 50_000_000))
    }

    func newNet(_ name: String, isPort port: Bool, declaration: Int32 = -1) -> Int32 {
        let id = Int32(names.count)
        names.append(name)
        parent.append(id)
        isPort.append(port)
        constVal.append(-1)
        declarations.append(declaration)
        return id
    }

    func constNet(_ value: Bool) -> Int32 {
        if value {
            if const1 < 0 { const1 = newNet("1'b1", isPort: false); markConst(const1, true) }
            return const1
        }
        if const0 < 0 { const0 = newNet("1'b0", isPort: false); markConst(const0, false) }
        return const0
    }

    /// Where net `n` (a builder net) is declared, when known.
    func location(of n: Int32) -> SourceLocation? {
        let d = Int(declarations[Int(n)])
        return d >= 0 ? declarationLocations[d] : nil
    }

    func find(_ x: Int32) -> Int32 {
        var x = Int(x)
        while parent[x] != Int32(x) {
            let p = Int(parent[x])
            parent[x] = parent[p]
            x = p
        }
        return Int32(x)
    }

    /// True when `a` should name a merged net rather than `b`.
    private func preferred(_ a: Int32, _ b: Int32) -> Bool {
        let ia = Int(a), ib = Int(b)
        if isPort[ia] != isPort[ib] { return isPort[ia] }
        let la = names[ia].utf8.count, lb = names[ib].utf8.count
        if la != lb { return la < lb }
        return a < b
    }

    func union(_ a: Int32, _ b: Int32) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        merged = true
        let (winner, loser) = preferred(ra, rb) ? (ra, rb) : (rb, ra)
        parent[Int(loser)] = winner
        let cl = constVal[Int(loser)]
        if cl >= 0 {
            let cw = constVal[Int(winner)]
            if cw < 0 {
                constVal[Int(winner)] = cl
            } else if cw != cl {
                diagnostics?.warn("net '\(names[Int(winner)])' is tied to both 1'b0 and 1'b1", at: location(of: winner))
            }
        }
    }

    func markConst(_ n: Int32, _ v: Bool) {
        let r = Int(find(n))
        let val: Int8 = v ? 1 : 0
        if constVal[r] < 0 {
            constVal[r] = val
        } else if constVal[r] != val {
            diagnostics?.warn("net '\(names[r])' is tied to both 1'b0 and 1'b1", at: location(of: Int32(r)))
        }
    }

    func applyAssigns(_ cm: CModule, _ map: [Int32]) {
        for (b, v) in cm.supplies { markConst(map[Int(b)], v) }
        for k in 0..<cm.assignL.count {
            let l = map[Int(cm.assignL[k])]
            let r = cm.assignR[k]
            if r >= 0 {
                union(l, map[Int(r)])
            } else if r == VBit.zero {
                markConst(l, false)
            } else if r == VBit.one {
                markConst(l, true)
            }
        }
    }

    func finish(topName: String, ports: [FlatPort], sourcePath: String) -> FlatDesign {
        var nets: [String]
        var netDeclarations: [Int32]
        var aliases: [String: Int] = [:]
        var ports = ports
        var constants: [Int: Bool] = [:]
        if !merged {
            nets = names
            netDeclarations = declarations
            for (i, v) in constVal.enumerated() where v >= 0 { constants[i] = v == 1 }
        } else {
            let n = names.count
            var newIndex = [Int32](repeating: -1, count: n)
            nets = []
            nets.reserveCapacity(n)
            netDeclarations = []
            netDeclarations.reserveCapacity(n)
            for i in 0..<n {
                let r = Int(find(Int32(i)))
                if newIndex[r] < 0 {
                    newIndex[r] = Int32(nets.count)
                    nets.append(names[r])
                    netDeclarations.append(declarations[r])
                }
                if r != i { newIndex[i] = newIndex[r] }
            }
            for i in 0..<n where Int(parent[i]) != i {
                aliases[names[i]] = Int(newIndex[i])
            }
            for i in 0..<n where Int(parent[i]) == i && constVal[i] >= 0 {
                constants[Int(newIndex[i])] = constVal[i] == 1
            }
            for k in instances.indices {
                for j in instances[k].connections.indices {
                    if let net = instances[k].connections[j].net {
                        instances[k].connections[j].net = Int(newIndex[net])
                    }
                }
            }
            for k in ports.indices { ports[k].net = Int(newIndex[ports[k].net]) }
        }
        return FlatDesign(topName: topName, nets: nets, netAliases: aliases, ports: ports, instances: instances,
                          constantNets: constants, sourcePath: sourcePath, netDeclarations: netDeclarations,
                          declarationLocations: declarationLocations)
    }
}
