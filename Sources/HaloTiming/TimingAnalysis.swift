import HaloCore
import HaloLiberty

/// A logic constant held on a pin during case analysis (OpenSTA's `set_case_analysis`).
public struct CaseConstant: Sendable, Hashable {
    /// A pin index of the `TimingGraph` (see `TimingGraph.casePin(named:)`).
    public var pin: Int
    /// The constant: true for logic 1.
    public var value: Bool

    /// Holds `pin` at `value`.
    public init(pin: Int, value: Bool) {
        self.pin = pin
        self.value = value
    }
}

/// The outcome of one timing run: the longest path, expressed as the shortest clock period.
public struct TimingResult: Sendable, Equatable {
    /// The critical-path delay in ns (arrival at the worst endpoint, plus the setup time for a
    /// register), or nil when no path exists (every endpoint constant or unreachable).
    public var delayNs: Double?
    /// The pin the worst path starts at (an input port, or a register's clock pin).
    public var startPin: Int?
    /// The worst endpoint (an output port, or a register's data pin).
    public var endPin: Int?
    /// The transition at the endpoint.
    public var endTransition: Transition?

    /// A result; the defaults describe "no path".
    public init(delayNs: Double? = nil, startPin: Int? = nil, endPin: Int? = nil, endTransition: Transition? = nil) {
        self.delayNs = delayNs
        self.startPin = startPin
        self.endPin = endPin
        self.endTransition = endTransition
    }
}

/// One stage of a reported path.
public struct PathStage: Sendable {
    /// The pin (a `TimingGraph` pin index).
    public var pin: Int
    /// The transition arriving at the pin.
    public var transition: Transition
    /// Arrival at this pin, ns.
    public var arrivalNs: Double
    /// Delay from the previous stage, ns.
    public var incrementNs: Double
    /// Transition time at this pin, ns.
    public var slewNs: Double
    /// Capacitance on the net this pin drives, fF (0 for loads).
    public var loadFF: Double
}

/// Mutable per-thread state for timing a `TimingGraph` under changing case constants.
///
/// Semantics follow upstream OpenSTA with `set_case_analysis`:
/// - constants propagate through every cell's function (three-valued, exact within a cell);
/// - an arc is off when its input pin is constant, when the output is constant, when the output's
///   function with the constants put in no longer depends on the input, or when a `when`
///   condition is false (an unconditional arc is off when a conditional sibling's condition is true);
/// - the arc's sense is recomputed from the function under the constants, which decides which
///   rise/fall combinations propagate;
/// - slews at a driver pin are the worst over all arcs whose input is not constant (delay
///   calculation does not look at senses or conditions, as OpenSTA's `DcalcPred`);
/// - delays come from the NLDM tables with the total pin capacitance on the net (no wire load);
/// - registers launch on an ideal clock (the edge at 0 with 0 slew at every clock pin) or, with
///   `TimingConditions.propagatedClock`, a clock timed through the clock tree (late for the launch,
///   early for the capture, with OpenSTA's clock reconvergence pessimism removal).
public final class TimingAnalysis {
    /// The design being timed (shared, read-only, by every analysis of it).
    public let graph: TimingGraph
    /// One arrival propagation, or one per launch group when reconvergence credits differ by launch.
    private let groups: [ArrivalPropagation]

    /// A fresh state for `graph` (one per thread); `run` times it.
    public init(graph: TimingGraph) {
        self.graph = graph
        let n = graph.reconvergence.groupCount
        groups = n == 0 ? [ArrivalPropagation(graph: graph)] : (0..<n).map { ArrivalPropagation(graph: graph, launchGroup: $0) }
    }

    /// Times the design with these constants held (an empty list: no case analysis).
    @discardableResult
    public func run(constants: [CaseConstant]) -> TimingResult {
        TimingAnalysis.worst(groups.map { $0.run(constants: constants) })
    }

    /// Changes some case constants and re-times only what they reach: the instances whose inputs
    /// changed, and onward only where an output's value, arrival or slew changed. The result equals
    /// `run` with the full set of constants. Sweeps call it with the one bit a Gray-code step flips.
    @discardableResult
    public func update(_ changes: [CaseConstant]) -> TimingResult {
        if groups.count == 1 { return groups[0].update(changes) }
        return TimingAnalysis.worst(groups.map { $0.update(changes) })
    }

    private static func worst(_ results: [TimingResult]) -> TimingResult {
        var best = results[0]
        for r in results.dropFirst() where (r.delayNs ?? -.infinity) > (best.delayNs ?? -.infinity) { best = r }
        return best
    }

    /// The logic value of a pin after the last run.
    public func logicValue(ofPin pin: Int) -> LogicValue { groups[0].logicValue(ofPin: pin) }

