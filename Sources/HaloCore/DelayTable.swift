import Foundation

/// The critical-path delay of a design for every code held on a bus: Halo's central artifact.
///
/// CSV form (header first):
/// ```
/// code,delay_ns,startpoint,endpoint
/// none,4.625601,A[0],Y[19]
/// 0,2.029001,P[0],Y[19]
/// ```
/// `code` is the unsigned integer of the bus bits (bit 0 = LSB); the row `none` is the delay with no
/// case analysis. An empty `delay_ns` means no path exists under that code (every endpoint constant).
/// Readers accept any extra columns after `delay_ns`.
///
/// With energy (`halo characterize --energy`) more columns follow, by name:
/// `code,delay_ns,startpoint,endpoint,energy_fj,toggles[,input_energy_fj]` — switching plus internal energy
/// per operation in fJ, net transitions per operation (see `Stimulus` for how they were measured) and,
/// when the energy of the nets driven by the design's input ports is kept apart (the default,
/// `--input-net-energy separate`, as OpenSTA's `report_power` does), that term: then `energy_fj` does not
/// include it. A table without `input_energy_fj` charges those nets in `energy_fj` (`include`, and every
/// table written before the option existed). They are written only when some row has them, and read back
/// whenever the header names them.
public struct DelayTable: Sendable, Equatable {
    /// One row: a code and its worst path.
    public struct Entry: Sendable, Equatable {
        /// The unsigned integer held on the bus (bit 0 = LSB); -1 for the `none` row.
        public var code: Int
        /// Critical-path delay in ns; nil when no path exists.
        public var delayNs: Double?
        /// The critical path's start pin (e.g. `A[0]`); empty when no path exists.
        public var startpoint: String
        /// The critical path's end pin (e.g. `Y[19]`); empty when no path exists.
        public var endpoint: String
        /// Energy per operation in fJ (switching ½·C·V² plus internal), nil when not measured.
        public var energyFJ: Double?
        /// Net transitions per operation, nil when not measured.
        public var toggles: Double?
        /// ½·C·V² of the transitions of the nets driven by the design's input ports, fJ per operation,
        /// when it is reported apart from (and not included in) `energyFJ`; nil otherwise.
        public var inputEnergyFJ: Double?

        /// A row; `energyFJ`, `inputEnergyFJ` (fJ) and `toggles` default to not measured.
        public init(code: Int, delayNs: Double?, startpoint: String = "", endpoint: String = "",
                    energyFJ: Double? = nil, toggles: Double? = nil, inputEnergyFJ: Double? = nil) {
            self.code = code
            self.delayNs = delayNs
            self.startpoint = startpoint
            self.endpoint = endpoint
            self.energyFJ = energyFJ
            self.toggles = toggles
            self.inputEnergyFJ = inputEnergyFJ
        }
    }

    /// How the energy columns were measured (JSON `stimulus` object).
    public struct Stimulus: Sendable, Equatable {
        /// Activation values: `uniform`, `gaussian` or `file`.
        public var kind: String
        /// The input bus the activations drive (e.g. `A`).
        public var activationBus: String
        /// Standard deviation of gaussian activations, in integer steps of the format.
        public var sigma: Double?
        /// The activation file, for `file`.
        public var file: String?
        /// Vectors simulated per code (operations = vectors − 1).
        public var vectors: Int
        /// Seed of the random streams (nil for a file with nothing random).
        public var seed: Int?
        /// What the other free inputs carry: `zero` or `random`.
        public var otherInputs: String
        /// `zero-delay` (functional toggles) or `glitch` (event-driven with per-arc delays).
        public var simulation: String
        /// The supply voltage used in ½·C·V², V.
        public var supplyVoltageV: Double
        /// Sum of the instances' `cell_leakage_power`, nW (not part of `energy_fj`).
        public var leakageNW: Double?
        /// How the nets driven by the design's input ports are counted: `separate` (not in `energy_fj`;
        /// their ½·C·V² is `input_energy_fj`) or `include` (in `energy_fj`). A JSON table without the
        /// key was written before the option existed, and includes them.
        public var inputNetEnergy: String

