import HaloCore
import HaloLiberty
import HaloTiming

/// Energy per operation of one simulation, in fJ.
///
/// - switching: every net transition costs ½·C·V², C the net's load for that transition (the pin
///   capacitances on the net, rise or fall capacitance by the transition, plus the output-port load:
///   `TimingGraph.loadFF(ofDriver:_:)`), V the supply voltage. Input-port nets (nets driven by an input
///   port, the clock's too) are included (their load is the design's input capacitance); their part is
///   also given alone, `inputSwitchingFJ`, for the convention of ``InputNetEnergy``.
/// - internal: Liberty `internal_power` tables (see `EnergyModel`).
/// - per operation: totals divided by the operations (consecutive vector pairs) simulated.
public struct EnergyBreakdown: Sendable, Equatable {
    /// Operations averaged over.
    public var operations: Int
    /// ½·C·V² over all net transitions (input-port nets included), fJ per operation.
    public var switchingFJ: Double
    /// The part of `switchingFJ` on nets driven by the design's input ports, fJ per operation.
    public var inputSwitchingFJ: Double
    /// `internal_power` energy, fJ per operation.
    public var internalFJ: Double
    /// Net transitions per operation.
    public var togglesPerOp: Double

    /// Switching plus internal energy, fJ per operation (input-port nets included).
    public var totalFJ: Double { switchingFJ + internalFJ }

    /// The energy per operation charged to the design under `convention`, fJ: ``totalFJ`` when the
    /// input-port nets are included, ``totalFJ`` − ``inputSwitchingFJ`` when they are kept apart.
    public func energyFJ(_ convention: InputNetEnergy) -> Double {
        convention == .include ? totalFJ : (switchingFJ - inputSwitchingFJ) + internalFJ
    }

    /// Energy per operation from its parts (fJ) over `operations` simulated operations.
    public init(operations: Int, switchingFJ: Double, inputSwitchingFJ: Double = 0, internalFJ: Double, togglesPerOp: Double) {
        self.operations = operations
        self.switchingFJ = switchingFJ
        self.inputSwitchingFJ = inputSwitchingFJ
        self.internalFJ = internalFJ
        self.togglesPerOp = togglesPerOp
    }
}

/// How the switching of the nets driven by the design's input ports is counted in `energy_fj`.
///
/// Those nets are charged by whatever drives the MAC's inputs: in an array, the neighbouring PE's
/// registers or the operand buffers, whose own energy already counts them. OpenSTA's `report_power`
/// charges switching to the instance pins that drive a net, so a port-driven net costs nothing there
/// (the first cells' internal power does count). `separate` (the default) does the same and reports the
/// term apart (`input_energy_fj`); `include` charges it in `energy_fj` (Halo's convention before the
/// option). Either way, include = separate + input term, to the last bit of arithmetic.
public enum InputNetEnergy: String, Sendable, CaseIterable {
    /// Input-port nets not in `energy_fj`; their ½·C·V² reported as `input_energy_fj`.
    case separate
    /// Input-port nets in `energy_fj`.
    case include
}

/// Turns net activity into energy with a design's loads and its cells' Liberty power data.
///
/// Internal energy follows OpenSTA's `Power::findOutputInternalPower`, per transition direction:
/// - an output pin's transition costs the `rise_power` (output rises) or `fall_power` table of its
///   `internal_power` groups, interpolated like timing tables by the related input pin's slew and the
///   output net's load (that transition's capacitance);
/// - with several related pins, the groups are weighted by how often each related pin toggled in the
///   same simulation (share of the related pins' toggles; equal weights if none toggled); groups of
///   the same related pin (different `when` states) share that pin's weight equally;
/// - the related pin's slew is the one of the transition that causes the output's transition by the
///   arc's library sense (positive unate: same direction; negative: opposite; non-unate: the mean of
///   the two table values), from a `TimingAnalysis` run under the same constants (worst slew at the
///   pin), or the graph's input slew for every pin when no analysis is given;
/// - an input pin's own `internal_power` (no related pin, e.g. a flop's clock) costs its table per
///   transition of that pin, at its slew (load 0).
///
/// Leakage is not an energy per operation: `leakageNW` sums `cell_leakage_power` over the instances.
public final class EnergyModel: @unchecked Sendable {
    /// The design whose nets and cells are priced.
    public let graph: TimingGraph
    /// V in ½·C·V².
    public let supplyVoltageV: Double
    /// Σ `cell_leakage_power` over the instances in nW, rounded to 1 fW (a cell without it uses the mean
    /// of its `leakage_power` groups); nil when no instance's cell states any leakage.
    public let leakageNW: Double?
    /// Instances whose cell has no `internal_power` data at all (their internal energy is 0).
    public let instancesWithoutPowerData: Int

