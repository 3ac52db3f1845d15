import Foundation

/// The delay tables of one design at several supply voltages: one ``DelayTable`` per characterized
/// corner (the same netlist timed with each voltage's Liberty library, `halo characterize --corner`).
///
/// Voltage does not stretch every code alike (the critical paths of different codes run through
/// different cells, slews and loads), so a DVFS level at a voltage uses that corner's own per-code
/// delays instead of the nominal table scaled by one factor.
///
/// CSV form, one column per voltage and quantity, the highest voltage first; `#` lines are comments
/// (`# corner 1.80V: LIB…` records a corner's libraries and is read back):
/// ```
/// # corner 5.00V: gf180mcu_fd_sc_mcu7t5v0__tt_025C_5v00.lib.gz
/// # corner 1.80V: gf180mcu_fd_sc_mcu7t5v0__tt_025C_1v80.lib.gz
/// code,delay_ns@5.00V,delay_ns@1.80V
/// none,10.828334,41.008978
/// 0,4.310151,17.192406
/// ```
/// With energy, `energy_fj@V`, `toggles@V` and (input-port nets kept apart) `input_energy_fj@V` columns
/// follow, one per voltage each, with the meanings of ``DelayTable``'s columns. As in a delay table, an
/// empty delay is "no path under this code" (the same codes at every voltage), exactly one row is `none`
/// (no case analysis), codes are unique. Columns without `@` (e.g. `startpoint`) are ignored.
///
/// A corner table read where one delay table is expected (`DelayTable.read`, `halo select`, `halo plot`)
/// is its nominal corner: the highest voltage's columns.
public struct CornerTables: Sendable, Equatable {
    /// One characterized supply voltage.
    public struct Corner: Sendable, Equatable {
        /// The supply voltage of the corner's libraries, V.
        public var voltageV: Double
        /// The Liberty files the corner was timed with (as given; may be empty).
        public var libraries: [String]
        /// Delays (and energies) of every code at this voltage.
        public var table: DelayTable

        /// A corner at `voltageV` volts.
        public init(voltageV: Double, libraries: [String] = [], table: DelayTable) {
            self.voltageV = voltageV
            self.libraries = libraries
            self.table = table
        }
    }

    /// The corners, highest voltage first.
    public let corners: [Corner]

    /// The header prefix of a corner table's delay columns.
    public static let delayPrefix = "delay_ns@"

    /// Corner tables from `corners` (any order; stored highest voltage first).
    /// - Throws: when there is no corner, a voltage is not finite and positive or appears twice, or the
    ///   tables do not have the same codes, `none` row and codes without a path.
    public init(_ corners: [Corner]) throws {
        guard let first = corners.first else { throw HaloError("corner tables need at least one corner") }
        var seen = Set<String>()
        for c in corners {
            guard c.voltageV.isFinite, c.voltageV > 0 else {
                throw HaloError("corner voltage \(c.voltageV) is not a positive number of volts")
            }
            guard seen.insert(CornerTables.label(c.voltageV)).inserted else {
                throw HaloError("two corners at \(CornerTables.label(c.voltageV)); each voltage is characterized once")
            }
            guard c.table.entries.map(\.code) == first.table.entries.map(\.code),
                  (c.table.unconstrained == nil) == (first.table.unconstrained == nil) else {
                throw HaloError("the corners at \(CornerTables.label(first.voltageV)) and \(CornerTables.label(c.voltageV)) do not have the same codes")
            }
            for (a, b) in zip(c.table.entries, first.table.entries) where (a.delayNs == nil) != (b.delayNs == nil) {
                throw HaloError("code \(a.code) has a path at one corner and none at another (\(CornerTables.label(first.voltageV)), \(CornerTables.label(c.voltageV))); the same netlist under the same constants has the same paths")
            }
        }
        self.corners = corners.sorted { $0.voltageV > $1.voltageV }
    }

    /// The nominal corner: the highest voltage.
    public var nominal: Corner { corners[0] }

    /// The voltages, highest first, V.
    public var voltages: [Double] { corners.map(\.voltageV) }

    /// The corner at `voltageV` (within 0.5 mV), if characterized.
    public func corner(atVoltage voltageV: Double) -> Corner? {
        corners.first { abs($0.voltageV - voltageV) < 5e-4 }
    }

