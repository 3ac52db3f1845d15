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
struct TimingArcModel: Sendable {
    let from: Transition
    let to: Transition
    let delay: TableModel?
    let slew: TableModel?
}

/// A set of arcs from one input pin to one output pin of a cell (one Liberty `timing` group and related pin).
struct ArcSetModel: Sendable {
    let fromPin: Int
    let toPin: Int
    let type: TimingType
    /// The sense from the library (or inferred from the function).
    let librarySense: TimingSense
    let when: CompiledFunction?
    let arcs: [TimingArcModel]
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
final class CellModel: @unchecked Sendable {
    let name: String
    let library: String
    let pinNames: [String]
    let pinDirections: [PinDirection]
    /// Pin capacitance by transition [rise, fall], in fF.
    let pinCapacitance: [[Double]]
    let isClockPin: [Bool]
    /// Output functions, by pin index (nil for inputs or outputs without a function).
    let functions: [CompiledFunction?]
    let arcSets: [ArcSetModel]
    let checks: [CheckModel]
    let isSequential: Bool
    /// The first `ff`/`latch` group, if any.
    let sequential: LibertySequential?
    /// Output functions as written (for recognizing a flop's state outputs).
    let rawFunctions: [BooleanExpression?]
    let area: Double

    init(_ cell: LibertyCell, library: String) throws {
        name = cell.name
        self.library = library
        pinNames = cell.pins.map(\.name)
        pinDirections = cell.pins.map(\.direction)
        pinCapacitance = cell.pins.map { [$0.riseCapacitanceFF, $0.fallCapacitanceFF] }
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
        var sets: [ArcSetModel] = []
        var checks: [CheckModel] = []
        for (toIndex, pin) in cell.pins.enumerated() {
            for timing in pin.timings {
                let when = try timing.when.map { w -> CompiledFunction in
                    do { return try CompiledFunction(w, pinIndex: lookup) } catch let e as HaloError {
                        throw HaloError("cell '\(cell.name)': \(e.message)", at: timing.location ?? where_)
                    }
                }
                for related in timing.relatedPins {
                    guard let fromIndex = index[related] else {
                        throw HaloError("cell '\(cell.name)' pin '\(pin.name)': related_pin '\(related)' is not a pin of the cell",
                                        at: timing.location ?? where_)
                    }
                    if timing.type.isCheck {
                        guard timing.type.isSetupCheck else { continue }
                        let edge: Transition = (timing.type == .setupRising || timing.type == .recoveryRising) ? .rise : .fall
                        checks.append(CheckModel(
                            clockPin: fromIndex, dataPin: toIndex, type: timing.type, clockEdge: edge, when: when,
                            constraint: [timing.riseConstraint.map { TableModel($0, isCheck: true) },
                                         timing.fallConstraint.map { TableModel($0, isCheck: true) }]))
                        continue
                    }
                    if timing.type == .threeStateEnable || timing.type == .threeStateDisable { continue }
                    let sense = timing.sense ?? CellModel.inferSense(functions[toIndex], pin: fromIndex)
                    let pairs = CellModel.transitionPairs(type: timing.type, sense: sense)
                    let arcs = pairs.compactMap { (from, to) -> TimingArcModel? in
                        let delay = to == .rise ? timing.cellRise : timing.cellFall
                        let slew = to == .rise ? timing.riseTransition : timing.fallTransition
                        if delay == nil && slew == nil { return nil }
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
        arcSets = sets
        self.checks = checks
    }

    /// The sense of an arc with no `timing_sense`, from the output's function with nothing constant.
    static func inferSense(_ function: CompiledFunction?, pin: Int) -> TimingSense {
        guard let function else { return .nonUnate }
        switch function.sense(ofPin: pin, { _ in .unknown }) {
        case .positiveUnate: return .positiveUnate
        case .negativeUnate: return .negativeUnate
        default: return .nonUnate
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
