import Foundation
import HaloCore

/// Reads Liberty (`.lib`) files into `LibertyLibrary` models, normalizing units to ns and fF.
///
/// Supported: nested groups, simple/complex attributes, quoted and unquoted values, `\` line
/// continuations, `/* */` and `//` comments; library units (`time_unit`, `capacitive_load_unit`,
/// `voltage_unit`, `nom_voltage`); `lu_table_template`s; cells with `pin`, `pin(A, B)`, `bus`
/// (through `type` groups), `bundle`; `timing` groups with NLDM delay, transition and constraint
/// tables; `ff` and `latch` groups; `internal_power` groups of pins (`rise_power`, `fall_power`, `power`
/// tables through `power_lut_template`s, scaled to fJ as OpenSTA does: `voltage_unit² ×
/// capacitive_load_unit`), `leakage_power` groups of cells (scaled to nW by `leakage_power_unit`).
/// CCS, OCV and other groups are skipped.
/// Every read is independent: there is no global state.
public enum LibertyReader {
    /// Reads a .lib file (or a gzip-compressed one, `.lib.gz`). Throws HaloError with location on malformed
    /// input, and `path: error: …` for a file that cannot be read; warnings go to `diagnostics`.
    public static func read(path: String, diagnostics: DiagnosticSink? = nil) throws -> LibertyLibrary {
        let data = try InputFile.readDecompressing(path)
        return try data.withUnsafeBytes { raw in
            try parse(bytes: raw.bindMemory(to: UInt8.self), path: path, diagnostics: diagnostics)
        }
    }

    /// Same, from text already in memory; `path` is used for locations.
    public static func parse(text: String, path: String, diagnostics: DiagnosticSink? = nil) throws -> LibertyLibrary {
        var text = text
        return try text.withUTF8 { buffer in
            try parse(bytes: buffer, path: path, diagnostics: diagnostics)
        }
    }

    /// Parses a UTF-8 buffer (valid for the duration of the call).
    static func parse(bytes: UnsafeBufferPointer<UInt8>, path: String, diagnostics: DiagnosticSink?) throws -> LibertyLibrary {
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            // gzip-compressed text (read(path:) decompresses files; this is the same for bytes in memory).
            let data = try Gzip.decompress(Data(bytes), path: path)
            return try data.withUnsafeBytes { raw in
                try parse(bytes: raw.bindMemory(to: UInt8.self), path: path, diagnostics: diagnostics)
            }
        }
        let tree = try LibertyParser.parse(bytes: bytes, path: path)
        let builder = LibertyModelBuilder(tree: tree, diagnostics: diagnostics)
        return try builder.build()
    }
}

// MARK: - Syntax tree → model

/// A `lu_table_template`: axis variables and default break points (as written, not yet scaled).
private struct TableTemplate {
    var variables: [TableVariable]
    var indices: [[Double]?]
}

/// A bus `type` group: bits from `from` to `to`, inclusive, in that order.
private struct BusType {
    var from: Int
    var to: Int
    var width: Int { abs(to - from) + 1 }
    var bits: [Int] { from <= to ? Array(from...to) : Array((to...from).reversed()) }
}

/// A pin under construction (attributes may come from a bus/bundle group and from its own pin group).
///
/// Capacitance follows OpenSTA's `LibertyReader::readCapacitance`: `capacitance` sets every
/// (transition, min/max) slot, `rise_capacitance`/`fall_capacitance` override one transition, and
/// `rise_capacitance_range (MIN, MAX)` / `fall_…` override the min and max slots of one transition.
/// A slot never set takes the library's `default_input_pin_cap` (inputs), `default_output_pin_cap`
/// (outputs, three-state outputs) or `default_inout_pin_cap` (inout). Halo times max (setup) paths, so
/// the max slots are the pin's capacitance, as OpenSTA's `loadCap(…, MinMax::max())`.
private struct PinState {
    var name: String
    var direction: PinDirection?
    var capacitance: Double?
    var riseCapacitance: Double?
    var fallCapacitance: Double?
    /// The (min, max) of `rise_capacitance_range`/`fall_capacitance_range`.
    var riseCapacitanceRange: (Double, Double)?
    var fallCapacitanceRange: (Double, Double)?
    var function: BooleanExpression?
    var threeState: BooleanExpression?
    var isClock = false
    var timings: [LibertyTiming] = []
    var internalPower: [LibertyInternalPower] = []

    /// The finished pin; `defaults` are the library's default pin capacitances (fF), `capScale` its
    /// `pin_cap` scale factor at the operating conditions.
    func finish(defaults: DefaultPinCapacitance, capScale: Double) -> LibertyPin {
        let direction = self.direction ?? (function != nil ? .output : .input)
        let fallback: Double
        switch direction {
        case .input: fallback = defaults.input
        case .output: fallback = defaults.output
        case .inout: fallback = defaults.bidirectional
        case .internal: fallback = 0
        }
        let rise = riseCapacitanceRange?.1 ?? riseCapacitance ?? capacitance ?? fallback
        let fall = fallCapacitanceRange?.1 ?? fallCapacitance ?? capacitance ?? fallback
        let riseMin = riseCapacitanceRange?.0 ?? riseCapacitance ?? capacitance ?? fallback
        let fallMin = fallCapacitanceRange?.0 ?? fallCapacitance ?? capacitance ?? fallback
        let plain = capacitance ?? max(rise, fall)
        return LibertyPin(name: name, direction: direction, capacitanceFF: plain * capScale,
                          riseCapacitanceFF: rise * capScale, fallCapacitanceFF: fall * capScale,
                          riseCapacitanceMinFF: riseMin * capScale, fallCapacitanceMinFF: fallMin * capScale,
                          function: function, threeState: threeState, isClock: isClock, timings: timings,
                          internalPower: internalPower)
    }
}

/// The library's `default_input_pin_cap`, `default_output_pin_cap` and `default_inout_pin_cap`, in fF
/// (0 when absent, as OpenSTA).
private struct DefaultPinCapacitance {
    var input = 0.0
    var output = 0.0
    var bidirectional = 0.0
}

/// Liberty `k_<pvt>_<kind>` scale factors of one group (the library's own, or a named
/// `scaling_factors` group that cells select with `scaling_factors : NAME`), evaluated as OpenSTA's
/// `LibertyLibrary::scaleFactor`: for each of process, temperature and voltage,
/// `1 + (condition − nominal) × k`, multiplied; at the `default_operating_conditions`. Without default
/// operating conditions every factor is 1 (OpenSTA then uses nominal conditions).
private struct ScaleFactors {
    /// `k_…` attribute name → value.
    var k: [String: Double] = [:]

    /// How a kind's name takes its rise/fall part, as OpenSTA's `scaleFactorTypeRiseFall*` helpers.
    enum Style { case suffix, prefix, none }

    /// The factor for `kind` (e.g. `cell`, `transition`, `setup`, `pin_cap`, `internal_power`) and a
    /// transition (0 rise, 1 fall), with `delta` = condition − nominal for (process, temp, volt).
    func factor(_ kind: String, _ style: Style, rf: Int, delta: (Double, Double, Double)) -> Double {
        let edge = rf == 0 ? "rise" : "fall"
        func value(_ pvt: String) -> Double {
            let name: String
            switch style {
            case .suffix: name = "k_\(pvt)_\(kind)_\(edge)"
            case .prefix: name = "k_\(pvt)_\(edge)_\(kind)"
            case .none: name = "k_\(pvt)_\(kind)"
            }
            return k[name] ?? 0
        }
        // OpenSTA computes in single precision; the factor is exactly 1 at nominal conditions.
        let p = Float(1) + Float(delta.0) * Float(value("process"))
        let t = Float(1) + Float(delta.1) * Float(value("temp"))
        let v = Float(1) + Float(delta.2) * Float(value("volt"))
        return Double(p * t * v)
    }
}

