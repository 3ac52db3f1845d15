import HaloCore
import HaloLiberty

// Switching activity: how often each net toggles while a stream of input vectors is applied, with
// some pins held at constants (a weight code). Two simulators share one compiled form of the design:
//
// - `ActivitySimulator` (zero-delay, functional): every vector settles; a net's transitions are the
//   changes of its settled value between consecutive vectors. Combinational designs are evaluated
//   64 vectors a machine word along the vector stream (bit k of word w is vector 64·w + k), so the
//   transitions of a word are popcount(v XOR (v << 1 | carry)). Registered designs run one clock
//   cycle per vector in 64 independent lanes (see `ActivitySimulator.simulate`).
// - `GlitchSimulator` (event-driven, combinational designs): each vector's input changes start at
//   time 0 and propagate with per-arc NLDM delays under inertial delay, so hazards (glitches) count.

/// Input vectors packed for bit-parallel simulation: vector k of a pin is bit k % 64 of word k / 64.
public struct PackedStimulus: Sendable {
    /// Number of vectors.
    public let vectorCount: Int
    /// Words per pin, ⌈vectorCount / 64⌉.
    public var wordCount: Int { (vectorCount + 63) / 64 }
    /// The driven pins (top-level input ports, or instance pins to force), in the order set.
    public private(set) var pins: [Int] = []
    /// The words of each driven pin (bits past `vectorCount` are zero).
    public private(set) var words: [[UInt64]] = []

    /// An empty stimulus of `vectorCount` vectors; add driven pins with `set`.
    public init(vectorCount: Int) {
        precondition(vectorCount >= 0)
        self.vectorCount = vectorCount
    }

    /// Sets the vectors of a pin from its packed words (missing words read as 0).
    public mutating func set(pin: Int, words w: [UInt64]) {
        var w = Array(w.prefix(wordCount))
        while w.count < wordCount { w.append(0) }
        if vectorCount % 64 != 0, let last = w.indices.last { w[last] &= (UInt64(1) << UInt64(vectorCount % 64)) &- 1 }
        if let i = pins.firstIndex(of: pin) { words[i] = w } else { pins.append(pin); words.append(w) }
    }

    /// Holds a pin at a constant for every vector.
    public mutating func hold(pin: Int, value: Bool) {
        set(pin: pin, words: [UInt64](repeating: value ? ~0 : 0, count: wordCount))
    }

    /// Drives a bus: bit b of `values[k]` is vector k of `pins[b]` (two's complement for negative values).
    public mutating func setBus(_ busPins: [Int], values: [Int]) {
        precondition(values.count == vectorCount, "one value per vector")
        for (b, pin) in busPins.enumerated() {
            var w = [UInt64](repeating: 0, count: wordCount)
            for (k, v) in values.enumerated() where (v >> b) & 1 == 1 { w[k >> 6] |= UInt64(1) << UInt64(k & 63) }
            set(pin: pin, words: w)
        }
    }

    /// Vector k of the i-th driven pin.
    @inline(__always) func bit(_ i: Int, _ k: Int) -> Bool {
        (words[i][k >> 6] >> UInt64(k & 63)) & 1 == 1
    }
}

/// Per-net transition counts of one simulation.
public struct NetActivity: Sendable, Equatable {
    /// Vectors simulated.
    public var vectorCount: Int
    /// Consecutive vector pairs the counts cover (the operations): vectorCount − 1 for a combinational
    /// design; for a registered design, vectorCount minus the number of lanes (see `ActivitySimulator`).
    public var operations: Int
    /// Per net of `design.nets`: transitions to 1.
    public var rises: [Int]
    /// Per net: transitions to 0.
    public var falls: [Int]

    /// Counts as simulated: per net rises and falls over `operations` vector-to-vector steps.
    public init(vectorCount: Int, operations: Int, rises: [Int], falls: [Int]) {
        self.vectorCount = vectorCount
        self.operations = operations
        self.rises = rises
        self.falls = falls
    }

    /// Transitions of a net (rises + falls).
    public func toggles(ofNet n: Int) -> Int { rises[n] + falls[n] }
    /// Transitions of all nets.
    public var totalToggles: Int { rises.reduce(0, +) + falls.reduce(0, +) }
}

// MARK: - Compiled design

/// One instruction of a compiled cell function, over rows of words:
/// `dst = (a ^ ma) OP (b ^ mb)`, or for `mux`: `dst = a ^ ((a ^ b) & s)` (s selects b).
struct LogicInstruction {
    enum Op: UInt8 { case and, or, xor, mux }
    var op: Op
    /// Operands: ≥ 0 a variable (cell input) index, −1 / −2 the constants 0 / 1, ≤ −3 temp −(t+3).
    var a: Int8, b: Int8, s: Int8
    var invertA: Bool, invertB: Bool
    /// Destination temp, or −1 for the function's result.
    var dst: Int8
}

/// A Boolean function compiled to straight-line code by Shannon expansion (shared sub-functions).
struct LogicProgram {
    var instructions: [LogicInstruction]
    var temps: Int
    /// The whole function is one operand (constant, variable or its complement): then `instructions` is empty.
    var result: Int8
    var invertResult: Bool