    /// Arrival at a pin for a transition after the last run, ns (nil when none): the latest over launch groups.
    public func arrivalNs(ofPin pin: Int, _ rf: Transition) -> Double? {
        groups.compactMap { $0.arrivalNs(ofPin: pin, rf) }.max()
    }

    /// Slew at a pin for a transition after the last run, ns.
    public func slewNs(ofPin pin: Int, _ rf: Transition) -> Double { groups[0].slewNs(ofPin: pin, rf) }

    /// An endpoint's delay after the last run.
    public struct EndpointDelay: Sendable {
        /// An output port, or a register's constrained data pin.
        public var pin: Int
        /// The endpoint's transition.
        public var transition: Transition
        /// Arrival (plus setup time for a register) in ns: the clock period this endpoint needs.
        public var delayNs: Double
        /// Setup time included, ns (0 for an output port).
        public var setupNs: Double
        /// With a propagated clock, the capturing register's clock latency (the edge's arrival at its
        /// clock pin after the edge itself), subtracted from the delay; 0 otherwise.
        public var captureLatencyNs: Double = 0
    }

    /// Every endpoint with a path after the last run, worst first (each endpoint transition once, at its
    /// worst over launch groups).
    public func endpointDelays() -> [EndpointDelay] {
        guard groups.count > 1 else { return groups[0].endpointDelays() }
        var worst: [Int: EndpointDelay] = [:]
        for g in groups {
            for e in g.endpointDelays() {
                let key = e.pin * 2 + e.transition.rawValue
                if let w = worst[key], w.delayNs >= e.delayNs { continue }
                worst[key] = e
            }
        }
        return worst.values.sorted { $0.delayNs != $1.delayNs ? $0.delayNs > $1.delayNs : $0.pin < $1.pin }
    }

    /// The worst path into `endPin` for a transition after the last run, start first.
    public func tracePath(endPin: Int, transition: Transition) -> [PathStage] {
        var best = groups[0]
        var bestDelay = -Double.infinity
        if groups.count > 1 {
            for g in groups {
                for e in g.endpointDelays() where e.pin == endPin && e.transition == transition && e.delayNs > bestDelay {
                    bestDelay = e.delayNs
                    best = g
                }
            }
        }
        return best.tracePath(endPin: endPin, transition: transition)
    }
}

/// One arrival propagation of a `TimingAnalysis` (see there for the semantics): per-pin values,
/// arrivals and slews in flat buffers, timed in full by `run` and incrementally by `update`.
///
/// With clock reconvergence pessimism removal (a propagated clock, see `ClockReconvergence`), one
/// propagation times the paths of one launch group; `TimingAnalysis` runs one per group.
final class ArrivalPropagation {
    /// The design being timed (shared, read-only, by every analysis of it).
    let graph: TimingGraph
    /// The graph's flat timing data (pointers into memory the graph owns).
    private let b: FlatView
    /// Per level-order position: fan-out positions (`fanout[fanoutStart[o]..<fanoutStart[o + 1]]`).
    private let fanoutStart: UnsafeMutablePointer<Int32>
    private let fanout: UnsafeMutablePointer<Int32>
    /// Per instance arc: the last input slew it was evaluated at and the output slew and delay
    /// that gave (a re-timed instance mostly sees the same input slews again; the load is fixed).
    private let memo: UnsafeMutablePointer<ArcMemo>
    private let halfPeriodNs: Double
    /// `TimingConditions.propagatedClock`: clock edges travel through the clock tree instead of being ideal.
    private let propagatedClock: Bool
    /// Per instance arc set (from `setStart[o]`): its arrival-side state under the current
    /// constants, `ArcSense` raw value plus `setEnabled` — kept while the instance's pin values stay.
    private let setState: UnsafeMutablePointer<UInt8>
    private let setStart: UnsafeMutablePointer<Int32>
    /// Per level-order position: a case constant on one of its pins changed since it was last timed.
    private let logicStale: UnsafeMutablePointer<Bool>
    /// Level-order positions of the instances with setup checks (registers).
    private let checkedInstances: [Int]
    /// Per pin: LogicValue raw value.
    private let value: UnsafeMutablePointer<UInt8>
    /// Per pin: case constant raw value or 2 when none.
    private let caseValue: UnsafeMutablePointer<UInt8>
    /// Per pin and transition (pin*2+rf): arrival (-inf when none), slew, predecessor (pin*2+rf or -1).
    private let arrival: UnsafeMutablePointer<Double>
    private let slew: UnsafeMutablePointer<Double>
    private let predecessor: UnsafeMutablePointer<Int32>
    private let pinCount: Int
    /// Pins given a case constant by the last run (to clear them cheaply).
    private var casePins: [Int] = []
    /// Level-order positions waiting to be re-timed by `update` (one bit each).
    private let dirty: UnsafeMutablePointer<UInt64>
    private let dirtyWords: Int
    /// Scratch for an instance's old outputs (value, arrivals, slews) during `update`: 5 per output pin.
    private let previous: UnsafeMutablePointer<Double>
    /// True once `run` has timed the design (so `update` has a state to start from).
    private var hasState = false

