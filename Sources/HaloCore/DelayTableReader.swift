import Foundation

// Reading delay tables (CSV and JSON) as data that is checked, never believed: every delay, energy
// and toggle figure finite and ≥ 0 (or explicitly empty: no path), numbers only as numbers, exactly
// one `none` row, codes unique and within the bus. Every error is located at the row.

extension DelayTable {
    /// Reads a CSV or JSON table from a file (JSON when it starts with `{`).
    /// - Throws: `HaloError` naming the file (`t.csv: error: no such file`) or located in it.
    public static func read(path: String) throws -> DelayTable {
        let (text, data) = try InputFile.readText(path)
        if text.drop(while: { $0.isWhitespace }).hasPrefix("{") { return try parseJSON(data, path: path) }
        return try parseCSV(text, path: path)
    }

    /// Reads a table from CSV text. The header must begin `code,delay_ns`; exactly one row is `none`.
    ///
    /// A delay (and `energy_fj`, `toggles` when the header names them) is a plain decimal number ≥ 0,
    /// or an empty field: no path under that code. A code is a decimal integer below 2^53
    /// (`Limits.maxBusWidth` bits, as in JSON), each once.
    /// - Throws: `HaloError` located at the field (`t.csv:7:3: error: negative delay '-1.5' …`).
    public static func parseCSV(_ text: String, path: String) throws -> DelayTable {
        var unconstrained: Entry?
        var entries: [Entry] = []
        var energyColumn: Int?
        var togglesColumn: Int?
        var inputEnergyColumn: Int?
        var corners: CornerTables?
        try scanCSV(text, path: path, header: { fields, line, at in
            if fields.count >= 2, fields[0].text.trimmingCharacters(in: .whitespaces) == "code",
               fields[1].text.trimmingCharacters(in: .whitespaces).hasPrefix(CornerTables.delayPrefix) {
                // A corner table (one delay column per supply voltage): its nominal (highest) voltage.
                corners = try CornerTables.parseCSV(text, path: path)
                return false
            }
            guard fields.count >= 2, fields[0].text.trimmingCharacters(in: .whitespaces) == "code",
                  fields[1].text.trimmingCharacters(in: .whitespaces) == "delay_ns" else {
                throw HaloError("expected a header beginning 'code,delay_ns', found '\(line)'", at: at(1))
            }
            for (k, f) in fields.enumerated() {
                switch f.text.trimmingCharacters(in: .whitespaces) {
                case "energy_fj": energyColumn = k
                case "toggles": togglesColumn = k
                case "input_energy_fj": inputEnergyColumn = k
                default: break
                }
            }
            return true
        }, row: { code, fields, at in
            guard fields.count >= 2 else {
                throw HaloError("expected at least 2 fields (code,delay_ns), found \(fields.count)", at: at(1))
            }
            let entry = Entry(code: code, delayNs: try csvFigure(fields, 1, "delay", at),
                              startpoint: fields.count > 2 ? fields[2].text : "", endpoint: fields.count > 3 ? fields[3].text : "",
                              energyFJ: try csvFigure(fields, energyColumn, "energy", at),
                              toggles: try csvFigure(fields, togglesColumn, "toggle count", at),
                              inputEnergyFJ: try csvFigure(fields, inputEnergyColumn, "input-net energy", at))
            if code < 0 { unconstrained = entry } else { entries.append(entry) }
        })
        if let corners { return corners.nominal.table }
        entries.sort { $0.code < $1.code }
        return DelayTable(unconstrained: unconstrained, entries: entries)
    }

    /// One field of a CSV line and the column (UTF-8 bytes, 1-based) it starts at.
    typealias CSVField = (text: String, column: Int)