        /// A stimulus record; the defaults are zero-delay simulation with the other inputs held at 0.
        public init(kind: String, activationBus: String, sigma: Double? = nil, file: String? = nil, vectors: Int,
                    seed: Int? = nil, otherInputs: String = "zero", simulation: String = "zero-delay",
                    supplyVoltageV: Double, leakageNW: Double? = nil, inputNetEnergy: String = "separate") {
            self.kind = kind
            self.activationBus = activationBus
            self.sigma = sigma
            self.file = file
            self.vectors = vectors
            self.seed = seed
            self.otherInputs = otherInputs
            self.simulation = simulation
            self.supplyVoltageV = supplyVoltageV
            self.leakageNW = leakageNW
            self.inputNetEnergy = inputNetEnergy
        }
    }

    /// Descriptive metadata, written to JSON (and as `#` comments nowhere: the CSV stays plain).
    public struct Metadata: Sendable, Equatable {
        /// The netlist file(s) the design was read from (several joined by spaces).
        public var netlist: String = ""
        /// The top module's name.
        public var top: String = ""
        /// Paths of the Liberty libraries the design was linked with.
        public var libraries: [String] = []
        /// The swept bus (e.g. `W`).
        public var bus: String = ""
        /// Width of the swept bus in bits.
        public var busWidth: Int = 0
        /// Load on every output port, fF.
        public var outputLoadFF: Double = 10
        /// Transition at every data input port, ns.
        public var inputSlewNs: Double = 0
        /// The clock port of a registered design; nil for a combinational one.
        public var clock: String?
        /// The Halo version that wrote the table.
        public var version: String = HaloVersion.string
        /// The energy stimulus, when the table has energy columns.
        public var stimulus: Stimulus?

        /// Empty metadata at the defaults (10 fF output load, 0 ns input slew).
        public init() {}
    }

    /// Descriptive metadata (written to JSON only).
    public var metadata: Metadata
    /// The delay with no case analysis (the `none` row).
    public var unconstrained: Entry?
    /// Rows in code order.
    public var entries: [Entry]

    /// A table of `entries` (in code order) and the `none` row, if any.
    public init(metadata: Metadata = Metadata(), unconstrained: Entry?, entries: [Entry]) {
        self.metadata = metadata
        self.unconstrained = unconstrained
        self.entries = entries
    }

    /// The delay of a code, if the table has it.
    public func delayNs(ofCode code: Int) -> Double? {
        if let i = entries.firstIndex(where: { $0.code == code }) { return entries[i].delayNs }
        return nil
    }

    // MARK: CSV

    /// True when some row has an energy or toggle figure.
    public var hasEnergy: Bool {
        (unconstrained.map { $0.energyFJ != nil || $0.toggles != nil } ?? false)
            || entries.contains { $0.energyFJ != nil || $0.toggles != nil }
    }

    /// True when some row reports the input-port nets' energy apart (`input_energy_fj`).
    public var hasInputEnergy: Bool {
        unconstrained?.inputEnergyFJ != nil || entries.contains { $0.inputEnergyFJ != nil }
    }

    /// The energy of a code in fJ per operation, if the table has it.
    public func energyFJ(ofCode code: Int) -> Double? {
        if let i = entries.firstIndex(where: { $0.code == code }) { return entries[i].energyFJ }
        return nil
    }