    /// The launch group this propagation times (-1: every launch, no reconvergence credit).
    let launchGroup: Int
    /// The buffers the pointers above point into.
    private let owned: [AnyObject]

    /// A fresh state for `graph` (one per thread) timing the paths of `launchGroup`; `run` times it.
    init(graph: TimingGraph, launchGroup: Int = -1) {
        self.graph = graph
        self.launchGroup = launchGroup
        let n = graph.pinCount
        pinCount = n
        // Every buffer is a StableBuffer held in `owned` (freed with the propagation); the hot loop uses its pointer.
        var owned: [AnyObject] = []
        func buffer<T>(_ b: StableBuffer<T>) -> UnsafeMutablePointer<T> { owned.append(b); return b.pointer }
        value = buffer(StableBuffer(repeating: LogicValue.unknown.rawValue, count: max(1, n)))
        caseValue = buffer(StableBuffer(repeating: LogicValue.unknown.rawValue, count: max(1, n)))
        arrival = buffer(StableBuffer(repeating: -.infinity, count: max(2, n * 2)))
        slew = buffer(StableBuffer(repeating: 0, count: max(2, n * 2)))
        predecessor = buffer(StableBuffer(repeating: -1, count: max(2, n * 2)))
        let view = graph.buffers.view
        b = view
        var starts: [Int32] = []
        var sets = 0
        for o in 0..<view.instanceCount {
            starts.append(Int32(sets))
            let cell = view.cells[Int(view.orderCell[o])]
            sets += Int(cell.arcSetEnd - cell.arcSetStart)
        }
        starts.append(Int32(sets))
        setStart = buffer(StableBuffer(starts))
        setState = buffer(StableBuffer(repeating: 0, count: max(1, sets)))
        logicStale = buffer(StableBuffer(repeating: true, count: max(1, view.instanceCount)))
        checkedInstances = (0..<view.instanceCount).filter { o in
            let cell = view.cells[Int(view.orderCell[o])]
            return cell.checkEnd > cell.checkStart
        }
        halfPeriodNs = graph.conditions.clockPeriodNs / 2
        propagatedClock = graph.conditions.propagatedClock
        fanoutStart = buffer(StableBuffer(graph.fanoutStart.map { Int32($0) }))
        fanout = buffer(StableBuffer(graph.fanout))
        memo = buffer(StableBuffer(repeating: ArcMemo(inSlewNs: .nan, slewNs: 0, delayNs: 0), count: max(1, b.instanceArcCount)))
        previous = buffer(StableBuffer(repeating: 0, count: max(5, b.maxCellPins * 5)))
        dirtyWords = (graph.instanceCount + 63) / 64 + 1
        dirty = buffer(StableBuffer(repeating: 0, count: dirtyWords))
        self.owned = owned
    }

    /// Times the design with these constants held (an empty list: no case analysis).
    @discardableResult
    func run(constants: [CaseConstant]) -> TimingResult {
        for p in casePins { caseValue[p] = LogicValue.unknown.rawValue }
        casePins.removeAll(keepingCapacity: true)
        for c in constants where c.pin >= 0 && c.pin < pinCount {
            caseValue[c.pin] = c.value ? 1 : 0
            casePins.append(c.pin)
        }
        hasState = true
        return propagate()
    }

    /// Changes some case constants and re-times only what they reach: the instances whose inputs
    /// changed, and onward only where an output's value, arrival or slew changed. The result equals
    /// `run` with the full set of constants. Sweeps call it with the one bit a Gray-code step flips.
    @discardableResult
    func update(_ changes: [CaseConstant]) -> TimingResult {
        guard hasState else { return run(constants: changes) }
        let g = graph
        for c in changes where c.pin >= 0 && c.pin < pinCount {
            let v: UInt8 = c.value ? 1 : 0
            if caseValue[c.pin] == v { continue }
            if caseValue[c.pin] == LogicValue.unknown.rawValue { casePins.append(c.pin) }
            caseValue[c.pin] = v
            let inst = g.pinInstance[c.pin]
            if inst >= 0 {
                markDirty(g.orderPosition[inst])
                logicStale[g.orderPosition[inst]] = true
            } else {
                let k = g.pinCellPin[c.pin]
                if g.design.ports[k].direction == .input {
                    setInputPort(c.pin)
                    for f in g.portFanoutStart[k]..<g.portFanoutStart[k + 1] { markDirty(Int(g.portFanout[f])) }
                }
            }
        }
        let b = self.b, fanoutStart = self.fanoutStart, fanout = self.fanout
        var w = 0
        while w < dirtyWords {
            while dirty[w] != 0 {
                let bit = dirty[w].trailingZeroBitCount
                dirty[w] &= ~(UInt64(1) << UInt64(bit))
                let o = w * 64 + bit
                guard o < b.instanceCount else { continue }
                if retimeInstance(o) {
                    for f in Int(fanoutStart[o])..<Int(fanoutStart[o + 1]) { markDirty(Int(fanout[f])) }
                }
            }
            w += 1
        }
        return findWorstEndpoint()
    }