    /// Walks the lines of a CSV table with a `code` column: blank lines and `#` comments skipped, the
    /// first other line given to `header` with its text (which returns false to stop there), then every row given to
    /// `row` with its code (−1 for `none`) and a locator of its columns. Checked here: exactly one
    /// `none` row; every code a decimal integer below 2^53 (`Limits.maxBusWidth` bits), each once.
    static func scanCSV(_ text: String, path: String,
                        header: ([CSVField], String, (Int) -> SourceLocation) throws -> Bool,
                        row: (Int, [CSVField], (Int) -> SourceLocation) throws -> Void) throws {
        var noneLine = 0
        var lineNumber = 0
        var sawHeader = false
        var seen = Set<Int>()
        // Split on the scalar "\n": Swift reads "\r\n" as one character, which a Character split would miss.
        for rawScalars in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            let rawLine = String(String.UnicodeScalarView(rawScalars))
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = splitCSV(String(line))
            let number = lineNumber
            func at(_ column: Int) -> SourceLocation { SourceLocation(file: path, line: number, column: column) }
            if !sawHeader {
                sawHeader = true
                if try !header(fields, line, at) { return }
                continue
            }
            let codeText = fields[0].text.trimmingCharacters(in: .whitespaces)
            if codeText == "none" {
                guard noneLine == 0 else {
                    throw HaloError("a second 'none' row (the first is at line \(noneLine)); a table has exactly one", at: at(fields[0].column))
                }
                noneLine = lineNumber
                try row(-1, fields, at)
                continue
            }
            guard !codeText.isEmpty, codeText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw HaloError("malformed code '\(codeText)' (expected a non-negative integer or 'none')", at: at(fields[0].column))
            }
            guard let code = Int(codeText), code < 1 << Limits.maxBusWidth else {
                throw HaloError("code \(codeText) is beyond the widest bus a table may have (\(Limits.maxBusWidth) bits: codes below 2^\(Limits.maxBusWidth))",
                                at: at(fields[0].column))
            }
            guard seen.insert(code).inserted else {
                throw HaloError("duplicate code \(code)", at: at(fields[0].column))
            }
            try row(code, fields, at)
        }
        guard sawHeader else {
            throw HaloError("empty delay table (no 'code,delay_ns' header)", at: SourceLocation(file: path, line: max(1, lineNumber), column: 1))
        }
        guard noneLine > 0 else {
            throw HaloError("no 'none' row (the delay without case analysis); a table has exactly one", file: path)
        }
    }

    /// A delay, energy or toggle figure of a CSV row: nil when the column is absent or the field
    /// empty; a plain decimal ≥ 0 otherwise, or an error located at the field.
    static func csvFigure(_ fields: [CSVField], _ column: Int?, _ what: String, _ at: (Int) -> SourceLocation) throws -> Double? {
        guard let column, column < fields.count else { return nil }
        let t = fields[column].text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        guard isPlainDecimal(t), let x = Double(t) else { throw HaloError("malformed \(what) '\(t)'", at: at(fields[column].column)) }
        if let problem = figureProblem(x, text: t, what: what, empty: "an empty field") {
            throw HaloError(problem, at: at(fields[column].column))
        }
        return x
    }

    /// What is wrong with a delay, energy or toggle figure `x` (written `text`), or nil when it is finite and ≥ 0.
    static func figureProblem(_ x: Double, text: String, what: String, empty: String) -> String? {
        let unit = what == "delay" ? " ns" : ""
        if x.isNaN { return "\(what) '\(text)' is not a number (expected\(unit) ≥ 0, or \(empty) for no path)" }
        if !x.isFinite { return "\(what) '\(text)' is out of range (expected a finite number\(unit) ≥ 0, or \(empty) for no path)" }
        if x < 0 { return "negative \(what) '\(text)' (expected\(unit) ≥ 0, or \(empty) for no path)" }
        return nil
    }

    /// Digits, at most one sign at the start or after the exponent, a point and an exponent: what
    /// Halo writes. (`Double(_:)` would also take `nan`, `inf` and hexadecimal.)
    static func isPlainDecimal(_ t: String) -> Bool {
        var sawDigit = false
        for c in t.utf8 {
            switch c {
            case 48 ... 57: sawDigit = true
            case 43, 45, 46, 69, 101: continue // + - . E e
            default: return false
            }
        }
        return sawDigit
    }

    static func splitCSV(_ line: String) -> [CSVField] {
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

    /// Reads the JSON form written by `json()`.
    ///
    /// Checked: the top level is an object with a `codes` array of objects and a `none` object; every
    /// object's keys are distinct; each `code` is an integer in the bus (`bus_width`, 1 … 53) and below
    /// 2^53 (where JSON numbers stop being exact integers), and appears once; every `delay_ns` is present and is a
    /// number ≥ 0 or `null` (no path); `energy_fj` and `toggles` are numbers ≥ 0 when present;
    /// metadata members have their types (strings, numbers, an array of library paths).
    /// - Throws: `HaloError` located at the offending value (`t.json:5:31: error: codes[3].delay_ns …`).
    public static func parseJSON(_ data: Data, path: String) throws -> DelayTable {
        let root = try JSONNode.parse(data, path: path)
        guard case .object = root.value, let codes = root["codes"]?.array else {
            throw HaloError("JSON delay table needs a 'codes' array", at: root["codes"]?.location ?? root.location)
        }
        let top = try JSONFields(root, name: "")
        var m = Metadata()
        _ = try top.string("halo_version")
        m.netlist = try top.string("netlist") ?? ""
        m.top = try top.string("top") ?? ""
        m.libraries = try top.strings("libraries") ?? []
        m.bus = try top.string("bus") ?? ""
        m.busWidth = try top.integer("bus_width", in: 1 ... Limits.maxBusWidth) ?? 0
        m.outputLoadFF = try top.number("output_load_ff", atLeast: 0) ?? 10
        m.inputSlewNs = try top.number("input_slew_ns", atLeast: 0) ?? 0
        m.clock = try top.string("clock")
        if let node = root["stimulus"], !node.isNull {
            let st = try JSONFields(node, name: "stimulus")
            m.stimulus = Stimulus(kind: try st.string("kind") ?? "", activationBus: try st.string("activation_bus") ?? "",
                                  sigma: try st.number("sigma", atLeast: 0), file: try st.string("file"),
                                  vectors: try st.integer("vectors", in: 0 ... Int(1) << 53) ?? 0,
                                  seed: try st.integer("seed", in: 0 ... Int(1) << 53),
                                  otherInputs: try st.string("other_inputs") ?? "zero",
                                  simulation: try st.string("simulation") ?? "zero-delay",
                                  supplyVoltageV: try st.number("supply_voltage_v", atLeast: 0) ?? 0,
                                  leakageNW: try st.number("leakage_nw", atLeast: 0),
                                  // Written before the option existed: the input-port nets were charged.
                                  inputNetEnergy: try st.string("input_net_energy") ?? "include")
            guard ["include", "separate"].contains(m.stimulus!.inputNetEnergy) else {
                throw HaloError("stimulus.input_net_energy is '\(oneLine(m.stimulus!.inputNetEnergy, limit: 40))'; expected include or separate",
                                at: node["input_net_energy"]?.location ?? node.location)
            }
        }
        // 1. The codes: objects, each with an integer code in the bus, once. JSON numbers are doubles:
        //    integers from 2^53 on are not exact, so no code may be that large (nor a bus that wide).
        var rows: [(fields: JSONFields, code: Int)] = []
        var seen = Set<Int>()
        for (k, c) in codes.enumerated() {
            guard case .object = c.value else {
                throw HaloError("codes[\(k)] must be an object, found \(c.kindName)", at: c.location)
            }
            guard let node = c["code"], case .number(let d) = node.value, d == d.rounded(), d >= 0, d.isFinite else {
                throw HaloError("codes[\(k)] has no valid 'code'", at: c["code"]?.location ?? c.location)
            }
            guard d < 0x1p53 else {
                throw HaloError("codes[\(k)].code is 2^53 or more, beyond the integers a JSON number holds exactly", at: node.location)
            }
            guard m.busWidth == 0 || m.busWidth >= 53 || d < Double(1 << m.busWidth) else {
                throw HaloError("codes[\(k)].code \(JSONFields.text(d)) is outside the \(m.busWidth)-bit bus '\(m.bus)' (codes 0-\((1 << m.busWidth) - 1))",
                                at: node.location)
            }
            let code = Int(d)
            guard seen.insert(code).inserted else { throw HaloError("duplicate code \(code)", at: node.location) }
            rows.append((try JSONFields(c, name: "codes[\(k)]"), code))
        }
        // 2. Exactly one `none` row (a repeated key is refused by JSONFields).
        guard let noneNode = root["none"], case .object = noneNode.value else {
            throw HaloError("JSON delay table needs a 'none' object (the delay without case analysis)", at: root["none"]?.location ?? root.location)
        }
        // 3. The figures of every row.
        func entry(_ f: JSONFields, code: Int) throws -> Entry {
            Entry(code: code, delayNs: try f.figure("delay_ns", required: true), startpoint: try f.string("startpoint") ?? "",
                  endpoint: try f.string("endpoint") ?? "", energyFJ: try f.figure("energy_fj"), toggles: try f.figure("toggles"),
                  inputEnergyFJ: try f.figure("input_energy_fj"))
        }
        let none = try entry(JSONFields(noneNode, name: "none"), code: -1)
        var entries: [Entry] = []
        entries.reserveCapacity(rows.count)
        for row in rows { entries.append(try entry(row.fields, code: row.code)) }
        return DelayTable(metadata: m, unconstrained: none, entries: entries.sorted { $0.code < $1.code })
    }
}

