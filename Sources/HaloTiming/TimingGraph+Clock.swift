import HaloCore
import HaloLiberty
import HaloNetlist

/// A propagated clock's timing on the clock network, which case analysis does not touch: the clock edge
/// leaves the port at 0 (rise) or half the period (fall) with 0 slew. The early (min) side is OpenSTA's
/// capture clock path: every stage timed with min pin capacitances, the earliest arrival and the smallest
/// slew over its arcs. The late (max) side is the launch clock path, as the data paths are timed.
struct PropagatedClockTiming: Sendable {
    /// Per pin and transition (pin*2+rf): the earliest arrival of the clock, ns (+∞ off the clock network).
    let earlyArrivalNs: [Double]
    /// Per pin and transition: the smallest slew of the clock, ns.
    let earlySlewNs: [Double]
    /// Per pin and transition: the latest arrival of the clock, ns (−∞ off the clock network).
    let lateArrivalNs: [Double]

    static let none = PropagatedClockTiming(earlyArrivalNs: [], earlySlewNs: [], lateArrivalNs: [])
}

/// Clock reconvergence pessimism removal (OpenSTA's CRPR, on by default, `same_pin` mode) for a
/// propagated clock: a setup path launched by one register and captured by another shares the clock
/// path down to their last common pin, timed late for the launch and early for the capture; the
/// difference at that pin is credited back. The credit depends on the launching register, so arrivals
/// are kept apart by launch group: group 0 holds every launch that is not a register on the clock
/// network (the input ports); group g ≥ 1 the registers whose clock pin hangs on one clock net, launching
/// on one transition there. Empty (`groupCount == 0`) when no credit can be non-zero (late and early clock
/// timing agree everywhere, as on libraries without capacitance ranges): arrivals are then not split.
struct ClockReconvergence: Sendable {
    /// The number of launch groups (0: CRPR credits are all zero, one propagation serves all).
    let groupCount: Int
    /// Per pin and transition (pin*2+rf): the launch group of a register clock pin on the clock network
    /// launching on that transition, -1 otherwise.
    let launchGroup: [Int32]
    /// Per net: its index among the clock nets of capturing registers, -1 otherwise.
    let captureIndex: [Int32]
    /// `credit[(group * captureCount + captureIndex) * 2 + captureTransition]`, ns.
    let credit: [Double]
    let captureCount: Int

    static let none = ClockReconvergence(groupCount: 0, launchGroup: [], captureIndex: [], credit: [], captureCount: 0)

    /// The credit of a path of launch group `group` captured on `transition` at a register clock pin on `net`.
    @inline(__always) func credit(group: Int, net: Int, transition: Int) -> Double {
        guard group > 0, net >= 0 else { return 0 }
        let c = Int(captureIndex[net])
        return c < 0 ? 0 : credit[(group * captureCount + c) * 2 + transition]
    }
}

extension TimingGraph {
    /// The clock port: the one named by `conditions.clockPort`, or, in a design with registers, the one input
    /// port that reaches register clock pins, directly or through combinational cells (a clock tree's
    /// buffers and inverters), found walking backward from every register clock pin. Nil without registers;
    /// throws when several ports could be the clock, or the named one is not an input port.
    static func findClockPort(design: FlatDesign, linked d: LinkedDesign, nets: NetConnectivity,
                              conditions: TimingConditions) throws -> Int? {
        if let name = conditions.clockPort {
            guard let k = design.ports.firstIndex(where: { $0.name == name && $0.direction == .input }) else {
                throw HaloError("clock port '\(name)' is not an input port of '\(design.topName)'")
            }
            return d.portPinBase + k
        }
        guard d.instanceCell.contains(where: { d.cellModels[$0].isSequential }) else { return nil }
        var candidates = Set<Int>()
        var seenNet = [Bool](repeating: false, count: nets.count)
        var pending: [Int] = []
        for p in 0..<d.pinCount {
            let inst = d.pinInstance[p]
            guard inst >= 0, d.pinNet[p] >= 0 else { continue }
            let model = d.cellModels[d.instanceCell[inst]]
            let k = d.pinCellPin[p]
            if model.isSequential && (model.isClockPin[k] || model.arcSets.contains { $0.isClockEdge && $0.fromPin == k }) {
                pending.append(d.pinNet[p])
            }
        }
        while let n = pending.popLast() {
            guard !seenNet[n] else { continue }
            seenNet[n] = true
            let driver = nets.driver[n]
            guard driver >= 0 else { continue }
            let inst = d.pinInstance[driver]
            if inst < 0 {
                candidates.insert(d.pinCellPin[driver])
                continue
            }
            let model = d.cellModels[d.instanceCell[inst]]
            guard !model.isSequential else { continue }
            for set in model.arcSets where set.toPin == d.pinCellPin[driver] {
                let from = d.pinNet[d.instancePinBase[inst] + set.fromPin]
                if from >= 0 { pending.append(from) }
            }
        }
        if candidates.count > 1 {
            let names = candidates.sorted().map { design.ports[$0].name }.joined(separator: ", ")
            throw HaloError("the design has several candidate clock ports (\(names)); name one with --clock")
        }
        return candidates.first.map { d.portPinBase + $0 }
    }