    /// Per net: ½·C·V² of a rise and of a fall, fJ.
    let netRiseFJ: [Double]
    let netFallFJ: [Double]
    /// The nets driven by an input port of the design.
    let inputPortNets: [Int]

    /// One `internal_power` group bound to an instance.
    struct PowerArc {
        /// The pin whose transitions cost energy (output, or input for own-pin tables).
        var pin: Int
        /// The related input pin (−1 for own-pin tables).
        var related: Int
        /// Share of the related pin's weight (1 / groups with that related pin on this output).
        var share: Double
        var sense: TimingSense
        var rise: TableModel?
        var fall: TableModel?
        var isInputPin: Bool
    }
    let arcs: [PowerArc]
    /// Ranges of `arcs` per output pin (arcs of one pin are contiguous).
    let arcGroups: [Range<Int>]

    /// Builds the model. `libraries` are those the graph was linked with (cells are found by the name
    /// and library they were linked to). The supply voltage is `supplyVoltageV`, else the `nom_voltage`
    /// of the first library that states one; throws when neither exists.
    public init(graph: TimingGraph, libraries: [LibertyLibrary], supplyVoltageV: Double? = nil) throws {
        self.graph = graph
        let g = graph
        var voltage = supplyVoltageV
        if voltage == nil {
            let used = Set(g.cells.map(\.library))
            voltage = libraries.first(where: { used.contains($0.name) && $0.nominalVoltage != nil })?.nominalVoltage
                ?? libraries.first(where: { $0.nominalVoltage != nil })?.nominalVoltage
        }
        guard let v = voltage, v > 0, v.isFinite else {
            throw HaloError("no supply voltage: the libraries state no nom_voltage; give one (e.g. --vdd 1.8)")
        }
        self.supplyVoltageV = v
        let netCount = g.design.nets.count
        var rise = [Double](repeating: 0, count: netCount), fall = [Double](repeating: 0, count: netCount)
        for n in 0..<netCount where g.netDriver[n] >= 0 {
            let d = g.netDriver[n]
            rise[n] = 0.5 * g.loadCapacitance[d * 2] * v * v      // fF · V² = fJ
            fall[n] = 0.5 * g.loadCapacitance[d * 2 + 1] * v * v
        }
        netRiseFJ = rise
        netFallFJ = fall
        inputPortNets = (0..<netCount).filter { g.netDriver[$0] >= 0 && g.isPort(g.netDriver[$0]) }

        // Liberty cells of the linked models.
        var libertyCells: [LibertyCell?] = []
        var leakagePerModel: [Double?] = []
        for model in g.cells {
            let lib = libraries.first { $0.name == model.library && $0.cell(named: model.name) != nil }
            let cell = lib?.cell(named: model.name)
            libertyCells.append(cell)
            var leak: Double?
            if let cell {
                if let p = cell.leakagePower { leak = p * (lib?.leakagePowerUnitNW ?? 1) }
                else if !cell.leakagePowers.isEmpty {
                    leak = cell.leakagePowers.map(\.powerNW).reduce(0, +) / Double(cell.leakagePowers.count)
                }
            }
            leakagePerModel.append(leak)
        }
        var leakage: Double?
        var withoutPower = 0
        var arcs: [PowerArc] = []
        var groups: [Range<Int>] = []
        for i in 0..<g.instanceCount {
            let ci = g.instanceCell[i]
            if let l = leakagePerModel[ci] { leakage = (leakage ?? 0) + l }
            guard let cell = libertyCells[ci], cell.pins.count == g.cells[ci].pinNames.count else { withoutPower += 1; continue }
            let model = g.cells[ci]
            let base = g.instancePinBase[i]
            var any = false
            for (k, pin) in cell.pins.enumerated() where !pin.internalPower.isEmpty {
                any = true
                let p = base + k
                guard g.pinNet[p] >= 0 else { continue }
                let isInput = pin.direction == .input
                let start = arcs.count
                var perRelated: [Int: Int] = [:]
                var unrelated: [LibertyInternalPower] = []
                for group in pin.internalPower {
                    let related = isInput ? [] : group.relatedPins.compactMap { model.pinNames.firstIndex(of: $0) }
                    if related.isEmpty { unrelated.append(group); continue }
                    for r in related { perRelated[r, default: 0] += 1 }
                }
                for group in pin.internalPower {
                    let related = isInput ? [] : group.relatedPins.compactMap { model.pinNames.firstIndex(of: $0) }
                    for r in related {
                        let sense = model.arcSets.first { $0.fromPin == r && $0.toPin == k }?.librarySense
                            ?? CellModel.inferSense(.combinational, cell: cell, to: k, from: model.pinNames[r])
                        arcs.append(PowerArc(pin: p, related: base + r, share: 1 / Double(perRelated[r] ?? 1), sense: sense,
                                             rise: group.risePower.map { TableModel($0, isCheck: false) },
                                             fall: group.fallPower.map { TableModel($0, isCheck: false) }, isInputPin: false))
                    }
                }
                // Groups without a related pin: an input pin's own tables, or an output's only data.
                if perRelated.isEmpty {
                    for group in unrelated {
                        arcs.append(PowerArc(pin: p, related: -1, share: 1 / Double(unrelated.count), sense: .positiveUnate,
                                             rise: group.risePower.map { TableModel($0, isCheck: false) },
                                             fall: group.fallPower.map { TableModel($0, isCheck: false) }, isInputPin: isInput))
                    }
                }
                if arcs.count > start { groups.append(start..<arcs.count) }
            }
            if !any { withoutPower += 1 }
        }
        self.leakageNW = leakage.map { ($0 * 1e6).rounded() / 1e6 }   // to 1 fW: no float noise in reports
        self.instancesWithoutPowerData = withoutPower
        self.arcs = arcs
        self.arcGroups = groups
    }