/// A `related_pin` / `related_bus_pins` entry, already expanded to bit names.
private struct RelatedReference {
    var name: String
    var bits: [String]
    /// From `related_bus_pins`: every bit relates to every target bit.
    var crossProduct: Bool
}

/// A `timing` group read once, to be attached to each pin of its pin/bus group.
private struct ParsedTiming {
    var related: [RelatedReference]
    var timing: LibertyTiming
}

/// An `internal_power` group read once, to be attached to each pin of its pin/bus group.
private struct ParsedInternalPower {
    var related: [RelatedReference]
    var power: LibertyInternalPower
}

/// The pins of one cell while it is being read.
private struct CellPins {
    var states: [PinState] = []
    var indexByName: [String: Int] = [:]
    /// Bus and bundle names → their bit (member) names, in declaration order.
    var groupsOfBits: [String: [String]] = [:]
    /// State variables of `ff`/`latch` groups (`IQ`, `IQN`) and internal nodes of `statetable`s, which
    /// functions may name besides the pins.
    var stateVariables: Set<String> = []

    @discardableResult
    mutating func declare(_ name: String) -> Int {
        if let i = indexByName[name] { return i }
        states.append(PinState(name: name))
        indexByName[name] = states.count - 1
        return states.count - 1
    }
}

/// Groups that are legitimate Liberty but not needed by Halo: skipped without a warning.
private let silentlySkippedGroups: Set<String> = [
    "internal_power", "leakage_power", "operating_conditions", "wire_load", "wire_load_selection",
    "wire_load_table", "power_lut_template", "power_poly_template", "output_current_template",
    "ocv_table_template", "compact_lut_template", "maxtrans_lut_template", "maxcap_lut_template",
    "em_lut_template", "noise_lut_template", "iv_lut_template", "propagation_lut_template",
    "poly_template", "base_curves", "normalized_driver_waveform", "input_voltage", "output_voltage",
    "power_supply", "scaling_factors", "timing_range", "part", "model", "char_config",
    "va_parameters", "pg_pin", "statetable", "test_cell", "dynamic_current", "leakage_current",
    "gate_leakage", "intrinsic_parasitic", "mode_definition", "functional_yield_metric",
    "generated_clock", "rise_power", "fall_power", "power", "electromigration", "tlatch",
    "retaining_rise", "retaining_fall", "retain_rise_slew", "retain_fall_slew", "cell_degradation",
    "pin_capacitance", "lut", "user_parameters", "sensitization", "dc_current", "input_ccb",
    "output_ccb", "pg_current", "switching_group", "memory", "memory_read", "memory_write",
    "interface_timing", "fpga_isd", "routing_track", "critical_area_table", "critical_area_lut_template",
    "dcm_timing", "em_max_toggle_rate", "lu_table_template_ccs", "min_pulse_width", "minimum_period",
    "max_trans", "max_cap", "hyperbolic_noise_above_high", "hyperbolic_noise_below_low",
    "hyperbolic_noise_high", "hyperbolic_noise_low",
]

private let silentlySkippedPrefixes: [String] = [
    "output_current_", "ccsn_", "receiver_capacitance", "ocv_", "compact_ccs_", "noise_immunity_",
    "propagated_noise_", "steady_state_current_", "fpga_", "k_process_", "k_temp_", "k_volt_",
    "pg_", "dynamic_current", "ccs_", "input_signal_", "ecsm_",
]

private func isSilentlySkipped(_ name: String) -> Bool {
    if silentlySkippedGroups.contains(name) { return true }
    for prefix in silentlySkippedPrefixes where name.hasPrefix(prefix) { return true }
    return false
}

/// Turns the generic syntax tree into the Liberty model.
private final class LibertyModelBuilder {
    let tree: LibertySyntaxTree
    let diagnostics: DiagnosticSink?

    var timeUnitNs = 1.0
    var capacitiveUnitFF = 1000.0   // Liberty default: 1 pF
    var voltageUnitV = 1.0
    /// `leakage_power_unit` in nW, if stated.
    var leakageUnitNW: Double?
    var templates: [String: TableTemplate] = [:]
    /// `power_lut_template`s (a separate namespace from `lu_table_template`s).
    var powerTemplates: [String: TableTemplate] = [:]
    var libraryBusTypes: [String: BusType] = [:]
    /// Names declared with `define_group`: user groups, skipped silently.
    var userGroups: Set<String> = []
    /// `bus_naming_style` split around `%s` and `%d`.
    var busStyle = (prefix: "", middle: "[", suffix: "]")
    /// `default_*_pin_cap`, fF.
    var defaultPinCap = DefaultPinCapacitance()
    /// The library's own `k_` factors and its named `scaling_factors` groups.
    var libraryScaleFactors = ScaleFactors()
    var namedScaleFactors: [String: ScaleFactors] = [:]
    /// The scale factors of the cell being read (its `scaling_factors`, else the library's).
    var cellScaleFactors = ScaleFactors()
    /// `default_operating_conditions` − nominal, for (process, temperature, voltage); zero when the
    /// library names no default operating conditions.
    var pvtDelta = (0.0, 0.0, 0.0)

    init(tree: LibertySyntaxTree, diagnostics: DiagnosticSink?) {
        self.tree = tree
        self.diagnostics = diagnostics
    }

    // MARK: Helpers

    func name(_ g: LibertyGroupNode) -> String { tree.name(g.name) }
    func name(_ a: LibertyAttribute) -> String { tree.name(a.name) }

    func error(_ message: String, at value: LibertyValue) -> HaloError {
        HaloError(message, at: tree.location(of: value))
    }

    func error(_ message: String, at attribute: LibertyAttribute) -> HaloError {
        HaloError(message, at: tree.location(of: attribute))
    }

    func error(_ message: String, at group: LibertyGroupNode) -> HaloError {
        HaloError(message, at: tree.location(of: group))
    }

    func excerpt(_ s: String) -> String { LibertyBytes.excerpt(s) }

    /// Warns about an unknown group once per kind, unless it is a known group Halo does not need.
    func skipGroup(_ g: LibertyGroupNode) {
        let n = name(g)
        if isSilentlySkipped(n) || userGroups.contains(n) { return }
        diagnostics?.warnOnce(key: "liberty-unknown-group:\(n)", "skipping unknown Liberty group '\(excerpt(n))'",
                              at: tree.location(of: g))
    }

    /// The single value of a simple attribute (or the first of a complex one).
    func singleValue(_ a: LibertyAttribute) throws -> LibertyValue {
        let values = tree.values(of: a)
        guard let v = values.first else {
            throw error("attribute '\(excerpt(name(a)))' has no value", at: a)
        }
        if values.count > 1, let extra = values.dropFirst().first {
            throw error("attribute '\(excerpt(name(a)))' takes one value, found '\(excerpt(tree.text(extra)))'", at: extra)
        }
        return v
    }

    func string(_ a: LibertyAttribute) throws -> String {
        tree.text(try singleValue(a))
    }