    /// The CSV text.
    public func csv() -> String {
        let energy = hasEnergy, input = hasInputEnergy
        var out = energy ? "code,delay_ns,startpoint,endpoint,energy_fj,toggles" : "code,delay_ns,startpoint,endpoint"
        out += input ? ",input_energy_fj\n" : "\n"
        func row(_ code: String, _ e: Entry) {
            let d = e.delayNs.map { String(format: "%.6f", $0) } ?? ""
            out += "\(code),\(d),\(csvField(e.startpoint)),\(csvField(e.endpoint))"
            if energy {
                out += "," + (e.energyFJ.map { String(format: "%.4f", $0) } ?? "")
                out += "," + (e.toggles.map { String(format: "%.4f", $0) } ?? "")
            }
            if input { out += "," + (e.inputEnergyFJ.map { String(format: "%.4f", $0) } ?? "") }
            out += "\n"
        }
        if let u = unconstrained { row("none", u) }
        for e in entries { row(String(e.code), e) }
        return out
    }

    private func csvField(_ s: String) -> String {
        if s.contains(",") || s.contains("\"") || s.contains("\n") {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    // MARK: JSON

    /// The JSON text: metadata and rows.
    public func json() -> String {
        let esc = jsonQuoted
        func num(_ d: Double?) -> String { d.map { String(format: "%.6f", $0) } ?? "null" }
        func energyFields(_ e: Entry) -> String {
            var o = ""
            if let x = e.energyFJ { o += ", \"energy_fj\": \(String(format: "%.4f", x))" }
            if let x = e.toggles { o += ", \"toggles\": \(String(format: "%.4f", x))" }
            if let x = e.inputEnergyFJ { o += ", \"input_energy_fj\": \(String(format: "%.4f", x))" }
            return o
        }
        let m = metadata
        var out = "{\n"
        out += "  \"halo_version\": \(esc(m.version)),\n"
        out += "  \"netlist\": \(esc(m.netlist)),\n"
        out += "  \"top\": \(esc(m.top)),\n"
        out += "  \"libraries\": [\(m.libraries.map(esc).joined(separator: ", "))],\n"
        out += "  \"bus\": \(esc(m.bus)),\n"
        out += "  \"bus_width\": \(m.busWidth > 0 ? String(m.busWidth) : "null"),\n"
        out += "  \"output_load_ff\": \(m.outputLoadFF),\n"
        out += "  \"input_slew_ns\": \(m.inputSlewNs),\n"
        out += "  \"clock\": \(m.clock.map(esc) ?? "null"),\n"
        if let st = m.stimulus {
            func optional(_ d: Double?) -> String { d.map { "\($0)" } ?? "null" }
            out += "  \"stimulus\": {\"kind\": \(esc(st.kind)), \"activation_bus\": \(esc(st.activationBus)), "
            out += "\"sigma\": \(optional(st.sigma)), \"file\": \(st.file.map(esc) ?? "null"), \"vectors\": \(st.vectors), "
            out += "\"seed\": \(st.seed.map { String($0) } ?? "null"), \"other_inputs\": \(esc(st.otherInputs)), "
            out += "\"simulation\": \(esc(st.simulation)), \"supply_voltage_v\": \(optional(st.supplyVoltageV)), "
            out += "\"leakage_nw\": \(optional(st.leakageNW)), \"input_net_energy\": \(esc(st.inputNetEnergy))},\n"
        }
        out += "  \"none\": " + (unconstrained.map { "{\"delay_ns\": \(num($0.delayNs)), \"startpoint\": \(esc($0.startpoint)), \"endpoint\": \(esc($0.endpoint))\(energyFields($0))}" } ?? "null") + ",\n"
        out += "  \"codes\": [\n"
        for (k, e) in entries.enumerated() {
            out += "    {\"code\": \(e.code), \"delay_ns\": \(num(e.delayNs)), \"startpoint\": \(esc(e.startpoint)), \"endpoint\": \(esc(e.endpoint))\(energyFields(e))}"
            out += k + 1 < entries.count ? ",\n" : "\n"
        }
        out += "  ]\n}\n"
        return out
    }
}

/// Halo's version, recorded in table metadata.
public enum HaloVersion {
    /// The version as `major.minor.patch`.
    public static let string = "0.1.0"
}
