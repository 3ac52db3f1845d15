import HaloCore

/// A bit of a gate netlist under construction: a constant, a port bit, a flip-flop output or a gate output.
struct Signal: Hashable, Comparable, Sendable {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    init(_ raw: Int) { self.raw = Int32(raw) }

    static let zero = Signal(Int32(0))
    static let one = Signal(Int32(1))
    static func constant(_ value: Bool) -> Signal { value ? .one : .zero }
    /// The constant's value, or nil for a non-constant signal.
    var constantValue: Bool? { raw == 0 ? false : raw == 1 ? true : nil }
    static func < (a: Signal, b: Signal) -> Bool { a.raw < b.raw }
}

/// The two-input (and `not`, `mux`) gates a generated netlist is made of, each written as the Yosys internal
/// cell of the same function, which Yosys maps with `synth`/`abc` and Halo times with its generic library.
enum GateKind: String, CaseIterable, Sendable {
    case not, and, or, xor, nand, nor, xnor, andnot, ornot, mux

    /// The Yosys internal cell: `$_NOT_` (A→Y), `$_AND_` … (A, B→Y), `$_ANDNOT_` (Y = A & ~B),
    /// `$_ORNOT_` (Y = A | ~B), `$_MUX_` (Y = S ? B : A).
    var yosysCell: String {
        switch self {
        case .not: return "$_NOT_"
        case .and: return "$_AND_"
        case .or: return "$_OR_"
        case .xor: return "$_XOR_"
        case .nand: return "$_NAND_"
        case .nor: return "$_NOR_"
        case .xnor: return "$_XNOR_"
        case .andnot: return "$_ANDNOT_"
        case .ornot: return "$_ORNOT_"
        case .mux: return "$_MUX_"
        }
    }

    /// Pin names in the order of a node's inputs.
    var inputPins: [String] {
        switch self {
        case .not: return ["A"]
        case .mux: return ["S", "A", "B"]
        default: return ["A", "B"]
        }
    }

    var isCommutative: Bool {
        switch self {
        case .and, .or, .xor, .nand, .nor, .xnor: return true
        default: return false
        }
    }

    /// The gate computing the complement over the same inputs (for `andnot`/`ornot` with swapped inputs).
    var complement: (kind: GateKind, swapped: Bool)? {
        switch self {
        case .and: return (.nand, false)
        case .nand: return (.and, false)
        case .or: return (.nor, false)
        case .nor: return (.or, false)
        case .xor: return (.xnor, false)
        case .xnor: return (.xor, false)
        case .andnot: return (.ornot, true)   // ~(a & ~b) = b | ~a
        case .ornot: return (.andnot, true)   // ~(a | ~b) = b & ~a
        case .not, .mux: return nil
        }
    }
}

/// Builds a gate-level netlist with constant folding, structural hashing and inverter absorption
/// (`and(~x, y)` becomes `andnot(y, x)`, `~(a ^ b)` becomes `xnor(a, b)`, …), then writes the gates that
/// reach an output as structural Verilog of Yosys internal cells.
///
/// Everything is deterministic: the same sequence of calls gives the same text.
final class NetlistBuilder {
    enum Node {
        case constant
        case input(name: String)
        case flop(name: String)
        case gate(GateKind, [Signal])
    }

    struct Flop {
        var q: Signal
        var d: Signal = .zero
        var enable: Signal?
        var instance: String
    }

    struct Port {
        var name: String
        var width: Int
        var isInput: Bool
        /// Width 1 ports are scalars (`clk`), others are `[width-1:0]` buses.
        var scalar: Bool
    }

    private(set) var nodes: [Node] = [.constant, .constant]
    private var hash: [HashKey: Signal] = [:]
    private(set) var ports: [Port] = []
    private var outputs: [(port: String, bit: Int, signal: Signal)] = []
    private var flops: [Flop] = []
    private var flopIndex: [Signal: Int] = [:]
    /// Internal register buses declared as wires (`wreg`, `areg`, `preg`), with their widths.
    private var wireBuses: [(name: String, width: Int)] = []
    var clock: Signal?

    private struct HashKey: Hashable {
        var kind: GateKind
        var a: Int32, b: Int32, c: Int32
    }

    // MARK: Ports and registers

    /// Declares an input port and returns its bits (bit 0 first).
    func input(_ name: String, width: Int, scalar: Bool = false) -> [Signal] {
        ports.append(Port(name: name, width: width, isInput: true, scalar: scalar && width == 1))
        return (0..<width).map { bit in
            nodes.append(.input(name: scalar && width == 1 ? name : "\(name)[\(bit)]"))
            return Signal(nodes.count - 1)
        }
    }