    func number(_ value: LibertyValue) throws -> Double {
        if value.kind != .raw && !value.hasEscape {
            // Tolerate blanks inside quotes: " 1.5 ".
            var s = value.start, e = value.end
            while s < e, tree.bytes[s] == 0x20 || tree.bytes[s] == 0x09 { s += 1 }
            while e > s, tree.bytes[e - 1] == 0x20 || tree.bytes[e - 1] == 0x09 { e -= 1 }
            if let x = LibertyBytes.number(tree.bytes, s, e), x.isFinite { return x }
        }
        throw error("malformed number '\(excerpt(tree.text(value)))'", at: value)
    }

    func number(_ a: LibertyAttribute) throws -> Double {
        try number(try singleValue(a))
    }

    func boolean(_ a: LibertyAttribute) throws -> Bool {
        let v = try singleValue(a)
        if tree.textEquals(v, "true") { return true }
        if tree.textEquals(v, "false") { return false }
        throw error("expected 'true' or 'false' for '\(excerpt(name(a)))', found '\(excerpt(tree.text(v)))'", at: v)
    }

    /// Parses the numbers of a list such as `"0.1, 0.2, 0.3"` (several values are concatenated).
    func numberList(_ values: ArraySlice<LibertyValue>, into out: inout [Double]) throws {
        let bytes = tree.bytes
        for value in values {
            var i = value.start
            let end = value.end
            var previousWasComma = false
            while i < end {
                let c = bytes[i]
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C {
                    i += 1
                    continue
                }
                if c == 0x5C, let nl = LibertyLexer.continuationNewline(bytes, at: i), nl < end {
                    i = nl + 1
                    continue
                }
                if c == 0x2C {
                    if previousWasComma {
                        throw HaloError("empty entry in number list '\(excerpt(tree.text(value)))'",
                                        at: tree.location(ofOffset: i, in: value))
                    }
                    previousWasComma = true
                    i += 1
                    continue
                }
                let itemStart = i
                while i < end {
                    let d = bytes[i]
                    if d == 0x2C || d == 0x20 || d == 0x09 || d == 0x0A || d == 0x0D || d == 0x0B || d == 0x0C { break }
                    if d == 0x5C, LibertyLexer.continuationNewline(bytes, at: i) != nil { break }
                    i += 1
                }
                guard let x = LibertyBytes.number(bytes, itemStart, i), x.isFinite else {
                    throw HaloError("malformed number '\(excerpt(LibertyBytes.string(bytes, itemStart, i)))'",
                                    at: tree.location(ofOffset: itemStart, in: value))
                }
                out.append(x)
                previousWasComma = false
            }
        }
    }

    /// Reads an `index_N` attribute: its break points, which must be strictly increasing (equal or
    /// decreasing points would make interpolation divide by zero). `owner` names the template or table.
    func indexList(_ a: LibertyAttribute, owner: String) throws -> [Double] {
        var list: [Double] = []
        let values = tree.values(of: a)
        try numberList(values, into: &list)
        if zip(list, list.dropFirst()).contains(where: { !($0 < $1) }) {
            let written = values.map { tree.text($0) }.joined(separator: ", ")
            throw error("\(name(a)) of \(owner) is not strictly increasing ('\(excerpt(written))')", at: a)
        }
        return list
    }

    /// Parses a Boolean attribute value in place, with errors located inside the file.
    func expression(_ a: LibertyAttribute) throws -> BooleanExpression {
        let value = try singleValue(a)
        let tree = self.tree
        var parser = BooleanExpressionParser(bytes: tree.bytes, start: value.start, end: value.end) { offset in
            tree.location(ofOffset: offset, in: value)
        }
        return try parser.parse()
    }

    // MARK: Library

    func build() throws -> LibertyLibrary {
        let root = tree.groups[tree.root]
        guard name(root) == "library" else {
            throw error("expected 'library' group, found '\(excerpt(name(root)))'", at: root)
        }
        guard let nameValue = tree.arguments(of: root).first else {
            throw error("library group has no name", at: root)
        }
        let libraryName = tree.text(nameValue)

        // Units first, wherever they are written in the group.
        var nominalVoltage: LibertyAttribute?
        var nominalProcess = 0.0, nominalTemperature = 0.0
        var defaultOperatingConditions: LibertyAttribute?
        var thresholds = SlewThresholds()
        for a in root.attributes {
            let n = name(a)
            switch n {
            case "time_unit": timeUnitNs = try timeUnit(a)
            case "capacitive_load_unit": capacitiveUnitFF = try capacitiveLoadUnit(a)
            case "voltage_unit": voltageUnitV = try voltageUnit(a)
            case "leakage_power_unit": leakageUnitNW = try powerUnit(a)
            case "nom_voltage": nominalVoltage = a
            case "nom_process": nominalProcess = try number(a)
            case "nom_temperature": nominalTemperature = try number(a)
            case "default_operating_conditions": defaultOperatingConditions = a
            case "bus_naming_style": try readBusNamingStyle(a)
            case "define_group":
                if let v = tree.values(of: a).first { userGroups.insert(tree.text(v)) }
            case "include_file":
                diagnostics?.warn("include_file is not supported; the included file is not read", at: tree.location(of: a))
            case "delay_model":
                let v = try singleValue(a)
                let model = tree.text(v)
                guard model == "table_lookup" else {
                    throw error("delay_model '\(excerpt(model))' is not supported: Halo reads NLDM tables (delay_model : table_lookup)", at: v)
                }
            case "input_threshold_pct_rise": thresholds.input[0] = try percent(a)
            case "input_threshold_pct_fall": thresholds.input[1] = try percent(a)
            case "output_threshold_pct_rise": thresholds.output[0] = try percent(a)
            case "output_threshold_pct_fall": thresholds.output[1] = try percent(a)
            case "slew_lower_threshold_pct_rise": thresholds.slewLower[0] = try percent(a)
            case "slew_lower_threshold_pct_fall": thresholds.slewLower[1] = try percent(a)
            case "slew_upper_threshold_pct_rise": thresholds.slewUpper[0] = try percent(a)
            case "slew_upper_threshold_pct_fall": thresholds.slewUpper[1] = try percent(a)
            case "slew_derate_from_library": thresholds.slewDerate = try number(a)
            default:
                if n.hasPrefix("k_") { libraryScaleFactors.k[n] = try number(a) }
            }
        }
        // Pin capacitance defaults (after the capacitance unit, wherever that is written).
        for a in root.attributes {
            switch name(a) {
            case "default_input_pin_cap": defaultPinCap.input = try number(a) * capacitiveUnitFF
            case "default_output_pin_cap": defaultPinCap.output = try number(a) * capacitiveUnitFF
            case "default_inout_pin_cap": defaultPinCap.bidirectional = try number(a) * capacitiveUnitFF
            default: break
            }
        }
        let nominal = try nominalVoltage.map { try number($0) * voltageUnitV }

        // Operating conditions and scale factors: OpenSTA scales tables and pin capacitances by the
        // `k_` factors at the library's default operating conditions.
        var operatingConditions: [String: (Double, Double, Double)] = [:]
        for child in root.children {
            let g = tree.groups[child]
            switch name(g) {
            case "operating_conditions":
                guard let arg = tree.arguments(of: g).first else { continue }
                var pvt = (0.0, 0.0, 0.0)
                for a in g.attributes {
                    switch name(a) {
                    case "process": pvt.0 = try number(a)
                    case "temperature": pvt.1 = try number(a)
                    case "voltage": pvt.2 = try number(a)
                    default: break
                    }
                }
                operatingConditions[tree.text(arg)] = pvt
            case "scaling_factors":
                guard let arg = tree.arguments(of: g).first else { continue }
                var factors = ScaleFactors()
                for a in g.attributes where name(a).hasPrefix("k_") { factors.k[name(a)] = try number(a) }
                namedScaleFactors[tree.text(arg)] = factors
            default: break
            }
        }
        var operatingConditionsName: String?
        if let a = defaultOperatingConditions {
            let v = try singleValue(a)
            let conditionsName = tree.text(v)
            if let pvt = operatingConditions[conditionsName] {
                // OpenSTA reads the condition's voltage as written and nom_voltage in voltage_unit.
                pvtDelta = (pvt.0 - nominalProcess, pvt.1 - nominalTemperature, pvt.2 - (nominal ?? 0))
                operatingConditionsName = conditionsName
            } else if !(libraryScaleFactors.k.values.allSatisfy { $0 == 0 } && namedScaleFactors.values.allSatisfy { $0.k.values.allSatisfy { $0 == 0 } }) {
                // Only where it changes a number: k-factors that would have scaled the tables.
                diagnostics?.warn("default_operating_conditions '\(excerpt(conditionsName))' not found; the k_ scale factors are not applied",
                                  at: tree.location(of: v))
            }
        }

        // Templates and bus types before cells, wherever they are written.
        for child in root.children {
            let g = tree.groups[child]
            switch name(g) {
            case "lu_table_template": try readTemplate(g)
            case "power_lut_template": try readTemplate(g, power: true)
            case "type": try readBusType(g, into: &libraryBusTypes)
            default: break
            }
        }

        var cells: [LibertyCell] = []
        var cellNames: Set<String> = []
        for child in root.children {
            let g = tree.groups[child]
            switch name(g) {
            case "lu_table_template", "power_lut_template", "type", "operating_conditions", "scaling_factors":
                break
            case "cell":
                let cell = try readCell(g)
                if cellNames.insert(cell.name).inserted {
                    cells.append(cell)
                } else {
                    diagnostics?.warn("cell '\(excerpt(cell.name))' is defined again; keeping the first definition",
                                      at: tree.location(of: g))
                }
            default:
                skipGroup(g)
            }
        }
        let library = LibertyLibrary(name: libraryName, path: tree.path, cells: cells, nominalVoltage: nominal,
                                     timeUnitNs: timeUnitNs, capacitiveLoadUnitFF: capacitiveUnitFF,
                                     voltageUnitV: voltageUnitV, leakagePowerUnitNW: leakageUnitNW, slewThresholds: thresholds,
                                     operatingConditionsName: operatingConditionsName)
        return library
    }