/// The members of a JSON object read with their types checked: a member of the wrong kind is an
/// error located at its value, naming it (`codes[3].delay_ns must be …`). A repeated key is refused.
struct JSONFields {
    let node: JSONNode
    /// How the object is named in messages (`codes[3]`, `none`; empty for the top level).
    let name: String

    init(_ node: JSONNode, name: String) throws {
        self.node = node
        self.name = name
        guard case .object(let members) = node.value else { return }
        var first: [String: SourceLocation] = [:]
        for (key, value) in members {
            if let earlier = first[key] {
                throw HaloError("repeated key '\(oneLine(key, limit: 40))' in \(name.isEmpty ? "the table" : name) (first at line \(earlier.line), column \(earlier.column))",
                                at: value.location)
            }
            first[key] = value.location
        }
    }

    func label(_ key: String) -> String { name.isEmpty ? "'\(key)'" : "\(name).\(key)" }

    /// A number as JSON would write it (integers without a fraction).
    static func text(_ d: Double) -> String {
        d.isFinite && d == d.rounded() && abs(d) < 1e18 ? String(Int64(d)) : "\(d)"
    }

    /// A string member; nil when absent or null.
    func string(_ key: String) throws -> String? {
        guard let v = node[key], !v.isNull else { return nil }
        guard let s = v.string else { throw HaloError("\(label(key)) must be a string, found \(v.kindName)", at: v.location) }
        return s
    }