    @inline(__always) private func markDirty(_ o: Int) {
        dirty[o >> 6] |= UInt64(1) << UInt64(o & 63)
    }

    /// Resets and re-times one instance's outputs; true when any output's value, arrival or slew changed.
    private func retimeInstance(_ o: Int) -> Bool {
        let b = self.b
        let cell = b.cells[Int(b.orderCell[o])]
        let base = Int(b.orderBase[o])
        let pinStart = Int(cell.pinStart)
        var n = 0
        for k in 0..<Int(cell.pinCount) where b.pinIsOutput[pinStart + k] {
            let p = base + k
            previous[n] = Double(value[p])
            n += 1
            for rf in 0..<2 {
                previous[n] = arrival[p * 2 + rf]
                previous[n + 1] = slew[p * 2 + rf]
                n += 2
                arrival[p * 2 + rf] = -.infinity
                slew[p * 2 + rf] = 0
                predecessor[p * 2 + rf] = -1
            }
        }
        processInstance(o, reevaluate: false)
        var changed = false
        var i = 0
        for k in 0..<Int(cell.pinCount) where b.pinIsOutput[pinStart + k] {
            let p = base + k
            if previous[i] != Double(value[p]) { changed = true }
            i += 1
            for rf in 0..<2 {
                if previous[i] != arrival[p * 2 + rf] || previous[i + 1] != slew[p * 2 + rf] { changed = true }
                i += 2
            }
        }
        return changed
    }

    /// The logic value of a pin after the last run.
    func logicValue(ofPin pin: Int) -> LogicValue {
        if caseValue[pin] != LogicValue.unknown.rawValue { return LogicValue(rawValue: caseValue[pin]) ?? .unknown }
        let n = graph.pinNet[pin]
        if n >= 0, graph.netTie[n] != LogicValue.unknown.rawValue { return LogicValue(rawValue: graph.netTie[n]) ?? .unknown }
        return LogicValue(rawValue: value[sourcePin(pin)]) ?? .unknown
    }

    /// Arrival at a pin for a transition after the last run, ns (nil when none).
    func arrivalNs(ofPin pin: Int, _ rf: Transition) -> Double? {
        let p = sourcePin(pin)
        let a = arrival[p * 2 + rf.rawValue]
        return a == -.infinity ? nil : a
    }

    /// Slew at a pin for a transition after the last run, ns.
    func slewNs(ofPin pin: Int, _ rf: Transition) -> Double {
        slew[sourcePin(pin) * 2 + rf.rawValue]
    }

    /// Where a load pin's arrival and slew live: its net's driver (itself for drivers and undriven pins).
    @inline(__always) private func sourcePin(_ pin: Int) -> Int {
        let n = graph.pinNet[pin]
        if n < 0 { return pin }
        let d = graph.netDriver[n]
        return d >= 0 && !isLoadWithOwnCase(pin) ? d : pin
    }

    @inline(__always) private func isLoadWithOwnCase(_ pin: Int) -> Bool {
        caseValue[pin] != LogicValue.unknown.rawValue && graph.netDriver[graph.pinNet[pin]] != pin
    }

    // MARK: Propagation

    private func propagate() -> TimingResult {
        let g = graph
        let b = self.b
        let unknown = LogicValue.unknown.rawValue
        arrival.update(repeating: -.infinity, count: pinCount * 2)
        slew.update(repeating: 0, count: pinCount * 2)
        predecessor.update(repeating: -1, count: pinCount * 2)
        value.update(repeating: unknown, count: pinCount)
        for k in 0..<g.design.ports.count where g.design.ports[k].direction == .input {
            setInputPort(g.portPinBase + k)
        }
        for o in 0..<b.instanceCount { processInstance(o, reevaluate: true) }
        return findWorstEndpoint()
    }

