import HaloCore
import HaloLiberty

/// A logic constant held on a pin during case analysis (OpenSTA's `set_case_analysis`).
public struct CaseConstant: Sendable, Hashable {
    /// A pin index of the `TimingGraph` (see `TimingGraph.casePin(named:)`).
    public var pin: Int
    public var value: Bool

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

    public init(delayNs: Double? = nil, startPin: Int? = nil, endPin: Int? = nil, endTransition: Transition? = nil) {
        self.delayNs = delayNs
        self.startPin = startPin
        self.endPin = endPin
        self.endTransition = endTransition
    }
}

/// One stage of a reported path.
public struct PathStage: Sendable {
    public var pin: Int
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
/// - delays come from the NLDM tables with the total pin capacitance on the net (no wire load).
public final class TimingAnalysis {
    public let graph: TimingGraph
    /// Per pin: LogicValue raw value.
    private var value: [UInt8]
    /// Per pin: case constant raw value or 2 when none.
    private var caseValue: [UInt8]
    /// Per pin and transition (pin*2+rf): arrival (-inf when none), slew, predecessor (pin*2+rf or -1).
    private var arrival: [Double]
    private var slew: [Double]
    private var predecessor: [Int32]

    public init(graph: TimingGraph) {
        self.graph = graph
        let n = graph.pinCount
        value = [UInt8](repeating: LogicValue.unknown.rawValue, count: n)
        caseValue = [UInt8](repeating: LogicValue.unknown.rawValue, count: n)
        arrival = [Double](repeating: -.infinity, count: n * 2)
        slew = [Double](repeating: 0, count: n * 2)
        predecessor = [Int32](repeating: -1, count: n * 2)
    }

    /// Times the design with these constants held (an empty list: no case analysis).
    @discardableResult
    public func run(constants: [CaseConstant]) -> TimingResult {
        for i in caseValue.indices { caseValue[i] = LogicValue.unknown.rawValue }
        for c in constants { caseValue[c.pin] = c.value ? 1 : 0 }
        return propagate()
    }

    /// The logic value of a pin after the last run.
    public func logicValue(ofPin pin: Int) -> LogicValue {
        if caseValue[pin] != LogicValue.unknown.rawValue { return LogicValue(rawValue: caseValue[pin]) ?? .unknown }
        let n = graph.pinNet[pin]
        if n >= 0, graph.netTie[n] != LogicValue.unknown.rawValue { return LogicValue(rawValue: graph.netTie[n]) ?? .unknown }
        return LogicValue(rawValue: value[sourcePin(pin)]) ?? .unknown
    }

    /// Arrival at a pin for a transition after the last run, ns (nil when none).
    public func arrivalNs(ofPin pin: Int, _ rf: Transition) -> Double? {
        let p = sourcePin(pin)
        let a = arrival[p * 2 + rf.rawValue]
        return a == -.infinity ? nil : a
    }

