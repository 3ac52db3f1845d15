import HaloCore

// The in-memory model of a Liberty library. Units are normalized when the file is read:
// every time (delays, slews, table axes of transitions) is in **ns**, every capacitance in **fF**,
// area in the library's area unit, internal energy (`internal_power` tables) in **fJ**, leakage
// power of `leakage_power` groups in **nW** (`cell_leakage_power` stays as written; see
// `LibertyLibrary.leakagePowerUnitNW`).

/// A Boolean expression from a Liberty `function` or `when` attribute.
public indirect enum BooleanExpression: Hashable, Sendable, CustomStringConvertible {
    case constant(Bool)
    /// A pin of the cell, or an internal state variable of an `ff`/`latch` group (e.g. `IQ`).
    case variable(String)
    case not(BooleanExpression)
    case and(BooleanExpression, BooleanExpression)
    case or(BooleanExpression, BooleanExpression)
    case xor(BooleanExpression, BooleanExpression)

    /// The variables the expression mentions, in order of first appearance.
    public var variables: [String] {
        var seen: [String] = []
        func walk(_ e: BooleanExpression) {
            switch e {
            case .constant: break
            case .variable(let v): if !seen.contains(v) { seen.append(v) }
            case .not(let a): walk(a)
            case .and(let a, let b), .or(let a, let b), .xor(let a, let b): walk(a); walk(b)
            }
        }
        walk(self)
        return seen
    }

    /// Evaluates with a value for every variable (missing variables read as false).
    public func evaluate(_ value: (String) -> Bool) -> Bool {
        switch self {
        case .constant(let c): return c
        case .variable(let v): return value(v)
        case .not(let a): return !a.evaluate(value)
        case .and(let a, let b): return a.evaluate(value) && b.evaluate(value)
        case .or(let a, let b): return a.evaluate(value) || b.evaluate(value)
        case .xor(let a, let b): return a.evaluate(value) != b.evaluate(value)
        }
    }

    /// Liberty syntax, fully parenthesized.
    public var description: String {
        switch self {
        case .constant(let c): return c ? "1" : "0"
        case .variable(let v): return v
        case .not(let a): return "!\(a)"
        case .and(let a, let b): return "(\(a)&\(b))"
        case .or(let a, let b): return "(\(a)|\(b))"
        case .xor(let a, let b): return "(\(a)^\(b))"
        }
    }
}

/// What a table axis measures (Liberty `variable_1/2/3`).
public enum TableVariable: String, Sendable {
    case inputNetTransition = "input_net_transition"
    case totalOutputNetCapacitance = "total_output_net_capacitance"
    case relatedPinTransition = "related_pin_transition"
    case constrainedPinTransition = "constrained_pin_transition"
    case relatedOutTotalOutputNetCapacitance = "related_out_total_output_net_capacitance"
    case inputTransitionTime = "input_transition_time"
    case outputNetLength = "output_net_length"
    case outputNetWireCap = "output_net_wire_cap"
    case unknown
}

/// A lookup table of up to three axes (NLDM `cell_rise`, `rise_transition`, `rise_constraint`, …).
///
/// `values` is row-major: index `(i1 * axis2.count + i2) * axis3.count + i3`, where an absent axis
/// has count 1 for indexing. A scalar table has no axes and one value.
public struct LibertyTable: Sendable, Equatable {
    /// The variables of the axes, in the order of `axes`.
    public var variables: [TableVariable]
    /// Axis break points, already in ns (transitions) or fF (capacitances).
    public var axes: [[Double]]
    /// Table values in ns (delays, slews, constraints) or as written (power).
    public var values: [Double]

    /// A table from its axis variables, break points (ns, fF) and row-major values.
    public init(variables: [TableVariable], axes: [[Double]], values: [Double]) {
        self.variables = variables
        self.axes = axes
        self.values = values
    }

    /// A table holding one value.
    public static func scalar(_ value: Double) -> LibertyTable {
        LibertyTable(variables: [], axes: [], values: [value])
    }

    /// Number of axes (0 for a scalar).
    public var order: Int { axes.count }
}

/// Liberty `timing_sense`.
public enum TimingSense: String, Sendable {
    case positiveUnate = "positive_unate"
    case negativeUnate = "negative_unate"
    case nonUnate = "non_unate"
}