    /// Value, arrival and slew of an input port from its case constant or tie.
    @inline(__always) private func setInputPort(_ p: Int) {
        let g = graph
        let unknown = LogicValue.unknown.rawValue
        value[p] = caseValue[p] != unknown ? caseValue[p] : b.pinTie[p]
        arrival[p * 2] = -.infinity
        arrival[p * 2 + 1] = -.infinity
        if p == g.clockPin {
            // An ideal clock is applied at the register clock pins; a propagated one leaves the port with
            // its rising edge at 0 and its falling edge at half the period, with 0 slew.
            if propagatedClock && value[p] == unknown {
                arrival[p * 2] = 0
                arrival[p * 2 + 1] = halfPeriodNs
            }
            slew[p * 2] = 0
            slew[p * 2 + 1] = 0
            return
        }
        if value[p] == unknown && launchGroup <= 0 {
            arrival[p * 2] = 0
            arrival[p * 2 + 1] = 0
        }
        slew[p * 2] = g.conditions.inputSlewNs
        slew[p * 2 + 1] = g.conditions.inputSlewNs
    }

    /// Re-times the instance at level-order position `o` from its inputs: pin values, output values,
    /// output slews and arrivals (its output arrivals and slews must be reset by the caller). The
    /// output values and each arc set's sense and enable depend only on the instance's pin values:
    /// they are recomputed when an input value or a case constant on the instance changed, or when
    /// `reevaluate` (a full run), and otherwise kept from the last time.
    @inline(__always) private func processInstance(_ o: Int, reevaluate: Bool) {
        let b = self.b
        let unknown = LogicValue.unknown.rawValue
        let value = self.value, caseValue = self.caseValue
        let arrival = self.arrival, slew = self.slew, predecessor = self.predecessor, memo = self.memo
        let halfPeriod = halfPeriodNs, group = launchGroup
        let arcSets = b.arcSets, arcs = b.arcs, pinSource = b.pinSource
        let loadCap = b.loadCapacitance, isClock = b.isClockNetwork
        let arcLoadBase = Int(b.arcLoadStart[o]) - Int(b.cells[Int(b.orderCell[o])].arcStart)
        let cell = b.cells[Int(b.orderCell[o])]
        let base = Int(b.orderBase[o])
        var anyConstant = false
        var logicChanged = reevaluate || logicStale[o]
        logicStale[o] = false
        let stateBase = Int(setStart[o]) - Int(cell.arcSetStart)
        let inputsChanged = setInputValues(cell, base: base, anyConstant: &anyConstant)
        if logicChanged || inputsChanged {
            logicChanged = true
            setOutputValues(cell, base: base, anyConstant: &anyConstant)
        }
        // Arcs.
        for s in Int(cell.arcSetStart)..<Int(cell.arcSetEnd) {
            let set = arcSets[s]
            let fromPin = base + Int(set.fromPin)
            let toPin = base + Int(set.toPin)
            if value[fromPin] != unknown { continue }
            let source = caseValue[fromPin] == unknown ? Int(pinSource[fromPin]) : fromPin
            let idealClock = set.isClockEdge && isClock[fromPin] && !propagatedClock
            let filterLaunch = set.isClockEdge && group >= 0
            // Arrival-side enable: sense under constants, when conditions.
            var sense = ArcSense.unknown
            var enabled = false
            if logicChanged {
                (sense, enabled) = senseAndEnable(set, cell: cell, base: base, anyConstant: anyConstant)
                setState[stateBase + s] = sense.rawValue | (enabled ? ArrivalPropagation.setEnabled : 0)
            } else {
                let state = setState[stateBase + s]
                sense = ArcSense(rawValue: state & ~ArrivalPropagation.setEnabled) ?? .unknown
                enabled = state & ArrivalPropagation.setEnabled != 0
            }
            for a in Int(set.arcStart)..<Int(set.arcEnd) {
                let arc = arcs[a]
                let fromIndex = Int(arc.from), toIndex = Int(arc.to)
                let inSlew = idealClock ? 0 : slew[source * 2 + fromIndex]
                let m = memo + (arcLoadBase + a)
                if m.pointee.inSlewNs != inSlew {
                    m.pointee = lookUpArc(arc, inSlew: inSlew, load: loadCap[toPin * 2 + toIndex], segment: arcLoadBase + a)
                }
                // An arc without a slew table contributes 0, which never exceeds a reset slew.
                if m.pointee.slewNs > slew[toPin * 2 + toIndex] { slew[toPin * 2 + toIndex] = m.pointee.slewNs }
                guard enabled else { continue }
                switch sense {
                case .positiveUnate: if fromIndex != toIndex { continue }
                case .negativeUnate: if fromIndex == toIndex { continue }
                default: break
                }
                // A register launch belongs to its group's propagation only (clock reconvergence credit).
                if filterLaunch && max(0, Int(graph.reconvergence.launchGroup[fromPin * 2 + fromIndex])) != group {
                    continue
                }
                let fromArrival: Double
                if idealClock {
                    // The clock port rises at 0 and falls at half the period; an inverted clock pin the reverse.
                    fromArrival = (fromIndex == 0) != b.clockInverted[fromPin] ? 0 : halfPeriod
                } else {
                    fromArrival = arrival[source * 2 + fromIndex]
                    if fromArrival == -.infinity { continue }
                }
                let t = fromArrival + m.pointee.delayNs
                if t > arrival[toPin * 2 + toIndex] {
                    arrival[toPin * 2 + toIndex] = t
                    predecessor[toPin * 2 + toIndex] = Int32(fromPin * 2 + fromIndex)
                }
            }
        }
    }

