import HaloCore
import HaloLiberty
import HaloNetlist

/// The analysis conditions of a timing run (the SDC of OpenSTA's reference script).
public struct TimingConditions: Sendable {
    /// Capacitive load on every output port, in fF (`set_load`). Default 10 fF.
    public var outputLoadFF: Double = 10
    /// Transition at every data input port, in ns (`set_input_transition`). Default 0.
    public var inputSlewNs: Double = 0
    /// The clock port of a registered design; nil finds it by itself when the design has flops.
    public var clockPort: String?
    /// The clock period in ns used to express a check as a delay (the result does not depend on it
    /// for single-edge designs). Default 100 ns, as the reference script.
    public var clockPeriodNs: Double = 100
    /// Propagated clock (OpenSTA's `set_propagated_clock`): the clock edge leaves the clock port at 0 ns
    /// with 0 slew and reaches each register's clock pin through the clock tree's cells, so launch and
    /// capture both carry their own latency and slew. False (the default, as OpenSTA's): an ideal clock,
    /// the edge at every register clock pin at 0 ns with 0 slew whatever buffers lie on the way.
    public var propagatedClock = false

    /// Conditions with the given output load (fF), input slew (ns) and clock port; the period stays 100 ns.
    public init(outputLoadFF: Double = 10, inputSlewNs: Double = 0, clockPort: String? = nil,
                propagatedClock: Bool = false) {
        self.outputLoadFF = outputLoadFF
        self.inputSlewNs = inputSlewNs
        self.clockPort = clockPort
        self.propagatedClock = propagatedClock
    }
}

/// A design linked to its cells and levelized for timing: every pin an integer, every array flat.
///
/// Pins are numbered instance by instance (all pins of a cell, connected or not) followed by the
/// top-level ports. Build it once; run any number of analyses (one `TimingAnalysis` per thread).
public final class TimingGraph: @unchecked Sendable {
    /// The design it was built from.
    public let design: FlatDesign
    /// The analysis conditions it was built with (output load, input slew, clock).
    public let conditions: TimingConditions

    package let cells: [CellModel]
    /// Per instance: index into `cells`, first pin index.
    package let instanceCell: [Int]
    package let instancePinBase: [Int]
    /// Instances in topological (levelized) order.
    package let instanceOrder: [Int]
    /// Per pin: owning instance (-1 for a port), the pin index within the cell (port index for ports), the net (-1 unconnected).
    package let pinInstance: [Int]
    let pinCellPin: [Int]
    package let pinNet: [Int]
    /// Per net: the driver pin (-1 if none), value tied by the netlist (0/1, or 2 for none).
    package let netDriver: [Int]
    package let netTie: [UInt8]
    /// Per net: the load pins (CSR layout).
    package let netLoadStart: [Int]
    package let netLoads: [Int]
    /// Per driver pin and transition: total capacitance on its net in fF (index pin*2+rf; 0 for non-drivers).
    package let loadCapacitance: [Double]
    /// First pin index of the ports; port k is pin portPinBase+k.
    package let portPinBase: Int
    /// The clock port's pin, if the design is registered.
    public let clockPin: Int?
    /// Per pin: true when the pin is on the clock network.
    package let isClockNetwork: [Bool]
    /// With a propagated clock: the late and early clock timing of the clock network.
    let clockTiming: PropagatedClockTiming
    /// With a propagated clock: the launch groups and credits of clock reconvergence pessimism removal.
    let reconvergence: ClockReconvergence
    /// Per pin on the clock network: true when it carries the clock inverted (an odd number of
    /// negative-unate stages from the clock port).
    let clockInverted: [Bool]
    /// The cells flattened for the sweep's hot loop.
    let flat: FlatTiming
    /// Instances in level order: cell model and first pin.
    let orderCell: [Int32]
    let orderBase: [Int32]
    /// Per pin: the pin whose arrival and slew it reads (its net's driver, or itself).
    let pinSource: [Int32]
    /// Per pin: the constant its net is tied to by the netlist (LogicValue raw value).
    let pinTie: [UInt8]
    /// The flat data at stable addresses for the hot loop.
    let buffers: FlatBuffers
    /// Per instance: its position in `instanceOrder`.
    let orderPosition: [Int]
    /// Instance name → index (first of a name), for `casePin(named:)`; built once, read-only, so a graph can
    /// be shared by threads.
    private let instanceIndexByName: [String: Int]
    /// Per level-order position: the positions of the instances its outputs feed (CSR; always later positions).
    let fanoutStart: [Int]
    let fanout: [Int32]
    /// Per input port k: the positions of the instances it feeds (CSR).
    let portFanoutStart: [Int]
    let portFanout: [Int32]