    /// A `*_pct_*` threshold attribute as a fraction (OpenSTA: value / 100).
    func percent(_ a: LibertyAttribute) throws -> Double {
        try number(a) / 100
    }

    /// The scale factor of the cell being read for a kind of value and a transition (0 rise, 1 fall).
    func scale(_ kind: String, _ style: ScaleFactors.Style, rf: Int = 0) -> Double {
        cellScaleFactors.factor(kind, style, rf: rf, delta: pvtDelta)
    }

    /// `time_unit : "1ns"` → ns per unit.
    func timeUnit(_ a: LibertyAttribute) throws -> Double {
        let v = try singleValue(a)
        let text = tree.text(v)
        let scales: [String: Double] = ["s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1, "ps": 1e-3, "fs": 1e-6]
        guard let x = scaledUnit(text, scales) else {
            throw error("unknown time_unit '\(excerpt(text))' (expected e.g. \"1ns\", \"100ps\", \"1ps\")", at: v)
        }
        return x
    }

    /// `voltage_unit : "1V"` → V per unit.
    func voltageUnit(_ a: LibertyAttribute) throws -> Double {
        let v = try singleValue(a)
        let text = tree.text(v)
        guard let x = scaledUnit(text, ["v": 1, "mv": 1e-3, "uv": 1e-6, "kv": 1e3]) else {
            throw error("unknown voltage_unit '\(excerpt(text))' (expected e.g. \"1V\", \"1mV\")", at: v)
        }
        return x
    }

    /// `leakage_power_unit : "1nW"` → nW per unit.
    func powerUnit(_ a: LibertyAttribute) throws -> Double {
        let v = try singleValue(a)
        let text = tree.text(v)
        guard let x = scaledUnit(text, ["w": 1e9, "mw": 1e6, "uw": 1e3, "nw": 1, "pw": 1e-3, "fw": 1e-6]) else {
            throw error("unknown leakage_power_unit '\(excerpt(text))' (expected e.g. \"1nW\", \"1pW\")", at: v)
        }
        return x
    }

    /// `<1|10|100><unit>` with an optional number, e.g. `1ns`, `100ps`.
    func scaledUnit(_ text: String, _ scales: [String: Double]) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let suffix = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let multiplier = digits.isEmpty ? 1.0 : Double(String(digits))
        guard let m = multiplier, m > 0, m.isFinite, let s = scales[suffix] else { return nil }
        return m * s
    }

    /// `capacitive_load_unit (1, pf)` → fF per unit.
    func capacitiveLoadUnit(_ a: LibertyAttribute) throws -> Double {
        let values = Array(tree.values(of: a))
        guard values.count == 2 else {
            throw error("capacitive_load_unit takes a number and 'ff' or 'pf', e.g. capacitive_load_unit (1, pf)", at: a)
        }
        let scale = try number(values[0])
        guard scale > 0 else {
            throw error("capacitive_load_unit scale must be positive, found '\(excerpt(tree.text(values[0])))'", at: values[0])
        }
        let unit = tree.text(values[1]).lowercased()
        switch unit {
        case "ff": return scale
        case "pf": return scale * 1e3
        case "nf": return scale * 1e6
        case "af": return scale * 1e-3
        default:
            throw error("unknown capacitive_load_unit '\(excerpt(tree.text(values[1])))' (expected 'ff' or 'pf')", at: values[1])
        }
    }

    func readBusNamingStyle(_ a: LibertyAttribute) throws {
        let v = try singleValue(a)
        let style = tree.text(v)
        guard let s = style.range(of: "%s"), let d = style.range(of: "%d"), s.upperBound <= d.lowerBound else {
            diagnostics?.warn("unknown bus_naming_style '\(excerpt(style))'; using %s[%d]", at: tree.location(of: v))
            return
        }
        busStyle = (String(style[..<s.lowerBound]), String(style[s.upperBound..<d.lowerBound]), String(style[d.upperBound...]))
    }

    func bitName(_ base: String, _ bit: Int) -> String {
        busStyle.prefix + base + busStyle.middle + String(bit) + busStyle.suffix
    }

    // MARK: Templates and types

    static func variable(_ text: String) -> TableVariable {
        TableVariable(rawValue: text) ?? .unknown
    }