    /// Compiles a truth table of `n` variables (minterm m: variable k = bit k of m).
    init(table: [UInt64], variables n: Int) {
        var instructions: [LogicInstruction] = []
        var temps = 0
        var memo: [String: (Int8, Bool)] = [:]
        func bits(_ start: Int, _ count: Int) -> [UInt64] {
            // Bits [start, start+count) of table, packed from bit 0.
            if count <= 64 {
                let word = table[start >> 6] >> UInt64(start & 63)
                let mask: UInt64 = count == 64 ? ~0 : (UInt64(1) << UInt64(count)) &- 1
                return [word & mask]
            }
            return Array(table[(start >> 6)..<((start + count) >> 6)])
        }
        func isConst(_ t: [UInt64], _ count: Int, _ one: Bool) -> Bool {
            if count < 64 {
                let mask = (UInt64(1) << UInt64(count)) &- 1
                return one ? t[0] & mask == mask : t[0] & mask == 0
            }
            return t.allSatisfy { one ? $0 == ~0 : $0 == 0 }
        }
        /// An operand computing the function t of variables 0..<k.
        func build(_ t: [UInt64], _ k: Int) -> (Int8, Bool) {
            let count = 1 << k
            if isConst(t, count, false) { return (-1, false) }
            if isConst(t, count, true) { return (-2, false) }
            let key = "\(k):" + t.map { String($0, radix: 16) }.joined(separator: ",")
            if let m = memo[key] { return m }
            let half = count / 2
            let lo: [UInt64], hi: [UInt64]
            if count <= 64 {
                let mask: UInt64 = half == 64 ? ~0 : (UInt64(1) << UInt64(half)) &- 1
                lo = [t[0] & mask]
                hi = [(t[0] >> UInt64(half)) & mask]
            } else {
                lo = Array(t[0..<(t.count / 2)])
                hi = Array(t[(t.count / 2)...])
            }
            let v = Int8(k - 1)
            if lo == hi {
                let r = build(lo, k - 1)
                memo[key] = r
                return r
            }
            let (a, ia) = build(lo, k - 1)
            let (b, ib) = build(hi, k - 1)
            func emit(_ op: LogicInstruction.Op, _ a: Int8, _ ia: Bool, _ b: Int8, _ ib: Bool, s: Int8 = 0) -> (Int8, Bool) {
                let t = temps
                temps += 1
                instructions.append(LogicInstruction(op: op, a: a, b: b, s: s, invertA: ia, invertB: ib, dst: Int8(-(t + 3))))
                return (Int8(-(t + 3)), false)
            }
            let r: (Int8, Bool)
            switch (a, ia, b, ib) {
            case (-1, _, -2, _): r = (v, false)                         // f = x
            case (-2, _, -1, _): r = (v, true)                          // f = !x
            case (-1, _, _, _): r = emit(.and, v, false, b, ib)         // f = x & f1
            case (_, _, -1, _): r = emit(.and, v, true, a, ia)          // f = !x & f0
            case (-2, _, _, _): r = emit(.or, v, true, b, ib)           // f = !x | f1
            case (_, _, -2, _): r = emit(.or, v, false, a, ia)          // f = x | f0
            default:
                if a == b && ia != ib {
                    r = emit(.xor, v, false, a, ia)                     // f = x ^ f0 (f1 = !f0)
                } else if ia || ib {
                    // A mux takes plain operands: complement an inverted one first (x ^ 1).
                    let (pa, _) = ia ? emit(.xor, a, true, -1, false) : (a, false)
                    let (pb, _) = ib ? emit(.xor, b, true, -1, false) : (b, false)
                    r = emit(.mux, pa, false, pb, false, s: v)
                } else {
                    r = emit(.mux, a, false, b, false, s: v)
                }
            }
            memo[key] = r
            return r
        }
        let full = bits(0, 1 << n)
        let (r, inv) = build(full, n)
        if let last = instructions.last, r == last.dst, !inv {
            instructions[instructions.count - 1].dst = -1
            self.result = -1
            self.invertResult = false
        } else {
            self.result = r
            self.invertResult = inv
        }
        self.instructions = instructions
        self.temps = temps
    }

    /// The function's value for one assignment (bit k of `m` = variable k), by running the program.
    func evaluate(_ m: Int) -> Bool {
        var temp = [Bool](repeating: false, count: temps)
        func operand(_ o: Int8) -> Bool {
            if o >= 0 { return (m >> Int(o)) & 1 == 1 }
            if o == -1 { return false }
            if o == -2 { return true }
            return temp[Int(-o) - 3]
        }
        var out = false
        for ins in instructions {
            let a = operand(ins.a) != ins.invertA, b = operand(ins.b) != ins.invertB
            let v: Bool
            switch ins.op {
            case .and: v = a && b
            case .or: v = a || b
            case .xor: v = a != b
            case .mux: v = operand(ins.s) ? b : a
            }
            if ins.dst == -1 { out = v } else { temp[Int(-ins.dst) - 3] = v }
        }
        if result == -1 && !instructions.isEmpty && instructions.last?.dst == -1 { return out }
        return operand(result) != invertResult
    }
}

/// The design compiled for activity simulation (shared by all threads; built once per graph).
final class ActivityDesign: @unchecked Sendable {
    let graph: TimingGraph
    /// One entry per (instance, output pin) in level order.
    struct Output {
        var instance: Int32
        /// Global output pin.
        var pin: Int32
        /// The net it drives (−1 when it drives none, or is not its net's driver).
        var net: Int32
        /// Program index, or −1 when the pin has no function (reads 0), −2 a flop's state, −3 its complement.
        var program: Int32
        /// Range in `variablePins`: the global pins of the function's variables (−1 for an internal state).
        var varStart: Int32, varCount: Int32
    }
    let outputs: [Output]
    let variablePins: [Int32]
    let programs: [LogicProgram]
    /// Per program: truth table (for scalar evaluation; ≤ 16 variables).
    let tables: [[UInt64]]
    /// Per instance with a flop: next-state program and its variable pins (range in `stateVars`).
    struct Flop { var instance: Int32; var program: Int32; var varStart: Int32; var varCount: Int32 }
    let flops: [Flop]
    let stateVars: [Int32]
    /// Per instance: index into `flops`, or −1.
    let flopOfInstance: [Int32]
    /// Per net: on the ideal clock network.
    let netOnClock: [Bool]
    var isSequential: Bool { !flops.isEmpty }
    let maxTemps: Int