    /// The pins of the clock network and whether each carries the clock inverted: the clock port's net and,
    /// in level order, the outputs of combinational cells with an arc from a clock net (OpenSTA's clock
    /// network, through which clocks propagate with their sense). Throws where Halo cannot follow a clock:
    /// a non-unate stage (both senses at once), a net reached with both senses, and a register that
    /// captures on the falling edge of the clock (a falling-edge register, or an odd number of inversions):
    /// a path launched on the rising edge into it is a half-cycle path, which needs the launch edge of every
    /// arrival, and Halo's arrivals are per transition only.
    static func clockNetwork(clockPin: Int?, order: [Int], models: [CellModel], instanceCell: [Int],
                                     instancePinBase: [Int], pinNet: [Int], netCount: Int,
                                     design: FlatDesign) throws -> ([Bool], [Bool]) {
        let pinCount = pinNet.count
        var onClock = [Bool](repeating: false, count: pinCount)
        var inverted = [Bool](repeating: false, count: pinCount)
        guard let cp = clockPin, pinNet[cp] >= 0 else { return (onClock, inverted) }
        // Per net: -1 off the clock network, else 0 (the clock) or 1 (the clock inverted).
        var parity = [Int8](repeating: -1, count: netCount)
        parity[pinNet[cp]] = 0
        let clockName = design.ports[cp - (pinCount - design.ports.count)].name
        for i in order {
            let model = models[instanceCell[i]]
            let base = instancePinBase[i]
            if model.isSequential {
                // A register on the clock network must capture on the clock's rising edge.
                for check in model.checks {
                    let n = pinNet[base + check.clockPin]
                    guard n >= 0, parity[n] >= 0 else { continue }
                    let edgeIsFall = (check.clockEdge == .fall) != (parity[n] == 1)
                    if edgeIsFall {
                        throw HaloError("register '\(design.instances[i].name)' (\(model.name)) captures on the falling edge of clock '\(clockName)' "
                                        + "(a falling-edge register, or an odd number of inversions in the clock tree); "
                                        + "Halo times registers that capture on the rising edge only", at: design.instances[i].location)
                    }
                }
                continue
            }
            for set in model.arcSets {
                let from = pinNet[base + set.fromPin]
                guard from >= 0, parity[from] >= 0 else { continue }
                let to = pinNet[base + set.toPin]
                guard to >= 0 else { continue }
                if set.librarySense == .nonUnate {
                    throw HaloError("the clock '\(clockName)' passes through a non-unate arc \(model.pinNames[set.fromPin]) -> \(model.pinNames[set.toPin]) "
                                    + "of instance '\(design.instances[i].name)' (\(model.name)); Halo follows clocks through unate cells only",
                                    at: design.instances[i].location)
                }
                let p = parity[from] ^ (set.librarySense == .negativeUnate ? 1 : 0)
                if parity[to] >= 0 && parity[to] != p {
                    throw HaloError("net '\(design.nets[to])' carries clock '\(clockName)' both inverted and not inverted; "
                                    + "Halo follows clock trees whose every net has one sense", at: design.instances[i].location)
                }
                parity[to] = p
            }
        }
        for p in 0..<pinCount where pinNet[p] >= 0 && parity[pinNet[p]] >= 0 {
            onClock[p] = true
            inverted[p] = parity[pinNet[p]] == 1
        }
        return (onClock, inverted)
    }