    /// Declares an output port driven by `bits` (bit 0 first).
    func output(_ name: String, _ bits: [Signal]) {
        ports.append(Port(name: name, width: bits.count, isInput: false, scalar: false))
        for (b, s) in bits.enumerated() { outputs.append((name, b, s)) }
    }

    /// A register of `width` positive-edge flip-flops (`$_DFF_P_`, or `$_DFFE_PP_` with an enable) whose
    /// outputs are the bits of `name` (an internal wire bus, or an output port when `isOutput`).
    /// The D inputs are connected later with `connect(_:to:)`.
    func register(_ name: String, width: Int, enable: Signal? = nil, isOutput: Bool = false) -> [Signal] {
        if isOutput {
            ports.append(Port(name: name, width: width, isInput: false, scalar: false))
        } else {
            wireBuses.append((name, width))
        }
        return (0..<width).map { bit in
            nodes.append(.flop(name: "\(name)[\(bit)]"))
            let q = Signal(nodes.count - 1)
            flopIndex[q] = flops.count
            flops.append(Flop(q: q, enable: enable, instance: "\(name)_ff\(bit)"))
            return q
        }
    }

    /// Connects the D inputs of a register's flops.
    func connect(_ register: [Signal], to d: [Signal]) {
        precondition(register.count == d.count)
        for (q, s) in zip(register, d) { flops[flopIndex[q]!].d = s }
    }

    // MARK: Gates (folded)

    func complementOf(_ s: Signal) -> Signal? {
        if let v = s.constantValue { return .constant(!v) }
        if case .gate(.not, let ins) = nodes[Int(s.raw)] { return ins[0] }
        return nil
    }

    /// Whether `a` is known to be the complement of `b`.
    func areComplements(_ a: Signal, _ b: Signal) -> Bool {
        if let x = complementOf(a), x == b { return true }
        if let x = complementOf(b), x == a { return true }
        guard case .gate(let ka, let ia) = nodes[Int(a.raw)], case .gate(let kb, let ib) = nodes[Int(b.raw)],
              let c = ka.complement, c.kind == kb else { return false }
        if c.swapped { return ia[0] == ib[1] && ia[1] == ib[0] }
        return ia == ib
    }

    private func make(_ kind: GateKind, _ ins: [Signal]) -> Signal {
        var ins = ins
        if kind.isCommutative && ins[1] < ins[0] { ins.swapAt(0, 1) }
        let key = HashKey(kind: kind, a: ins[0].raw, b: ins.count > 1 ? ins[1].raw : -1, c: ins.count > 2 ? ins[2].raw : -1)
        if let s = hash[key] { return s }
        nodes.append(.gate(kind, ins))
        let s = Signal(nodes.count - 1)
        hash[key] = s
        return s
    }

    func not(_ a: Signal) -> Signal {
        if let v = a.constantValue { return .constant(!v) }
        if case .gate(let k, let ins) = nodes[Int(a.raw)] {
            if k == .not { return ins[0] }
            if let c = k.complement { return make(c.kind, c.swapped ? [ins[1], ins[0]] : ins) }
        }
        return make(.not, [a])
    }

    func and(_ a: Signal, _ b: Signal) -> Signal {
        if let v = a.constantValue { return v ? b : .zero }
        if let v = b.constantValue { return v ? a : .zero }
        if a == b { return a }
        if areComplements(a, b) { return .zero }
        switch (complementOf(a), complementOf(b)) {
        case let (x?, y?): return make(.nor, [x, y])
        case let (x?, nil): return make(.andnot, [b, x])
        case let (nil, y?): return make(.andnot, [a, y])
        default: return make(.and, [a, b])
        }
    }

    func or(_ a: Signal, _ b: Signal) -> Signal {
        if let v = a.constantValue { return v ? .one : b }
        if let v = b.constantValue { return v ? .one : a }
        if a == b { return a }
        if areComplements(a, b) { return .one }
        switch (complementOf(a), complementOf(b)) {
        case let (x?, y?): return make(.nand, [x, y])
        case let (x?, nil): return make(.ornot, [b, x])
        case let (nil, y?): return make(.ornot, [a, y])
        default: return make(.or, [a, b])
        }
    }

    func xor(_ a: Signal, _ b: Signal) -> Signal {
        if let v = a.constantValue { return v ? not(b) : b }
        if let v = b.constantValue { return v ? not(a) : a }
        if a == b { return .zero }
        if areComplements(a, b) { return .one }
        switch (complementOf(a), complementOf(b)) {
        case let (x?, y?): return make(.xor, [x, y])
        case let (x?, nil): return make(.xnor, [x, b])
        case let (nil, y?): return make(.xnor, [a, y])
        default: return make(.xor, [a, b])
        }
    }

    func xnor(_ a: Signal, _ b: Signal) -> Signal { not(xor(a, b)) }