    init(graph g: TimingGraph) throws {
        graph = g
        var programs: [LogicProgram] = []
        var tables: [[UInt64]] = []
        var programIndex: [String: Int32] = [:]
        func program(_ f: CompiledFunction) -> Int32 {
            let key = "\(f.variablePins.count):" + f.table.map { String($0, radix: 16) }.joined(separator: ",")
            if let p = programIndex[key] { return p }
            programs.append(LogicProgram(table: f.table, variables: f.variablePins.count))
            tables.append(f.table)
            programIndex[key] = Int32(programs.count - 1)
            return Int32(programs.count - 1)
        }
        var outputs: [Output] = []
        var variablePins: [Int32] = []
        var flops: [Flop] = []
        var stateVars: [Int32] = []
        var flopOfInstance = [Int32](repeating: -1, count: g.instanceCount)
        for i in g.instanceOrder {
            let model = g.cells[g.instanceCell[i]]
            let base = g.instancePinBase[i]
            var stateReads: [Int8] = Array(repeating: 0, count: model.pinNames.count)
            if let seq = model.sequential {
                guard let ns = seq.nextState else {
                    throw HaloError("cell '\(model.name)' has a sequential group without next_state")
                }
                let f = try CompiledFunction(ns, pinIndex: { model.pinNames.firstIndex(of: $0) })
                let start = Int32(stateVars.count)
                stateVars.append(contentsOf: f.variablePins.map { $0 >= 0 ? Int32(base + $0) : -1 })
                flopOfInstance[i] = Int32(flops.count)
                flops.append(Flop(instance: Int32(i), program: program(f), varStart: start, varCount: Int32(f.variablePins.count)))
                for (k, raw) in model.rawFunctions.enumerated() {
                    guard let raw else { continue }
                    if raw == .variable(seq.stateVariable) { stateReads[k] = 1 }
                    else if raw == .variable(seq.invertedStateVariable) || raw == .not(.variable(seq.stateVariable)) { stateReads[k] = -1 }
                }
            }
            for k in 0..<model.pinNames.count where model.pinDirections[k] == .output || model.pinDirections[k] == .inout {
                let p = base + k
                let n = g.pinNet[p]
                let net: Int32 = n >= 0 && g.netDriver[n] == p ? Int32(n) : -1
                var prog: Int32 = -1
                let start = Int32(variablePins.count)
                var count: Int32 = 0
                if stateReads[k] != 0 {
                    prog = stateReads[k] == 1 ? -2 : -3
                } else if let f = model.functions[k] {
                    prog = program(f)
                    variablePins.append(contentsOf: f.variablePins.map { $0 >= 0 ? Int32(base + $0) : -1 })
                    count = Int32(f.variablePins.count)
                }
                outputs.append(Output(instance: Int32(i), pin: Int32(p), net: net, program: prog, varStart: start, varCount: count))
            }
        }
        var onClock = [Bool](repeating: false, count: g.design.nets.count)
        for p in 0..<g.pinCount where g.isClockNetwork[p] && g.pinNet[p] >= 0 { onClock[g.pinNet[p]] = true }
        self.outputs = outputs
        self.variablePins = variablePins
        self.programs = programs
        self.tables = tables
        self.flops = flops
        self.stateVars = stateVars
        self.flopOfInstance = flopOfInstance
        self.netOnClock = onClock
        self.maxTemps = programs.map(\.temps).max() ?? 0
    }

    /// Scalar value of a program's function (bit k of m = variable k).
    @inline(__always) func scalar(_ program: Int, _ m: Int) -> Bool {
        (tables[program][m >> 6] >> UInt64(m & 63)) & 1 == 1
    }
}

/// Per-simulation binding of the design to stimulus and constants: where every pin reads from.
struct ActivityBinding {
    /// Per pin: an override, −1 none, 0/1 a constant, ≥ 2 the stimulus index + 2.
    var pinOverride: [Int32]
    /// Per net: the stimulus index driving it (−1 none), or a constant (0/1) in `netConstant`.
    var netStimulus: [Int32]
    /// Per net: 0/1 when the net is constant under the constants (three-valued propagation), else 2.
    var netConstant: [UInt8]
    /// Per output entry: 0/1 when constant, 2 when it must be evaluated, 3 when its net is driven by
    /// stimulus or it drives nothing (skip).
    var outputConstant: [UInt8]

    init(design d: ActivityDesign, stimulus: PackedStimulus, constants: [CaseConstant]) {
        let g = d.graph
        let netCount = g.design.nets.count
        var pinOverride = [Int32](repeating: -1, count: g.pinCount)
        var netStimulus = [Int32](repeating: -1, count: netCount)
        var values = [UInt8](repeating: 2, count: netCount)
        for n in 0..<netCount where g.netTie[n] != LogicValue.unknown.rawValue { values[n] = g.netTie[n] }
        // Undriven, untied nets read 0.
        for n in 0..<netCount where g.netDriver[n] < 0 && g.netTie[n] == LogicValue.unknown.rawValue { values[n] = 0 }
        for (i, p) in stimulus.pins.enumerated() where p >= 0 && p < g.pinCount {
            let w = stimulus.words[i]
            var constant: UInt8 = 2
            if stimulus.vectorCount > 0 {
                let full = stimulus.vectorCount % 64 == 0 ? ~UInt64(0) : (UInt64(1) << UInt64(stimulus.vectorCount % 64)) &- 1
                if w.allSatisfy({ $0 == 0 }) { constant = 0 }
                else if w.dropLast().allSatisfy({ $0 == ~0 }) && w.last == full { constant = 1 }
            }
            pinOverride[p] = constant != 2 ? Int32(constant) : Int32(i + 2)
        }
        for c in constants where c.pin >= 0 && c.pin < g.pinCount { pinOverride[c.pin] = c.value ? 1 : 0 }
        // Input ports nobody drives read 0 (the clock of a registered design is handled by the cycle loop).
        for (k, port) in g.design.ports.enumerated() where port.direction == .input {
            let p = g.portPinBase + k
            if pinOverride[p] < 0 { pinOverride[p] = 0 }
        }
        // Pins that drive their net: the override drives the net.
        for p in 0..<g.pinCount where pinOverride[p] >= 0 {
            let n = g.pinNet[p]
            guard n >= 0, g.netDriver[n] == p, g.netTie[n] == LogicValue.unknown.rawValue else { continue }
            if pinOverride[p] < 2 { values[n] = UInt8(pinOverride[p]) } else { netStimulus[n] = pinOverride[p] - 2; values[n] = 2 }
        }
        // Three-valued propagation in level order.
        var outputConstant = [UInt8](repeating: 2, count: d.outputs.count)
        for (e, out) in d.outputs.enumerated() {
            let n = Int(out.net)
            if n < 0 || netStimulus[n] >= 0 { outputConstant[e] = 3; continue }
            if values[n] != 2 { outputConstant[e] = values[n]; continue }   // held on its driver, or tied
            if out.program == -1 { outputConstant[e] = 0; values[n] = 0; continue }
            if out.program < 0 { continue }   // a flop's state
            let inst = Int(out.instance)
            let model = g.cells[g.instanceCell[inst]]
            let base = g.instancePinBase[inst]
            guard let f = model.functions[Int(out.pin) - base] else { continue }
            let v = f.evaluate { k -> LogicValue in
                let p = base + k
                let o = pinOverride[p]
                if o == 0 || o == 1 { return o == 1 ? .one : .zero }
                if o >= 2 { return .unknown }
                let net = g.pinNet[p]
                if net < 0 { return .zero }
                return LogicValue(rawValue: values[net]) ?? .unknown
            }
            if v != .unknown {
                outputConstant[e] = v.rawValue
                values[n] = v.rawValue
            }
        }
        self.pinOverride = pinOverride
        self.netStimulus = netStimulus
        self.netConstant = values
        self.outputConstant = outputConstant
    }
}

