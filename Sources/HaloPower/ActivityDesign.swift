import HaloCore
import HaloLiberty
import HaloTiming

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