    /// `s ? b : a`.
    func mux(_ s: Signal, _ a: Signal, _ b: Signal) -> Signal {
        if let v = s.constantValue { return v ? b : a }
        if a == b { return a }
        if let va = a.constantValue, let vb = b.constantValue { return va ? not(s) : (vb ? s : .zero) }
        if let va = a.constantValue { return va ? or(b, not(s)) : and(s, b) }     // s ? b : 1 = b | ~s
        if let vb = b.constantValue { return vb ? or(s, a) : and(a, not(s)) }     // s ? 1 : a = s | a
        if a == s { return and(s, b) }
        if b == s { return or(s, a) }
        return make(.mux, [s, a, b])
    }

    // MARK: Writing

    /// The gates that reach an output or a flip-flop input, in creation (topological) order.
    func liveGates() -> [Int] {
        var live = [Bool](repeating: false, count: nodes.count)
        var stack: [Int32] = outputs.map { $0.signal.raw } + flops.flatMap { f in [f.d.raw] + (f.enable.map { [$0.raw] } ?? []) }
        if let clock { stack.append(clock.raw) }
        while let s = stack.popLast() {
            let i = Int(s)
            if live[i] { continue }
            live[i] = true
            if case .gate(_, let ins) = nodes[i] { stack.append(contentsOf: ins.map(\.raw)) }
        }
        return nodes.indices.filter { i in
            if case .gate = nodes[i] { return live[i] }
            return false
        }
    }

    /// Counts of live cells by Yosys cell name (gates and flip-flops).
    func cellCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for i in liveGates() {
            if case .gate(let k, _) = nodes[i] { counts[k.yosysCell, default: 0] += 1 }
        }
        for f in flops { counts[f.enable == nil ? "$_DFF_P_" : "$_DFFE_PP_", default: 0] += 1 }
        return counts
    }

    /// Structural Verilog of module `name`, preceded by `header` comment lines.
    func verilog(module name: String, header: [String]) -> String {
        let gates = liveGates()
        var netName: [Int32: String] = [:]
        for (i, n) in nodes.enumerated() {
            switch n {
            case .input(let s), .flop(let s): netName[Int32(i)] = s
            default: break
            }
        }
        // A gate driving an output bit is named after it (the first such bit); other output bits are assigns.
        var assigns: [(String, Signal)] = []
        for o in outputs {
            let bitName = "\(o.port)[\(o.bit)]"
            if case .gate = nodes[Int(o.signal.raw)], netName[o.signal.raw] == nil {
                netName[o.signal.raw] = bitName
            } else if netName[o.signal.raw] != bitName {
                assigns.append((bitName, o.signal))
            }
        }
        var internalNets: [String] = []
        for g in gates where netName[Int32(g)] == nil {
            let n = "n\(internalNets.count)"
            netName[Int32(g)] = n
            internalNets.append(n)
        }
        func ref(_ s: Signal) -> String {
            if let v = s.constantValue { return v ? "1'b1" : "1'b0" }
            return netName[s.raw]!
        }

        var out = header.map { "// \($0)\n" }.joined()
        out += "module \(name)(\(ports.map(\.name).joined(separator: ", ")));\n"
        for p in ports {
            let range = p.scalar ? "" : " [\(p.width - 1):0]"
            out += "  \(p.isInput ? "input" : "output")\(range) \(p.name);\n"
        }
        for w in wireBuses { out += "  wire [\(w.width - 1):0] \(w.name);\n" }
        var k = 0
        while k < internalNets.count {
            let chunk = internalNets[k..<min(k + 16, internalNets.count)]
            out += "  wire \(chunk.joined(separator: ", "));\n"
            k += 16
        }
        for (i, g) in gates.enumerated() {
            guard case .gate(let kind, let ins) = nodes[g] else { continue }
            let pins = zip(kind.inputPins, ins).map { ".\($0)(\(ref($1)))" }.joined(separator: ", ")
            out += "  \\\(kind.yosysCell) g\(i) (\(pins), .Y(\(netName[Int32(g)]!)));\n"
        }
        for f in flops {
            let clk = clock.map(ref) ?? "clk"
            if let e = f.enable {
                out += "  \\$_DFFE_PP_ \(f.instance) (.C(\(clk)), .D(\(ref(f.d))), .E(\(ref(e))), .Q(\(ref(f.q))));\n"
            } else {
                out += "  \\$_DFF_P_ \(f.instance) (.C(\(clk)), .D(\(ref(f.d))), .Q(\(ref(f.q))));\n"
            }
        }
        for (lhs, s) in assigns { out += "  assign \(lhs) = \(ref(s));\n" }
        out += "endmodule\n"
        return out
    }
}