// MARK: - Zero-delay simulation

/// Zero-delay (functional) toggle counting, bit-parallel. Thread-safe: `simulate` keeps its state
/// local, so one simulator serves any number of threads and codes.
public final class ActivitySimulator: @unchecked Sendable {
    /// The design being simulated.
    public let graph: TimingGraph
    let design: ActivityDesign
    /// Words per block (4,096 vectors).
    let blockWords = 64

    /// Compiles the graph's cells for simulation. Throws for a flop without `next_state`.
    public init(graph: TimingGraph) throws {
        self.graph = graph
        self.design = try ActivityDesign(graph: graph)
    }

    init(design: ActivityDesign) {
        self.graph = design.graph
        self.design = design
    }

    /// True when the design has flip-flops or latches (simulated cycle by cycle in lanes).
    public var isSequential: Bool { design.isSequential }

    /// Counts the transitions of every net while `stimulus` is applied with `constants` held.
    ///
    /// Combinational design: every vector settles; the counts cover the vectorCount − 1 consecutive
    /// pairs. Registered design: one clock cycle per vector, sampled settled before the edge (ideal
    /// clock, flops load `next_state`; clear/preset are not modeled). The vectors are split into 64
    /// consecutive runs simulated side by side (one per bit of a word); each run starts from its first
    /// vector applied for two warm-up cycles, so the counts cover vectorCount − (number of runs) pairs.
    /// The nets of the ideal clock network count one rise and one fall per cycle.
    public func simulate(_ stimulus: PackedStimulus, constants: [CaseConstant] = []) -> NetActivity {
        let binding = ActivityBinding(design: design, stimulus: stimulus, constants: constants)
        return design.isSequential ? simulateCycles(stimulus, binding) : simulateStream(stimulus, binding)
    }