    func readTemplate(_ g: LibertyGroupNode, power: Bool = false) throws {
        let kind = power ? "power_lut_template" : "lu_table_template"
        guard let nameValue = tree.arguments(of: g).first else {
            throw error("\(kind) has no name", at: g)
        }
        let templateName = tree.text(nameValue)
        var variables: [TableVariable?] = [nil, nil, nil]
        var variableAttributes: [LibertyAttribute?] = [nil, nil, nil]
        var indices: [[Double]?] = [nil, nil, nil]
        for a in g.attributes {
            let n = name(a)
            switch n {
            case "variable_1", "variable_2", "variable_3":
                let k = n == "variable_1" ? 0 : (n == "variable_2" ? 1 : 2)
                variables[k] = LibertyModelBuilder.variable(try string(a))
                variableAttributes[k] = a
            case "index_1", "index_2", "index_3":
                let k = n == "index_1" ? 0 : (n == "index_2" ? 1 : 2)
                indices[k] = try indexList(a, owner: "'\(excerpt(templateName))'")
            default: break
            }
        }
        for child in g.children { skipGroup(tree.groups[child]) }
        var count = 0
        while count < 3, variables[count] != nil { count += 1 }
        for k in count..<3 {
            if let a = variableAttributes[k] {
                throw error("\(kind) '\(excerpt(templateName))' has variable_\(k + 1) but no variable_\(count + 1)", at: a)
            }
        }
        let template = TableTemplate(variables: variables.prefix(count).compactMap { $0 }, indices: Array(indices.prefix(count)))
        if power { powerTemplates[templateName] = template } else { templates[templateName] = template }
    }

    func readBusType(_ g: LibertyGroupNode, into types: inout [String: BusType]) throws {
        guard let nameValue = tree.arguments(of: g).first else {
            throw error("type group has no name", at: g)
        }
        var from: Int?, to: Int?, width: Int?
        var downto = false
        func integer(_ a: LibertyAttribute) throws -> Int {
            let v = try singleValue(a)
            let x = try number(v)
            guard x == x.rounded(), abs(x) <= 1_000_000 else {
                throw error("expected an integer for '\(name(a))', found '\(excerpt(tree.text(v)))'", at: v)
            }
            return Int(x)
        }
        for a in g.attributes {
            switch name(a) {
            case "bit_from": from = try integer(a)
            case "bit_to": to = try integer(a)
            case "bit_width": width = try integer(a)
            case "downto": downto = try boolean(a)
            default: break
            }
        }
        let typeName = tree.text(nameValue)
        var type: BusType
        if let from, let to {
            type = BusType(from: from, to: to)
        } else if let width, width > 0 {
            type = downto ? BusType(from: width - 1, to: 0) : BusType(from: 0, to: width - 1)
        } else {
            throw error("type '\(excerpt(typeName))' needs bit_from and bit_to (or bit_width)", at: g)
        }
        if let width, width != type.width {
            diagnostics?.warn("type '\(excerpt(typeName))' has bit_width \(width) but bit_from/bit_to span \(type.width) bits",
                              at: tree.location(of: g))
        }
        types[typeName] = type
    }

    // MARK: Cells

    func readCell(_ g: LibertyGroupNode) throws -> LibertyCell {
        guard let nameValue = tree.arguments(of: g).first else {
            throw error("cell group has no name", at: g)
        }
        var cell = LibertyCell(name: tree.text(nameValue), location: tree.location(of: g))
        cellScaleFactors = libraryScaleFactors
        for a in g.attributes {
            switch name(a) {
            case "area": cell.area = try number(a)
            case "cell_leakage_power": cell.leakagePower = try number(a)
            case "scaling_factors":
                let v = try singleValue(a)
                guard let factors = namedScaleFactors[tree.text(v)] else {
                    throw error("scaling_factors '\(excerpt(tree.text(v)))' is not defined in the library", at: v)
                }
                // OpenSTA: a cell's own scale factors replace the library's (they are not merged).
                cellScaleFactors = factors
            default: break
            }
        }
        var busTypes = libraryBusTypes
        for child in g.children where name(tree.groups[child]) == "type" {
            try readBusType(tree.groups[child], into: &busTypes)
        }

        // Pass 1: declare every pin (so that related_pin and functions may name pins declared later).
        var pins = CellPins()
        for child in g.children {
            let pg = tree.groups[child]
            switch name(pg) {
            case "pin":
                for name in try pinNames(pg, pins: pins) { pins.declare(name) }
            case "bus":
                let (busName, bits) = try busBits(pg, types: busTypes)
                pins.groupsOfBits[busName] = bits
                for bit in bits { pins.declare(bit) }
                for nested in pg.children where name(tree.groups[nested]) == "pin" {
                    for name in try pinNames(tree.groups[nested], pins: pins) { pins.declare(name) }
                }
            case "bundle":
                let (bundleName, members) = try bundleMembers(pg)
                pins.groupsOfBits[bundleName] = members
                for member in members { pins.declare(member) }
                for nested in pg.children where name(tree.groups[nested]) == "pin" {
                    for name in try pinNames(tree.groups[nested], pins: pins) { pins.declare(name) }
                }
            case "ff", "latch", "ff_bank", "latch_bank", "statetable":
                // ff (IQ, IQN), latch (IQ, IQN), statetable ("D CK", "IQ"): the state variables are
                // the arguments (of a statetable, the second: its internal nodes).
                let args = tree.arguments(of: pg)
                for v in name(pg) == "statetable" ? args.dropFirst() : args {
                    for word in tree.text(v).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
                        pins.stateVariables.insert(String(word))
                    }
                }
            default:
                break
            }
        }