    /// Number of pins (instance pins and ports).
    public var pinCount: Int { pinInstance.count }
    /// Number of leaf instances.
    public var instanceCount: Int { instanceCell.count }
    /// Total area of the instances, in the libraries' area unit.
    public var area: Double { instanceCell.reduce(0) { $0 + cells[$1].area } }

    /// Links `design` to `libraries` (first match wins; the embedded generic library serves gate
    /// primitives and Yosys internal cells) and levelizes it.
    ///
    /// Throws a located `HaloError` for an unknown cell or pin and for a combinational loop (naming
    /// the instances on it).
    public init(design: FlatDesign, libraries: [LibertyLibrary], conditions: TimingConditions = TimingConditions(),
                diagnostics: DiagnosticSink? = nil) throws {
        self.design = design
        self.conditions = conditions
        var warnings = LimitedWarnings(diagnostics: diagnostics)
        let linked = try TimingGraph.link(design: design, libraries: libraries, warnings: &warnings)
        let nets = TimingGraph.connectNets(design: design, linked: linked, warnings: &warnings)
        warnings.finish()
        cells = linked.cellModels
        instanceCell = linked.instanceCell
        instancePinBase = linked.instancePinBase
        pinInstance = linked.pinInstance
        pinCellPin = linked.pinCellPin
        pinNet = linked.pinNet
        portPinBase = linked.portPinBase
        netDriver = nets.driver
        netTie = nets.tie
        netLoadStart = nets.loadStart
        netLoads = nets.loads
        let loadCap = TimingGraph.loadCapacitance(design: design, linked: linked, nets: nets, conditions: conditions) { $0.pinCapacitance }
        loadCapacitance = loadCap
        instanceIndexByName = Dictionary(design.instances.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })

        let clockPin = try TimingGraph.findClockPort(design: design, linked: linked, nets: nets, conditions: conditions)
        self.clockPin = clockPin
        let order = try TimingGraph.levelize(design: design, linked: linked, nets: nets)
        instanceOrder = order
        flat = FlatTiming(models: linked.cellModels)
        orderCell = order.map { Int32(linked.instanceCell[$0]) }
        orderBase = order.map { Int32(linked.instancePinBase[$0]) }
        pinSource = (0..<linked.pinCount).map { p in
            let n = linked.pinNet[p]
            return Int32(n >= 0 && nets.driver[n] >= 0 ? nets.driver[n] : p)
        }
        pinTie = (0..<linked.pinCount).map { p in
            let n = linked.pinNet[p]
            return n >= 0 ? nets.tie[n] : LogicValue.unknown.rawValue
        }

        let (onClock, inverted) = try TimingGraph.clockNetwork(
            clockPin: clockPin, order: order, models: linked.cellModels, instanceCell: linked.instanceCell,
            instancePinBase: linked.instancePinBase, pinNet: linked.pinNet, netCount: nets.count, design: design)
        clockInverted = inverted
        isClockNetwork = onClock
        if conditions.propagatedClock {
            let minLoad = TimingGraph.loadCapacitance(design: design, linked: linked, nets: nets, conditions: conditions) { $0.pinCapacitanceMin }
            let timing = TimingGraph.propagatedClockTiming(
                clockPin: clockPin, order: order, models: linked.cellModels, flat: flat, instanceCell: linked.instanceCell,
                instancePinBase: linked.instancePinBase, pinNet: linked.pinNet, netDriver: nets.driver, onClock: onClock,
                maxLoad: loadCap, minLoad: minLoad, halfPeriodNs: conditions.clockPeriodNs / 2)
            clockTiming = timing
            reconvergence = TimingGraph.clockReconvergence(
                timing: timing, models: linked.cellModels, instanceCell: linked.instanceCell,
                instancePinBase: linked.instancePinBase, pinNet: linked.pinNet, netDriver: nets.driver, netCount: nets.count,
                onClock: onClock, inverted: inverted, pinInstance: linked.pinInstance)
        } else {
            clockTiming = .none
            reconvergence = .none
        }