    /// Combinational: blocks of `blockWords` words along the vector stream.
    private func simulateStream(_ stimulus: PackedStimulus, _ binding: ActivityBinding) -> NetActivity {
        let g = graph, d = design
        let netCount = g.design.nets.count
        let totalWords = stimulus.wordCount
        let n = stimulus.vectorCount
        var rises = [Int](repeating: 0, count: netCount)
        var falls = [Int](repeating: 0, count: netCount)
        guard n > 1 else { return NetActivity(vectorCount: n, operations: 0, rises: rises, falls: falls) }
        let W = min(blockWords, totalWords)
        // Rows: 0 zeros, 1 ones, 2… computed nets.
        var computedRow = [Int32](repeating: -1, count: netCount)
        var rowCount = 2
        for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
            computedRow[Int(out.net)] = Int32(rowCount)
            rowCount += 1
        }
        let rows = UnsafeMutablePointer<UInt64>.allocate(capacity: rowCount * W)
        defer { rows.deallocate() }
        rows.initialize(repeating: 0, count: rowCount * W)
        for w in 0..<W { rows[W + w] = ~0 }
        let temps = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, d.maxTemps) * W)
        defer { temps.deallocate() }
        // Stimulus words, contiguous.
        let stim = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, stimulus.pins.count * totalWords))
        defer { stim.deallocate() }
        for (i, w) in stimulus.words.enumerated() { (stim + i * totalWords).initialize(from: w, count: totalWords) }
        // Where a pin reads its block: `pinPointer` below, resolved again for every block.
        var netsToCount: [Int32] = []
        for net in 0..<netCount where binding.netConstant[net] == 2 && (computedRow[net] >= 0 || binding.netStimulus[net] >= 0) {
            netsToCount.append(Int32(net))
        }
        var carry = [UInt64](repeating: 0, count: netCount)
        // Variable row pointers per output entry are rebuilt per block.
        var varPointers = [UnsafePointer<UInt64>](repeating: UnsafePointer(rows), count: d.variablePins.count)
        var outPointers = [UnsafeMutablePointer<UInt64>?](repeating: nil, count: d.outputs.count)
        var block = 0
        while block * W < totalWords {
            let w0 = block * W
            let words = min(W, totalWords - w0)
            func netPointer(_ net: Int) -> UnsafePointer<UInt64> {
                let c = binding.netConstant[net]
                if c != 2 { return UnsafePointer(rows + Int(c) * W) }
                let s = binding.netStimulus[net]
                if s >= 0 { return UnsafePointer(stim + Int(s) * totalWords + w0) }
                let r = computedRow[net]
                return UnsafePointer(rows + Int(max(0, r)) * W)
            }
            func pinPointer(_ p: Int) -> UnsafePointer<UInt64> {
                if p < 0 { return UnsafePointer(rows) }
                let o = binding.pinOverride[p]
                if o == 0 || o == 1 { return UnsafePointer(rows + Int(o) * W) }
                if o >= 2 { return UnsafePointer(stim + Int(o - 2) * totalWords + w0) }
                let net = g.pinNet[p]
                return net >= 0 ? netPointer(net) : UnsafePointer(rows)
            }
            for (v, p) in d.variablePins.enumerated() { varPointers[v] = pinPointer(Int(p)) }
            if block == 0 {
                for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
                    outPointers[e] = rows + Int(computedRow[Int(out.net)]) * W
                }
            }
            varPointers.withUnsafeBufferPointer { vp in
                for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
                    guard let dst = outPointers[e], out.program >= 0 else { continue }
                    runProgram(d.programs[Int(out.program)], vars: vp.baseAddress! + Int(out.varStart), temps: temps,
                        zeros: UnsafePointer(rows), ones: UnsafePointer(rows + W), W: W, words: words, dst: dst)
                }
            }
            // Count.
            let lastValidBits = (w0 + words == totalWords && n % 64 != 0) ? n % 64 : 64
            for net32 in netsToCount {
                let net = Int(net32)
                let v = netPointer(net)
                var c = carry[net]
                var r = 0, f = 0
                for w in 0..<words {
                    let x = v[w]
                    var t = x ^ ((x << 1) | c)
                    c = x >> 63
                    if w0 + w == 0 { t &= ~1 }
                    if w == words - 1 && lastValidBits < 64 { t &= (UInt64(1) << UInt64(lastValidBits)) &- 1 }
                    r += (t & x).nonzeroBitCount
                    f += (t & ~x).nonzeroBitCount
                }
                carry[net] = c
                rises[net] += r
                falls[net] += f
            }
            block += 1
        }
        return NetActivity(vectorCount: n, operations: n - 1, rises: rises, falls: falls)
    }

    /// Registered: one cycle per vector, 64 lanes of consecutive runs.
    private func simulateCycles(_ stimulus: PackedStimulus, _ binding: ActivityBinding) -> NetActivity {
        let g = graph, d = design
        let netCount = g.design.nets.count
        let n = stimulus.vectorCount
        var rises = [Int](repeating: 0, count: netCount)
        var falls = [Int](repeating: 0, count: netCount)
        let lanes = min(64, max(1, n / 2))
        let runLength = n == 0 ? 0 : (n + lanes - 1) / lanes
        // Scratch: one word per net, per stimulus pin, per flop; constants; variable pointers.
        let netValue = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, netCount))
        let stimValue = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, stimulus.pins.count))
        let constants = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        let temps = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, d.maxTemps))
        let pointers = UnsafeMutablePointer<UnsafePointer<UInt64>>.allocate(capacity: max(1, d.variablePins.count))
        defer {
            netValue.deallocate(); stimValue.deallocate(); constants.deallocate(); temps.deallocate(); pointers.deallocate()
        }
        netValue.initialize(repeating: 0, count: max(1, netCount))
        stimValue.initialize(repeating: 0, count: max(1, stimulus.pins.count))
        constants[0] = 0
        constants[1] = ~0
        for net in 0..<netCount where binding.netConstant[net] == 1 { netValue[net] = ~0 }
        func pinPointer(_ p: Int) -> UnsafePointer<UInt64> {
            if p < 0 { return UnsafePointer(constants) }
            let o = binding.pinOverride[p]
            if o == 0 || o == 1 { return UnsafePointer(constants + Int(o)) }
            if o >= 2 { return UnsafePointer(stimValue + Int(o - 2)) }
            let net = g.pinNet[p]
            return net >= 0 ? UnsafePointer(netValue + net) : UnsafePointer(constants)
        }
        for (v, p) in d.variablePins.enumerated() { pointers[v] = pinPointer(Int(p)) }
        var state = [UInt64](repeating: 0, count: d.flops.count)
        func settle() {
            for net in 0..<netCount where binding.netStimulus[net] >= 0 { netValue[net] = stimValue[Int(binding.netStimulus[net])] }
            for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
                let net = Int(out.net)
                switch out.program {
                case -1: netValue[net] = 0
                case -2, -3:
                    let f = Int(d.flopOfInstance[Int(out.instance)])
                    netValue[net] = out.program == -2 ? state[f] : ~state[f]
                default:
                    runProgram(d.programs[Int(out.program)], vars: UnsafePointer(pointers + Int(out.varStart)), temps: temps,
                        zeros: UnsafePointer(constants), ones: UnsafePointer(constants + 1), W: 1, words: 1, dst: netValue + net)
                }
            }
        }
        func clockEdge() {
            var next = state
            for (f, flop) in d.flops.enumerated() {
                let count = Int(flop.varCount)
                var vars = [UInt64](repeating: 0, count: count)
                for k in 0..<count { vars[k] = pinPointer(Int(d.stateVars[Int(flop.varStart) + k])).pointee }
                // Lane by lane through the truth table (flops have few inputs).
                var word: UInt64 = 0
                for l in 0..<64 {
                    var m = 0
                    for k in 0..<count where (vars[k] >> UInt64(l)) & 1 == 1 { m |= 1 << k }
                    if d.scalar(Int(flop.program), m) { word |= UInt64(1) << UInt64(l) }
                }
                next[f] = word
            }
            state = next
        }
        var countNets: [Int] = []
        for net in 0..<netCount where binding.netConstant[net] == 2 && !d.netOnClock[net] { countNets.append(net) }
        var previous = [UInt64](repeating: 0, count: netCount)
        var operations = 0
        for t in 0..<runLength {
            // Lane l simulates vectors [l·L, min(n, (l+1)·L)).
            var valid: UInt64 = 0
            for l in 0..<lanes where l * runLength + t < n { valid |= UInt64(1) << UInt64(l) }
            for i in 0..<stimulus.pins.count {
                var word: UInt64 = 0
                for l in 0..<lanes {
                    let k = l * runLength + t
                    if k < n, stimulus.bit(i, k) { word |= UInt64(1) << UInt64(l) }
                }
                stimValue[i] = word
            }
            if t == 0 {
                // Warm-up: each run's first vector for two cycles.
                settle(); clockEdge(); settle(); clockEdge()
            }
            settle()
            if t > 0 {
                for net in countNets {
                    let x = netValue[net], y = previous[net]
                    let tr = (x ^ y) & valid
                    rises[net] += (tr & x).nonzeroBitCount
                    falls[net] += (tr & ~x).nonzeroBitCount
                }
                operations += valid.nonzeroBitCount
            }
            for net in countNets { previous[net] = netValue[net] }
            clockEdge()
        }
        for net in 0..<netCount where d.netOnClock[net] {
            rises[net] += operations
            falls[net] += operations
        }
        return NetActivity(vectorCount: n, operations: operations, rises: rises, falls: falls)
    }
}