    /// ½·C·V² of one transition of a net, fJ.
    public func switchingEnergyFJ(ofNet n: Int, _ transition: Transition) -> Double {
        transition == .rise ? netRiseFJ[n] : netFallFJ[n]
    }

    /// Energy per operation of an activity. `analysis`: a `TimingAnalysis` already run under the same
    /// constants, for the slews (nil: the graph's input slew everywhere). `constants`: the constants the
    /// activity was simulated with (a related pin held by its own constant never toggles).
    public func energy(of activity: NetActivity, analysis: TimingAnalysis? = nil,
                       constants: [CaseConstant] = []) -> EnergyBreakdown {
        let g = graph
        var switching = 0.0
        for n in 0..<activity.rises.count {
            switching += Double(activity.rises[n]) * netRiseFJ[n] + Double(activity.falls[n]) * netFallFJ[n]
        }
        let held = Set(constants.map(\.pin))
        func toggles(ofPin p: Int) -> Int {
            if held.contains(p) { return 0 }
            let n = g.pinNet[p]
            return n >= 0 ? activity.rises[n] + activity.falls[n] : 0
        }
        func slew(_ p: Int, _ rf: Transition) -> Double {
            analysis?.slewNs(ofPin: p, rf) ?? g.conditions.inputSlewNs
        }
        var internalEnergy = 0.0
        for range in arcGroups {
            let first = arcs[range.lowerBound]
            let p = first.pin
            let n = g.pinNet[p]
            let rises = Double(activity.rises[n]), falls = Double(activity.falls[n])
            if rises + falls == 0 { continue }
            // Weights: related pins' toggles (each related pin once).
            var total = 0.0
            var seen: Set<Int> = []
            for a in range where arcs[a].related >= 0 && seen.insert(arcs[a].related).inserted {
                total += Double(toggles(ofPin: arcs[a].related))
            }
            let relatedCount = Double(max(1, seen.count))
            var energy = 0.0
            for a in range {
                let arc = arcs[a]
                let weight: Double
                if arc.related < 0 {
                    weight = arc.share
                } else {
                    let t = Double(toggles(ofPin: arc.related))
                    weight = arc.share * (total > 0 ? t / total : 1 / relatedCount)
                }
                if weight == 0 { continue }
                let source = arc.related >= 0 ? arc.related : p
                func tableEnergy(_ table: TableModel?, _ out: Transition) -> Double {
                    guard let table else { return 0 }
                    let load = arc.isInputPin ? 0 : g.loadCapacitance[p * 2 + out.rawValue]
                    switch arc.sense {
                    case .positiveUnate: return table.value(slew: slew(source, out), load: load)
                    case .negativeUnate: return table.value(slew: slew(source, out.opposite), load: load)
                    case .nonUnate:
                        return 0.5 * (table.value(slew: slew(source, .rise), load: load)
                                      + table.value(slew: slew(source, .fall), load: load))
                    }
                }
                energy += weight * (rises * tableEnergy(arc.rise, .rise) + falls * tableEnergy(arc.fall, .fall))
            }
            internalEnergy += energy
        }
        var inputSwitching = 0.0
        for n in inputPortNets {
            inputSwitching += Double(activity.rises[n]) * netRiseFJ[n] + Double(activity.falls[n]) * netFallFJ[n]
        }
        let ops = Double(max(1, activity.operations))
        return EnergyBreakdown(operations: activity.operations, switchingFJ: switching / ops, inputSwitchingFJ: inputSwitching / ops,
                               internalFJ: internalEnergy / ops,
                               togglesPerOp: Double(activity.totalToggles) / ops)
    }
}