/// Liberty `timing_type`.
public enum TimingType: String, Sendable {
    case combinational
    case combinationalRise = "combinational_rise"
    case combinationalFall = "combinational_fall"
    case threeStateEnable = "three_state_enable"
    case threeStateEnableRise = "three_state_enable_rise"
    case threeStateEnableFall = "three_state_enable_fall"
    case threeStateDisable = "three_state_disable"
    case threeStateDisableRise = "three_state_disable_rise"
    case threeStateDisableFall = "three_state_disable_fall"
    case risingEdge = "rising_edge"
    case fallingEdge = "falling_edge"
    case preset
    case clear
    case setupRising = "setup_rising"
    case setupFalling = "setup_falling"
    case holdRising = "hold_rising"
    case holdFalling = "hold_falling"
    case recoveryRising = "recovery_rising"
    case recoveryFalling = "recovery_falling"
    case removalRising = "removal_rising"
    case removalFalling = "removal_falling"
    case skewRising = "skew_rising"
    case skewFalling = "skew_falling"
    case minPulseWidth = "min_pulse_width"
    case minimumPeriod = "minimum_period"
    case nochangeHighHigh = "nochange_high_high"
    case nochangeHighLow = "nochange_high_low"
    case nochangeLowHigh = "nochange_low_high"
    case nochangeLowLow = "nochange_low_low"
    case nonSeqSetupRising = "non_seq_setup_rising"
    case nonSeqSetupFalling = "non_seq_setup_falling"
    case nonSeqHoldRising = "non_seq_hold_rising"
    case nonSeqHoldFalling = "non_seq_hold_falling"
    case retainingTime = "retaining_time"
    case minClockTreePath = "min_clock_tree_path"
    case maxClockTreePath = "max_clock_tree_path"

    /// A three-state enable arc (output leaves Z), OpenSTA's `tristateEnable` role.
    public var isThreeStateEnable: Bool {
        self == .threeStateEnable || self == .threeStateEnableRise || self == .threeStateEnableFall
    }

    /// A three-state disable arc (output enters Z), OpenSTA's `tristateDisable` role.
    public var isThreeStateDisable: Bool {
        self == .threeStateDisable || self == .threeStateDisableRise || self == .threeStateDisableFall
    }

    /// A preset or clear arc (OpenSTA's `regSetClr` role), which OpenSTA leaves out of delay calculation
    /// and path search unless `preset_clr_arcs_enabled` is set (it is not by default).
    public var isPresetClear: Bool { self == .preset || self == .clear }

    /// A setup-style check (setup or recovery) that bounds the clock period.
    public var isSetupCheck: Bool {
        switch self {
        case .setupRising, .setupFalling, .recoveryRising, .recoveryFalling: return true
        default: return false
        }
    }

    /// Any timing check (setup, hold, recovery, removal, skew, pulse width, no-change …).
    public var isCheck: Bool {
        switch self {
        case .combinational, .combinationalRise, .combinationalFall, .threeStateEnable, .threeStateEnableRise,
             .threeStateEnableFall, .threeStateDisable, .threeStateDisableRise, .threeStateDisableFall,
             .risingEdge, .fallingEdge, .preset, .clear:
            return false
        default:
            return true
        }
    }
}

/// One Liberty `timing` group of an output (or, for checks, of a constrained input) pin.
public struct LibertyTiming: Sendable {
    /// The `related_pin` names (a group may name several pins; each gives its own arc set).
    public var relatedPins: [String]
    /// `timing_sense`, if the library states it.
    public var sense: TimingSense?
    /// `timing_type`; `combinational` when absent.
    public var type: TimingType
    /// The `when` condition, if any.
    public var when: BooleanExpression?
    /// `cell_rise`: output rise delay, ns.
    public var cellRise: LibertyTable?
    /// `cell_fall`: output fall delay, ns.
    public var cellFall: LibertyTable?
    /// `rise_transition`: output rise slew, ns.
    public var riseTransition: LibertyTable?
    /// `fall_transition`: output fall slew, ns.
    public var fallTransition: LibertyTable?
    /// Check tables (setup/hold/recovery/removal).
    public var riseConstraint: LibertyTable?
    /// `fall_constraint`: the check for a falling constrained pin, ns.
    public var fallConstraint: LibertyTable?
    /// Where the group starts in the file.
    public var location: SourceLocation?
    /// `mode (MODE_NAME, VALUE)`: the arc belongs to one value of a `mode_definition` of the cell.
    public var mode: (name: String, value: String)?
    /// `related_output_pin`: the output whose load feeds a `related_out_total_output_net_capacitance` axis.
    public var relatedOutputPin: String?