    /// The late and early timing of the clock network (see `PropagatedClockTiming`). Only driver pins of
    /// clock nets carry values; load pins read their net's driver.
    static func propagatedClockTiming(clockPin: Int?, order: [Int], models: [CellModel], flat: FlatTiming,
                                      instanceCell: [Int], instancePinBase: [Int], pinNet: [Int], netDriver: [Int],
                                      onClock: [Bool], maxLoad: [Double], minLoad: [Double],
                                      halfPeriodNs: Double) -> PropagatedClockTiming {
        let pinCount = pinNet.count
        var early = [Double](repeating: .infinity, count: pinCount * 2)
        var earlySlew = [Double](repeating: .infinity, count: pinCount * 2)
        var late = [Double](repeating: -.infinity, count: pinCount * 2)
        var lateSlew = [Double](repeating: 0, count: pinCount * 2)
        guard let cp = clockPin else { return .none }
        early[cp * 2] = 0; early[cp * 2 + 1] = halfPeriodNs
        late[cp * 2] = 0; late[cp * 2 + 1] = halfPeriodNs
        earlySlew[cp * 2] = 0; earlySlew[cp * 2 + 1] = 0
        func source(_ p: Int) -> Int {
            let n = pinNet[p]
            return n >= 0 && netDriver[n] >= 0 ? netDriver[n] : p
        }
        flat.pool.withUnsafeBufferPointer { buffer in
            guard let pool = buffer.baseAddress else { return }
            for i in order {
                if models[instanceCell[i]].isSequential { continue }
                let base = instancePinBase[i]
                let cell = flat.cells[instanceCell[i]]
                for s in Int(cell.arcSetStart)..<Int(cell.arcSetEnd) {
                    let set = flat.arcSets[s]
                    let from = base + Int(set.fromPin), to = base + Int(set.toPin)
                    guard onClock[from], onClock[to] else { continue }
                    let src = source(from)
                    for a in Int(set.arcStart)..<Int(set.arcEnd) {
                        let arc = flat.arcs[a]
                        let i0 = src * 2 + Int(arc.from), k = to * 2 + Int(arc.to)
                        func value(_ table: Int32, slew: Double, load: Double) -> Double {
                            table >= 0 ? flatTableValue(flat.tables[Int(table)], pool, slew: slew, load: load, relatedSlew: 0) : 0
                        }
                        if early[i0] < .infinity {
                            let load = minLoad[k]
                            early[k] = min(early[k], early[i0] + value(arc.delay, slew: earlySlew[i0], load: load))
                            if arc.slew >= 0 { earlySlew[k] = min(earlySlew[k], max(0, value(arc.slew, slew: earlySlew[i0], load: load))) }
                        }
                        if late[i0] > -.infinity {
                            let load = maxLoad[k]
                            late[k] = max(late[k], late[i0] + value(arc.delay, slew: lateSlew[i0], load: load))
                            lateSlew[k] = max(lateSlew[k], value(arc.slew, slew: lateSlew[i0], load: load))
                        }
                    }
                }
            }
        }
        return PropagatedClockTiming(earlyArrivalNs: early, earlySlewNs: earlySlew, lateArrivalNs: late)
    }

