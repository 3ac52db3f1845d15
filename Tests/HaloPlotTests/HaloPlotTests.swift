import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import HaloCore
import HaloPlot

/// Ticks, the SVG writer, the report reader and the structure of both plots.
final class TicksTests: XCTestCase {
    func testNiceNumbers() {
        XCTAssertEqual(Ticks.niceNumber(0.77, round: true), 1)
        XCTAssertEqual(Ticks.niceNumber(0.3, round: true), 0.25)
        XCTAssertEqual(Ticks.niceNumber(1.8, round: true), 2)
        XCTAssertEqual(Ticks.niceNumber(4, round: true), 5)
        XCTAssertEqual(Ticks.niceNumber(3, round: false), 5)
        XCTAssertEqual(Ticks.niceNumber(120, round: true), 100)
    }

    func testLinearTicksCoverTheRange() {
        let t = Ticks.linear(0, 4.626)
        XCTAssertEqual(t.values, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(t.step, 1)
        let u = Ticks.linear(2.03, 2.31, target: 6)
        XCTAssertEqual(u.step, 0.05, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(u.lower, 2.03)
        XCTAssertGreaterThanOrEqual(u.upper, 2.31)
        XCTAssertEqual(u.values.count, 8)
        // A constant range widens instead of dividing by zero.
        let c = Ticks.linear(3, 3)
        XCTAssertLessThan(c.lower, 3)
        XCTAssertGreaterThan(c.upper, 3)
        // Nonsense never traps.
        for (a, b) in [(Double.nan, 1.0), (-Double.infinity, Double.infinity), (-1e308, 1e308), (0, 0), (5, -5)] {
            let t = Ticks.linear(a, b)
            XCTAssertFalse(t.values.isEmpty)
            XCTAssertLessThanOrEqual(t.values.count, 1001)
            XCTAssertTrue(t.values.allSatisfy(\.isFinite))
        }
    }

    func testIntegerTicksUsePowersOfTwoForCodeRanges() {
        XCTAssertEqual(Ticks.integer(0, 255).values, [0, 32, 64, 96, 128, 160, 192, 224])
        XCTAssertEqual(Ticks.integer(-128, 127).values, [-128, -96, -64, -32, 0, 32, 64, 96])
        XCTAssertEqual(Ticks.integer(-32768, 32767).step, 8192)
        XCTAssertEqual(Ticks.integer(0, 15).values, [0, 2, 4, 6, 8, 10, 12, 14])
        XCTAssertEqual(Ticks.integer(0, 100, target: 5).values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(Ticks.integer(7, 7).values, [7])
        // The extremes of Int: no overflow.
        XCTAssertFalse(Ticks.integer(Int.min, Int.max).values.isEmpty)
        _ = Ticks.integer(Int.max - 255, Int.max)
        _ = Ticks.integer(Int.min, Int.min + 255)
    }

    func testLogarithmicTicks() {
        XCTAssertEqual(Ticks.logarithmic(2e-5, 0.07).values, [1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
        XCTAssertEqual(Ticks.logarithmic(0.3, 4).values, [0.1, 0.2, 0.5, 1, 2, 5, 10])
        let inside = Ticks.logarithmic(1.1e-5, 0.07, widen: false)
        XCTAssertEqual(inside.lower, 1.1e-5)
        XCTAssertEqual(inside.values.first!, 1e-4, accuracy: 1e-18)
        XCTAssertEqual(Ticks.logLabels([1e-5, 1e-4, 1e-3]), ["10⁻⁵", "10⁻⁴", "10⁻³"])
        XCTAssertEqual(Ticks.logLabels([0.01, 0.1, 1, 10]), ["0.01", "0.1", "1", "10"])
        XCTAssertEqual(Ticks.logLabels([2e-6]), ["2·10⁻⁶"])
    }

    func testLabels() {
        XCTAssertEqual(Ticks.label(0.5, step: 0.25), "0.50")
        XCTAssertEqual(Ticks.label(2, step: 1), "2")
        XCTAssertEqual(Ticks.label(-128, step: 32), "\u{2212}128")
        XCTAssertEqual(Ticks.label(16384, step: 8192), "16\u{2009}384")
        XCTAssertEqual(Ticks.label(-1e-17, step: 0.5), "0.0")
        XCTAssertEqual(Ticks.label(1.5, step: 0.5), "1.5")
    }
}

final class SVGTests: XCTestCase {
    func testEscapingKeepsXMLWellFormed() throws {
        var doc = SVGDocument(width: 100, height: 50, title: "a<b & \"c\"")
        doc.text(1, 10, "A[7] -> <Y> & 'q' \u{0}\u{1}\u{7}\u{FFFE}é")
        let svg = doc.render()
        XCTAssertTrue(svg.contains("A[7] -&gt; &lt;Y&gt; &amp; &apos;q&apos; é"), svg)
        XCTAssertTrue(try wellFormed(svg))
    }

    func testNumbers() {
        XCTAssertEqual(SVGDocument.number(3), "3")
        XCTAssertEqual(SVGDocument.number(3.14159), "3.14")
        XCTAssertEqual(SVGDocument.number(-0.5), "-0.5")
        XCTAssertEqual(SVGDocument.number(.nan), "0")
    }
}

/// Parses XML; true when well-formed.
func wellFormed(_ svg: String) throws -> Bool {
    let parser = XMLParser(data: Data(svg.utf8))
    return parser.parse()
}

/// Element names of an SVG document, in order.
func elementNames(_ svg: String) -> [String] {
    final class Collector: NSObject, XMLParserDelegate {
        var names: [String] = []
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            names.append(elementName)
        }
    }
    let parser = XMLParser(data: Data(svg.utf8))
    let c = Collector()
    parser.delegate = c
    _ = parser.parse()
    return c.names
}

final class DelayPlotTests: XCTestCase {
    /// A table shaped like an 8-bit MAC's: slow everywhere, code 0 twice as fast.
    static func macLike(bits: Int = 8, missing: Set<Int> = []) -> DelayTable {
        var entries: [DelayTable.Entry] = []
        for c in 0..<(1 << bits) {
            let d = c == 0 ? 2.03 : 4.0 + 0.5 * Double(c.nonzeroBitCount) / Double(bits)
            entries.append(DelayTable.Entry(code: c, delayNs: missing.contains(c) ? nil : d, startpoint: "A[7]", endpoint: "Y[19]"))
        }
        return DelayTable(unconstrained: DelayTable.Entry(code: -1, delayNs: 4.626), entries: entries)
    }

    func testValueFormats() {
        XCTAssertEqual(ValueFormat.parse("int8"), .signed(bits: 8))
        XCTAssertEqual(ValueFormat.parse("UINT16"), .unsigned(bits: 16))
        XCTAssertEqual(ValueFormat.parse("code"), .code)
        for bad in ["int", "int0", "int63", "int8x", "float8", "uint-1", ""] { XCTAssertNil(ValueFormat.parse(bad), bad) }
        let f = ValueFormat.signed(bits: 8)
        XCTAssertEqual(f.value(ofCode: 0), 0)
        XCTAssertEqual(f.value(ofCode: 127), 127)
        XCTAssertEqual(f.value(ofCode: 128), -128)
        XCTAssertEqual(f.value(ofCode: 255), -1)
    }

    /// FP16/BF16 codes in value order (sign-magnitude), NaN and ∞ codes not drawn, power-of-two ticks.
    func testFloatFormats() {
        XCTAssertEqual(ValueFormat.parse("fp16"), .float(.binary16))
        XCTAssertEqual(ValueFormat.parse("BF16"), .float(.bfloat16))
        let f = ValueFormat.float(.binary16)
        XCTAssertEqual(f.description, "fp16")
        XCTAssertEqual(f.bits, 16)
        XCTAssertEqual(f.value(ofCode: 0x3C00), 0x3C00)
        XCTAssertEqual(f.value(ofCode: 0xBC00), -0x3C00)
        XCTAssertEqual(f.value(ofCode: 0x8000), 0)
        // Code order is value order over the finite codes.
        let finite = (0 ..< 65536).filter { f.isDrawn(code: $0) }
        XCTAssertEqual(finite.count, 63488)
        let byPosition = finite.sorted { (f.value(ofCode: $0), $0) < (f.value(ofCode: $1), $1) }
        let values = byPosition.map { IEEEFloatFormat.binary16.value(ofCode: $0) }
        XCTAssertEqual(values, values.sorted())
        XCTAssertFalse(f.isDrawn(code: 0x7C00) || f.isDrawn(code: 0xFE00))
        XCTAssertEqual(DelayPlot(table: DelayTable(unconstrained: nil, entries: []), format: f).valueRange(), -0x7BFF ... 0x7BFF)
        XCTAssertEqual(f.floatTicks(.binary16).map(\.label), ["−2⁸", "−1", "−2⁻⁸", "0", "2⁻⁸", "1", "2⁸"])
        var entries: [DelayTable.Entry] = []
        for c in [0x3C00, 0xBC00, 0x7C00, 0x7E00, 0x4000] { entries.append(DelayTable.Entry(code: c, delayNs: c == 0x7E00 ? nil : 2 + Double(c) / 1e5)) }
        let plot = DelayPlot(table: DelayTable(unconstrained: nil, entries: entries), format: f, name: "fp", busName: "W")
        let s = plot.summary()
        XCTAssertEqual(s.count, 3)
        XCTAssertEqual(s.withoutPath, 0)
        XCTAssertEqual(s.slowest?.code, 0xBC00)
        let svg = plot.svg()
        XCTAssertTrue(svg.contains("2 NaN/∞ codes not drawn"), svg)
        XCTAssertTrue(svg.contains("W = −1"), svg)
    }

    func testStructure() throws {
        let plot = DelayPlot(table: DelayPlotTests.macLike(), format: .signed(bits: 8), name: "mac8", busName: "W")
        let svg = plot.svg()
        XCTAssertTrue(try wellFormed(svg))
        let names = elementNames(svg)
        XCTAssertEqual(names.first, "svg")
        XCTAssertEqual(names.filter { $0 == "circle" }.count, 256 + 1 + 1, "points, the fastest ring, the legend marker")
        XCTAssertTrue(svg.contains("Critical-path delay per code of W — mac8"))
        XCTAssertTrue(svg.contains("no case analysis: 4.626 ns"))
        XCTAssertTrue(svg.contains("fastest: W = 0 (2.030 ns)"))
        XCTAssertTrue(svg.contains("value of W (int8, two&apos;s complement)"))
        XCTAssertTrue(svg.contains("stroke-dasharray=\"7 4\""))
        let s = plot.summary()
        XCTAssertEqual(s.count, 256)
        XCTAssertEqual(s.fastest?.code, 0)
        XCTAssertEqual(s.slowest?.code, 255)
    }

    func testMissingDelaysAndValidation() throws {
        let table = DelayPlotTests.macLike(missing: [3, 5])
        let plot = DelayPlot(table: table, format: .code)
        XCTAssertEqual(plot.summary().withoutPath, 2)
        XCTAssertTrue(plot.svg().contains("2 without a path"))
        XCTAssertThrowsError(try DelayPlot(table: table, format: .signed(bits: 4)).validate(path: "t.csv")) { e in
            XCTAssertEqual("\(e)", "t.csv: error: code 16 does not fit --format int4 (codes 0-15)")
        }
        let empty = DelayTable(unconstrained: nil, entries: [DelayTable.Entry(code: 0, delayNs: nil)])
        XCTAssertThrowsError(try DelayPlot(table: empty).validate(path: "e.csv"))
        XCTAssertTrue(try wellFormed(DelayPlot(table: empty).svg()), "an empty plot still renders")
    }

    func testDenseTablesUseADensityPicture() throws {
        let plot = DelayPlot(table: DelayPlotTests.macLike(bits: 16), format: .signed(bits: 16))
        let svg = plot.svg()
        XCTAssertTrue(try wellFormed(svg))
        XCTAssertLessThan(svg.utf8.count, 300_000)
        XCTAssertLessThan(elementNames(svg).filter { $0 == "circle" }.count, 5)
        XCTAssertTrue(svg.contains("codes per 3×3 px cell"))
    }

    func testHostileValuesNeverTrap() throws {
        let entries = [DelayTable.Entry(code: 0, delayNs: 1e308), DelayTable.Entry(code: Int.max, delayNs: -1e308),
                       DelayTable.Entry(code: 7, delayNs: 0), DelayTable.Entry(code: 8, delayNs: Double.leastNonzeroMagnitude)]
        let names = DelayTable(unconstrained: DelayTable.Entry(code: -1, delayNs: -0.0, startpoint: "<&>", endpoint: "\u{1}"),
                               entries: entries)
        XCTAssertTrue(try wellFormed(DelayPlot(table: names).svg()))
        XCTAssertTrue(try wellFormed(DelayPlot(table: names, format: .signed(bits: 62)).svg()))
        let one = DelayTable(unconstrained: nil, entries: [DelayTable.Entry(code: 5, delayNs: 1)])
        XCTAssertTrue(try wellFormed(DelayPlot(table: one, format: .signed(bits: 1)).svg()))
    }
}

final class ParetoTests: XCTestCase {
    static let report = """
    {"format": "int8", "weights": ["w/fc1.npy"],
     "budget": {"kind": "max_delay_ns", "value": 3.5, "max_delay_ns": 3.5},
     "reference_delay_ns": 4.6256,
     "grid": {"codes": [0, 1, 2, 3], "max_delay_ns": 3.47, "mse": 0.00088, "sqnr_db": 24.9},
     "baselines": [{"name": "RTN int8", "levels": 256, "max_delay_ns": 4.625, "mse": 1.1e-5, "sqnr_db": 38.2},
                   {"max_delay_ns": "4.5", "error": 0.003}],
     "pareto": [{"max_delay_ns": 2.03, "mse": 0.07}, {"delay_ns": 3.1, "mse": 0.02},
                {"max_delay_ns": 4.6, "mse": 1.1e-5}, {"max_delay_ns": null, "mse": 1}, 7]}
    """

    func testReaderIsTolerantAndWarns() throws {
        let sink = DiagnosticSink()
        let r = try ParetoReport.parse(Data(ParetoTests.report.utf8), path: "r.json", diagnostics: sink)
        XCTAssertEqual(r.pareto.map(\.maxDelayNs), [2.03, 3.1, 4.6])
        XCTAssertEqual(r.baselines.map(\.name), ["RTN int8", "baseline 2"])
        XCTAssertEqual(r.baselines[1].maxDelayNs, 4.5)
        XCTAssertEqual(r.baselines[1].mse, 0.003)
        XCTAssertEqual(r.grid?.name, "selected grid")
        XCTAssertEqual(r.grid?.levels, 4)
        XCTAssertEqual(r.budgetNs, 3.5)
        XCTAssertEqual(r.referenceDelayNs, 4.6256)
        XCTAssertEqual(r.title, "fc1.npy, int8")
        XCTAssertEqual(sink.warnings.map(\.description), [
            "r.json:8:51: warning: skipping pareto[3]: no finite 'max_delay_ns'",
            "r.json:8:85: warning: skipping pareto[4]: expected an object, found a number",
        ])
    }

    func testLocatedErrors() {
        func error(_ text: String) -> String {
            do { _ = try ParetoReport.parse(Data(text.utf8), path: "r.json"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(""), "r.json:1:1: error: empty file (expected a JSON object)")
        XCTAssertEqual(error("{\"pareto\": [1,]}"), "r.json:1:15: error: expected a JSON value, found ']'")
        XCTAssertEqual(error("{\"pareto\" [1]}"), "r.json:1:11: error: expected ':' after the key \"pareto\", found '['")
        XCTAssertEqual(error("{\"pareto\": []}\n}"), "r.json:2:1: error: unexpected '}' after the JSON value")
        XCTAssertEqual(error("{\"pareto\": \"x}"), "r.json:1:12: error: unterminated string")
        XCTAssertEqual(error("{\"a\": 1.2.3}"), "r.json:1:7: error: malformed number '1.2.3'")
        XCTAssertEqual(error("{\"a\": \"\\q\"}"), "r.json:1:8: error: unknown escape '\\q' in a string")
        XCTAssertEqual(error("[]"), "r.json:1:1: error: expected a JSON object with 'pareto' and 'baselines', found an array")
        XCTAssertEqual(error("{\"pareto\": {}}"), "r.json:1:12: error: 'pareto' must be an array of objects, found an object")
        XCTAssertEqual(error("{}"), "r.json:1:1: error: nothing to plot: no usable 'pareto', 'baselines' or 'grid' points")
        XCTAssertEqual(error(String(repeating: "[", count: 100_000)), "r.json:1:257: error: JSON nested deeper than 256 levels")
    }

    func testJSONValues() throws {
        let node = try JSONNode.parse(Data(#"{"s": "a\u00e9\n\"", "n": -1.5e3, "t": true, "z": null, "a": [], "k": 1, "k": 2}"#.utf8), path: "j")
        XCTAssertEqual(node["s"]?.string, "aé\n\"")
        XCTAssertEqual(node["n"]?.number, -1500)
        XCTAssertEqual(node["k"]?.number, 2, "the last of repeated keys")
        XCTAssertEqual(node["a"]?.array?.count, 0)
        XCTAssertNil(node["missing"])
    }

    func testPlotStructure() throws {
        let r = try ParetoReport.parse(Data(ParetoTests.report.utf8), path: "r.json")
        let plot = ParetoPlot(report: r, name: "r.json")
        XCTAssertTrue(plot.logarithmicError)
        let svg = plot.svg()
        XCTAssertTrue(try wellFormed(svg))
        XCTAssertTrue(svg.contains("RTN int8 · 38.2 dB"))
        XCTAssertTrue(svg.contains("selected grid · 4 levels · 24.9 dB"))
        XCTAssertTrue(svg.contains("budget 3.500 ns"))
        XCTAssertTrue(svg.contains("reference 4.626 ns"))
        XCTAssertTrue(svg.contains("<polyline"), "the front's staircase")
        XCTAssertTrue(svg.contains("10⁻⁵") || svg.contains("10⁻⁴"), "log ticks")
        // Linear errors (one of them zero): a linear axis.
        let flat = ParetoReport(pareto: [.init(maxDelayNs: 1, mse: 0), .init(maxDelayNs: 2, mse: 0.5)])
        XCTAssertFalse(ParetoPlot(report: flat).logarithmicError)
        XCTAssertTrue(try wellFormed(ParetoPlot(report: flat).svg()))
        // One point only.
        XCTAssertTrue(try wellFormed(ParetoPlot(report: ParetoReport(pareto: [.init(maxDelayNs: 3, mse: 1e-300)])).svg()))
    }
}
