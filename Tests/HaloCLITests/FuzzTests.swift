import Foundation
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization
import HaloPlot
import HaloQuantization

// Fuzz targets for every text reader, and a short seeded mutation run of each in the test suite.
//
// The same targets drive the long libFuzzer run: `Benchmarks/fuzz/run.sh` compiles this file with
// `-D HALO_FUZZ_STANDALONE` (which leaves out the XCTest part) next to `Benchmarks/fuzz/main.swift`.
// A target takes any bytes; it must return (a located error is fine) and never crash, hang or grow
// without bound. It returns a description of anything else worth reporting (an error that is not a
// HaloError, an error message of more than one line), or nil.

/// The readers under fuzzing, and what each does with an input it accepts.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Liberty (`LibertyReader`, bytes as the CLI reads them); every accepted cell is then timed alone.
    case liberty
    /// Structural Verilog (`VerilogReader`) with the generic library; an accepted design is timed.
    case verilog
    /// Delay tables, CSV or JSON (`DelayTable`), then plotted (`DelayPlot`) and merged with themselves;
    /// an accepted table must hold only believable numbers (``FuzzTargets/tableProblem(_:)``).
    case table
    /// Shard sets for `halo merge`: the input cut at lines `%%` into tables, read and merged
    /// (`Shards.merge`); an accepted merge must cover its codes once each, without gaps.
    case shard
    /// Quantization reports for `halo plot --pareto` (`ParetoReport`), then plotted.
    case report
    /// NumPy `.npy` headers and data (`NPY.decode`).
    case npy
    /// safetensors headers and data (`SafeTensorsFile`).
    case safetensors
    /// Plain-text weights (`TextWeights.parse`).
    case textWeights = "text-weights"

    /// Runs the target on one input.
    public func run(_ data: Data) -> String? {
        switch self {
        case .liberty: return FuzzTargets.liberty(data)
        case .verilog: return FuzzTargets.verilog(data)
        case .table: return FuzzTargets.table(data)
        case .shard: return FuzzTargets.shard(data)
        case .report: return FuzzTargets.report(data)
        case .npy: return FuzzTargets.npy(data)
        case .safetensors: return FuzzTargets.safetensors(data)
        case .textWeights: return FuzzTargets.textWeights(data)
        }
    }
}

/// The fuzz target bodies.
public enum FuzzTargets {
    /// Checks a thrown error: a HaloError with a one-line description.
    static func check(_ error: Error) -> String? {
        guard let e = error as? HaloError else { return "not a HaloError: \(type(of: error)): \(error)" }
        let text = e.description
        if breaksLine(text) { return "multi-line error message: \(text.debugDescription)" }
        return nil
    }

    /// Whether `text` holds a character that starts a new line on a terminal (or in a log).
    static func breaksLine(_ text: String) -> Bool {
        text.unicodeScalars.contains { [0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029].contains($0.value) }
    }

    public static func liberty(_ data: Data) -> String? {
        let sink = DiagnosticSink()
        let library: LibertyLibrary
        // Through a file, as the CLI reads it (raw bytes, not necessarily UTF-8).
        let path = scratch("lib")
        guard FileManager.default.createFile(atPath: path, contents: data) else { return "cannot write \(path)" }
        do { library = try LibertyReader.read(path: path, diagnostics: sink) } catch { return check(error) }
        for w in sink.warnings where breaksLine(w.description) { return "multi-line warning: \(w.description.debugDescription)" }
        // Time each cell alone: every pin on a port of its own, no case analysis, then each input held at 0.
        for cell in library.cells.prefix(8) {
            var nets: [String] = []
            var ports: [FlatPort] = []
            var connections: [PinConnection] = []
            for pin in cell.pins.prefix(64) {
                let net = nets.count
                nets.append("p\(net)")
                let direction: PortDirection = pin.direction == .output ? .output : pin.direction == .inout ? .inout : .input
                ports.append(FlatPort(name: "p\(net)", busName: "p\(net)", bit: nil, direction: direction, net: net))
                connections.append(PinConnection(pin: pin.name, net: net))
            }
            let design = FlatDesign(topName: "top", nets: nets, netAliases: [:], ports: ports,
                                    instances: [FlatInstance(name: "u", cellName: cell.name, connections: connections)],
                                    constantNets: [:], sourcePath: "fuzz.v")
            do {
                let graph = try TimingGraph(design: design, libraries: [library], diagnostics: DiagnosticSink())
                let analysis = TimingAnalysis(graph: graph)
                _ = analysis.run(constants: [])
                for (k, port) in ports.enumerated() where port.direction == .input && k < 4 {
                    if let pin = graph.casePin(named: port.name) { _ = analysis.run(constants: [CaseConstant(pin: pin, value: false)]) }
                }
            } catch {
                if let problem = check(error) { return problem }
            }
        }
        return nil
    }