    /// Step 1 of `processInstance`: the instance's input pin values from case constants, ties and their
    /// nets' drivers. Returns whether one changed; sets `anyConstant` when one is 0 or 1.
    @inline(__always) private func setInputValues(_ cell: FlatCell, base: Int, anyConstant: inout Bool) -> Bool {
        let unknown = LogicValue.unknown.rawValue
        let value = self.value, caseValue = self.caseValue, pinIsOutput = b.pinIsOutput
        let pinSource = b.pinSource, pinTie = b.pinTie
        let pinStart = Int(cell.pinStart)
        var changed = false
        for k in 0..<Int(cell.pinCount) where !pinIsOutput[pinStart + k] {
            let p = base + k
            var v = caseValue[p]
            if v == unknown {
                v = pinTie[p]
                if v == unknown {
                    let src = Int(pinSource[p])
                    if src != p { v = value[src] }
                }
            }
            if value[p] != v { changed = true }
            value[p] = v
            if v != unknown { anyConstant = true }
        }
        return changed
    }

    /// Step 2: the output pin values (a case constant, else the function; a three-state output has a
    /// value only while its enable is 1, as in OpenSTA's Sim::evalInstance).
    @inline(__always) private func setOutputValues(_ cell: FlatCell, base: Int, anyConstant: inout Bool) {
        let unknown = LogicValue.unknown.rawValue
        let value = self.value, caseValue = self.caseValue, pinIsOutput = b.pinIsOutput, pinFunction = b.pinFunction
        let pinStart = Int(cell.pinStart)
        for k in 0..<Int(cell.pinCount) where pinIsOutput[pinStart + k] {
            let p = base + k
            if caseValue[p] != unknown {
                value[p] = caseValue[p]
            } else {
                let f = pinFunction[pinStart + k]
                let e = cell.hasThreeState ? b.pinEnable[pinStart + k] : -1
                if e >= 0 && evaluate(Int(e), base: base) != LogicValue.one.rawValue {
                    value[p] = unknown
                } else {
                    value[p] = f >= 0 ? evaluate(Int(f), base: base) : unknown
                }
            }
            if value[p] != unknown { anyConstant = true }
        }
    }

    /// Step 3, per arc set when the instance's logic changed: its timing sense under the constants
    /// and whether it propagates arrivals (output not constant, sense not none, its `when` not false,
    /// or with no `when` no sibling's `when` true).
    @inline(__always) private func senseAndEnable(_ set: FlatArcSet, cell: FlatCell, base: Int, anyConstant: Bool) -> (ArcSense, Bool) {
        let pinStart = Int(cell.pinStart)
        var sense = ArcSense.unknown
        if anyConstant {
            let f = b.pinFunction[pinStart + Int(set.toPin)]
            if f >= 0 { sense = self.sense(Int(f), pin: Int(set.fromPin), base: base) }
            // A disabled three-state output does not pass its function's inputs (Sim::functionSense).
            let e = cell.hasThreeState ? b.pinEnable[pinStart + Int(set.toPin)] : -1
            if sense != .unknown && e >= 0 && evaluate(Int(e), base: base) == LogicValue.zero.rawValue { sense = .none }
        }
        var enabled = value[base + Int(set.toPin)] == LogicValue.unknown.rawValue && sense != .none
        if enabled {
            if set.when >= 0 {
                if evaluate(Int(set.when), base: base) == LogicValue.zero.rawValue { enabled = false }
            } else {
                for j in Int(set.siblingStart)..<Int(set.siblingEnd) {
                    let w = b.arcSets[Int(b.siblings[j])].when
                    if w >= 0 && evaluate(Int(w), base: base) == LogicValue.one.rawValue {
                        enabled = false
                        break
                    }
                }
            }
        }
        return (sense, enabled)
    }

