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
/// With energy (`halo characterize --energy`) two more columns follow, by name:
/// `code,delay_ns,startpoint,endpoint,energy_fj,toggles` — switching plus internal energy per operation
/// in fJ and net transitions per operation (see `Stimulus` for how they were measured). They are written
/// only when some row has them, and read back whenever the header names them.
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

        /// A row; `energyFJ` (fJ) and `toggles` default to not measured.
        public init(code: Int, delayNs: Double?, startpoint: String = "", endpoint: String = "",
                    energyFJ: Double? = nil, toggles: Double? = nil) {
            self.code = code
            self.delayNs = delayNs
            self.startpoint = startpoint
            self.endpoint = endpoint
            self.energyFJ = energyFJ
            self.toggles = toggles
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

        /// A stimulus record; the defaults are zero-delay simulation with the other inputs held at 0.
        public init(kind: String, activationBus: String, sigma: Double? = nil, file: String? = nil, vectors: Int,
                    seed: Int? = nil, otherInputs: String = "zero", simulation: String = "zero-delay",
                    supplyVoltageV: Double, leakageNW: Double? = nil) {
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

    /// The energy of a code in fJ per operation, if the table has it.
    public func energyFJ(ofCode code: Int) -> Double? {
        if let i = entries.firstIndex(where: { $0.code == code }) { return entries[i].energyFJ }
        return nil
    }

    /// The CSV text.
    public func csv() -> String {
        let energy = hasEnergy
        var out = energy ? "code,delay_ns,startpoint,endpoint,energy_fj,toggles\n" : "code,delay_ns,startpoint,endpoint\n"
        func row(_ code: String, _ e: Entry) {
            let d = e.delayNs.map { String(format: "%.6f", $0) } ?? ""
            out += "\(code),\(d),\(csvField(e.startpoint)),\(csvField(e.endpoint))"
            if energy {
                out += "," + (e.energyFJ.map { String(format: "%.4f", $0) } ?? "")
                out += "," + (e.toggles.map { String(format: "%.4f", $0) } ?? "")
            }
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

    /// Reads a table from CSV text. The header must begin `code,delay_ns`.
    /// Errors are located (`file:line:column: error: …`).
    public static func parseCSV(_ text: String, path: String) throws -> DelayTable {
        var unconstrained: Entry?
        var entries: [Entry] = []
        var lineNumber = 0
        var sawHeader = false
        var seen = Set<Int>()
        var energyColumn: Int?
        var togglesColumn: Int?
        // Split on the scalar "\n": Swift reads "\r\n" as one character, which a Character split would miss.
        for rawScalars in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            let rawLine = String(String.UnicodeScalarView(rawScalars))
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = splitCSV(String(line))
            if !sawHeader {
                guard fields.count >= 2, fields[0].text.trimmingCharacters(in: .whitespaces) == "code",
                      fields[1].text.trimmingCharacters(in: .whitespaces) == "delay_ns" else {
                    throw HaloError("expected a header beginning 'code,delay_ns', found '\(line)'",
                                    at: SourceLocation(file: path, line: lineNumber, column: 1))
                }
                sawHeader = true
                for (k, f) in fields.enumerated() {
                    switch f.text.trimmingCharacters(in: .whitespaces) {
                    case "energy_fj": energyColumn = k
                    case "toggles": togglesColumn = k
                    default: break
                    }
                }
                continue
            }
            guard fields.count >= 2 else {
                throw HaloError("expected at least 2 fields (code,delay_ns), found \(fields.count)",
                                at: SourceLocation(file: path, line: lineNumber, column: 1))
            }
            let codeText = fields[0].text.trimmingCharacters(in: .whitespaces)
            let delayText = fields[1].text.trimmingCharacters(in: .whitespaces)
            var delay: Double?
            if !delayText.isEmpty {
                guard let d = Double(delayText), d.isFinite else {
                    throw HaloError("malformed delay '\(delayText)'",
                                    at: SourceLocation(file: path, line: lineNumber, column: fields[1].column))
                }
                delay = d
            }
            let start = fields.count > 2 ? fields[2].text : ""
            let end = fields.count > 3 ? fields[3].text : ""
            func optionalNumber(_ column: Int?, _ what: String) throws -> Double? {
                guard let column, column < fields.count else { return nil }
                let t = fields[column].text.trimmingCharacters(in: .whitespaces)
                if t.isEmpty { return nil }
                guard let x = Double(t), x.isFinite else {
                    throw HaloError("malformed \(what) '\(t)'",
                                    at: SourceLocation(file: path, line: lineNumber, column: fields[column].column))
                }
                return x
            }
            let energy = try optionalNumber(energyColumn, "energy")
            let toggles = try optionalNumber(togglesColumn, "toggle count")
            if codeText == "none" {
                unconstrained = Entry(code: -1, delayNs: delay, startpoint: start, endpoint: end, energyFJ: energy, toggles: toggles)
                continue
            }
            guard let code = Int(codeText), code >= 0 else {
                throw HaloError("malformed code '\(codeText)' (expected a non-negative integer or 'none')",
                                at: SourceLocation(file: path, line: lineNumber, column: fields[0].column))
            }
            guard seen.insert(code).inserted else {
                throw HaloError("duplicate code \(code)", at: SourceLocation(file: path, line: lineNumber, column: fields[0].column))
            }
            entries.append(Entry(code: code, delayNs: delay, startpoint: start, endpoint: end, energyFJ: energy, toggles: toggles))
        }
        guard sawHeader else {
            throw HaloError("empty delay table (no 'code,delay_ns' header)", at: SourceLocation(file: path, line: max(1, lineNumber), column: 1))
        }
        entries.sort { $0.code < $1.code }
        return DelayTable(unconstrained: unconstrained, entries: entries)
    }

    /// Reads a CSV or JSON table from a file (by extension; JSON when it starts with `{`).
    public static func read(path: String) throws -> DelayTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HaloError("cannot read '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HaloError("'\(path)' is not UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))
        }
        if text.drop(while: { $0.isWhitespace }).hasPrefix("{") { return try parseJSON(data, path: path) }
        return try parseCSV(text, path: path)
    }

    private static func splitCSV(_ line: String) -> [(text: String, column: Int)] {
        var fields: [(String, Int)] = []
        var current = ""
        var inQuotes = false
        var column = 1
        var start = 1
        var chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { current.append("\""); i += 1; column += 1 }
                    else { inQuotes = false }
                } else { current.append(c) }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append((current, start))
                current = ""
                start = column + 1
            } else {
                current.append(c)
            }
            i += 1
            column += 1
        }
        fields.append((current, start))
        chars.removeAll()
        return fields
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
            return o
        }
        let m = metadata
        var out = "{\n"
        out += "  \"halo_version\": \(esc(m.version)),\n"
        out += "  \"netlist\": \(esc(m.netlist)),\n"
        out += "  \"top\": \(esc(m.top)),\n"
        out += "  \"libraries\": [\(m.libraries.map(esc).joined(separator: ", "))],\n"
        out += "  \"bus\": \(esc(m.bus)),\n"
        out += "  \"bus_width\": \(m.busWidth),\n"
        out += "  \"output_load_ff\": \(m.outputLoadFF),\n"
        out += "  \"input_slew_ns\": \(m.inputSlewNs),\n"
        out += "  \"clock\": \(m.clock.map(esc) ?? "null"),\n"
        if let st = m.stimulus {
            func optional(_ d: Double?) -> String { d.map { "\($0)" } ?? "null" }
            out += "  \"stimulus\": {\"kind\": \(esc(st.kind)), \"activation_bus\": \(esc(st.activationBus)), "
            out += "\"sigma\": \(optional(st.sigma)), \"file\": \(st.file.map(esc) ?? "null"), \"vectors\": \(st.vectors), "
            out += "\"seed\": \(st.seed.map { String($0) } ?? "null"), \"other_inputs\": \(esc(st.otherInputs)), "
            out += "\"simulation\": \(esc(st.simulation)), \"supply_voltage_v\": \(optional(st.supplyVoltageV)), "
            out += "\"leakage_nw\": \(optional(st.leakageNW))},\n"
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

    /// Reads the JSON form written by `json()`. Errors are located at the offending token.
    public static func parseJSON(_ data: Data, path: String) throws -> DelayTable {
        let root = try JSONNode.parse(data, path: path)
        guard case .object = root.value, let codes = root["codes"]?.array else {
            throw HaloError("JSON delay table needs a 'codes' array", at: root["codes"]?.location ?? root.location)
        }
        // A number member (not a numeric string: the writer never quotes numbers).
        func number(_ node: JSONNode?, _ key: String) -> Double? {
            if case .number(let d)? = node?[key]?.value, d.isFinite { return d }
            return nil
        }
        func string(_ node: JSONNode?, _ key: String) -> String? { node?[key]?.string }
        func integer(_ node: JSONNode?, _ key: String) -> Int? {
            guard let d = number(node, key), d == d.rounded(), abs(d) < 1e15 else { return nil }
            return Int(d)
        }
        func entry(_ d: JSONNode, code: Int) -> Entry {
            Entry(code: code, delayNs: number(d, "delay_ns"), startpoint: string(d, "startpoint") ?? "",
                  endpoint: string(d, "endpoint") ?? "", energyFJ: number(d, "energy_fj"), toggles: number(d, "toggles"))
        }
        var m = Metadata()
        m.netlist = string(root, "netlist") ?? ""
        m.top = string(root, "top") ?? ""
        m.libraries = root["libraries"]?.array?.compactMap(\.string) ?? []
        m.bus = string(root, "bus") ?? ""
        m.busWidth = integer(root, "bus_width") ?? 0
        m.outputLoadFF = number(root, "output_load_ff") ?? 10
        m.inputSlewNs = number(root, "input_slew_ns") ?? 0
        m.clock = string(root, "clock")
        if let st = root["stimulus"], case .object = st.value {
            m.stimulus = Stimulus(kind: string(st, "kind") ?? "", activationBus: string(st, "activation_bus") ?? "",
                                  sigma: number(st, "sigma"), file: string(st, "file"),
                                  vectors: integer(st, "vectors") ?? 0, seed: integer(st, "seed"),
                                  otherInputs: string(st, "other_inputs") ?? "zero",
                                  simulation: string(st, "simulation") ?? "zero-delay",
                                  supplyVoltageV: number(st, "supply_voltage_v") ?? 0,
                                  leakageNW: number(st, "leakage_nw"))
        }
        var entries: [Entry] = []
        var seen = Set<Int>()
        for (k, c) in codes.enumerated() {
            guard case .object = c.value else {
                throw HaloError("codes[\(k)] must be an object, found \(c.kindName)", at: c.location)
            }
            guard let code = integer(c, "code"), code >= 0 else {
                throw HaloError("codes[\(k)] has no valid 'code'", at: c["code"]?.location ?? c.location)
            }
            guard seen.insert(code).inserted else {
                throw HaloError("duplicate code \(code)", at: c["code"]?.location ?? c.location)
            }
            entries.append(entry(c, code: code))
        }
        var none: Entry?
        if let n = root["none"], case .object = n.value { none = entry(n, code: -1) }
        return DelayTable(metadata: m, unconstrained: none, entries: entries.sorted { $0.code < $1.code })
    }
}

/// Halo's version, recorded in table metadata.
public enum HaloVersion {
    /// The version as `major.minor.patch`.
    public static let string = "0.1.0"
}