    public static func verilog(_ data: Data) -> String? {
        let sink = DiagnosticSink()
        let path = scratch("v")
        guard FileManager.default.createFile(atPath: path, contents: data) else { return "cannot write \(path)" }
        do {
            let design = try VerilogReader.read(paths: [path], top: nil,
                                                 isLeafCell: { GenericLibrary.cell(named: $0, inputCount: 2) != nil },
                                                 diagnostics: sink)
            guard design.instances.count <= 20_000 else { return nil }
            let graph = try TimingGraph(design: design, libraries: [], diagnostics: sink)
            let analysis = TimingAnalysis(graph: graph)
            _ = analysis.run(constants: [])
            if let port = design.ports.first(where: { $0.direction == .input }), let pin = graph.casePin(named: port.name) {
                _ = analysis.run(constants: [CaseConstant(pin: pin, value: true)])
            }
        } catch { return check(error) }
        for w in sink.warnings where breaksLine(w.description) { return "multi-line warning: \(w.description.debugDescription)" }
        return nil
    }

    /// A table as `DelayTable.read` reads a file's bytes (nil: not UTF-8, which the reader refuses).
    static func parseTable(_ data: Data, path: String) throws -> DelayTable? {
        guard let text = String(data: data, encoding: .utf8) else { return nil }
        return text.drop(while: { $0.isWhitespace }).hasPrefix("{")
            ? try DelayTable.parseJSON(data, path: path + ".json") : try DelayTable.parseCSV(text, path: path + ".csv")
    }

    /// What is unbelievable in an accepted table: a delay, energy or toggle figure that is not finite
    /// and ≥ 0, a missing `none` row, a code repeated, out of order or outside the bus; or JSON that
    /// Halo writes for it and then refuses to read.
    public static func tableProblem(_ table: DelayTable) -> String? {
        let rows = [table.unconstrained].compactMap { $0 } + table.entries
        guard table.unconstrained != nil else { return "accepted a table without a 'none' row" }
        for e in rows {
            for (what, x) in [("delay", e.delayNs), ("energy", e.energyFJ), ("toggles", e.toggles)] {
                if let x, !(x.isFinite && x >= 0) { return "accepted \(what) \(x) of code \(e.code)" }
            }
        }
        let width = table.metadata.busWidth
        if width < 0 || width > Limits.maxBusWidth { return "accepted bus width \(width)" }
        for (k, e) in table.entries.enumerated() {
            if e.code < 0 || e.code >= 1 << Limits.maxBusWidth || (width > 0 && e.code >= 1 << width) {
                return "accepted code \(e.code) (bus width \(width))"
            }
            if k > 0 && table.entries[k - 1].code >= e.code { return "codes \(table.entries[k - 1].code), \(e.code) repeated or out of order" }
        }
        let m = table.metadata
        if !(m.outputLoadFF.isFinite && m.outputLoadFF >= 0 && m.inputSlewNs.isFinite && m.inputSlewNs >= 0) {
            return "accepted load \(m.outputLoadFF) fF, slew \(m.inputSlewNs) ns"
        }
        do { _ = try DelayTable.parseJSON(Data(table.json().utf8), path: "rewritten.json") } catch {
            return "the JSON written for an accepted table is refused: \(error)"
        }
        return nil
    }

    public static func table(_ data: Data) -> String? {
        do {
            guard let table = try parseTable(data, path: "fuzz") else { return nil }
            if let problem = tableProblem(table) { return problem }
            _ = table.csv()
            for format in [ValueFormat.code, .signed(bits: 8), .unsigned(bits: 16)] {
                let plot = DelayPlot(table: table, format: format)
                if (try? plot.validate(path: "fuzz.csv")) != nil || format == .code { _ = plot.svg() }
            }
            _ = try? Shards.merge([table, table], names: ["a", "b"])
        } catch { return check(error) }
        return nil
    }

