import HaloCore
import HaloLiberty

/// Rise or fall, as an index (0 = rise, 1 = fall) into per-transition arrays.
public enum Transition: Int, Sendable, CaseIterable {
    case rise = 0
    case fall = 1

    /// The other transition (rise ↔ fall).
    public var opposite: Transition { self == .rise ? .fall : .rise }
    /// The transition's mark in path reports: `^` for rise, `v` for fall.
    public var symbol: String { self == .rise ? "^" : "v" }
}

/// One timing arc of an arc set: a from-transition to a to-transition with its delay and slew tables.
package struct TimingArcModel: Sendable {
    package let from: Transition
    package let to: Transition
    package let delay: TableModel?
    let slew: TableModel?
}

/// A set of arcs from one input pin to one output pin of a cell (one Liberty `timing` group and related pin).
package struct ArcSetModel: Sendable {
    package let fromPin: Int
    package let toPin: Int
    let type: TimingType
    /// The sense from the library (or inferred from the function).
    package let librarySense: TimingSense
    let when: CompiledFunction?
    package let arcs: [TimingArcModel]
    /// Index of this arc set among those with the same from/to pins (for `when` default handling).
    let isClockEdge: Bool
}

/// A setup-style check from a clock pin to a constrained pin.
struct CheckModel: Sendable {
    let clockPin: Int
    let dataPin: Int
    let type: TimingType
    /// The clock edge that captures: rise for `setup_rising`.
    let clockEdge: Transition
    let when: CompiledFunction?
    /// Indexed by the data transition.
    let constraint: [TableModel?]
}

