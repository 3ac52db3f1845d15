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

    let cells: [CellModel]
    /// Per instance: index into `cells`, first pin index.
    let instanceCell: [Int]
    let instancePinBase: [Int]
    /// Instances in topological (levelized) order.
    let instanceOrder: [Int]
    /// Per pin: owning instance (-1 for a port), the pin index within the cell (port index for ports), the net (-1 unconnected).
    let pinInstance: [Int]
    let pinCellPin: [Int]
    let pinNet: [Int]
    /// Per net: the driver pin (-1 if none), value tied by the netlist (0/1, or 2 for none).
    let netDriver: [Int]
    let netTie: [UInt8]
    /// Per net: the load pins (CSR layout).
    let netLoadStart: [Int]
    let netLoads: [Int]
    /// Per driver pin and transition: total capacitance on its net in fF (index pin*2+rf; 0 for non-drivers).
    let loadCapacitance: [Double]
    /// First pin index of the ports; port k is pin portPinBase+k.
    let portPinBase: Int
    /// The clock port's pin, if the design is registered.
    public let clockPin: Int?
    /// Per pin: true when the pin is on the clock network.
    let isClockNetwork: [Bool]
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
        // Link.
        var cellModels: [CellModel] = []
        var cellIndexByKey: [String: Int] = [:]
        var instanceCell: [Int] = []
        var instancePinBase: [Int] = []
        var pinInstance: [Int] = []
        var pinCellPin: [Int] = []
        var pinNet: [Int] = []
        instanceCell.reserveCapacity(design.instances.count)
        var warnings = LimitedWarnings(diagnostics: diagnostics)
        for (i, inst) in design.instances.enumerated() {
            let key = inst.primitiveInputCount > 0 ? "\(inst.cellName)#\(inst.primitiveInputCount)" : inst.cellName
            let ci: Int
            if let found = cellIndexByKey[key] {
                ci = found
            } else {
                var libertyCell: LibertyCell?
                var libraryName = ""
                if inst.primitiveInputCount == 0 {
                    for (k, lib) in libraries.enumerated() {
                        if let c = lib.cell(named: inst.cellName) {
                            libertyCell = c
                            libraryName = lib.name
                            try TimingGraph.checkThresholds(of: lib, against: libraries[0], cell: c.name, at: inst.location, used: k)
                            break
                        }
                    }
                }
                if libertyCell == nil, let c = GenericLibrary.cell(named: inst.cellName, inputCount: max(1, inst.primitiveInputCount)) {
                    libertyCell = c
                    libraryName = GenericLibrary.library.name
                }
                guard let cell = libertyCell else {
                    throw HaloError("unknown cell '\(inst.cellName)' (instance '\(inst.name)'); it is in none of the libraries read",
                                    at: inst.location)
                }
                ci = cellModels.count
                cellModels.append(try CellModel(cell, library: libraryName))
                cellIndexByKey[key] = ci
            }
            let model = cellModels[ci]
            instanceCell.append(ci)
            let base = pinInstance.count
            instancePinBase.append(base)
            for k in 0..<model.pinNames.count {
                pinInstance.append(i)
                pinCellPin.append(k)
                pinNet.append(-1)
            }
            for conn in inst.connections {
                guard let k = model.pinNames.firstIndex(of: conn.pin) else {
                    throw HaloError("cell '\(model.name)' has no pin '\(conn.pin)' (instance '\(inst.name)')", at: inst.location)
                }
                pinNet[base + k] = conn.net ?? -1
            }
            for k in 0..<model.pinNames.count where model.pinDirections[k] == .input && pinNet[base + k] < 0 {
                warnings.warn(kind: "unconnected input pins",
                              "input pin '\(model.pinNames[k])' of instance '\(inst.name)' (\(model.name)) is not connected",
                              at: inst.location)
            }
        }
        portPinBase = pinInstance.count
        for (k, port) in design.ports.enumerated() {
            pinInstance.append(-1)
            pinCellPin.append(k)
            pinNet.append(port.net)
        }
        self.cells = cellModels
        self.instanceCell = instanceCell
        self.instancePinBase = instancePinBase
        self.pinInstance = pinInstance
        self.pinCellPin = pinCellPin
        self.pinNet = pinNet

        // Nets: drivers, loads, ties.
        let netCount = design.nets.count
        var netDriver = [Int](repeating: -1, count: netCount)
        var loadCount = [Int](repeating: 0, count: netCount + 1)
        var netTie = [UInt8](repeating: LogicValue.unknown.rawValue, count: netCount)
        for (n, v) in design.constantNets where n >= 0 && n < netCount { netTie[n] = v ? 1 : 0 }
        func isDriver(_ p: Int) -> Bool {
            let inst = pinInstance[p]
            if inst < 0 { return design.ports[pinCellPin[p]].direction == .input }
            let dir = cellModels[instanceCell[inst]].pinDirections[pinCellPin[p]]
            return dir == .output || dir == .inout
        }
        for p in 0..<pinInstance.count {
            let n = pinNet[p]
            guard n >= 0 else { continue }
            if isDriver(p) {
                if netDriver[n] >= 0 {
                    warnings.warnOnce(kind: "nets with several drivers", net: n,
                                      "net '\(design.nets[n])' has several drivers; timing uses the first",
                                      at: design.netLocation(n))
                } else if netTie[n] != LogicValue.unknown.rawValue {
                    warnings.warnOnce(kind: "nets tied to a constant and also driven", net: n,
                                      "net '\(design.nets[n])' is tied to a constant and also driven", at: design.netLocation(n))
                } else {
                    netDriver[n] = p
                }
            } else {
                loadCount[n + 1] += 1
            }
        }
        for n in 0..<netCount { loadCount[n + 1] += loadCount[n] }
        var fill = loadCount
        var netLoads = [Int](repeating: 0, count: loadCount[netCount])
        for p in 0..<pinInstance.count {
            let n = pinNet[p]
            guard n >= 0, !isDriver(p) else { continue }
            netLoads[fill[n]] = p
            fill[n] += 1
        }
        for n in 0..<netCount where netDriver[n] < 0 && netTie[n] == LogicValue.unknown.rawValue
            && loadCount[n + 1] > loadCount[n] {
            warnings.warn(kind: "undriven nets", "net '\(design.nets[n])' has no driver", at: design.netLocation(n))
        }
        warnings.finish()
        self.netDriver = netDriver
        self.netTie = netTie
        self.netLoadStart = loadCount
        self.netLoads = netLoads

        // Load capacitance per driver and transition: every pin on the net plus the port load; max (late)
        // for every path, min (early) for a propagated clock's capture path.
        func loads(_ caps: (CellModel) -> [[Double]]) -> [Double] {
            var loadCap = [Double](repeating: 0, count: pinInstance.count * 2)
            var netCap = [Double](repeating: 0, count: netCount * 2)
            for p in 0..<pinInstance.count {
                let n = pinNet[p]
                guard n >= 0 else { continue }
                let inst = pinInstance[p]
                if inst >= 0 {
                    let c = caps(cellModels[instanceCell[inst]])[pinCellPin[p]]
                    netCap[n * 2] += c[0]
                    netCap[n * 2 + 1] += c[1]
                } else if design.ports[pinCellPin[p]].direction != .input {
                    netCap[n * 2] += conditions.outputLoadFF
                    netCap[n * 2 + 1] += conditions.outputLoadFF
                }
            }
            for n in 0..<netCount where netDriver[n] >= 0 {
                loadCap[netDriver[n] * 2] = netCap[n * 2]
                loadCap[netDriver[n] * 2 + 1] = netCap[n * 2 + 1]
            }
            return loadCap
        }
        let loadCap = loads { $0.pinCapacitance }
        self.loadCapacitance = loadCap

        // Clock port.
        let hasSequential = instanceCell.contains { cellModels[$0].isSequential }
        var clockPin: Int?
        if let name = conditions.clockPort {
            guard let k = design.ports.firstIndex(where: { $0.name == name && $0.direction == .input }) else {
                throw HaloError("clock port '\(name)' is not an input port of '\(design.topName)'")
            }
            clockPin = portPinBase + k
        } else if hasSequential {
            // The input ports that reach a register clock pin, directly or through combinational cells
            // (a clock tree's buffers and inverters): walked backward from every register clock pin.
            var candidates = Set<Int>()
            var seenNet = [Bool](repeating: false, count: netCount)
            var pending: [Int] = []
            for p in 0..<pinInstance.count {
                let inst = pinInstance[p]
                guard inst >= 0, pinNet[p] >= 0 else { continue }
                let model = cellModels[instanceCell[inst]]
                let k = pinCellPin[p]
                if model.isSequential && (model.isClockPin[k] || model.arcSets.contains { $0.isClockEdge && $0.fromPin == k }) {
                    pending.append(pinNet[p])
                }
            }
            while let n = pending.popLast() {
                guard !seenNet[n] else { continue }
                seenNet[n] = true
                let d = netDriver[n]
                guard d >= 0 else { continue }
                let inst = pinInstance[d]
                if inst < 0 {
                    candidates.insert(pinCellPin[d])
                    continue
                }
                let model = cellModels[instanceCell[inst]]
                guard !model.isSequential else { continue }
                for set in model.arcSets where set.toPin == pinCellPin[d] {
                    let from = pinNet[instancePinBase[inst] + set.fromPin]
                    if from >= 0 { pending.append(from) }
                }
            }
            if candidates.count == 1, let k = candidates.first {
                clockPin = portPinBase + k
            } else if candidates.count > 1 {
                let names = candidates.sorted().map { design.ports[$0].name }.joined(separator: ", ")
                throw HaloError("the design has several candidate clock ports (\(names)); name one with --clock")
            }
        }
        self.clockPin = clockPin

        // Levelize instances: an instance depends on the drivers of its inputs that have an arc or feed its functions.
        let instCount = design.instances.count
        var dependents = [[Int]](repeating: [], count: instCount)
        var indegree = [Int](repeating: 0, count: instCount)
        for i in 0..<instCount {
            let model = cellModels[instanceCell[i]]
            var inputs = Set<Int>()
            for set in model.arcSets { inputs.insert(set.fromPin) }
            for f in model.functions { if let f { for v in f.variablePins where v >= 0 { inputs.insert(v) } } }
            var preds = Set<Int>()
            for k in inputs {
                let n = pinNet[instancePinBase[i] + k]
                guard n >= 0 else { continue }
                let d = netDriver[n]
                // A cell's arc from one of its own outputs (an output-to-output timing group) is ordered
                // inside the cell (CellModel), not between instances.
                guard d >= 0, pinInstance[d] >= 0, pinInstance[d] != i else { continue }
                preds.insert(pinInstance[d])
            }
            for p in preds {
                dependents[p].append(i)
                indegree[i] += 1
            }
        }
        var order: [Int] = []
        order.reserveCapacity(instCount)
        var queue = (0..<instCount).filter { indegree[$0] == 0 }
        var head = 0
        while head < queue.count {
            let i = queue[head]
            head += 1
            order.append(i)
            for j in dependents[i] {
                indegree[j] -= 1
                if indegree[j] == 0 { queue.append(j) }
            }
        }
        if order.count < instCount {
            throw TimingGraph.loopError(design: design, dependents: dependents, indegree: indegree)
        }
        self.instanceOrder = order
        self.flat = FlatTiming(models: cellModels)
        self.orderCell = order.map { Int32(instanceCell[$0]) }
        self.orderBase = order.map { Int32(instancePinBase[$0]) }
        self.pinSource = (0..<pinInstance.count).map { p in
            let n = pinNet[p]
            return Int32(n >= 0 && netDriver[n] >= 0 ? netDriver[n] : p)
        }
        self.pinTie = (0..<pinInstance.count).map { p in
            let n = pinNet[p]
            return n >= 0 ? netTie[n] : LogicValue.unknown.rawValue
        }

        // The clock network: the clock port's net and the outputs of combinational cells it feeds.
        let (onClock, inverted) = try TimingGraph.clockNetwork(
            clockPin: clockPin, order: order, models: cellModels, instanceCell: instanceCell,
            instancePinBase: instancePinBase, pinNet: pinNet, netCount: netCount, design: design)
        self.clockInverted = inverted
        self.isClockNetwork = onClock
        if conditions.propagatedClock {
            let timing = TimingGraph.propagatedClockTiming(
                clockPin: clockPin, order: order, models: cellModels, flat: flat, instanceCell: instanceCell,
                instancePinBase: instancePinBase, pinNet: pinNet, netDriver: netDriver, onClock: onClock,
                maxLoad: loadCap, minLoad: loads { $0.pinCapacitanceMin }, halfPeriodNs: conditions.clockPeriodNs / 2)
            self.clockTiming = timing
            self.reconvergence = TimingGraph.clockReconvergence(
                timing: timing, models: cellModels, instanceCell: instanceCell, instancePinBase: instancePinBase,
                pinNet: pinNet, netDriver: netDriver, netCount: netCount, onClock: onClock, inverted: inverted,
                pinInstance: pinInstance)
        } else {
            self.clockTiming = .none
            self.reconvergence = .none
        }
        var position = [Int](repeating: 0, count: instCount)
        for (o, i) in order.enumerated() { position[i] = o }
        self.orderPosition = position
        func loadPositions(ofNet n: Int) -> [Int32] {
            guard n >= 0 else { return [] }
            return (loadCount[n]..<loadCount[n + 1]).compactMap { li -> Int32? in
                let inst = pinInstance[netLoads[li]]
                return inst >= 0 ? Int32(position[inst]) : nil
            }
        }
        var fanoutStart = [0]
        var fanout: [Int32] = []
        for i in order {
            let model = cellModels[instanceCell[i]]
            var targets = Set<Int32>()
            for k in 0..<model.pinNames.count where model.pinDirections[k] != .input {
                for t in loadPositions(ofNet: pinNet[instancePinBase[i] + k]) { targets.insert(t) }
            }
            fanout.append(contentsOf: targets.sorted())
            fanoutStart.append(fanout.count)
        }
        self.fanoutStart = fanoutStart
        self.fanout = fanout
        var portFanoutStart = [0]
        var portFanout: [Int32] = []
        for port in design.ports {
            if port.direction == .input { portFanout.append(contentsOf: Set(loadPositions(ofNet: port.net)).sorted()) }
            portFanoutStart.append(portFanout.count)
        }
        self.portFanoutStart = portFanoutStart
        self.portFanout = portFanout
        self.buffers = FlatBuffers(flat: flat, orderCell: orderCell, orderBase: orderBase, pinSource: pinSource,
                                   pinTie: pinTie, loadCapacitance: loadCap, isClockNetwork: onClock,
                                   clockInverted: inverted)
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
    private struct LimitedWarnings {
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

    private static func loopError(design: FlatDesign, dependents: [[Int]], indegree: [Int]) -> HaloError {
        // Find a cycle among the instances left with indegree > 0.
        let remaining = Set(indegree.indices.filter { indegree[$0] > 0 })
        var state = [Int: Int]()  // 1 = on stack, 2 = done
        var stack: [Int] = []
        var cycle: [Int] = []
        func dfs(_ start: Int) -> Bool {
            var work: [(Int, Int)] = [(start, 0)]
            state[start] = 1
            stack.append(start)
            while let (node, next) = work.last {
                let succ = dependents[node].filter { remaining.contains($0) }
                if next < succ.count {
                    work[work.count - 1].1 += 1
                    let s = succ[next]
                    if state[s] == 1 {
                        if let at = stack.firstIndex(of: s) { cycle = Array(stack[at...]) + [s] }
                        return true
                    }
                    if state[s] == nil {
                        state[s] = 1
                        stack.append(s)
                        work.append((s, 0))
                    }
                } else {
                    state[node] = 2
                    stack.removeLast()
                    work.removeLast()
                }
            }
            return false
        }
        for s in remaining.sorted() where state[s] == nil {
            if dfs(s) { break }
        }
        let names = cycle.map { design.instances[$0].name }
        let first = cycle.first.map { design.instances[$0].location } ?? nil
        return HaloError("combinational loop through instances \(names.joined(separator: " -> "))", at: first)
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

    private lazy var instanceIndexByName: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, inst) in design.instances.enumerated() { d[inst.name] = i }
        return d
    }()

    private func instanceIndex(named name: String) -> Int? { instanceIndexByName[name] }
}