    /// Step 4, per arc when its input slew changed: the output slew and the delay from the arc's tables
    /// at that slew and the output's load (slew and delay tables on one grid share the interpolation
    /// weights; `segment` indexes the arc's load segment).
    @inline(__always) private func lookUpArc(_ arc: FlatArc, inSlew: Double, load: Double, segment: Int) -> ArcMemo {
        let tables = b.tables, pool = UnsafePointer(b.pool)
        var sv = 0.0, dv = 0.0
        if arc.slew >= 0 {
            let st = tables[Int(arc.slew)]
            if arc.delay >= 0, sameGrid(st, tables[Int(arc.delay)]) {
                let ls = b.arcLoad[segment]
                let w = ls.axis != 0 ? gridWeights(st, pool, slew: inSlew, ls) : gridWeights(st, pool, slew: inSlew, load: load)
                sv = gridValue(st, pool, w)
                dv = gridValue(tables[Int(arc.delay)], pool, w)
            } else {
                sv = flatTableValue(st, pool, slew: inSlew, load: load, relatedSlew: 0)
                if arc.delay >= 0 { dv = flatTableValue(tables[Int(arc.delay)], pool, slew: inSlew, load: load, relatedSlew: 0) }
            }
        } else if arc.delay >= 0 {
            dv = flatTableValue(tables[Int(arc.delay)], pool, slew: inSlew, load: load, relatedSlew: 0)
        }
        return ArcMemo(inSlewNs: inSlew, slewNs: sv, delayNs: dv)
    }

    /// The `setState` bit marking an arc set that propagates arrivals.
    private static let setEnabled: UInt8 = 0x80

    /// Care mask of a flat function's minterms consistent with the pins' constants (≤ 6 variables).
    @inline(__always) private func careMask(_ f: FlatFunction, base: Int) -> UInt64 {
        let n = Int(f.varCount)
        var care: UInt64 = n == 6 ? ~0 : (UInt64(1) << UInt64(1 << n)) &- 1
        let vars = b.functionVars + Int(f.varStart)
        for k in 0..<n {
            let p = Int(vars[k])
            guard p >= 0 else { continue }
            let v = value[base + p]
            if v == 0 { care &= ~variableMask(k) } else if v == 1 { care &= variableMask(k) }
        }
        return care
    }

    /// A function's three-valued value with the instance's pin values.
    @inline(__always) private func evaluate(_ index: Int, base: Int) -> UInt8 {
        let f = b.functions[index]
        if f.general >= 0 {
            return graph.flat.generalFunctions[Int(f.general)].evaluate { LogicValue(rawValue: self.value[base + $0]) ?? .unknown }.rawValue
        }
        let care = careMask(f, base: base)
        let on = f.table & care
        if on == 0 { return LogicValue.zero.rawValue }
        if on == care { return LogicValue.one.rawValue }
        return LogicValue.unknown.rawValue
    }

    /// A function's sense in one of its pins under the instance's constants.
    @inline(__always) private func sense(_ index: Int, pin: Int, base: Int) -> ArcSense {
        let f = b.functions[index]
        if f.general >= 0 {
            return graph.flat.generalFunctions[Int(f.general)].sense(ofPin: pin) { LogicValue(rawValue: self.value[base + $0]) ?? .unknown }
        }
        let vars = b.functionVars + Int(f.varStart)
        var k = -1
        for j in 0..<Int(f.varCount) where Int(vars[j]) == pin { k = j; break }
        if k < 0 { return .unknown }
        let care0 = careMask(f, base: base) & ~variableMask(k)
        let f0 = f.table & care0
        let f1 = (f.table >> UInt64(1 << k)) & care0
        let increasing = (f0 & ~f1) == 0
        let decreasing = (f1 & ~f0) == 0
        if increasing && decreasing { return .none }
        if increasing { return .positiveUnate }
        if decreasing { return .negativeUnate }
        return .nonUnate
    }

    /// Every endpoint with a path after the last run, worst first.
    func endpointDelays() -> [TimingAnalysis.EndpointDelay] {
        var list: [TimingAnalysis.EndpointDelay] = []
        forEachEndpoint { pin, rf, delay, setup, latency in
            list.append(TimingAnalysis.EndpointDelay(pin: pin, transition: Transition(rawValue: rf) ?? .rise, delayNs: delay, setupNs: setup,
                                      captureLatencyNs: latency))
        }
        return list.sorted { $0.delayNs > $1.delayNs }
    }