        let fan = TimingGraph.fanout(design: design, linked: linked, nets: nets, order: order)
        orderPosition = fan.position
        fanoutStart = fan.start
        fanout = fan.targets
        portFanoutStart = fan.portStart
        portFanout = fan.portTargets
        buffers = FlatBuffers(flat: flat, orderCell: orderCell, orderBase: orderBase, pinSource: pinSource,
                              pinTie: pinTie, loadCapacitance: loadCap, isClockNetwork: onClock, clockInverted: inverted)
    }

    /// OpenSTA converts delays and slews between a driver and a load whose libraries were characterized at
    /// different thresholds (`DelayCalcBase::thresholdAdjust`; ports use the first library read). Halo does
    /// not: a design using cells of a library whose thresholds differ from the first library's is refused.
    static func checkThresholds(of library: LibertyLibrary, against first: LibertyLibrary, cell: String,
                                at location: SourceLocation?, used index: Int) throws {
        guard index > 0, library.slewThresholds != first.slewThresholds else { return }
        func describe(_ t: SlewThresholds) -> String {
            func pct(_ x: [Double]) -> String { x.map { String(format: "%g", $0 * 100) }.joined(separator: "/") }
            return "input \(pct(t.input)) %, output \(pct(t.output)) %, slew \(pct(t.slewLower))–\(pct(t.slewUpper)) %, derate \(String(format: "%g", t.slewDerate))"
        }
        throw HaloError("cell '\(cell)' is from library '\(library.name)', whose thresholds (\(describe(library.slewThresholds))) differ from "
                        + "those of the first library '\(first.name)' (\(describe(first.slewThresholds))); OpenSTA would convert delays and "
                        + "slews between them, which Halo does not do", at: location)
    }

    /// Warnings of the linking step, each kind reported at most `limit` times and then counted, so that
    /// a large netlist with a systematic problem prints a screenful, not a million lines.
    struct LimitedWarnings {
        let diagnostics: DiagnosticSink?
        let limit = 20
        var counts: [String: Int] = [:]
        var order: [String] = []
        /// Per kind: the nets already reported.
        var seen: [String: Set<Int>] = [:]

        mutating func warn(kind: String, _ message: @autoclosure () -> String, at location: SourceLocation?) {
            guard let diagnostics else { return }
            let count = counts[kind, default: 0]
            if count == 0 { order.append(kind) }
            counts[kind] = count + 1
            if count < limit { diagnostics.warn(message(), at: location) }
        }

        /// Reports once per net and kind (a net is reported once however many extra drivers it has).
        mutating func warnOnce(kind: String, net: Int, _ message: @autoclosure () -> String, at location: SourceLocation?) {
            guard diagnostics != nil, seen[kind, default: []].insert(net).inserted else { return }
            warn(kind: kind, message(), at: location)
        }

        /// Reports how many of each kind were left unreported.
        func finish() {
            for kind in order where counts[kind, default: 0] > limit {
                diagnostics?.warn("\(counts[kind, default: 0] - limit) more \(kind) not reported")
            }
        }
    }

    // MARK: Names

    /// The name of a pin: `instance/PIN` for an instance pin, the port's bit name for a port.
    public func pinName(_ pin: Int) -> String {
        let inst = pinInstance[pin]
        if inst < 0 { return design.ports[pinCellPin[pin]].name }
        return design.instances[inst].name + "/" + cells[instanceCell[inst]].pinNames[pinCellPin[pin]]
    }

    /// The cell name of a pin's instance, nil for a port.
    public func cellName(ofPin pin: Int) -> String? {
        let inst = pinInstance[pin]
        return inst < 0 ? nil : cells[instanceCell[inst]].name
    }

    /// True when the pin is a top-level port.
    public func isPort(_ pin: Int) -> Bool { pinInstance[pin] < 0 }

    /// The pin that drives the net of `pin` (itself for a driver), nil when undriven.
    public func driverPin(of pin: Int) -> Int? {
        let n = pinNet[pin]
        guard n >= 0 else { return nil }
        let d = netDriver[n]
        return d >= 0 ? d : nil
    }

    /// Total capacitance on the net driven by `pin` for a transition, in fF.
    public func loadFF(ofDriver pin: Int, _ transition: Transition) -> Double {
        loadCapacitance[pin * 2 + transition.rawValue]
    }

    /// Resolves a case-analysis target: a top-level port bit (`W[3]`, `load_w`), an instance pin
    /// (`u1/_12_/Y`), or a net (`wreg[3]`) — a net's constant is set on the pin that drives it,
    /// as OpenSTA's reference script does.
    public func casePin(named name: String) -> Int? {
        if let k = design.ports.firstIndex(where: { $0.name == name }) { return portPinBase + k }
        if let slash = name.lastIndex(of: "/") {
            let instName = String(name[..<slash])
            let pinName = String(name[name.index(after: slash)...])
            if let i = instanceIndex(named: instName), let k = cells[instanceCell[i]].pinNames.firstIndex(of: pinName) {
                return instancePinBase[i] + k
            }
        }
        if let n = design.net(named: name), netDriver[n] >= 0 { return netDriver[n] }
        return nil
    }


    private func instanceIndex(named name: String) -> Int? { instanceIndexByName[name] }
}