    /// The launch groups and credits of clock reconvergence pessimism removal (see `ClockReconvergence`).
    static func clockReconvergence(timing t: PropagatedClockTiming, models: [CellModel], instanceCell: [Int],
                                   instancePinBase: [Int], pinNet: [Int], netDriver: [Int], netCount: Int,
                                   onClock: [Bool], inverted: [Bool], pinInstance: [Int]) -> ClockReconvergence {
        guard !t.lateArrivalNs.isEmpty else { return .none }
        // Clock nets: the tree above each (the clock net feeding its driver), and the pessimism late − early
        // at its driver per transition.
        var parent = [Int](repeating: -1, count: netCount)
        var depth = [Int](repeating: 0, count: netCount)
        var anyPessimism = false
        for n in 0..<netCount {
            let d = netDriver[n]
            guard d >= 0, onClock[d] else { continue }
            for rf in 0..<2 where t.lateArrivalNs[d * 2 + rf] > -.infinity && t.earlyArrivalNs[d * 2 + rf] < .infinity {
                if t.lateArrivalNs[d * 2 + rf] != t.earlyArrivalNs[d * 2 + rf] { anyPessimism = true }
            }
            let inst = pinInstance[d]
            guard inst >= 0 else { continue }
            let model = models[instanceCell[inst]]
            let base = instancePinBase[inst]
            let k = d - base
            if let set = model.arcSets.first(where: { $0.toPin == k && onClock[base + $0.fromPin] && pinNet[base + $0.fromPin] >= 0 }) {
                parent[n] = pinNet[base + set.fromPin]
            }
        }
        guard anyPessimism else { return .none }
        func depthOf(_ n: Int) -> Int {
            var d = 0, m = n
            while parent[m] >= 0 && d <= netCount { m = parent[m]; d += 1 }
            return d
        }
        for n in 0..<netCount where netDriver[n] >= 0 && onClock[netDriver[n]] { depth[n] = depthOf(n) }
        // Launch groups and capture nets.
        var launchGroup = [Int32](repeating: -1, count: pinNet.count * 2)
        var groupKeys: [(net: Int, rf: Int)] = [(-1, 0)]
        var groupIndex: [Int: Int] = [:]
        var captureNets: [Int] = []
        var captureIndex = [Int32](repeating: -1, count: netCount)
        for p in 0..<pinNet.count {
            let inst = pinInstance[p]
            guard inst >= 0, onClock[p], pinNet[p] >= 0 else { continue }
            let model = models[instanceCell[inst]]
            guard model.isSequential else { continue }
            let k = p - instancePinBase[inst], n = pinNet[p]
            for set in model.arcSets where set.isClockEdge && set.fromPin == k {
                for arc in set.arcs {
                    let key = n * 2 + arc.from.rawValue
                    let g = groupIndex[key] ?? {
                        groupKeys.append((n, arc.from.rawValue))
                        groupIndex[key] = groupKeys.count - 1
                        return groupKeys.count - 1
                    }()
                    launchGroup[p * 2 + arc.from.rawValue] = Int32(g)
                }
            }
            if model.checks.contains(where: { $0.clockPin == k }) && captureIndex[n] < 0 {
                captureIndex[n] = Int32(captureNets.count)
                captureNets.append(n)
            }
        }
        // Credits: at the driver of the deepest clock net on both paths, min over the two paths of
        // |late − early| for the transition each path has there (OpenSTA's CheckCrpr::findCrpr1).
        func pessimism(_ net: Int, _ rf: Int) -> Double {
            let d = netDriver[net]
            let l = t.lateArrivalNs[d * 2 + rf], e = t.earlyArrivalNs[d * 2 + rf]
            return l > -.infinity && e < .infinity ? abs(l - e) : 0
        }
        func invertedNet(_ n: Int) -> Bool { inverted[netDriver[n]] }
        let captureCount = captureNets.count
        var credit = [Double](repeating: 0, count: groupKeys.count * captureCount * 2)
        for (g, key) in groupKeys.enumerated() where g > 0 {
            for (c, captureNet) in captureNets.enumerated() {
                var a = key.net, b = captureNet
                while a != b {
                    if depth[a] >= depth[b], parent[a] >= 0 { a = parent[a] } else if parent[b] >= 0 { b = parent[b] } else { break }
                }
                guard a == b else { continue }
                let launchRF = key.rf ^ (invertedNet(key.net) != invertedNet(a) ? 1 : 0)
                for rf in 0..<2 {
                    let captureRF = rf ^ (invertedNet(captureNet) != invertedNet(a) ? 1 : 0)
                    credit[(g * captureCount + c) * 2 + rf] = min(pessimism(a, launchRF), pessimism(a, captureRF))
                }
            }
        }
        return ClockReconvergence(groupCount: groupKeys.count, launchGroup: launchGroup, captureIndex: captureIndex,
                                  credit: credit, captureCount: captureCount)
    }
}