/// Runs a compiled program over `words` words of rows of stride-free length (`vars[k]` points to the
/// block of variable k); writes the result to `dst`.
@inline(__always)
func runProgram(_ program: LogicProgram, vars: UnsafePointer<UnsafePointer<UInt64>>, temps: UnsafeMutablePointer<UInt64>,
         zeros: UnsafePointer<UInt64>, ones: UnsafePointer<UInt64>, W: Int, words: Int, dst: UnsafeMutablePointer<UInt64>) {
    @inline(__always) func pointer(_ o: Int8) -> UnsafePointer<UInt64> {
        if o >= 0 { return vars[Int(o)] }
        if o == -1 { return zeros }
        if o == -2 { return ones }
        return UnsafePointer(temps + (Int(-o) - 3) * W)
    }
    if program.instructions.isEmpty {
        let src = pointer(program.result)
        let mask: UInt64 = program.invertResult ? ~0 : 0
        for w in 0..<words { dst[w] = src[w] ^ mask }
        return
    }
    for ins in program.instructions {
        let out = ins.dst == -1 ? dst : temps + (Int(-ins.dst) - 3) * W
        let a = pointer(ins.a), b = pointer(ins.b)
        let ma: UInt64 = ins.invertA ? ~0 : 0, mb: UInt64 = ins.invertB ? ~0 : 0
        switch ins.op {
        case .and: for w in 0..<words { out[w] = (a[w] ^ ma) & (b[w] ^ mb) }
        case .or: for w in 0..<words { out[w] = (a[w] ^ ma) | (b[w] ^ mb) }
        case .xor: for w in 0..<words { out[w] = (a[w] ^ ma) ^ (b[w] ^ mb) }
        case .mux:
            let s = pointer(ins.s)
            for w in 0..<words { out[w] = a[w] ^ ((a[w] ^ b[w]) & s[w]) }
        }
    }
    if program.result != -1 || program.instructions.last?.dst != -1 {
        let src = pointer(program.result)
        let mask: UInt64 = program.invertResult ? ~0 : 0
        for w in 0..<words { dst[w] = src[w] ^ mask }
    }
}

// MARK: - Event-driven (glitch-aware) simulation

/// Glitch-aware toggle counting for combinational designs: event-driven simulation with the per-arc
/// NLDM delays of the timing engine under the same constants.
///
/// Each vector's input changes happen at time 0 (the previous vector settled). When an input of a cell
/// changes, the cell's outputs are re-evaluated; a new output value is scheduled after the delay of
/// the arc from that input (for the input's and the output's transition; the earliest when several
/// inputs change at once), looked up in the cell's delay table at the input pin's slew and the output
/// net's load from a `TimingAnalysis` run under the constants (worst slews, as for timing). Delays are
/// inertial: a pending output change is cancelled when the output's function returns to its current
/// value before the change takes effect, so pulses shorter than a gate's delay are filtered. Every
/// committed value change is a transition (rise or fall), including hazards that settle back.
///
/// Thread-safe like `ActivitySimulator`.
public final class GlitchSimulator: @unchecked Sendable {
    /// The design being simulated; its arc delays time the events.
    public let graph: TimingGraph
    let design: ActivityDesign

    /// Throws for a registered design (event-driven simulation is for combinational designs).
    public init(graph: TimingGraph) throws {
        self.graph = graph
        design = try ActivityDesign(graph: graph)
        guard !design.isSequential else {
            throw HaloError("glitch-aware simulation needs a combinational design ('\(graph.design.topName)' has registers)")
        }
    }

    /// A pending net change, ordered by time and then by creation (`id`).
    struct Event: Comparable {
        var time: Double; var id: Int; var net: Int32; var value: Bool
        static func < (a: Event, b: Event) -> Bool { a.time < b.time || (a.time == b.time && a.id < b.id) }
        static func == (a: Event, b: Event) -> Bool { a.id == b.id }
    }

    /// Per output entry and variable: delays [inRF·2 + outRF], ns, under the analysis's slews.
    func arcDelays(_ analysis: TimingAnalysis) -> [Double] {
        let g = graph, d = design
        var delays = [Double](repeating: 0, count: d.variablePins.count * 4)
        for out in d.outputs where out.program >= 0 {
            let inst = Int(out.instance)
            let model = g.cells[g.instanceCell[inst]]
            let base = g.instancePinBase[inst]
            let toPin = Int(out.pin) - base
            for v in 0..<Int(out.varCount) {
                let vp = Int(d.variablePins[Int(out.varStart) + v])
                guard vp >= 0 else { continue }
                let fromPin = vp - base
                var best = [Double](repeating: -.infinity, count: 4)
                for set in model.arcSets where set.fromPin == fromPin && set.toPin == toPin {
                    for arc in set.arcs {
                        guard let table = arc.delay else { continue }
                        let x = table.value(slew: analysis.slewNs(ofPin: vp, arc.from),
                                            load: g.loadCapacitance[Int(out.pin) * 2 + arc.to.rawValue])
                        let slot = arc.from.rawValue * 2 + arc.to.rawValue
                        best[slot] = max(best[slot], x)
                    }
                }
                for outRF in 0..<2 {
                    let other = max(best[outRF], best[2 + outRF])
                    for inRF in 0..<2 {
                        var x = best[inRF * 2 + outRF]
                        if x == -.infinity { x = other }
                        if x == -.infinity { x = 0 }
                        delays[(Int(out.varStart) + v) * 4 + inRF * 2 + outRF] = max(0, x)
                    }
                }
            }
        }
        return delays
    }