/// A library cell compiled for timing: pins by index, functions as truth tables, arcs, checks.
package final class CellModel: @unchecked Sendable {
    package let name: String
    package let library: String
    package let pinNames: [String]
    package let pinDirections: [PinDirection]
    /// Pin capacitance by transition [rise, fall], in fF (max: data paths).
    let pinCapacitance: [[Double]]
    /// Min pin capacitance by transition [rise, fall], in fF (a propagated clock's early capture path).
    let pinCapacitanceMin: [[Double]]
    let isClockPin: [Bool]
    /// Output functions, by pin index (nil for inputs or outputs without a function).
    package let functions: [CompiledFunction?]
    /// Three-state enables (`!three_state`), by pin index: the output is driven, and its function
    /// decides its value, only while the enable is 1 (OpenSTA's `tristateEnable`).
    let enables: [CompiledFunction?]
    package let arcSets: [ArcSetModel]
    let checks: [CheckModel]
    let isSequential: Bool
    /// The first `ff`/`latch` group, if any.
    package let sequential: LibertySequential?
    /// Output functions as written (for recognizing a flop's state outputs).
    package let rawFunctions: [BooleanExpression?]
    let area: Double

    init(_ cell: LibertyCell, library: String) throws {
        name = cell.name
        self.library = library
        pinNames = cell.pins.map(\.name)
        pinDirections = cell.pins.map(\.direction)
        pinCapacitance = cell.pins.map { [$0.riseCapacitanceFF, $0.fallCapacitanceFF] }
        pinCapacitanceMin = cell.pins.map { [$0.riseCapacitanceMinFF, $0.fallCapacitanceMinFF] }
        isClockPin = cell.pins.map(\.isClock)
        isSequential = cell.isSequential
        sequential = cell.sequentials.first
        rawFunctions = cell.pins.map { $0.direction == .input ? nil : $0.function }
        area = cell.area
        var index: [String: Int] = [:]
        for (i, p) in cell.pins.enumerated() where index[p.name] == nil { index[p.name] = i }
        let lookup: (String) -> Int? = { index[$0] }
        let where_ = cell.location
        functions = try cell.pins.map { pin in
            guard let f = pin.function, pin.direction != .input else { return nil }
            do { return try CompiledFunction(f, pinIndex: lookup) } catch let e as HaloError {
                throw HaloError("cell '\(cell.name)' pin '\(pin.name)': \(e.message)", at: where_)
            }
        }
        enables = try cell.pins.map { pin in
            guard let t = pin.threeState, pin.direction != .input else { return nil }
            do { return try CompiledFunction(.not(t), pinIndex: lookup) } catch let e as HaloError {
                throw HaloError("cell '\(cell.name)' pin '\(pin.name)': \(e.message)", at: where_)
            }
        }
        // Pins that only clear or preset a register: their rising/falling_edge arcs are OpenSTA's
        // regSetClr arcs, like `preset`/`clear` timing groups.
        var setClearPins = Set<Int>()
        for seq in cell.sequentials {
            let clockPins = Set((seq.clockedOn?.variables ?? []).compactMap { index[$0] })
            for e in [seq.clear, seq.preset].compactMap({ $0 }) {
                for v in e.variables { if let k = index[v], !clockPins.contains(k) { setClearPins.insert(k) } }
            }
        }
        var sets: [ArcSetModel] = []
        var checks: [CheckModel] = []
        for (toIndex, pin) in cell.pins.enumerated() {
            for timing in pin.timings {
                let located = timing.location ?? where_
                let when = try timing.when.map { w -> CompiledFunction in
                    do { return try CompiledFunction(w, pinIndex: lookup) } catch let e as HaloError {
                        throw HaloError("cell '\(cell.name)': \(e.message)", at: located)
                    }
                }
                if let mode = timing.mode {
                    throw HaloError("cell '\(cell.name)' pin '\(pin.name)': timing arcs of mode '\(mode.name)' "
                                    + "(value '\(mode.value)') are not supported", at: located)
                }
                for related in timing.relatedPins {
                    guard let fromIndex = index[related] else {
                        throw HaloError("cell '\(cell.name)' pin '\(pin.name)': related_pin '\(related)' is not a pin of the cell",
                                        at: located)
                    }
                    if timing.type.isCheck {
                        guard timing.type.isSetupCheck else { continue }
                        let edge: Transition = (timing.type == .setupRising || timing.type == .recoveryRising) ? .rise : .fall
                        let constraint = [timing.riseConstraint, timing.fallConstraint]
                        for table in constraint.compactMap({ $0 }) {
                            try CellModel.checkAxes(table, isCheck: true, cell: cell.name, pin: pin.name,
                                                    relatedOutput: timing.relatedOutputPin, at: located)
                        }
                        checks.append(CheckModel(
                            clockPin: fromIndex, dataPin: toIndex, type: timing.type, clockEdge: edge, when: when,
                            constraint: constraint.map { $0.map { TableModel($0, isCheck: true) } }))
                        continue
                    }
                    // OpenSTA's regSetClr arcs take no part in delay calculation or search by default.
                    if timing.type.isPresetClear { continue }
                    if (timing.type == .risingEdge || timing.type == .fallingEdge) && setClearPins.contains(fromIndex) { continue }
                    let sense = timing.sense ?? CellModel.inferSense(timing.type, cell: cell, to: toIndex, from: related)
                    let pairs = CellModel.transitionPairs(type: timing.type, sense: sense)
                    let arcs = try pairs.compactMap { (from, to) -> TimingArcModel? in
                        let delay = to == .rise ? timing.cellRise : timing.cellFall
                        let slew = to == .rise ? timing.riseTransition : timing.fallTransition
                        if delay == nil && slew == nil { return nil }
                        for table in [delay, slew].compactMap({ $0 }) {
                            try CellModel.checkAxes(table, isCheck: false, cell: cell.name, pin: pin.name,
                                                    relatedOutput: nil, at: located)
                        }
                        return TimingArcModel(from: from, to: to,
                                              delay: delay.map { TableModel($0, isCheck: false) },
                                              slew: slew.map { TableModel($0, isCheck: false) })
                    }
                    sets.append(ArcSetModel(fromPin: fromIndex, toPin: toIndex, type: timing.type, librarySense: sense,
                                            when: when, arcs: arcs,
                                            isClockEdge: timing.type == .risingEdge || timing.type == .fallingEdge))
                }
            }
        }
        arcSets = try CellModel.orderedForOutputArcs(sets, cell: cell)
        self.checks = checks
    }

    /// Arc sets in an order in which an arc set from an output pin (a timing group related to another output,
    /// as ASAP7's full adder times SN from CON) comes after every arc set into that output, so that one pass
    /// over a cell's arcs sees final arrivals and slews. Throws for outputs that time each other in a cycle.
    static func orderedForOutputArcs(_ sets: [ArcSetModel], cell: LibertyCell) throws -> [ArcSetModel] {
        let outputs = Set(sets.map(\.toPin))
        guard sets.contains(where: { outputs.contains($0.fromPin) }) else { return sets }
        var rank = [Int: Int]()
        func rankOf(_ pin: Int, _ depth: Int) throws -> Int {
            if let r = rank[pin] { return r }
            guard depth <= cell.pins.count else {
                throw HaloError("cell '\(cell.name)': its outputs time each other in a cycle (pin '\(cell.pins[pin].name)')",
                                at: cell.location)
            }
            var r = 0
            for set in sets where set.toPin == pin && outputs.contains(set.fromPin) && set.fromPin != pin {
                r = max(r, try rankOf(set.fromPin, depth + 1) + 1)
            }
            rank[pin] = r
            return r
        }
        let ranks = try sets.map { try rankOf($0.toPin, 0) }
        return sets.indices.sorted { ranks[$0] != ranks[$1] ? ranks[$0] < ranks[$1] : $0 < $1 }.map { sets[$0] }
    }

    /// The sense of an arc with no `timing_sense`, as OpenSTA's `LibertyBuilder` infers it: from the
    /// output's `function` when it names the input, read syntactically (`FuncExpr::portTimingSense`);
    /// for a three-state output whose enable names the input, non-unate for data arcs and the enable's
    /// sense (inverted for disable arcs) for three-state arcs; otherwise non-unate.
    package static func inferSense(_ type: TimingType, cell: LibertyCell, to: Int, from: String) -> TimingSense {
        let pin = cell.pins[to]
        let enable = pin.threeState.map { BooleanExpression.not($0) }
        if type.isThreeStateEnable || type.isThreeStateDisable {
            guard let enable else { return .nonUnate }
            let s = syntacticSense(enable, of: from)
            let sense: TimingSense? = type.isThreeStateDisable ? s.map { $0 == .positiveUnate ? .negativeUnate : ($0 == .negativeUnate ? .positiveUnate : $0) } : s
            return sense ?? .nonUnate
        }
        if let f = pin.function, f.variables.contains(from) {
            return syntacticSense(f, of: from) ?? .nonUnate
        }
        return .nonUnate
    }

    /// `FuncExpr::portTimingSense`: the sense of `e` in `variable` read from the expression's shape;
    /// nil for OpenSTA's `none`/`unknown` (the variable absent, or a constant), which build non-unate arcs.
    static func syntacticSense(_ e: BooleanExpression, of variable: String) -> TimingSense? {
        enum S { case pos, neg, non, none, unknown }
        func walk(_ e: BooleanExpression) -> S {
            switch e {
            case .constant: return .none
            case .variable(let v): return v == variable ? .pos : .none
            case .not(let a):
                switch walk(a) {
                case .pos: return .neg
                case .neg: return .pos
                case let x: return x
                }
            case .and(let a, let b), .or(let a, let b):
                let l = walk(a), r = walk(b)
                if l == r { return l }
                if l == .non || r == .non || (l == .pos && r == .neg) || (l == .neg && r == .pos) { return .non }
                if l == .none || l == .unknown { return r }
                if r == .none || r == .unknown { return l }
                return .unknown
            case .xor(let a, let b):
                let l = walk(a), r = walk(b)
                if [S.pos, .neg, .non].contains(l) || [S.pos, .neg, .non].contains(r) { return .non }
                return .unknown
            }
        }
        switch walk(e) {
        case .pos: return .positiveUnate
        case .neg: return .negativeUnate
        case .non: return .nonUnate
        case .none, .unknown: return nil
        }
    }

    /// Refuses a table whose axes OpenSTA cannot evaluate for its kind (`GateTableModel::checkAxis`,
    /// `CheckTableModel::checkAxis`: OpenSTA stops with "unsupported table axes" when it looks one up), and a
    /// check indexed by the load of a `related_output_pin`, which Halo does not model.
    static func checkAxes(_ table: LibertyTable, isCheck: Bool, cell: String, pin: String, relatedOutput: String?,
                          at location: SourceLocation?) throws {
        for v in table.variables {
            let supported: Bool
            switch v {
            case .inputNetTransition, .inputTransitionTime, .totalOutputNetCapacitance: supported = !isCheck
            case .relatedPinTransition, .constrainedPinTransition: supported = isCheck
            case .relatedOutTotalOutputNetCapacitance: supported = relatedOutput == nil
            default: supported = false
            }
            guard supported else {
                let what = isCheck ? "constraint" : "delay/slew"
                let extra = v == .relatedOutTotalOutputNetCapacitance ? " with related_output_pin '\(relatedOutput ?? "")'" : ""
                throw HaloError("cell '\(cell)' pin '\(pin)': a \(what) table indexed by '\(v.rawValue)'\(extra) is not supported "
                                + "(OpenSTA cannot evaluate it either)", at: location)
            }
        }
    }

    /// The (from, to) transitions of an arc set, as OpenSTA builds them from `timing_type` and `timing_sense`.
    static func transitionPairs(type: TimingType, sense: TimingSense) -> [(Transition, Transition)] {
        switch type {
        case .risingEdge: return [(.rise, .rise), (.rise, .fall)]
        case .fallingEdge: return [(.fall, .rise), (.fall, .fall)]
        case .preset: return senseFiltered(sense).filter { $0.1 == .rise }
        case .clear: return senseFiltered(sense).filter { $0.1 == .fall }
        case .combinationalRise: return senseFiltered(sense).filter { $0.1 == .rise }
        case .combinationalFall: return senseFiltered(sense).filter { $0.1 == .fall }
        // Three-state arcs: 0Z/Z1 are rises, 1Z/Z0 falls (OpenSTA's LibertyBuilder).
        case .threeStateEnableRise, .threeStateDisableRise: return senseFiltered(sense).filter { $0.1 == .rise }
        case .threeStateEnableFall, .threeStateDisableFall: return senseFiltered(sense).filter { $0.1 == .fall }
        default: return senseFiltered(sense)
        }
    }

    private static func senseFiltered(_ sense: TimingSense) -> [(Transition, Transition)] {
        switch sense {
        case .positiveUnate: return [(.rise, .rise), (.fall, .fall)]
        case .negativeUnate: return [(.fall, .rise), (.rise, .fall)]
        case .nonUnate: return [(.rise, .rise), (.fall, .rise), (.rise, .fall), (.fall, .fall)]
        }
    }
}