    /// A voltage as written in column names: two decimals (`1.80V`), more when needed (`0.775V`).
    public static func label(_ voltageV: Double) -> String {
        let two = String(format: "%.2f", voltageV)
        if let back = Double(two), abs(back - voltageV) < 1e-9 { return two + "V" }
        return String(format: "%.6g", voltageV) + "V"
    }

    /// The delay that stands for the full MAC at a corner: the `none` row (no case analysis), or, when
    /// it has no path, the slowest code (as ``DelayTable`` readers take the reference delay).
    public static func referenceDelayNs(_ table: DelayTable) -> Double? {
        if let d = table.unconstrained?.delayNs, d > 0 { return d }
        return table.entries.compactMap(\.delayNs).max()
    }

    // MARK: Writing

    /// The CSV text (see the type's documentation).
    public func csv() -> String {
        let energy = corners.contains { $0.table.hasEnergy }
        let input = corners.contains { $0.table.hasInputEnergy }
        var out = ""
        for c in corners where !c.libraries.isEmpty {
            out += "# corner \(CornerTables.label(c.voltageV)): \(c.libraries.map { oneLine($0) }.joined(separator: " "))\n"
        }
        var header = ["code"] + corners.map { CornerTables.delayPrefix + CornerTables.label($0.voltageV) }
        if energy {
            header += corners.map { "energy_fj@" + CornerTables.label($0.voltageV) }
            header += corners.map { "toggles@" + CornerTables.label($0.voltageV) }
        }
        if input { header += corners.map { "input_energy_fj@" + CornerTables.label($0.voltageV) } }
        out += header.joined(separator: ",") + "\n"
        func figure(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "" }
        func row(_ code: String, _ entries: [DelayTable.Entry]) {
            var fields = [code] + entries.map { figure($0.delayNs, "%.6f") }
            if energy {
                fields += entries.map { figure($0.energyFJ, "%.4f") }
                fields += entries.map { figure($0.toggles, "%.4f") }
            }
            if input { fields += entries.map { figure($0.inputEnergyFJ, "%.4f") } }
            out += fields.joined(separator: ",") + "\n"
        }
        if nominal.table.unconstrained != nil { row("none", corners.map { $0.table.unconstrained! }) }
        for k in nominal.table.entries.indices {
            row(String(nominal.table.entries[k].code), corners.map { $0.table.entries[k] })
        }
        return out
    }

    /// The voltage/frequency table `halo quantize --vf-table` reads (``VoltageModel``): one line
    /// `voltage_v,frequency_mhz` per corner, the frequency the full MAC reaches there (1000 / the
    /// reference delay in ns: the `none` row, see ``referenceDelayNs(_:)``), highest voltage first.
    public func voltageFrequencyCSV() -> String {
        var out = "# the clock the full MAC (no case analysis) reaches at each characterized corner\n"
        out += "voltage_v,frequency_mhz\n"
        for c in corners {
            guard let d = CornerTables.referenceDelayNs(c.table), d > 0 else { continue }
            out += String(format: "%.6g,%.6f\n", c.voltageV, 1000 / d)
        }
        return out
    }

    // MARK: Reading

    /// Reads corner tables from a CSV file.
    /// - Throws: `HaloError` naming the file, or located at the offending field.
    public static func read(path: String) throws -> CornerTables {
        try parseCSV(try InputFile.readText(path).text, path: path)
    }