    /// Calls `body(pin, transition, delay, setup, capture latency)` for every endpoint transition that has an arrival.
    private func forEachEndpoint(_ body: (Int, Int, Double, Double, Double) -> Void) {
        let g = graph
        let unknown = LogicValue.unknown.rawValue
        // Output ports.
        for k in 0..<g.design.ports.count where g.design.ports[k].direction != .input {
            let p = g.portPinBase + k
            let n = g.pinNet[p]
            guard n >= 0, caseValue[p] == unknown else { continue }
            let d = g.netDriver[n]
            guard d >= 0, value[d] == unknown else { continue }
            for rf in 0..<2 where arrival[d * 2 + rf] > -.infinity {
                body(p, rf, arrival[d * 2 + rf], 0, 0)
            }
        }
        // Register setup checks.
        let b = self.b
        let pool = UnsafePointer(b.pool)
        for o in checkedInstances {
            let cell = b.cells[Int(b.orderCell[o])]
            let base = Int(b.orderBase[o])
            for c in Int(cell.checkStart)..<Int(cell.checkEnd) {
                let check = b.checks[c]
                let dataPin = base + Int(check.dataPin)
                let clockPin = base + Int(check.clockPin)
                if value[dataPin] != unknown || value[clockPin] != unknown { continue }
                if check.when >= 0 && evaluate(Int(check.when), base: base) == LogicValue.zero.rawValue { continue }
                let source = sourcePin(dataPin)
                // The capturing edge one period later: ideal (the edge itself, 0 slew), or propagated
                // (the edge's arrival and slew at this register's clock pin).
                let edgeNs = (check.clockEdge == 0) != b.clockInverted[clockPin] ? 0 : halfPeriodNs
                var latency = 0.0
                var clockSlew = 0.0
                var credit = 0.0
                if propagatedClock && g.isClockNetwork[clockPin] {
                    // The capturing edge arrives early (OpenSTA times the capture clock path min), less the
                    // pessimism on the clock path it shares with the launch.
                    let clockSource = sourcePin(clockPin) * 2 + Int(check.clockEdge)
                    guard g.clockTiming.earlyArrivalNs[clockSource] < .infinity else { continue }
                    latency = g.clockTiming.earlyArrivalNs[clockSource] - edgeNs
                    clockSlew = g.clockTiming.earlySlewNs[clockSource]
                    credit = g.reconvergence.credit(group: launchGroup, net: g.pinNet[clockPin], transition: Int(check.clockEdge))
                    latency += credit
                }
                let captureNs = edgeNs + latency + g.conditions.clockPeriodNs
                for rf in 0..<2 {
                    let a = arrival[source * 2 + rf]
                    let table = rf == 0 ? check.riseTable : check.fallTable
                    guard a > -.infinity, table >= 0 else { continue }
                    let setup = flatTableValue(b.tables[Int(table)], pool, slew: slew[source * 2 + rf], load: 0, relatedSlew: clockSlew)
                    body(dataPin, rf, a + setup + g.conditions.clockPeriodNs - captureNs, setup, latency)
                }
            }
        }
    }

    private func findWorstEndpoint() -> TimingResult {
        var worst = -Double.infinity
        var worstPin = -1
        var worstRF = 0
        forEachEndpoint { pin, rf, delay, _, _ in
            if delay > worst {
                worst = delay
                worstPin = pin
                worstRF = rf
            }
        }
        guard worstPin >= 0 else { return TimingResult() }
        let start = startPin(endPin: worstPin, transition: worstRF)
        return TimingResult(delayNs: worst, startPin: start, endPin: worstPin, endTransition: Transition(rawValue: worstRF))
    }

    /// The first pin of the worst path into an endpoint (no allocation).
    private func startPin(endPin: Int, transition: Int) -> Int {
        var pin = endPin
        var rf = transition
        var steps = 0
        while steps <= graph.pinCount * 2 {
            steps += 1
            let src = sourcePin(pin)
            if src != pin { pin = src; continue }
            let pred = predecessor[src * 2 + rf]
            if pred < 0 { return pin }
            pin = Int(pred) / 2
            rf = Int(pred) % 2
        }
        return pin
    }

    /// The worst path into `endPin` for a transition after the last run, start first.
    func tracePath(endPin: Int, transition: Transition) -> [PathStage] {
        var stages: [PathStage] = []
        var pin = endPin
        var rf = transition.rawValue
        var guardCount = 0
        while guardCount <= graph.pinCount * 2 {
            guardCount += 1
            let src = sourcePin(pin)
            let a = arrival[src * 2 + rf]
            stages.append(PathStage(pin: pin, transition: Transition(rawValue: rf) ?? .rise,
                                    arrivalNs: a == -.infinity ? 0 : a, incrementNs: 0,
                                    slewNs: slew[src * 2 + rf], loadFF: graph.loadCapacitance[pin * 2 + rf]))
            if src != pin {
                // A load pin: the previous stage is its net's driver.
                pin = src
                continue
            }
            let pred = predecessor[src * 2 + rf]
            if pred < 0 { break }
            pin = Int(pred) / 2
            rf = Int(pred) % 2
        }
        stages.reverse()
        for k in stages.indices {
            if graph.isClockNetwork[stages[k].pin] && k == 0 {
                stages[k].arrivalNs = stages[k].transition == .rise ? 0 : graph.conditions.clockPeriodNs / 2
                stages[k].slewNs = 0
            }
            stages[k].incrementNs = k == 0 ? stages[k].arrivalNs : stages[k].arrivalNs - stages[k - 1].arrivalNs
        }
        return stages
    }
}

/// One instance arc's last table look-up: the input slew it was made at and its results.
struct ArcMemo {
    var inSlewNs: Double
    var slewNs: Double
    var delayNs: Double
}