    /// An array of strings; nil when absent or null.
    func strings(_ key: String) throws -> [String]? {
        guard let v = node[key], !v.isNull else { return nil }
        guard let items = v.array else { throw HaloError("\(label(key)) must be an array of strings, found \(v.kindName)", at: v.location) }
        return try items.enumerated().map { k, item in
            guard let s = item.string else { throw HaloError("\(label(key))[\(k)] must be a string, found \(item.kindName)", at: item.location) }
            return s
        }
    }

    /// A finite number ≥ `atLeast`; nil when absent or null.
    func number(_ key: String, atLeast minimum: Double) throws -> Double? {
        guard let v = node[key], !v.isNull else { return nil }
        guard case .number(let d) = v.value else {
            throw HaloError("\(label(key)) must be a number, found \(v.kindName)", at: v.location)
        }
        guard d.isFinite, d >= minimum else {
            throw HaloError("\(label(key)) is \(JSONFields.text(d)); expected a finite number ≥ \(JSONFields.text(minimum))", at: v.location)
        }
        return d
    }

    /// An integer within `range`; nil when absent or null.
    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = node[key], !v.isNull else { return nil }
        guard case .number(let d) = v.value else {
            throw HaloError("\(label(key)) must be an integer, found \(v.kindName)", at: v.location)
        }
        guard d.isFinite, d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw HaloError("\(label(key)) is \(JSONFields.text(d)); expected an integer from \(range.lowerBound) to \(range.upperBound)", at: v.location)
        }
        return Int(d)
    }

    /// A delay, energy or toggle figure: a number ≥ 0, or null (no path). `required`: the key must be there.
    func figure(_ key: String, required: Bool = false) throws -> Double? {
        guard let v = node[key] else {
            if required { throw HaloError("\(name) has no '\(key)' (a number ≥ 0, or null for no path)", at: node.location) }
            return nil
        }
        if v.isNull { return nil }
        guard case .number(let d) = v.value else {
            throw HaloError("\(label(key)) must be a number ≥ 0 or null (no path), found \(v.kindName)", at: v.location)
        }
        let what = key == "delay_ns" ? "delay" : key == "energy_fj" ? "energy" : key == "input_energy_fj" ? "input-net energy" : "toggle count"
        if let problem = DelayTable.figureProblem(d, text: JSONFields.text(d), what: what, empty: "null") {
            throw HaloError("\(label(key)): \(problem)", at: v.location)
        }
        return d
    }
}