    /// Counts every committed transition of every net over the vector stream (see the type's notes).
    /// `analysis` must have been run under `constants`.
    public func simulate(_ stimulus: PackedStimulus, constants: [CaseConstant] = [], analysis: TimingAnalysis) -> NetActivity {
        let g = graph, d = design
        let binding = ActivityBinding(design: d, stimulus: stimulus, constants: constants)
        let netCount = g.design.nets.count
        let n = stimulus.vectorCount
        guard n > 1 else {
            return NetActivity(vectorCount: n, operations: 0, rises: [Int](repeating: 0, count: netCount),
                               falls: [Int](repeating: 0, count: netCount))
        }
        let w = GlitchWorkspace(graph: g, design: d, binding: binding, delays: arcDelays(analysis),
                                stimulusPins: stimulus.pins.count)
        return withExtendedLifetime(w) { run(stimulus, binding: binding, workspace: w) }
    }

    /// The event loop of `simulate` over the workspace's buffers.
    private func run(_ stimulus: PackedStimulus, binding: ActivityBinding, workspace w: GlitchWorkspace) -> NetActivity {
        let g = graph, d = design
        let netCount = g.design.nets.count, n = stimulus.vectorCount, stimCount = stimulus.pins.count
        let value = w.value.pointer, rises = w.rises.pointer, falls = w.falls.pointer
        let pendingID = w.pendingID.pointer, pendingValue = w.pendingValue.pointer, stim = w.stimulus.pointer
        let varSource = w.varSource.pointer, varPin = w.varPin.pointer, delay = w.delay.pointer
        let outNet = w.outNet.pointer, outProgram = w.outProgram.pointer
        let outVarStart = w.outVarStart.pointer, outVarCount = w.outVarCount.pointer, outLive = w.outLive.pointer
        let tableWord = w.tableWord.pointer, wideProgram = w.wideProgram
        let instOutStart = w.instOutStart.pointer, instOut = w.instOut.pointer
        let loadStart = w.loadStart.pointer, loads = w.loads.pointer, pinInstance = w.pinInstance.pointer
        let instStamp = w.instStamp.pointer, triggerHead = w.triggerHead.pointer
        let triggerPin = w.triggerPin.pointer, triggerRise = w.triggerRise.pointer, triggerNext = w.triggerNext.pointer
        let triggered = w.triggered.pointer
        let outputCount = d.outputs.count
        var heap = BinaryHeap<Event>(capacity: 1024)
        var nextID = 0, triggerCount = 0, triggeredCount = 0, batch = 0

        @inline(__always) func variable(_ v: Int) -> Bool {
            let s = Int(varSource[v])
            if s >= 0 { return value[s] }
            if s >= -2 { return s == -2 }
            return stim[-s - 3]
        }
        @inline(__always) func evaluate(_ e: Int) -> Bool {
            let start = Int(outVarStart[e])
            var m = 0
            for k in 0..<Int(outVarCount[e]) where variable(start + k) { m |= 1 << k }
            let prog = Int(outProgram[e])
            if wideProgram[prog] { return d.scalar(prog, m) }
            return (tableWord[prog] >> UInt64(m)) & 1 == 1
        }
        @inline(__always) func trigger(_ p: Int, rise: Bool) {
            let inst = Int(pinInstance[p])
            if instStamp[inst] != batch {
                instStamp[inst] = batch
                triggerHead[inst] = -1
                triggered[triggeredCount] = inst
                triggeredCount += 1
            }
            triggerPin[triggerCount] = Int32(p)
            triggerRise[triggerCount] = rise
            triggerNext[triggerCount] = triggerHead[inst]
            triggerHead[inst] = triggerCount
            triggerCount += 1
        }
        @inline(__always) func commit(_ net: Int, _ v: Bool) {
            guard value[net] != v else { return }
            value[net] = v
            if v { rises[net] += 1 } else { falls[net] += 1 }
            for li in loadStart[net]..<loadStart[net + 1] { trigger(Int(loads[li]), rise: v) }
        }
        func processTriggered(at time: Double) {
            for ti in 0..<triggeredCount {
                let inst = triggered[ti]
                for oi in instOutStart[inst]..<instOutStart[inst + 1] {
                    let e = Int(instOut[oi])
                    let net = Int(outNet[e])
                    let v = evaluate(e)
                    let pending = pendingID[net] >= 0
                    if v == (pending ? pendingValue[net] : value[net]) { continue }
                    if pending {
                        pendingID[net] = -1   // back to the current value before the change: filtered
                        continue
                    }
                    let start = Int(outVarStart[e]), count = Int(outVarCount[e])
                    var dt = Double.infinity
                    var t = triggerHead[inst]
                    while t >= 0 {
                        let p = triggerPin[t]
                        for k in 0..<count where varPin[start + k] == p {
                            dt = min(dt, delay[(start + k) * 4 + (triggerRise[t] ? 0 : 2) + (v ? 0 : 1)])
                        }
                        t = triggerNext[t]
                    }
                    if dt == .infinity { dt = 0 }
                    pendingID[net] = nextID
                    pendingValue[net] = v
                    heap.push(Event(time: time + dt, id: nextID, net: Int32(net), value: v))
                    nextID += 1
                }
            }
            triggeredCount = 0
            triggerCount = 0
            batch += 1
        }
        // Vector 0 settles (zero delay, level order).
        for i in 0..<stimCount { stim[i] = stimulus.bit(i, 0) }
        for net in 0..<netCount {
            if binding.netConstant[net] == 1 { value[net] = true }
            if binding.netStimulus[net] >= 0 { value[net] = stim[Int(binding.netStimulus[net])] }
        }
        for e in 0..<outputCount where outLive[e] { value[Int(outNet[e])] = evaluate(e) }
        for k in 1..<n {
            // Inputs change at time 0.
            for i in 0..<stimCount {
                let b = stimulus.bit(i, k)
                guard b != stim[i] else { continue }
                stim[i] = b
                for net in w.stimulusNets[i] { commit(net, b) }
                for p in w.stimulusLoads[i] { trigger(p, rise: b) }
            }
            processTriggered(at: 0)
            while let first = heap.min {
                let time = first.time
                while let next = heap.min, next.time == time {
                    let e = heap.pop()!
                    let net = Int(e.net)
                    guard pendingID[net] == e.id else { continue }
                    pendingID[net] = -1
                    commit(net, e.value)
                }
                processTriggered(at: time)
            }
        }
        return NetActivity(vectorCount: n, operations: n - 1, rises: Array(UnsafeBufferPointer(start: rises, count: netCount)),
                           falls: Array(UnsafeBufferPointer(start: falls, count: netCount)))
    }
}

