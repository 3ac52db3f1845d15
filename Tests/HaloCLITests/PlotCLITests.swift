import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `halo plot` end to end: SVG files that parse as XML, carry the expected marks, and rasterize.
final class PlotCLITests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let mac8Table = repo.appendingPathComponent("Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv").path
    static let mac16Table = repo.appendingPathComponent("Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac16.csv").path

    /// A report in the form `halo quantize` writes (hand-written: the plot must not depend on the quantizer).
    static let report = """
    {
      "format": "int8", "levels": 16, "weights": ["fc1.npy"],
      "budget": {"kind": "max_delay_ns", "value": 3.5, "max_delay_ns": 3.5},
      "reference_delay_ns": 4.625598, "reference": "no case analysis",
      "grid": {"codes": [0, 1, 2, 4, 8, 16, 32, 64, 128, 192, 224, 240, 248, 252, 254, 255],
               "max_delay_ns": 3.47, "mse": 0.00088, "sqnr_db": 24.9},
      "baselines": [
        {"name": "RTN int8", "levels": 256, "max_delay_ns": 4.625, "mse": 1.12e-5, "sqnr_db": 38.2},
        {"name": "RTN int4", "levels": 16, "max_delay_ns": 4.598, "mse": 0.00291, "sqnr_db": 16.3},
        {"name": "power-of-two", "levels": 15, "max_delay_ns": 3.62, "mse": 0.00402, "sqnr_db": 14.8}
      ],
      "pareto": [
        {"budget_ns": 2.029, "max_delay_ns": 2.029, "mse": 0.0712, "codes": [0]},
        {"budget_ns": 3.075, "max_delay_ns": 3.075, "mse": 0.0214, "codes": [0, 64]},
        {"budget_ns": 3.348, "max_delay_ns": 3.348, "mse": 0.00631},
        {"budget_ns": 3.47, "max_delay_ns": 3.47, "mse": 0.00088},
        {"budget_ns": 4.22, "max_delay_ns": 4.22, "mse": 0.000152},
        {"budget_ns": 4.625, "max_delay_ns": 4.625, "mse": 1.12e-5}
      ]
    }
    """

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func halo(_ arguments: [String]) throws -> BadInputTests.Outcome {
        try BadInputTests.halo(arguments, in: scratch)
    }

    /// Parses `svg` as XML; returns the element names in document order and the text content.
    func parseXML(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> (elements: [String], text: String) {
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [String] = []
            var text = ""
            func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
                elements.append(elementName)
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
            func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
                text += "\n"
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        XCTAssertTrue(ok, "SVG is not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return (collector.elements, collector.text)
    }

    func testDelayPlotOfMac8() throws {
        let out = scratch.appendingPathComponent("mac8.svg").path
        let r = try halo(["plot", PlotCLITests.mac8Table, "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        let (elements, text) = parseXML(svg)
        XCTAssertEqual(elements.first, "svg")
        XCTAssertEqual(elements.filter { $0 == "circle" }.count, 256 + 2, "256 codes, the ring around the fastest, the legend's marker")
        XCTAssertTrue(text.contains("no case analysis: 4.626 ns"), text)
        XCTAssertTrue(text.contains("fastest: code 0 (2.029 ns)"), text)
        XCTAssertTrue(text.contains("critical-path delay (ns)"), text)
        XCTAssertTrue(text.contains("code (unsigned)"), text)
        XCTAssertTrue(svg.contains("stroke-dasharray"), "the no-case line is dashed")
        for tick in ["0", "64", "128", "192"] { XCTAssertTrue(text.contains("\n\(tick)\n"), "x tick \(tick)") }
    }

    func testSignedFormatAndStdout() throws {
        let r = try halo(["plot", PlotCLITests.mac8Table, "--format", "int8"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (_, text) = parseXML(r.stdout)
        XCTAssertTrue(text.contains("value (int8, two's complement)"), text)
        XCTAssertTrue(text.contains("\n\u{2212}128\n"), "x tick −128")
        XCTAssertTrue(text.contains("\n96\n"), "x tick 96")
    }

    func testDenseTableIsCompact() throws {
        // 2,049 sampled codes of the 16-bit MAC: drawn as a density picture, not a point each.
        let out = scratch.appendingPathComponent("mac16.svg").path
        let r = try halo(["plot", PlotCLITests.mac16Table, "--format", "int16", "-o", out, "--title", "mac16 (sampled)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        let (elements, text) = parseXML(svg)
        XCTAssertLessThan(elements.filter { $0 == "circle" }.count, 10)
        XCTAssertLessThan(svg.utf8.count, 400_000)
        XCTAssertTrue(text.contains("mac16 (sampled)"))
        XCTAssertTrue(text.contains("no case analysis: 6.794 ns"), text)
    }

    func testParetoPlot() throws {
        let report = scratch.appendingPathComponent("REPORT.json")
        try PlotCLITests.report.write(to: report, atomically: true, encoding: .utf8)
        let out = scratch.appendingPathComponent("pareto.svg").path
        let r = try halo(["plot", "--pareto", report.path, "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        let (_, text) = parseXML(svg)
        for label in ["RTN int8 · 38.2 dB", "RTN int4 · 16.3 dB", "power-of-two · 14.8 dB",
                      "selected grid · 16 levels · 24.9 dB", "budget 3.500 ns", "Pareto front",
                      "quantization error (MSE, log scale)", "max critical-path delay over the weights used (ns)"] {
            XCTAssertTrue(text.contains(label), "missing '\(label)' in\n\(text)")
        }
        XCTAssertTrue(text.contains("fc1.npy, int8"), "title from the report's weights and format")
    }

    func testOutputThroughASymlinkKeepsTheLink() throws {
        // `-o` never renames a file over a link or a device (as root, an atomic write to /dev/null would
        // replace the device node): a link is followed, and the link stays a link.
        let target = scratch.appendingPathComponent("target.svg").path
        try String(repeating: "old content ", count: 10_000).write(toFile: target, atomically: true, encoding: .utf8)
        let link = scratch.appendingPathComponent("link.svg").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let r = try halo(["plot", PlotCLITests.mac8Table, "-o", link])
        XCTAssertEqual(r.status, 0, r.stderr)
        let type = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeSymbolicLink)
        let written = try String(contentsOfFile: target, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix("<?xml"))
        XCTAssertFalse(written.contains("old content"))
    }

    func testHelp() throws {
        let r = try halo(["plot", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("USAGE: halo plot TABLE.csv"))
        let top = try halo(["--help"])
        XCTAssertTrue(top.stdout.contains("  plot "), top.stdout)
    }

    /// Renders both plots to PNG with `rsvg-convert` (librsvg) when it is installed, as CI does.
    func testRasterizeWithRsvgConvert() throws {
        let candidates = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert", "/opt/homebrew/bin/rsvg-convert"]
        guard let rsvg = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("rsvg-convert is not installed (Debian: apt-get install librsvg2-bin)")
        }
        let report = scratch.appendingPathComponent("REPORT.json")
        try PlotCLITests.report.write(to: report, atomically: true, encoding: .utf8)
        let jobs: [(args: [String], name: String, width: Int, height: Int)] = [
            (["plot", PlotCLITests.mac8Table, "--format", "int8"], "delay", 1100, 600),
            (["plot", PlotCLITests.mac16Table], "dense", 1100, 600),
            (["plot", "--pareto", report.path], "pareto", 960, 620),
        ]
        for job in jobs {
            let svg = scratch.appendingPathComponent("\(job.name).svg").path
            let png = scratch.appendingPathComponent("\(job.name).png").path
            XCTAssertEqual(try halo(job.args + ["-o", svg]).status, 0)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: rsvg)
            p.arguments = ["-o", png, svg]
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 0, "rsvg-convert: \(message)")
            XCTAssertEqual(message, "", "rsvg-convert warnings")
            let data = try XCTUnwrap(FileManager.default.contents(atPath: png))
            XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
            // IHDR: width and height, big-endian, at bytes 16…23.
            let be = { (o: Int) -> Int in data[o..<(o + 4)].reduce(0) { $0 << 8 | Int($1) } }
            XCTAssertEqual(be(16), job.width)
            XCTAssertEqual(be(20), job.height)
            // A blank canvas compresses to ~3 kB; a real plot with text, ticks and data is far larger.
            XCTAssertGreaterThan(data.count, 20_000, "\(job.name).png looks empty (\(data.count) bytes)")
        }
    }
}