        // Pass 2: attributes and timing.
        for child in g.children {
            let pg = tree.groups[child]
            switch name(pg) {
            case "pin":
                let targets = try pinNames(pg, pins: pins).compactMap { pins.indexByName[$0] }
                try applyPinGroup(pg, targets: targets, isBusGroup: false, cell: cell.name, pins: &pins)
            case "bus", "bundle":
                let groupName = tree.arguments(of: pg).first.map { tree.text($0) } ?? ""
                let bits = pins.groupsOfBits[groupName] ?? []
                let targets = bits.compactMap { pins.indexByName[$0] }
                try applyPinGroup(pg, targets: targets, isBusGroup: true, cell: cell.name, pins: &pins)
                for nested in pg.children where name(tree.groups[nested]) == "pin" {
                    let ng = tree.groups[nested]
                    let nestedTargets = try pinNames(ng, pins: pins).compactMap { pins.indexByName[$0] }
                    try applyPinGroup(ng, targets: nestedTargets, isBusGroup: false, cell: cell.name, pins: &pins)
                }
            case "leakage_power":
                if let leakage = try readLeakagePower(pg, pins: pins) { cell.leakagePowers.append(leakage) }
            case "ff":
                cell.sequentials.append(try readSequential(pg, kind: .flipFlop))
            case "latch":
                cell.sequentials.append(try readSequential(pg, kind: .latch))
            case "type":
                break
            default:
                skipGroup(pg)
            }
        }
        let capScale = scale("pin_cap", .none)
        cell.pins = pins.states.map { $0.finish(defaults: defaultPinCap, capScale: capScale) }
        return cell
    }

    /// The names a `pin` group declares: each argument, with `D[3:0]` ranges and bus/bundle names expanded.
    func pinNames(_ g: LibertyGroupNode, pins: CellPins) throws -> [String] {
        let args = tree.arguments(of: g)
        guard !args.isEmpty else { throw error("pin group has no name", at: g) }
        var names: [String] = []
        for v in args {
            names.append(contentsOf: try expandName(tree.text(v), pins: pins, at: v))
        }
        return names
    }

    /// Expands a bus or bundle name to its bits, `D[3:0]` to `D[3]` … `D[0]`; any other name to itself.
    func expandName(_ text: String, pins: CellPins, at value: LibertyValue) throws -> [String] {
        if let bits = pins.groupsOfBits[text] { return bits }
        // base[a:b]
        guard text.hasSuffix("]"), let open = text.lastIndex(of: "["),
              let colon = text[open...].firstIndex(of: ":") else {
            return [text]
        }
        let base = String(text[..<open])
        let fromText = text[text.index(after: open)..<colon]
        let toText = text[text.index(after: colon)..<text.index(before: text.endIndex)]
        guard !base.isEmpty, let from = Int(fromText), let to = Int(toText), from >= 0, to >= 0 else {
            throw error("malformed bit range '\(excerpt(text))'", at: value)
        }
        guard abs(from - to) < 1_000_000 else {
            throw error("bit range '\(excerpt(text))' is too wide", at: value)
        }
        let range = from <= to ? Array(from...to) : Array((to...from).reversed())
        return range.map { base + "[" + String($0) + "]" }
    }

    func busBits(_ g: LibertyGroupNode, types: [String: BusType]) throws -> (String, [String]) {
        guard let nameValue = tree.arguments(of: g).first else { throw error("bus group has no name", at: g) }
        let busName = tree.text(nameValue)
        guard let typeAttribute = g.attributes.last(where: { name($0) == "bus_type" }) else {
            throw error("bus '\(excerpt(busName))' has no bus_type", at: g)
        }
        let typeValue = try singleValue(typeAttribute)
        let typeName = tree.text(typeValue)
        guard let type = types[typeName] else {
            throw error("undefined bus type '\(excerpt(typeName))'", at: typeValue)
        }
        return (busName, type.bits.map { bitName(busName, $0) })
    }

    func bundleMembers(_ g: LibertyGroupNode) throws -> (String, [String]) {
        guard let nameValue = tree.arguments(of: g).first else { throw error("bundle group has no name", at: g) }
        let bundleName = tree.text(nameValue)
        guard let members = g.attributes.last(where: { name($0) == "members" }) else {
            throw error("bundle '\(excerpt(bundleName))' has no members", at: g)
        }
        var names: [String] = []
        for v in tree.values(of: members) {
            names.append(contentsOf: tree.text(v).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init))
        }
        guard !names.isEmpty else { throw error("bundle '\(excerpt(bundleName))' has no members", at: members) }
        return (bundleName, names)
    }

    /// For target bit `k` of `n` (a bus or bundle group), the bit of `bits` aligned with it, as OpenSTA
    /// does: the lists are aligned at their ends (extra leading bits are dropped).
    static func alignedBit(_ bits: [String], target k: Int, of n: Int) -> String? {
        let m = bits.count
        let index = m >= n ? k + (m - n) : k - (n - m)
        return index >= 0 && index < m ? bits[index] : nil
    }

    /// The related pins of target bit `k` of `n`: every bit of a scalar reference, of a `related_bus_pins`
    /// reference, or of any reference in a plain pin group; the aligned bit of a bus reference in a bus group.
    static func relatedBits(_ references: [RelatedReference], target k: Int, of n: Int, isBusGroup: Bool) -> [String] {
        var related: [String] = []
        for r in references {
            if r.bits.count <= 1 || r.crossProduct || !isBusGroup {
                related.append(contentsOf: r.bits)
            } else if let bit = alignedBit(r.bits, target: k, of: n) {
                related.append(bit)
            }
        }
        return related
    }

    /// Replaces whole bus/bundle names in a bus-level function by the bit aligned with target `k`.
    static func substituteBits(_ e: BooleanExpression, groups: [String: [String]], target k: Int, of n: Int) -> BooleanExpression {
        switch e {
        case .constant: return e
        case .variable(let v):
            if let bits = groups[v], let bit = alignedBit(bits, target: k, of: n) { return .variable(bit) }
            return e
        case .not(let a): return .not(substituteBits(a, groups: groups, target: k, of: n))
        case .and(let a, let b):
            return .and(substituteBits(a, groups: groups, target: k, of: n), substituteBits(b, groups: groups, target: k, of: n))
        case .or(let a, let b):
            return .or(substituteBits(a, groups: groups, target: k, of: n), substituteBits(b, groups: groups, target: k, of: n))
        case .xor(let a, let b):
            return .xor(substituteBits(a, groups: groups, target: k, of: n), substituteBits(b, groups: groups, target: k, of: n))
        }
    }

    /// A pin's `function` or `three_state`, whose every variable must be a pin, bus or bundle of the cell
    /// or a state variable of its `ff`/`latch`/`statetable` groups.
    func pinExpression(_ a: LibertyAttribute, of g: LibertyGroupNode, cell: String, pins: CellPins) throws -> BooleanExpression {
        let e = try expression(a)
        for v in e.variables where pins.indexByName[v] == nil && pins.groupsOfBits[v] == nil && !pins.stateVariables.contains(v) {
            // A bit range `D[3:0]` is fine when all its bits are pins.
            if v.contains(":"), let value = tree.values(of: a).first,
               let bits = try? expandName(v, pins: pins, at: value), bits.allSatisfy({ pins.indexByName[$0] != nil }) {
                continue
            }
            let written = tree.values(of: a).map { tree.text($0) }.joined(separator: ", ")
            let pinName = tree.arguments(of: g).map { tree.text($0) }.joined(separator: ", ")
            throw error("\(name(a)) '\(excerpt(written))' of pin '\(excerpt(pinName))' names '\(excerpt(v))', which is not a pin of cell '\(excerpt(cell))'",
                        at: a)
        }
        return e
    }

    /// Applies the attributes and timing groups of a pin, bus or bundle group to its target pins.
    func applyPinGroup(_ g: LibertyGroupNode, targets: [Int], isBusGroup: Bool, cell: String, pins: inout CellPins) throws {
        let n = targets.count
        var function: BooleanExpression?
        var threeState: BooleanExpression?
        for a in g.attributes {
            switch name(a) {
            case "direction":
                let v = try singleValue(a)
                let text = tree.text(v)
                guard let d = PinDirection(rawValue: text) else {
                    throw error("unknown direction '\(excerpt(text))' (expected input, output, inout or internal)", at: v)
                }
                for t in targets { pins.states[t].direction = d }
            case "capacitance":
                let c = try number(a) * capacitiveUnitFF
                for t in targets { pins.states[t].capacitance = c }
            case "rise_capacitance":
                let c = try number(a) * capacitiveUnitFF
                for t in targets { pins.states[t].riseCapacitance = c }
            case "fall_capacitance":
                let c = try number(a) * capacitiveUnitFF
                for t in targets { pins.states[t].fallCapacitance = c }
            case "rise_capacitance_range", "fall_capacitance_range":
                // (min, max): data paths are timed max (late), a propagated clock's capture path min (early).
                let values = Array(tree.values(of: a))
                guard values.count == 2 else {
                    throw error("\(name(a)) takes two values (min, max)", at: a)
                }
                let range = (try number(values[0]) * capacitiveUnitFF, try number(values[1]) * capacitiveUnitFF)
                for t in targets {
                    if name(a) == "rise_capacitance_range" { pins.states[t].riseCapacitanceRange = range } else { pins.states[t].fallCapacitanceRange = range }
                }
            case "clock":
                let b = try boolean(a)
                for t in targets { pins.states[t].isClock = b }
            case "function":
                function = try pinExpression(a, of: g, cell: cell, pins: pins)
            case "three_state":
                threeState = try pinExpression(a, of: g, cell: cell, pins: pins)
            default:
                break
            }
        }
        for (k, t) in targets.enumerated() {
            if let function {
                pins.states[t].function = isBusGroup
                    ? LibertyModelBuilder.substituteBits(function, groups: pins.groupsOfBits, target: k, of: n) : function
            }
            if let threeState {
                pins.states[t].threeState = isBusGroup
                    ? LibertyModelBuilder.substituteBits(threeState, groups: pins.groupsOfBits, target: k, of: n) : threeState
            }
        }
        for child in g.children {
            let tg = tree.groups[child]
            switch name(tg) {
            case "timing":
                guard let parsed = try readTiming(tg, pins: pins) else { continue }
                for (k, t) in targets.enumerated() {
                    var timing = parsed.timing
                    timing.relatedPins = LibertyModelBuilder.relatedBits(parsed.related, target: k, of: n, isBusGroup: isBusGroup)
                    pins.states[t].timings.append(timing)
                }
            case "internal_power":
                let parsed = try readInternalPower(tg, pins: pins)
                for (k, t) in targets.enumerated() {
                    var power = parsed.power
                    power.relatedPins = LibertyModelBuilder.relatedBits(parsed.related, target: k, of: n, isBusGroup: isBusGroup)
                    pins.states[t].internalPower.append(power)
                }
            case "pin" where isBusGroup:
                break   // handled by the caller
            default:
                skipGroup(tg)
            }
        }
    }

    // MARK: Timing

    static let timingTables: Set<String> = [
        "cell_rise", "cell_fall", "rise_transition", "fall_transition", "rise_constraint", "fall_constraint",
    ]

    func readTiming(_ g: LibertyGroupNode, pins: CellPins) throws -> ParsedTiming? {
        var timing = LibertyTiming(relatedPins: [], location: tree.location(of: g))
        var related: [RelatedReference] = []
        for a in g.attributes {
            let n = name(a)
            switch n {
            case "related_pin", "related_bus_pins":
                // A pin the cell does not have is an error where the cell is linked (CellModel), not a warning here.
                related += try relatedReferences(a, pins: pins, crossProduct: n == "related_bus_pins", warnUnknown: false)
            case "timing_sense":
                let v = try singleValue(a)
                let text = tree.text(v)
                if let sense = TimingSense(rawValue: text) {
                    timing.sense = sense
                } else {
                    diagnostics?.warnOnce(key: "liberty-timing-sense:\(text)", "unknown timing_sense '\(excerpt(text))' ignored",
                                          at: tree.location(of: v))
                }
            case "timing_type":
                let v = try singleValue(a)
                let text = tree.text(v)
                guard let type = TimingType(rawValue: text) else {
                    diagnostics?.warnOnce(key: "liberty-timing-type:\(text)",
                                          "unknown timing_type '\(excerpt(text))'; skipping timing groups of this type",
                                          at: tree.location(of: v))
                    return nil
                }
                timing.type = type
            case "when":
                timing.when = try expression(a)
            case "mode":
                let values = Array(tree.values(of: a))
                guard values.count == 2 else { throw error("mode takes two values (mode name, mode value)", at: a) }
                timing.mode = (tree.text(values[0]), tree.text(values[1]))
            case "related_output_pin":
                timing.relatedOutputPin = try string(a)
            default:
                break
            }
        }
        let checkKind = LibertyModelBuilder.constraintScaleKind(timing.type)
        for child in g.children {
            let tg = tree.groups[child]
            let n = name(tg)
            guard LibertyModelBuilder.timingTables.contains(n) else {
                skipGroup(tg)
                continue
            }
            var table = try readTable(tg)
            // k-factor scaling at the default operating conditions (OpenSTA's TableModel::scaleFactor).
            let factor: Double
            switch n {
            case "cell_rise": factor = scale("cell", .suffix, rf: 0)
            case "cell_fall": factor = scale("cell", .suffix, rf: 1)
            case "rise_transition": factor = scale("transition", .prefix, rf: 0)
            case "fall_transition": factor = scale("transition", .prefix, rf: 1)
            default: factor = checkKind.map { scale($0.kind, $0.style, rf: n == "rise_constraint" ? 0 : 1) } ?? 1
            }
            if factor != 1 { table.values = table.values.map { $0 * factor } }
            switch n {
            case "cell_rise": timing.cellRise = table
            case "cell_fall": timing.cellFall = table
            case "rise_transition": timing.riseTransition = table
            case "fall_transition": timing.fallTransition = table
            case "rise_constraint": timing.riseConstraint = table
            default: timing.fallConstraint = table
            }
        }
        // Read (and checked) in full, but an arc needs a from-pin.
        if related.isEmpty {
            diagnostics?.warn("timing group without related_pin skipped", at: tree.location(of: g))
            return nil
        }
        return ParsedTiming(related: related, timing: timing)
    }

    /// The scale-factor kind of a check's constraint tables (OpenSTA's `timingTypeScaleFactorType`).
    static func constraintScaleKind(_ type: TimingType) -> (kind: String, style: ScaleFactors.Style)? {
        switch type {
        case .setupRising, .setupFalling, .nonSeqSetupRising, .nonSeqSetupFalling: return ("setup", .suffix)
        case .holdRising, .holdFalling, .nonSeqHoldRising, .nonSeqHoldFalling: return ("hold", .suffix)
        case .recoveryRising, .recoveryFalling: return ("recovery", .suffix)
        case .removalRising, .removalFalling: return ("removal", .suffix)
        case .skewRising, .skewFalling: return ("skew", .suffix)
        case .nochangeHighHigh, .nochangeHighLow, .nochangeLowHigh, .nochangeLowLow: return ("nochange", .suffix)
        case .minimumPeriod: return ("min_period", .none)
        case .minPulseWidth: return nil   // OpenSTA names it with high/low; Halo does not time pulse widths
        default: return nil
        }
    }

    /// How an axis of this variable is scaled to ns / fF.
    func axisScale(_ v: TableVariable) -> Double {
        switch v {
        case .inputNetTransition, .relatedPinTransition, .constrainedPinTransition, .inputTransitionTime:
            return timeUnitNs
        case .totalOutputNetCapacitance, .relatedOutTotalOutputNetCapacitance, .outputNetWireCap:
            return capacitiveUnitFF
        case .outputNetLength, .unknown:
            return 1
        }
    }

    /// Reads a delay, transition or constraint table; values are scaled to ns. With `power`, an
    /// `internal_power` table (template from the `power_lut_template`s, values scaled to fJ).
    func readTable(_ g: LibertyGroupNode, power: Bool = false) throws -> LibertyTable {
        let tableName = name(g)
        var template: TableTemplate?
        var templateName = ""
        if let arg = tree.arguments(of: g).first {
            templateName = tree.text(arg)
            if templateName != "scalar" {
                guard let t = power ? (powerTemplates[templateName] ?? templates[templateName]) : templates[templateName] else {
                    throw error("undefined table template '\(excerpt(templateName))'", at: arg)
                }
                template = t
            }
        }
        var indices: [[Double]?] = [nil, nil, nil]
        var indexAttributes: [LibertyAttribute?] = [nil, nil, nil]
        var valuesAttribute: LibertyAttribute?
        for a in g.attributes {
            switch name(a) {
            case "index_1", "index_2", "index_3":
                let k = name(a) == "index_1" ? 0 : (name(a) == "index_2" ? 1 : 2)
                indices[k] = try indexList(a, owner: "table '\(tableName)'")
                indexAttributes[k] = a
            case "values":
                valuesAttribute = a
            default:
                break
            }
        }
        for child in g.children { skipGroup(tree.groups[child]) }

        var variables: [TableVariable]
        if let template {
            variables = template.variables
            for k in variables.count..<3 {
                if let a = indexAttributes[k] {
                    throw error("table '\(tableName)' has index_\(k + 1) but template '\(excerpt(templateName))' has \(variables.count) variable\(variables.count == 1 ? "" : "s")", at: a)
                }
            }
        } else {
            var count = 0
            while count < 3, indices[count] != nil { count += 1 }
            for k in count..<3 {
                if let a = indexAttributes[k] {
                    throw error("table '\(tableName)' has index_\(k + 1) but no index_\(count + 1)", at: a)
                }
            }
            variables = Array(repeating: .unknown, count: count)
        }
        if power, let valuesAttribute, template != nil,
           (0..<variables.count).contains(where: { indices[$0] == nil && template?.indices[$0] == nil }) {
            // A power table whose template gives no break points: a single value reads as a scalar.
            var single: [Double] = []
            try numberList(tree.values(of: valuesAttribute), into: &single)
            if single.count == 1 {
                return LibertyTable(variables: [], axes: [], values: [single[0] * internalEnergyUnitFJ])
            }
        }
        var axes: [[Double]] = []
        for (k, variable) in variables.enumerated() {
            guard let axis = indices[k] ?? template?.indices[k] else {
                throw error("table '\(tableName)' has no index_\(k + 1) and template '\(excerpt(templateName))' gives none", at: g)
            }
            guard !axis.isEmpty else {
                if let a = indexAttributes[k] {
                    throw error("index_\(k + 1) of table '\(tableName)' is empty", at: a)
                }
                throw error("index_\(k + 1) of template '\(excerpt(templateName))' is empty", at: g)
            }
            let scale = axisScale(variable)
            axes.append(scale == 1 ? axis : axis.map { $0 * scale })
        }
        guard let valuesAttribute else {
            throw error("table '\(tableName)' has no values", at: g)
        }
        var values: [Double] = []
        var expected = 1
        for axis in axes {
            let (product, overflow) = expected.multipliedReportingOverflow(by: axis.count)
            expected = overflow ? Int.max : product
        }
        values.reserveCapacity(min(expected, 1 << 20))
        try numberList(tree.values(of: valuesAttribute), into: &values)
        if values.count != expected {
            let shape = axes.isEmpty ? "scalar" : axes.map { String($0.count) }.joined(separator: "x")
            throw error("table '\(tableName)' has \(values.count) value\(values.count == 1 ? "" : "s"), expected \(expected) (\(shape))",
                        at: valuesAttribute)
        }
        let scale = power ? internalEnergyUnitFJ : timeUnitNs
        if scale != 1 {
            for i in values.indices { values[i] *= scale }
        }
        return LibertyTable(variables: variables, axes: axes, values: values)
    }

    /// `internal_power` energies are in `voltage_unit² × capacitive_load_unit` (OpenSTA's energy scale), → fJ.
    var internalEnergyUnitFJ: Double { voltageUnitV * voltageUnitV * capacitiveUnitFF }

    // MARK: Power

    /// Reads the related pins of an `internal_power` or `timing` group's `related_pin` attribute; with
    /// `warnUnknown`, a name that is not a pin of the cell is reported.
    func relatedReferences(_ a: LibertyAttribute, pins: CellPins, crossProduct: Bool, warnUnknown: Bool) throws -> [RelatedReference] {
        var related: [RelatedReference] = []
        for v in tree.values(of: a) {
            let names = tree.text(v).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\n" || $0 == "\r" })
            for name in names {
                let s = String(name)
                let bits = try expandName(s, pins: pins, at: v)
                for bit in bits where warnUnknown && pins.indexByName[bit] == nil {
                    diagnostics?.warn("related pin '\(excerpt(bit))' is not a pin of this cell", at: tree.location(of: v))
                }
                related.append(RelatedReference(name: s, bits: bits, crossProduct: crossProduct))
            }
        }
        return related
    }

    /// An `internal_power` group: `related_pin`, `when`, and `rise_power`/`fall_power`/`power` tables (fJ).
    func readInternalPower(_ g: LibertyGroupNode, pins: CellPins) throws -> ParsedInternalPower {
        var power = LibertyInternalPower(location: tree.location(of: g))
        var related: [RelatedReference] = []
        for a in g.attributes {
            switch name(a) {
            case "related_pin", "related_bus_pins":
                related += try relatedReferences(a, pins: pins, crossProduct: name(a) == "related_bus_pins", warnUnknown: true)
            case "when":
                power.when = try expression(a)
            default:
                break
            }
        }
        for child in g.children {
            let tg = tree.groups[child]
            switch name(tg) {
            case "rise_power": power.risePower = scaled(try readTable(tg, power: true), by: scale("internal_power", .suffix, rf: 0))
            case "fall_power": power.fallPower = scaled(try readTable(tg, power: true), by: scale("internal_power", .suffix, rf: 1))
            case "power":
                let table = try readTable(tg, power: true)
                power.risePower = scaled(table, by: scale("internal_power", .suffix, rf: 0))
                power.fallPower = scaled(table, by: scale("internal_power", .suffix, rf: 1))
            default: skipGroup(tg)
            }
        }
        return ParsedInternalPower(related: related, power: power)
    }

    /// A table with every value multiplied by `factor` (a k-factor scale).
    func scaled(_ table: LibertyTable, by factor: Double) -> LibertyTable {
        guard factor != 1 else { return table }
        var t = table
        t.values = t.values.map { $0 * factor }
        return t
    }

    /// A `leakage_power` group: `value` (→ nW) and `when`. Nil (with a warning) when it has no value.
    func readLeakagePower(_ g: LibertyGroupNode, pins: CellPins) throws -> LibertyLeakagePower? {
        var when: BooleanExpression?
        var value: Double?
        for a in g.attributes {
            switch name(a) {
            case "value": value = try number(a)
            case "when": when = try expression(a)
            default: break
            }
        }
        for child in g.children { skipGroup(tree.groups[child]) }
        guard let value else {
            diagnostics?.warn("leakage_power group has no value; ignored", at: tree.location(of: g))
            return nil
        }
        return LibertyLeakagePower(when: when, powerNW: value * (leakageUnitNW ?? 1), location: tree.location(of: g))
    }

    // MARK: Sequential

    func readSequential(_ g: LibertyGroupNode, kind: LibertySequential.Kind) throws -> LibertySequential {
        let args = tree.arguments(of: g)
        guard let first = args.first else {
            throw error("'\(kind.rawValue)' group needs state variable names, e.g. \(kind.rawValue)(IQ, IQN)", at: g)
        }
        let inverted = args.dropFirst().first.map { tree.text($0) } ?? ""
        var seq = LibertySequential(kind: kind, stateVariable: tree.text(first), invertedStateVariable: inverted,
                                    clockedOn: nil, nextState: nil)
        for a in g.attributes {
            switch (kind, name(a)) {
            case (.flipFlop, "clocked_on"), (.latch, "enable"):
                seq.clockedOn = try expression(a)
            case (.flipFlop, "next_state"), (.latch, "data_in"):
                seq.nextState = try expression(a)
            case (_, "clear"):
                seq.clear = try expression(a)
            case (_, "preset"):
                seq.preset = try expression(a)
            default:
                break
            }
        }
        for child in g.children { skipGroup(tree.groups[child]) }
        return seq
    }
}
