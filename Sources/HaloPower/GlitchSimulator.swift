import HaloCore
import HaloLiberty
import HaloTiming

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