    /// Reads corner tables from CSV text (see the type's documentation). Every figure is a plain decimal
    /// ≥ 0 or empty; every voltage has a `delay_ns@V` column, and energy columns only name those voltages.
    /// - Throws: `HaloError` located at the field (`c.csv:4:12: error: …`).
    public static func parseCSV(_ text: String, path: String) throws -> CornerTables {
        enum Quantity: String { case delay = "delay_ns", energy = "energy_fj", toggles, input = "input_energy_fj" }
        var columns: [(quantity: Quantity, voltage: String, index: Int)] = []
        var voltages: [(label: String, value: Double)] = []
        var rows: [(code: Int, figures: [String: Double?])] = []   // key: quantity@label
        // `# corner 1.80V: LIB…` comments name a corner's libraries.
        var libraries: [String: [String]] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# corner ") {
            let body = line.dropFirst("# corner ".count)
            guard let colon = body.firstIndex(of: ":"), let v = volts(String(body[..<colon])) else { continue }
            libraries[label(v)] = body[body.index(after: colon)...].split(separator: " ").map(String.init)
        }
        try DelayTable.scanCSV(text, path: path, header: { fields, line, at in
            guard fields.count >= 2, fields[0].text.trimmingCharacters(in: .whitespaces) == "code",
                  fields[1].text.trimmingCharacters(in: .whitespaces).hasPrefix(delayPrefix) else {
                throw HaloError("expected a header beginning 'code,\(delayPrefix)V' (one delay column per voltage), found '\(line)'", at: at(1))
            }
            var seen = Set<String>()
            for (k, f) in fields.enumerated().dropFirst() {
                let name = f.text.trimmingCharacters(in: .whitespaces)
                guard let at_ = name.firstIndex(of: "@") else { continue }
                guard let quantity = Quantity(rawValue: String(name[..<at_])) else {
                    throw HaloError("unknown column '\(oneLine(name, limit: 40))' (expected delay_ns@V, energy_fj@V, toggles@V or input_energy_fj@V)",
                                    at: at(f.column))
                }
                let voltageText = String(name[name.index(after: at_)...])
                guard let v = volts(voltageText) else {
                    throw HaloError("malformed voltage '\(oneLine(voltageText, limit: 40))' in column '\(oneLine(name, limit: 40))' (expected e.g. 1.80V)",
                                    at: at(f.column))
                }
                let l = label(v)
                guard seen.insert("\(quantity.rawValue)@\(l)").inserted else {
                    throw HaloError("a second column \(quantity.rawValue)@\(l); each voltage has one", at: at(f.column))
                }
                if quantity == .delay {
                    voltages.append((l, v))
                } else if !voltages.contains(where: { $0.label == l }) {
                    throw HaloError("column '\(oneLine(name, limit: 40))' is for \(l), which has no \(delayPrefix)\(l) column before it", at: at(f.column))
                }
                columns.append((quantity, l, k))
            }
            return true
        }, row: { code, fields, at in
            var figures: [String: Double?] = [:]
            for c in columns {
                let what = c.quantity == .delay ? "delay" : c.quantity == .energy ? "energy" : c.quantity == .toggles ? "toggle count" : "input-net energy"
                figures["\(c.quantity.rawValue)@\(c.voltage)"] = try DelayTable.csvFigure(fields, c.index, what, at)
            }
            // The same netlist under the same constants has the same paths at every voltage.
            let paths = voltages.map { figures["delay_ns@\($0.label)"]! != nil }
            if let k = paths.firstIndex(of: !paths[0]) {
                let column = columns.first { $0.quantity == .delay && $0.voltage == voltages[k].label }!.index
                throw HaloError("the delay at \(voltages[k].label) is \(paths[0] ? "empty (no path)" : "given") but at \(voltages[0].label) \(paths[0] ? "given" : "empty (no path)"); the same netlist has the same paths at every voltage",
                                at: at(column < fields.count ? fields[column].column : 1))
            }
            rows.append((code, figures))
        })
        var corners: [Corner] = []
        for v in voltages {
            func entry(_ code: Int, _ f: [String: Double?]) -> DelayTable.Entry {
                DelayTable.Entry(code: code, delayNs: f["delay_ns@\(v.label)"] ?? nil, energyFJ: f["energy_fj@\(v.label)"] ?? nil,
                                 toggles: f["toggles@\(v.label)"] ?? nil, inputEnergyFJ: f["input_energy_fj@\(v.label)"] ?? nil)
            }
            let none = rows.first { $0.code < 0 }.map { entry(-1, $0.figures) }
            let entries = rows.filter { $0.code >= 0 }.sorted { $0.code < $1.code }.map { entry($0.code, $0.figures) }
            corners.append(Corner(voltageV: v.value, libraries: libraries[v.label] ?? [], table: DelayTable(unconstrained: none, entries: entries)))
        }
        do {
            return try CornerTables(corners)
        } catch let error as HaloError {
            throw HaloError(error.message, file: path)
        }
    }

    /// `1.80V`, `1.8v` or `1.8`: volts, positive and finite; nil otherwise.
    public static func volts(_ text: String) -> Double? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("V") || t.hasSuffix("v") { t.removeLast() }
        guard DelayTable.isPlainDecimal(t), let v = Double(t), v.isFinite, v > 0 else { return nil }
        return v
    }
}