    public static func shard(_ data: Data) -> String? {
        // Up to 8 shards, separated by lines "%%".
        var pieces: [Data] = []
        var rest = data[...]
        let separator = Data("\n%%\n".utf8)
        while pieces.count < 7, let r = rest.range(of: separator) {
            pieces.append(Data(rest[rest.startIndex ..< r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        pieces.append(Data(rest))
        var tables: [DelayTable] = []
        var names: [String] = []
        do {
            for (k, piece) in pieces.enumerated() {
                guard let t = try parseTable(piece, path: "shard\(k)") else { return nil }
                tables.append(t)
                names.append("shard\(k)")
            }
            let merged = try Shards.merge(tables, names: names)
            // Every code of every shard once, in order, without gaps (and the whole bus when its width is recorded).
            let codes = merged.entries.map(\.code)
            if codes.count != tables.reduce(0, { $0 + $1.entries.count }) { return "the merge lost or duplicated codes" }
            for k in codes.indices.dropFirst() where codes[k] != codes[k - 1] + 1 { return "the merge has a gap at code \(codes[k - 1])" }
            let width = merged.metadata.busWidth
            if width > 0, let first = codes.first, let last = codes.last, first != 0 || last != (1 << width) - 1 {
                return "the merge covers \(first)-\(last) of a \(width)-bit bus"
            }
            for t in tables.dropFirst() where t.metadata.bus != tables[0].metadata.bus || t.metadata.busWidth != tables[0].metadata.busWidth
                || t.metadata.netlist != tables[0].metadata.netlist || t.metadata.libraries != tables[0].metadata.libraries {
                return "merged shards of different runs"
            }
        } catch { return check(error) }
        return nil
    }

    public static func report(_ data: Data) -> String? {
        let sink = DiagnosticSink()
        do {
            let report = try ParetoReport.parse(data, path: "fuzz.json", diagnostics: sink)
            _ = ParetoPlot(report: report).svg()
        } catch { return check(error) }
        for w in sink.warnings where breaksLine(w.description) { return "multi-line warning: \(w.description.debugDescription)" }
        return nil
    }

    public static func npy(_ data: Data) -> String? {
        do {
            let t = try NPY.decode(data, path: "fuzz.npy", name: "fuzz")
            if t.values.count != t.shape.reduce(1, *) { return "shape \(t.shape) but \(t.values.count) values" }
            // What the reader accepts for quantization is finite and not empty.
            if let c = try? t.checked(file: "fuzz.npy"), c.values.contains(where: { !$0.isFinite }) || c.values.isEmpty {
                return "checked(file:) let a non-finite or empty tensor through"
            }
        } catch { return check(error) }
        return nil
    }

    /// A scratch file per process and extension, for the readers that take a path (in memory when /dev/shm exists).
    static func scratch(_ ext: String) -> String {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return (dir as NSString).appendingPathComponent("halo-fuzz-\(ProcessInfo.processInfo.processIdentifier).\(ext)")
    }

    public static func safetensors(_ data: Data) -> String? {
        let path = scratch("safetensors")
        guard FileManager.default.createFile(atPath: path, contents: data) else { return "cannot write \(path)" }
        do {
            let file = try SafeTensorsFile(path: path)
            // The accepted ranges tile the data buffer: in order, each starting where the previous ended.
            var end = 0
            for info in file.tensors {
                if info.dataOffsets.lowerBound != end { return "accepted tensor '\(info.name)' at \(info.dataOffsets) after byte \(end)" }
                end = info.dataOffsets.upperBound
            }
            for info in file.tensors.prefix(4) where info.isReadable {
                do {
                    let t = try file.read(info).checked(file: path)
                    if t.values.contains(where: { !$0.isFinite }) { return "accepted a non-finite value in '\(info.name)'" }
                } catch { if let problem = check(error) { return problem } }
            }
        } catch { return check(error) }
        return nil
    }

    public static func textWeights(_ data: Data) -> String? {
        do { _ = try TextWeights.parse(data, path: "fuzz.txt", name: "fuzz") } catch { return check(error) }
        return nil
    }
}

/// Structure-aware byte mutations: flips, insertions, deletions, duplications, splices, and tokens of
/// the input's language.
public struct Mutator {
    /// Tokens that matter to the readers (inserted whole).
    public var dictionary: [[UInt8]]
    var rng: SplitMix64

    /// A mutator with a fixed seed.
    public init(seed: UInt64, dictionary: [String]) {
        rng = SplitMix64(seed: seed)
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }

    /// One to four mutations of `input`, splicing from `other` sometimes; at most `maxLength` bytes.
    public mutating func mutate(_ input: [UInt8], other: [UInt8], maxLength: Int = 120_000) -> [UInt8] {
        var b = input
        for _ in 0...int(4) {
            let p = int(b.count + 1)
            switch int(11) {
            case 0 where !b.isEmpty: b[min(p, b.count - 1)] ^= UInt8(1 << int(8))
            case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: p)
            case 2 where !b.isEmpty:
                let n = min(b.count - min(p, b.count), 1 + int(16))
                b.removeSubrange(min(p, b.count)..<min(p, b.count) + n)
            case 3, 4, 5:
                b.insert(contentsOf: dictionary[int(dictionary.count)], at: p)
            case 6 where !b.isEmpty:
                let s = int(b.count), n = min(b.count - s, 1 + int(64))
                let chunk = Array(b[s..<s + n])
                b.insert(contentsOf: chunk, at: min(p, b.count))
            case 7 where !other.isEmpty:
                let s = int(other.count), n = min(other.count - s, 1 + int(256))
                b.insert(contentsOf: other[s..<s + n], at: p)
            case 8 where !b.isEmpty:
                b.removeSubrange(min(p, b.count)...)  // truncate
            case 9 where !b.isEmpty:
                // Replace a digit run by an extreme number.
                let extremes = ["0", "-0", "1e308", "-1e308", "1e-320", "nan", "inf", "99999999999999999999", "-1",
                                "9223372036854775807", "4294967296", "65536", "1.5"]
                b.insert(contentsOf: Array(extremes[int(extremes.count)].utf8), at: p)
            case 10 where b.count > 1:
                let s = int(b.count - 1)
                b.swapAt(s, int(b.count))
            default:
                b.insert(contentsOf: dictionary[int(dictionary.count)], at: p)
            }
        }
        if b.count > maxLength { b.removeLast(b.count - maxLength) }
        return b
    }
}

/// Seeds and dictionaries per target.
public enum FuzzSeeds {
    /// Tokens of each target's language.
    public static func dictionary(_ target: FuzzTarget) -> [String] {
        switch target {
        case .liberty:
            return ["{", "}", "(", ")", ";", ":", "\"", ",", "\\\n", "/*", "*/", "//", "library (x) {", "cell (C) {",
                    "pin (A) {", "bus (D) {", "bundle (B) {", "type (t) {", "timing () {", "related_pin : \"A\" ;",
                    "direction : output ;", "direction : input ;", "function : \"!(A&B)|C^D'\" ;", "values (\"1, 2\", \"3, 4\") ;",
                    "index_1 (\"0.1, 1\") ;", "index_2 (\"0.1, 1\") ;", "cell_rise (t) {", "lu_table_template (t) {",
                    "variable_1 : input_net_transition ;", "capacitance : 1 ;", "time_unit : \"1ps\" ;",
                    "capacitive_load_unit (1, ff) ;", "ff (IQ, IQN) {", "next_state : \"D\" ;", "clocked_on : \"CLK\" ;",
                    "timing_type : setup_rising ;", "when : \"A\" ;", "bus_type : t ;", "bit_from : 0 ;", "bit_to : 7 ;",
                    "three_state : \"EN\" ;", "scalar", "1e-3", "-", "include_file", "define (a, b, c) ;"]
        case .verilog:
            return ["module m (a, y);", "endmodule", "input", "output", "inout", "wire", "reg", "assign", "[7:0]", "[3]",
                    "{", "}", "(", ")", ";", ",", ".", "'b0", "1'bx", "8'hff", "'sd5", "\\esc ", "(* keep *)", "/*", "*/",
                    "//", "and", "or", "xor", "not", "buf", "nand", "nor", "xnor", "$_AND_", "$_MUX_", "$_DFF_P_",
                    ".A(", ".Y(", "u1", "n1", "supply0", "supply1", "`timescale 1ns/1ps", "parameter W = 8;",
                    "specify", "endspecify", "always", "{4{a}}", "{a, b}", "#1", "generate", "tri"]
        case .table:
            return ["code,delay_ns,startpoint,endpoint\n", "none,", "\n", ",", "\"", "\"\"", "-1", "0x10", "1e999", "nan",
                    "{", "}", "[", "]", ":", "\"codes\": [", "{\"code\": 1, \"delay_ns\": 2.5}", "\"bus_width\": 8,",
                    "\"none\": {\"delay_ns\": 3}", "null", "\r\n", "#", "\u{FEFF}", "-4.5", "\"4.5\"", "1e400", "NaN",
                    "Infinity", "none,1\n", "\"bus_width\": 63,", "\"bus_width\": -2,", "\"delay_ns\": true", "9007199254740993"]
        case .shard:
            return dictionary(.table) + ["\n%%\n", "\"bus\": \"A\",", "\"netlist\": \"x.v\",", "\"libraries\": [\"b.lib\"],",
                                         "\"output_load_ff\": 5,", "\"top\": \"t\","]
        case .report:
            return ["{", "}", "[", "]", ":", ",", "\"pareto\": [", "\"baselines\": [", "\"grid\": {",
                    "{\"max_delay_ns\": 3.1, \"mse\": 0.02}", "\"name\": \"rtn\"", "\"sqnr_db\": 30", "\"levels\": 16",
                    "\"budget\": {\"max_delay_ns\": 3}", "\"reference_delay_ns\": 4.6", "\"codes\": [1, 2]", "null", "true",
                    "NaN", "-Infinity", "\"\\u00e9\"", "\"\\ud800\"", "1e-320", "\"title\": \"x\""]
        case .npy:
            return ["\u{93}NUMPY", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", "'descr'", "'<f8'",
                    "'>f2'", "'|u1'", "'shape'", "(", ")", ",", "True", "False", "'fortran_order'", "\n", " ",
                    "(0,)", "(9223372036854775807, 2)", "()", "(4611686018427387904,)", "(4294967296, 4294967296)",
                    "\u{7F}\u{C0}\u{00}\u{00}", "\u{00}\u{00}\u{C0}\u{7F}", "'descr': '<f4', "]
        case .safetensors:
            return ["{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 16]}}", "\"dtype\"", "\"F16\"",
                    "\"BF16\"", "\"I8\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\": {\"a\": \"b\"}", "[", "]",
                    "{", "}", ",", ":", "18446744073709551615", "-1", "[0, 8]", "[4, 12]", "[8, 0]", "[4611686018427387904, 4]",
                    "\u{00}\u{00}\u{C0}\u{7F}", "\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}"]
        case .textWeights:
            return [",", " ", "\n", "#", "1e-3", "-0", "nan", "inf", "1e39", "0x1p3", ";", "\t", "1.5", "-2"]
        }
    }

    /// Small built-in seeds, so that the in-suite run needs no files.
    public static func builtIn(_ target: FuzzTarget) -> [[UInt8]] {
        func s(_ text: String) -> [UInt8] { Array(text.utf8) }
        switch target {
        case .liberty:
            return [s("""
            library (x) {
              time_unit : "1ns" ; capacitive_load_unit (1, pf) ;
              lu_table_template (t) { variable_1 : input_net_transition ; variable_2 : total_output_net_capacitance ;
                index_1 ("0.01, 1") ; index_2 ("0.001, 0.1") ; }
              type (b4) { base_type : array ; data_type : bit ; bit_width : 4 ; bit_from : 3 ; bit_to : 0 ; }
              cell (NAND2) {
                pin (A) { direction : input ; capacitance : 0.002 ; }
                pin (B) { direction : input ; capacitance : 0.002 ; }
                pin (Y) { direction : output ; function : "!(A & B)" ;
                  timing () { related_pin : "A B" ; timing_sense : negative_unate ;
                    cell_rise (t) { values ("0.06, 0.6", "0.1, 0.7") ; } cell_fall (t) { values ("0.05, 0.5", "0.1, 0.6") ; }
                    rise_transition (t) { values ("0.02, 0.8", "0.1, 0.9") ; } fall_transition (scalar) { values ("0.1") ; } } }
              }
              cell (DFF) {
                ff (IQ, IQN) { next_state : "D" ; clocked_on : "CLK" ; }
                pin (CLK) { direction : input ; clock : true ; capacitance : 0.001 ; }
                pin (D) { direction : input ; capacitance : 0.001 ;
                  timing () { related_pin : "CLK" ; timing_type : setup_rising ;
                    rise_constraint (scalar) { values ("0.1") ; } fall_constraint (scalar) { values ("0.1") ; } } }
                pin (Q) { direction : output ; function : "IQ" ;
                  timing () { related_pin : "CLK" ; timing_type : rising_edge ;
                    cell_rise (scalar) { values ("0.2") ; } cell_fall (scalar) { values ("0.2") ; } } }
              }
              cell (MUXB) {
                bus (D) { bus_type : b4 ; direction : input ; capacitance : 0.001 ; }
                pin (S) { direction : input ; }
                pin (Y) { direction : output ; function : "(D[0] & !S) | (D[1] & S)" ;
                  timing () { related_pin : "D[0] D[1] S" ; cell_rise (scalar) { values ("0.3") ; } cell_fall (scalar) { values ("0.3") ; } } }
              }
            }
            """)]
        case .verilog:
            return [s("""
            module half (input a, input b, output s, output c);
              xor g1 (s, a, b);
              and g2 (c, a, b);
            endmodule
            module top (A, W, Y);
              input [3:0] A; input [1:0] W; output [4:0] Y;
              wire [3:0] p; wire n;
              assign p = {A[3:2] & {2{W[1]}}, A[1:0]};
              half h0 (.a(p[0]), .b(W[0]), .s(Y[0]), .c(n));
              $_MUX_ m (.A(p[1]), .B(n), .S(W[1]), .Y(Y[1]));
              \\odd$name  (.A(p[2]), .Y(Y[2]));
              assign Y[4:3] = 2'b1x;
            endmodule
            """), s("module m(input clk, input d, output q); $_DFF_P_ r (.C(clk), .D(d), .Q(q)); endmodule\n")]
        case .table:
            return [s("code,delay_ns,startpoint,endpoint\nnone,4.625598,A[7],Y[19]\n0,2.028997,P[7],Y[7]\n1,4.554626,A[7],Y[19]\n2,,\"a,b\",\"q\"\"x\"\n255,4.2,A[0],Y[1]\n"),
                    s("{\"bus\": \"W\", \"bus_width\": 2, \"none\": {\"delay_ns\": 3.0, \"startpoint\": \"a\", \"endpoint\": \"y\"},\n \"codes\": [{\"code\": 0, \"delay_ns\": 1.0}, {\"code\": 3, \"delay_ns\": null}]}\n")]
        case .shard:
            func json(_ codes: ClosedRange<Int>) -> String {
                "{\"netlist\": \"m.v\", \"top\": \"m\", \"libraries\": [\"a.lib\"], \"bus\": \"W\", \"bus_width\": 2, \"output_load_ff\": 10,"
                    + " \"input_slew_ns\": 0, \"clock\": null, \"none\": {\"delay_ns\": 3.0},\n \"codes\": ["
                    + codes.map { "{\"code\": \($0), \"delay_ns\": \(1 + Double($0) / 4)}" }.joined(separator: ", ") + "]}\n"
            }
            return [s(json(0...1) + "\n%%\n" + json(2...3)), s(json(2...3) + "\n%%\n" + json(0...0) + "\n%%\n" + json(1...1)),
                    s("code,delay_ns\nnone,2\n0,1\n1,1.5\n\n%%\ncode,delay_ns\nnone,2\n2,1.25\n")]
        case .report:
            return [s("""
            {"format": "int8", "weights": ["w.npy"], "budget": {"max_delay_ns": 3.5}, "reference_delay_ns": 4.6,
             "grid": {"codes": [0, 1], "max_delay_ns": 3.4, "mse": 0.001, "sqnr_db": 24.9},
             "baselines": [{"name": "RTN int8", "levels": 256, "max_delay_ns": 4.6, "mse": 1.1e-5, "sqnr_db": 38.2}],
             "pareto": [{"max_delay_ns": 2.0, "mse": 0.07}, {"max_delay_ns": 3.1, "mse": 0.02}, {"max_delay_ns": 4.6, "mse": 1e-5}]}
            """)]
        case .npy:
            return [Array(NPY.encode([1, 2, 3, 4, 5, 6], shape: [2, 3])), Array(NPY.encode([0.5], shape: [1], double: true))]
        case .safetensors:
            return [Array(SafeTensorsWriter.encode([.init(name: "w", shape: [2, 2], payload: .f32([1, 2, 3, 4]))],
                                                   metadata: ["format": "pt"])),
                    Array(SafeTensorsWriter.encode([.init(name: "a", shape: [2], payload: .f32([1, -2])),
                                                    .init(name: "b", shape: [1, 3], payload: .u8([1, 2, 3]))]))]
        case .textWeights:
            return [s("0.5, -1.25, 3\n# comment\n1e-3 2 3\n"), s("1\n2\n3\n")]
        }
    }
}

#if !HALO_FUZZ_STANDALONE
import XCTest

/// A short seeded mutation run of every fuzz target (the long run is `Benchmarks/fuzz/run.sh`).
/// Fails on a crash (the process dies), on an input taking more than 2 s, and on errors that are not
/// one-line HaloErrors. Seeds: the built-in ones and the bad-input corpus.
final class FuzzTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let seed: UInt64 = 0x4841_4C4F_2026  // "HALO 2026"

    /// Corpus files for a target: by extension, at most 16 kB each (large seeds slow the short run).
    static func corpusSeeds(_ target: FuzzTarget) -> [[UInt8]] {
        let extensions: [FuzzTarget: [String]] = [.liberty: ["lib"], .verilog: ["v"], .table: ["csv", "json"], .shard: ["csv", "json"],
                                                  .report: ["json"], .npy: ["npy"], .safetensors: ["safetensors"],
                                                  .textWeights: ["txt", "csv"]]
        guard let ext = extensions[target] else { return [] }
        let dir = repo.appendingPathComponent("Tests/Fixtures/bad")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().filter { ext.contains(($0 as NSString).pathExtension) }.compactMap {
            guard let d = FileManager.default.contents(atPath: dir.appendingPathComponent($0).path), d.count <= 16_384 else { return nil }
            return Array(d)
        }
    }

    func fuzz(_ target: FuzzTarget, iterations: Int, seconds: Double = 6) {
        let seeds = FuzzSeeds.builtIn(target) + FuzzTests.corpusSeeds(target)
        var mutator = Mutator(seed: FuzzTests.seed ^ UInt64(target.rawValue.hashValueStable), dictionary: FuzzSeeds.dictionary(target))
        var corpus = seeds
        let start = Date()
        var done = 0
        var slowest = 0.0
        var problems: [String] = []
        for i in 0..<iterations {
            let base = corpus[mutator.int(corpus.count)]
            let other = corpus[mutator.int(corpus.count)]
            let input = i < seeds.count ? seeds[i] : mutator.mutate(base, other: other)
            let t0 = Date()
            let problem = target.run(Data(input))
            let dt = Date().timeIntervalSince(t0)
            slowest = max(slowest, dt)
            if dt > 2 { problems.append("hang: \(dt) s on a \(input.count)-byte input: \(String(decoding: input.prefix(200), as: UTF8.self).debugDescription)") }
            if let problem { problems.append("\(problem) on \(String(decoding: input.prefix(300), as: UTF8.self).debugDescription)") }
            // Keep some mutants as new bases (a poor man's corpus growth, deterministic).
            if i % 7 == 0 && corpus.count < 256 { corpus.append(input) }
            done += 1
            if Date().timeIntervalSince(start) > seconds { break }
        }
        let elapsed = Date().timeIntervalSince(start)
        print("FuzzTests: \(target.rawValue): \(done) inputs in \(String(format: "%.1f", elapsed)) s, slowest \(String(format: "%.3f", slowest)) s, \(problems.count) problem(s)")
        XCTAssertEqual(problems.count, 0, problems.prefix(5).joined(separator: "\n"))
    }

    // Counts for ~20 s in all on a 2-core machine (release build); each run also stops at its time cap.
    func testLiberty() { fuzz(.liberty, iterations: 60_000, seconds: 5) }
    func testVerilog() { fuzz(.verilog, iterations: 40_000, seconds: 5) }
    func testDelayTables() { fuzz(.table, iterations: 50_000, seconds: 3) }
    func testShards() { fuzz(.shard, iterations: 30_000, seconds: 2) }
    func testReports() { fuzz(.report, iterations: 30_000, seconds: 2) }
    func testNPY() { fuzz(.npy, iterations: 30_000, seconds: 1.5) }
    func testSafetensors() { fuzz(.safetensors, iterations: 30_000, seconds: 2) }
    func testTextWeights() { fuzz(.textWeights, iterations: 30_000, seconds: 1) }

    /// 100 kB inputs built to be hard: deep nesting, long tokens, long lines. Each under 2 s.
    func testLargeAdversarialInputs() {
        let n = 100_000
        let cases: [(FuzzTarget, String, [UInt8])] = [
            (.liberty, "nested groups", Array(("library (x) {" + String(repeating: "g (a) {", count: n / 8)).utf8)),
            (.liberty, "nested parentheses", Array(("library (x) { a " + String(repeating: "(", count: n)).utf8)),
            (.liberty, "one long string", Array(("library (x) { a : \"" + String(repeating: "x", count: n) + "\" ; }").utf8)),
            (.liberty, "a long function", Array(("library (x) { cell (c) { pin (Y) { direction : output ; function : \""
                + String(repeating: "(", count: n / 4) + "A" + String(repeating: ")", count: n / 4) + "\" ; } } }").utf8)),
            (.liberty, "a long negation chain", Array(("library (x) { cell (c) { pin (A) { direction : input ; } pin (Y) { direction : output ; function : \""
                + String(repeating: "!", count: n) + "A\" ; } } }").utf8)),
            (.liberty, "many values", Array(("library (x) { cell (c) { pin (Y) { timing () { cell_rise (scalar) { values (\""
                + String(repeating: "1, ", count: n / 3) + "1\") ; } } } } }").utf8)),
            (.liberty, "a line of continuations", Array(("library (x) { a : 1 " + String(repeating: "\\\n", count: n / 2) + "; }").utf8)),
            (.verilog, "nested concatenations", Array(("module m(input a, output y); assign y = " + String(repeating: "{", count: n / 2)
                + "a" + String(repeating: "}", count: n / 2) + "; endmodule").utf8)),
            (.verilog, "nested parentheses", Array(("module m(input a, output y); assign y = " + String(repeating: "(", count: n / 2)
                + "a" + String(repeating: ")", count: n / 2) + "; endmodule").utf8)),
            (.verilog, "a long chain of buffers", Array(("module m(input a, output y); wire [" + String(n / 40) + ":0] w; assign w[0] = a;\n"
                + (1...(n / 40)).map { "buf b\($0) (w[\($0)], w[\($0 - 1)]);" }.joined(separator: "\n") + "\nassign y = w[\(n / 40)]; endmodule").utf8)),
            (.verilog, "a wide replication", Array("module m(input a, output [3:0] y); assign y = {1000000000{a}}; endmodule".utf8)),
            (.verilog, "a huge range", Array("module m(input [2147483647:0] a, output y); assign y = a[0]; endmodule".utf8)),
            (.verilog, "an unterminated attribute", Array(("module m; (* " + String(repeating: "x ", count: n / 2)).utf8)),
            (.table, "one long line", Array(("code,delay_ns\n0," + String(repeating: "1", count: n)).utf8)),
            (.table, "many quoted commas", Array(("code,delay_ns,a\n0,1,\"" + String(repeating: ",", count: n) + "\"").utf8)),
            (.table, "many rows", Array(("code,delay_ns\n" + (0..<(n / 10)).map { "\($0),1.\($0 % 10)" }.joined(separator: "\n")).utf8)),
            (.table, "deep JSON", Array((String(repeating: "[", count: n) + String(repeating: "]", count: n)).utf8)),
            (.report, "deep JSON", Array((String(repeating: "{\"a\":", count: n / 5)).utf8)),
            (.report, "many points", Array(("{\"pareto\": [" + (0..<(n / 40)).map { "{\"max_delay_ns\": \($0), \"mse\": 1e-\($0 % 300)}" }.joined(separator: ",") + "]}").utf8)),
            (.textWeights, "one long number", Array(String(repeating: "1", count: n).utf8)),
        ]
        for (target, name, input) in cases {
            let t0 = Date()
            let problem = target.run(Data(input))
            let dt = Date().timeIntervalSince(t0)
            XCTAssertNil(problem, "\(target.rawValue) \(name)")
            XCTAssertLessThan(dt, 2, "\(target.rawValue) \(name): \(dt) s on \(input.count) bytes")
        }
    }
}

/// Generated large inputs read completely (timings are in Benchmarks/large-inputs.sh, not here).
final class LargeInputTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A 100,000-cell NAND grid (100 layers of 1000 gates): read, flattened, timed.
    func testHundredThousandCellNetlist() throws {
        let width = 1000, layers = 100
        var text = "module grid (a, y);\n  input [\(width - 1):0] a;\n  output [\(width - 1):0] y;\n"
        for l in 1..<layers { text += "  wire [\(width - 1):0] n\(l);\n" }
        for l in 1...layers {
            for i in 0..<width {
                let j = (i + 1) % width
                let p = l == 1 ? "a[\(i)]" : "n\(l - 1)[\(i)]", q = l == 1 ? "a[\(j)]" : "n\(l - 1)[\(j)]"
                text += "  nand g\(l)_\(i) (\(l == layers ? "y[\(i)]" : "n\(l)[\(i)]"), \(p), \(q));\n"
            }
        }
        text += "endmodule\n"
        let path = scratch.appendingPathComponent("grid.v").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let design = try VerilogReader.read(paths: [path], top: nil)
        XCTAssertEqual(design.instances.count, width * layers)
        let graph = try TimingGraph(design: design, libraries: [])
        let result = TimingAnalysis(graph: graph).run(constants: [])
        XCTAssertNotNil(result.delayNs)
    }

    /// A ~10 MB Liberty file: the cells of the bad corpus's helper library repeated 7000 times.
    func testTenMegabyteLiberty() throws {
        let helper = try String(contentsOf: FuzzTests.repo.appendingPathComponent("Tests/Fixtures/bad/_ok.lib"), encoding: .utf8)
        let lines = helper.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = try XCTUnwrap(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("cell (") })
        let last = try XCTUnwrap(lines.lastIndex { $0.trimmingCharacters(in: .whitespaces) == "}" })
        let body = lines[first..<last].joined(separator: "\n")
        var text = lines[..<first].joined(separator: "\n") + "\n"
        let copies = 7000
        for k in 0..<copies {
            text += body.replacingOccurrences(of: "cell (INV)", with: "cell (INV_\(k))")
                .replacingOccurrences(of: "cell (NAND2)", with: "cell (NAND2_\(k))") + "\n"
        }
        text += "}\n"
        XCTAssertGreaterThan(text.utf8.count, 9_000_000)
        let path = scratch.appendingPathComponent("big.lib").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let library = try LibertyReader.read(path: path)
        XCTAssertEqual(library.cells.count, 2 * copies)
    }
}

extension String {
    /// A hash that is the same in every run (Swift's `hashValue` is seeded per process).
    var hashValueStable: Int {
        var h: UInt64 = 1469598103934665603
        for b in utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return Int(truncatingIfNeeded: h & 0x7FFF_FFFF)
    }
}
#endif