    /// A timing group; `type` defaults to `combinational`, every table to absent.
    public init(relatedPins: [String], sense: TimingSense? = nil, type: TimingType = .combinational,
                when: BooleanExpression? = nil, cellRise: LibertyTable? = nil, cellFall: LibertyTable? = nil,
                riseTransition: LibertyTable? = nil, fallTransition: LibertyTable? = nil,
                riseConstraint: LibertyTable? = nil, fallConstraint: LibertyTable? = nil,
                location: SourceLocation? = nil) {
        self.relatedPins = relatedPins
        self.sense = sense
        self.type = type
        self.when = when
        self.cellRise = cellRise
        self.cellFall = cellFall
        self.riseTransition = riseTransition
        self.fallTransition = fallTransition
        self.riseConstraint = riseConstraint
        self.fallConstraint = fallConstraint
        self.location = location
    }
}

/// One Liberty `internal_power` group of a pin: the energy drawn inside the cell per transition,
/// beyond charging the load (which is ½·C·V² on the net).
///
/// Units: OpenSTA's convention (`LibertyReader::energyScale`): a table value is in
/// `voltage_unit² × capacitive_load_unit` (osu018: 1 V² × 1 pF = 1 pJ) and is converted to **fJ** on
/// reading; axes are in ns (`input_transition_time`) and fF (`total_output_net_capacitance`), like
/// timing tables. On an output pin, `risePower` is the energy of an output rise caused by a
/// transition of the related pin, `fallPower` of an output fall; on an input pin without
/// `related_pin` (a flop's clock, "passive" tables), the energy of that pin's own rise or fall.
/// A `power` table sets both.
public struct LibertyInternalPower: Sendable {
    /// The `related_pin` names, bit-level (empty when the group names none).
    public var relatedPins: [String]
    /// The `when` condition, if any.
    public var when: BooleanExpression?
    /// Energy per rising transition, fJ.
    public var risePower: LibertyTable?
    /// Energy per falling transition, fJ.
    public var fallPower: LibertyTable?
    /// Where the group starts in the file.
    public var location: SourceLocation?

    /// An `internal_power` group, tables already in fJ.
    public init(relatedPins: [String] = [], when: BooleanExpression? = nil, risePower: LibertyTable? = nil,
                fallPower: LibertyTable? = nil, location: SourceLocation? = nil) {
        self.relatedPins = relatedPins
        self.when = when
        self.risePower = risePower
        self.fallPower = fallPower
        self.location = location
    }
}

/// One Liberty `leakage_power` group of a cell: the static power in a state.
public struct LibertyLeakagePower: Sendable {
    /// The state it applies to (`when`); nil for the default.
    public var when: BooleanExpression?
    /// `value`, in nW (scaled by the library's `leakage_power_unit`; nW when the library states none).
    public var powerNW: Double
    /// Where the group starts in the file.
    public var location: SourceLocation?

    /// A `leakage_power` group of `powerNW` nW in state `when` (nil: the default).
    public init(when: BooleanExpression? = nil, powerNW: Double, location: SourceLocation? = nil) {
        self.when = when
        self.powerNW = powerNW
        self.location = location
    }
}

/// Pin direction.
public enum PinDirection: String, Sendable {
    case input, output, `inout`, `internal`
}

/// One bit-level pin of a cell (bus pins are expanded to `D[0]`, `D[1]`, …).
public struct LibertyPin: Sendable {
    /// Bit-level pin name, e.g. `A` or `D[3]`.
    public var name: String
    /// The pin's `direction`.
    public var direction: PinDirection
    /// `capacitance` in fF (0 when absent).
    public var capacitanceFF: Double
    /// `rise_capacitance` in fF (falls back to `capacitance`).
    public var riseCapacitanceFF: Double
    /// `fall_capacitance` in fF (falls back to `capacitance`).
    public var fallCapacitanceFF: Double
    /// The min (early) rise and fall capacitances in fF: the first values of `rise_capacitance_range` /
    /// `fall_capacitance_range`, otherwise the same as `riseCapacitanceFF`/`fallCapacitanceFF` (which hold
    /// the max). OpenSTA times a propagated clock's capture path early, with these.
    public var riseCapacitanceMinFF: Double
    /// The min (early) fall capacitance in fF (see `riseCapacitanceMinFF`).
    public var fallCapacitanceMinFF: Double
    /// The output `function`, if any.
    public var function: BooleanExpression?
    /// `three_state` enable, if any.
    public var threeState: BooleanExpression?
    /// `clock : true`.
    public var isClock: Bool
    /// Timing groups written inside this pin (arcs *to* this pin, or checks *on* this pin).
    public var timings: [LibertyTiming]
    /// `internal_power` groups written inside this pin (energies in fJ).
    public var internalPower: [LibertyInternalPower]