/// The flat state of one glitch simulation, each array a `StableBuffer` (freed with the workspace):
/// net values and transition counts, pending events, stimulus bits, compiled outputs and their variables
/// (≥ 0 a net, −1 / −2 constant 0 / 1, ≤ −3 stimulus −(s+3)), per-instance live outputs, per-net loads,
/// and the trigger lists of one time step.
final class GlitchWorkspace {
    let value: StableBuffer<Bool>, rises: StableBuffer<Int>, falls: StableBuffer<Int>
    let pendingID: StableBuffer<Int>, pendingValue: StableBuffer<Bool>, stimulus: StableBuffer<Bool>
    let varSource: StableBuffer<Int32>, varPin: StableBuffer<Int32>, delay: StableBuffer<Double>
    let outNet: StableBuffer<Int32>, outProgram: StableBuffer<Int32>
    let outVarStart: StableBuffer<Int32>, outVarCount: StableBuffer<Int32>, outLive: StableBuffer<Bool>
    let tableWord: StableBuffer<UInt64>
    let wideProgram: [Bool]
    let instOutStart: StableBuffer<Int>, instOut: StableBuffer<Int32>
    let loadStart: StableBuffer<Int>, loads: StableBuffer<Int32>, pinInstance: StableBuffer<Int32>
    let instStamp: StableBuffer<Int>, triggerHead: StableBuffer<Int>
    let triggerPin: StableBuffer<Int32>, triggerRise: StableBuffer<Bool>, triggerNext: StableBuffer<Int>
    let triggered: StableBuffer<Int>
    /// Per stimulus pin: the nets it drives and the load pins it forces.
    let stimulusNets: [[Int]], stimulusLoads: [[Int]]

    init(graph g: TimingGraph, design d: ActivityDesign, binding: ActivityBinding, delays: [Double], stimulusPins stimCount: Int) {
        let netCount = g.design.nets.count
        value = StableBuffer(repeating: false, count: netCount)
        rises = StableBuffer(repeating: 0, count: netCount)
        falls = StableBuffer(repeating: 0, count: netCount)
        pendingID = StableBuffer(repeating: -1, count: netCount)
        pendingValue = StableBuffer(repeating: false, count: netCount)
        stimulus = StableBuffer(repeating: false, count: stimCount)
        var source = [Int32](repeating: -1, count: d.variablePins.count)
        for v in source.indices {
            let p = Int(d.variablePins[v])
            if p < 0 { continue }
            let o = binding.pinOverride[p]
            if o == 0 || o == 1 { source[v] = -1 - o; continue }
            if o >= 2 { source[v] = -(o - 2) - 3; continue }
            let net = g.pinNet[p]
            if net < 0 { continue }
            let c = binding.netConstant[net]
            source[v] = c == 2 ? Int32(net) : -1 - Int32(c)
        }
        varSource = StableBuffer(source)
        varPin = StableBuffer(d.variablePins)
        delay = StableBuffer(delays)
        outNet = StableBuffer(d.outputs.map(\.net))
        outProgram = StableBuffer(d.outputs.map(\.program))
        outVarStart = StableBuffer(d.outputs.map(\.varStart))
        outVarCount = StableBuffer(d.outputs.map(\.varCount))
        let live = d.outputs.indices.map { binding.outputConstant[$0] == 2 && d.outputs[$0].program >= 0 }
        outLive = StableBuffer(live)
        tableWord = StableBuffer(d.tables.map { $0[0] })
        wideProgram = d.tables.map { $0.count > 1 }
        // Per instance: its live outputs (CSR).
        let instCount = g.instanceCount
        var outsOfInstance = [[Int32]](repeating: [], count: instCount)
        for e in d.outputs.indices where live[e] { outsOfInstance[Int(d.outputs[e].instance)].append(Int32(e)) }
        var starts: [Int] = [], flatOuts: [Int32] = []
        for i in 0..<instCount { starts.append(flatOuts.count); flatOuts += outsOfInstance[i] }
        starts.append(flatOuts.count)
        instOutStart = StableBuffer(starts)
        instOut = StableBuffer(flatOuts)
        // Per net: the instance pins that see its changes (no own override) (CSR).
        var loadStarts: [Int] = [], loadList: [Int32] = []
        for net in 0..<netCount {
            loadStarts.append(loadList.count)
            for li in g.netLoadStart[net]..<g.netLoadStart[net + 1] {
                let p = g.netLoads[li]
                if binding.pinOverride[p] < 0 && g.pinInstance[p] >= 0 { loadList.append(Int32(p)) }
            }
        }
        loadStarts.append(loadList.count)
        loadStart = StableBuffer(loadStarts)
        loads = StableBuffer(loadList)
        pinInstance = StableBuffer(g.pinInstance.map { Int32($0) })
        // Stimulus → driven nets and forced load pins.
        var nets = [[Int]](repeating: [], count: stimCount)
        for net in 0..<netCount where binding.netStimulus[net] >= 0 { nets[Int(binding.netStimulus[net])].append(net) }
        var forced = [[Int]](repeating: [], count: stimCount)
        for p in 0..<g.pinCount where binding.pinOverride[p] >= 2 && g.pinInstance[p] >= 0 {
            let net = g.pinNet[p]
            if net < 0 || g.netDriver[net] != p { forced[Int(binding.pinOverride[p] - 2)].append(p) }
        }
        stimulusNets = nets
        stimulusLoads = forced
        instStamp = StableBuffer(repeating: -1, count: instCount)
        triggerHead = StableBuffer(repeating: -1, count: instCount)
        let triggerCapacity = g.pinCount + 1
        triggerPin = StableBuffer(repeating: 0, count: triggerCapacity)
        triggerRise = StableBuffer(repeating: false, count: triggerCapacity)
        triggerNext = StableBuffer(repeating: -1, count: triggerCapacity)
        triggered = StableBuffer(repeating: 0, count: instCount)
    }
}