    /// Slew at a pin for a transition after the last run, ns.
    public func slewNs(ofPin pin: Int, _ rf: Transition) -> Double {
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
        let unknown = LogicValue.unknown.rawValue
        for i in arrival.indices { arrival[i] = -.infinity; slew[i] = 0; predecessor[i] = -1 }
        for i in value.indices { value[i] = unknown }

        // Ports: input ports are sources (arrival 0, configured slew); constants from case or ties.
        for k in 0..<g.design.ports.count {
            let p = g.portPinBase + k
            let n = g.pinNet[p]
            if g.design.ports[k].direction == .input {
                if caseValue[p] != unknown {
                    value[p] = caseValue[p]
                } else if n >= 0, g.netTie[n] != unknown {
                    value[p] = g.netTie[n]
                }
                if p == g.clockPin {
                    // The ideal clock: rise at 0, fall at half the period, zero slew.
                    continue
                }
                if value[p] == unknown {
                    arrival[p * 2] = 0
                    arrival[p * 2 + 1] = 0
                }
                slew[p * 2] = g.conditions.inputSlewNs
                slew[p * 2 + 1] = g.conditions.inputSlewNs
            }
        }

        // Instances in level order.
        for i in g.instanceOrder {
            let model = g.cells[g.instanceCell[i]]
            let base = g.instancePinBase[i]
            let pinCount = model.pinNames.count
            var anyConstant = false
            // Input values.
            for k in 0..<pinCount where model.pinDirections[k] != .output {
                let p = base + k
                var v = caseValue[p]
                if v == unknown {
                    let n = g.pinNet[p]
                    if n >= 0 {
                        if g.netTie[n] != unknown { v = g.netTie[n] }
                        else if g.netDriver[n] >= 0 { v = value[g.netDriver[n]] }
                    }
                }
                value[p] = v
                if v != unknown { anyConstant = true }
            }
            // Output values.
            for k in 0..<pinCount where model.pinDirections[k] == .output || model.pinDirections[k] == .inout {
                let p = base + k
                if caseValue[p] != unknown {
                    value[p] = caseValue[p]
                } else if let f = model.functions[k] {
                    value[p] = f.evaluate { LogicValue(rawValue: self.value[base + $0]) ?? .unknown }.rawValue
                }
                if value[p] != unknown { anyConstant = true }
            }
            // Arcs.
            let siblings = g.conditionalSiblings[g.instanceCell[i]]
            for (s, set) in model.arcSets.enumerated() {
                let fromPin = base + set.fromPin
                let toPin = base + set.toPin
                if value[fromPin] != unknown { continue }
                let fromNet = g.pinNet[fromPin]
                let source = fromNet >= 0 && g.netDriver[fromNet] >= 0 && caseValue[fromPin] == unknown ? g.netDriver[fromNet] : fromPin
                let idealClock = set.isClockEdge && g.isClockNetwork[fromPin]
                let toConstant = value[toPin] != unknown
                // Arrival-side enable: sense under constants, when conditions.
                var sense = ArcSense.unknown
                if anyConstant, let f = model.functions[set.toPin] {
                    sense = f.sense(ofPin: set.fromPin) { LogicValue(rawValue: self.value[base + $0]) ?? .unknown }
                }
                var enabled = !toConstant && sense != .none
                if enabled {
                    if let when = set.when {
                        if when.evaluate({ LogicValue(rawValue: self.value[base + $0]) ?? .unknown }) == .zero { enabled = false }
                    } else {
                        for j in siblings[s] {
                            if let w = model.arcSets[j].when,
                               w.evaluate({ LogicValue(rawValue: self.value[base + $0]) ?? .unknown }) == .one {
                                enabled = false
                                break
                            }
                        }
                    }
                }
                for arc in set.arcs {
                    let fromIndex = arc.from.rawValue, toIndex = arc.to.rawValue
                    let inSlew = idealClock ? 0 : slew[source * 2 + fromIndex]
                    let load = g.loadCapacitance[toPin * 2 + toIndex]
                    if let slewTable = arc.slew {
                        let s = slewTable.value(slew: inSlew, load: load)
                        if s > slew[toPin * 2 + toIndex] { slew[toPin * 2 + toIndex] = s }
                    }
                    guard enabled else { continue }
                    switch sense {
                    case .positiveUnate: if arc.from != arc.to { continue }
                    case .negativeUnate: if arc.from == arc.to { continue }
                    default: break
                    }
                    let fromArrival: Double
                    if idealClock {
                        fromArrival = arc.from == .rise ? 0 : g.conditions.clockPeriodNs / 2
                    } else {
                        fromArrival = arrival[source * 2 + fromIndex]
                        if fromArrival == -.infinity { continue }
                    }
                    let d = arc.delay?.value(slew: inSlew, load: load) ?? 0
                    let a = fromArrival + d
                    if a > arrival[toPin * 2 + toIndex] {
                        arrival[toPin * 2 + toIndex] = a
                        predecessor[toPin * 2 + toIndex] = Int32(fromPin * 2 + fromIndex)
                    }
                }
            }
        }
        return findWorstEndpoint()
    }

    /// An endpoint's delay after the last run.
    public struct EndpointDelay: Sendable {
        /// An output port, or a register's constrained data pin.
        public var pin: Int
        public var transition: Transition
        /// Arrival (plus setup time for a register) in ns: the clock period this endpoint needs.
        public var delayNs: Double
        /// Setup time included, ns (0 for an output port).
        public var setupNs: Double
    }

    /// Every endpoint with a path after the last run, worst first.
    public func endpointDelays() -> [EndpointDelay] {
        var list: [EndpointDelay] = []
        forEachEndpoint { pin, rf, delay, setup in
            list.append(EndpointDelay(pin: pin, transition: Transition(rawValue: rf) ?? .rise, delayNs: delay, setupNs: setup))
        }
        return list.sorted { $0.delayNs > $1.delayNs }
    }

    /// Calls `body(pin, transition, delay, setup)` for every endpoint transition that has an arrival.
    private func forEachEndpoint(_ body: (Int, Int, Double, Double) -> Void) {
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
                body(p, rf, arrival[d * 2 + rf], 0)
            }
        }
        // Register setup checks.
        for i in g.instanceOrder {
            let model = g.cells[g.instanceCell[i]]
            guard !model.checks.isEmpty else { continue }
            let base = g.instancePinBase[i]
            for check in model.checks {
                let dataPin = base + check.dataPin
                let clockPin = base + check.clockPin
                if value[dataPin] != unknown || value[clockPin] != unknown { continue }
                if let w = check.when, w.evaluate({ LogicValue(rawValue: self.value[base + $0]) ?? .unknown }) == .zero { continue }
                let source = sourcePin(dataPin)
                let captureNs = (check.clockEdge == .rise ? 0 : g.conditions.clockPeriodNs / 2) + g.conditions.clockPeriodNs
                for rf in 0..<2 {
                    let a = arrival[source * 2 + rf]
                    guard a > -.infinity, let table = check.constraint[rf] else { continue }
                    let setup = table.value(slew: slew[source * 2 + rf], load: 0, relatedSlew: 0)
                    body(dataPin, rf, a + setup + g.conditions.clockPeriodNs - captureNs, setup)
                }
            }
        }
    }

    private func findWorstEndpoint() -> TimingResult {
        var worst = -Double.infinity
        var worstPin = -1
        var worstRF = 0
        forEachEndpoint { pin, rf, delay, _ in
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
    public func tracePath(endPin: Int, transition: Transition) -> [PathStage] {
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