    /// A pin; rise and fall capacitances (fF) fall back to `capacitanceFF` when nil, their min values to the
    /// rise and fall capacitances.
    public init(name: String, direction: PinDirection, capacitanceFF: Double = 0,
                riseCapacitanceFF: Double? = nil, fallCapacitanceFF: Double? = nil,
                riseCapacitanceMinFF: Double? = nil, fallCapacitanceMinFF: Double? = nil,
                function: BooleanExpression? = nil, threeState: BooleanExpression? = nil,
                isClock: Bool = false, timings: [LibertyTiming] = [], internalPower: [LibertyInternalPower] = []) {
        self.name = name
        self.direction = direction
        self.capacitanceFF = capacitanceFF
        self.riseCapacitanceFF = riseCapacitanceFF ?? capacitanceFF
        self.fallCapacitanceFF = fallCapacitanceFF ?? capacitanceFF
        self.riseCapacitanceMinFF = riseCapacitanceMinFF ?? riseCapacitanceFF ?? capacitanceFF
        self.fallCapacitanceMinFF = fallCapacitanceMinFF ?? fallCapacitanceFF ?? capacitanceFF
        self.function = function
        self.threeState = threeState
        self.isClock = isClock
        self.timings = timings
        self.internalPower = internalPower
    }
}

/// A Liberty `ff` or `latch` group.
public struct LibertySequential: Sendable {
    /// Which group it is: `ff` (edge-triggered flip-flop) or `latch` (level-sensitive).
    public enum Kind: String, Sendable { case flipFlop = "ff", latch }
    /// Whether the group is an `ff` or a `latch`.
    public var kind: Kind
    /// The state variable names, e.g. `IQ` and `IQN`.
    public var stateVariable: String
    /// The inverted state variable name, e.g. `IQN`; empty when the group names only one.
    public var invertedStateVariable: String
    /// `clocked_on` (ff) or `enable` (latch).
    public var clockedOn: BooleanExpression?
    /// `next_state` (ff) or `data_in` (latch).
    public var nextState: BooleanExpression?
    /// `clear`: the condition that forces the state to 0, if any.
    public var clear: BooleanExpression?
    /// `preset`: the condition that forces the state to 1, if any.
    public var preset: BooleanExpression?

    /// A sequential group; `clear` and `preset` default to absent.
    public init(kind: Kind, stateVariable: String, invertedStateVariable: String,
                clockedOn: BooleanExpression?, nextState: BooleanExpression?,
                clear: BooleanExpression? = nil, preset: BooleanExpression? = nil) {
        self.kind = kind
        self.stateVariable = stateVariable
        self.invertedStateVariable = invertedStateVariable
        self.clockedOn = clockedOn
        self.nextState = nextState
        self.clear = clear
        self.preset = preset
    }
}

/// A standard cell.
public struct LibertyCell: Sendable {
    /// The cell's name, as instances refer to it (e.g. `NAND2X1`).
    public var name: String
    /// `area`, in the library's area unit (0 when absent).
    public var area: Double
    /// The cell's bit-level pins.
    public var pins: [LibertyPin]
    /// `ff` and `latch` groups (empty for a combinational cell).
    public var sequentials: [LibertySequential]
    /// `cell_leakage_power`, in the library's leakage power unit (as written; multiply by
    /// `LibertyLibrary.leakagePowerUnitNW` for nW).
    public var leakagePower: Double?
    /// Where the cell group starts in the file.
    public var location: SourceLocation?
    /// State-dependent `leakage_power` groups (in nW).
    public var leakagePowers: [LibertyLeakagePower]

    /// A cell; `leakagePower` in the library's leakage power unit, `leakagePowers` in nW.
    public init(name: String, area: Double = 0, pins: [LibertyPin] = [], sequentials: [LibertySequential] = [],
                leakagePower: Double? = nil, location: SourceLocation? = nil, leakagePowers: [LibertyLeakagePower] = []) {
        self.name = name
        self.area = area
        self.pins = pins
        self.sequentials = sequentials
        self.leakagePower = leakagePower
        self.location = location
        self.leakagePowers = leakagePowers
    }

    /// The index of the pin named `name`, if any.
    public func pinIndex(_ name: String) -> Int? {
        pins.firstIndex { $0.name == name }
    }

    /// True when the cell has an `ff` or `latch` group.
    public var isSequential: Bool { !sequentials.isEmpty }
}

/// The measurement thresholds a library's delays and slews were characterized at, as fractions of the
/// supply (Liberty `input_threshold_pct_*`, `output_threshold_pct_*`, `slew_lower/upper_threshold_pct_*`,
/// `slew_derate_from_library`; OpenSTA's defaults 50 %, 50 %, 20 %, 80 % and 1 when absent).
///
/// OpenSTA converts a delay and slew from a driver of one library to a load of another when their
/// thresholds differ (`DelayCalcBase::thresholdAdjust`); Halo refuses such a mix (see `TimingGraph`).
public struct SlewThresholds: Sendable, Equatable {
    /// `input_threshold_pct_rise`, `_fall` as fractions.
    public var input: [Double] = [0.5, 0.5]
    /// `output_threshold_pct_rise`, `_fall` as fractions.
    public var output: [Double] = [0.5, 0.5]
    /// `slew_lower_threshold_pct_rise`, `_fall` as fractions.
    public var slewLower: [Double] = [0.2, 0.2]
    /// `slew_upper_threshold_pct_rise`, `_fall` as fractions.
    public var slewUpper: [Double] = [0.8, 0.8]
    /// `slew_derate_from_library`.
    public var slewDerate: Double = 1

    /// OpenSTA's defaults.
    public init() {}
}

/// A Liberty library, units normalized (ns, fF).
public final class LibertyLibrary: @unchecked Sendable {
    /// The `library` group's name.
    public let name: String
    /// The file it was read from (or a label for built-in libraries).
    public let path: String
    /// The cells, in the order written.
    public let cells: [LibertyCell]
    /// `nom_voltage` in V, if stated.
    public let nominalVoltage: Double?
    /// The library's own `time_unit` in ns (1 for `1ns`, 0.001 for `1ps`); values are already scaled.
    public let timeUnitNs: Double
    /// The library's own `capacitive_load_unit` in fF (1000 for `(1,pf)`); values are already scaled.
    public let capacitiveLoadUnitFF: Double
    /// The library's own `voltage_unit` in V (1 for `1V`).
    public let voltageUnitV: Double
    /// The library's own `leakage_power_unit` in nW (1 for `1nW`), nil when the library states none.
    /// `cell_leakage_power` values are as written: multiply by this (or 1 when nil) for nW.
    public let leakagePowerUnitNW: Double?
    /// The unit of `internal_power` tables as written, in fJ: `voltage_unit² × capacitive_load_unit`
    /// (OpenSTA's convention; 1000 for osu018's 1 V and 1 pF). Table values are already scaled to fJ.
    public var internalEnergyUnitFJ: Double { voltageUnitV * voltageUnitV * capacitiveLoadUnitFF }
    /// The measurement thresholds of the library's tables.
    public let slewThresholds: SlewThresholds
    /// The `default_operating_conditions` at which the library's `k_` scale factors were applied to its
    /// tables and capacitances (nil when it names none, or none that exists: nothing scaled).
    public let operatingConditionsName: String?
    private let cellIndexByName: [String: Int]

    /// A library of cells already in ns and fF; the unit arguments record the file's own units (defaults 1 ns, 1 fF, 1 V),
    /// `slewThresholds` its tables' measurement thresholds and `operatingConditionsName` the conditions its
    /// scale factors were applied at. Immutable once made (shared by every thread of a sweep).
    public init(name: String, path: String, cells: [LibertyCell], nominalVoltage: Double? = nil,
                timeUnitNs: Double = 1, capacitiveLoadUnitFF: Double = 1, voltageUnitV: Double = 1,
                leakagePowerUnitNW: Double? = nil, slewThresholds: SlewThresholds = SlewThresholds(),
                operatingConditionsName: String? = nil) {
        self.name = name
        self.path = path
        self.cells = cells
        self.nominalVoltage = nominalVoltage
        self.timeUnitNs = timeUnitNs
        self.capacitiveLoadUnitFF = capacitiveLoadUnitFF
        self.voltageUnitV = voltageUnitV
        self.leakagePowerUnitNW = leakagePowerUnitNW
        self.slewThresholds = slewThresholds
        self.operatingConditionsName = operatingConditionsName
        var index: [String: Int] = [:]
        for (i, c) in cells.enumerated() where index[c.name] == nil { index[c.name] = i }
        cellIndexByName = index
    }

    /// The cell named `name`, if the library has it.
    public func cell(named name: String) -> LibertyCell? {
        cellIndexByName[name].map { cells[$0] }
    }
}
