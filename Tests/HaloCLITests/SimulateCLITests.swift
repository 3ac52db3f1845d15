import Foundation
import XCTest

/// `halo simulate` end to end: outputs, and one located line for every bad input.
final class SimulateCLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func halo(_ arguments: [String]) throws -> BadInputTests.Outcome { try BadInputTests.halo(arguments, in: scratch) }

    /// A non-zero exit and exactly one `error:` line, `expected`.
    func assertError(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try halo(arguments)
        XCTAssertNotEqual(r.status, 0, "expected failure", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").map(String.init).filter { $0.contains("error:") }, [expected], r.stderr, file: file, line: line)
    }

    static let energyTable = CLITests.repo.appendingPathComponent("Benchmarks/results/energy-mac8-osu018.csv").path
    static let delayOnlyTable = CLITests.repo.appendingPathComponent("Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv").path

    func inputs() throws -> (shapes: String, grid: String) {
        (try write("shapes.json", "{\"gemms\": [{\"name\": \"up\", \"k\": 256, \"n\": 512}, {\"name\": \"down\", \"k\": 512, \"n\": 256}]}"),
         try write("grid.json", "{\"format\": \"int8\", \"grid\": {\"codes\": [0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240]}}"))
    }

    func testSimulateWritesTableJSONAndPlot() throws {
        let (shapes, grid) = try inputs()
        let json = scratch.appendingPathComponent("r.json").path, svg = scratch.appendingPathComponent("p.svg").path
        let r = try halo(["simulate", "--table", Self.energyTable, "--number-format", "int8", "--shapes", shapes, "--grid", grid,
                          "--prefill-tokens", "64", "--decode-tokens", "4", "-o", json, "--plot", svg])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("int8 (all codes)"), r.stdout)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let schemes = try XCTUnwrap(report["schemes"] as? [[String: Any]])
        XCTAssertEqual(schemes.first?["name"] as? String, "int8 (all codes)")
        XCTAssertEqual(schemes.first?["speedup"] as? Double, 1)
        XCTAssertEqual(schemes.last?["name"] as? String, "halo grid")
        // The grid (multiples of 16) is INT4's high bits: the same clock.
        let int4High = try XCTUnwrap(schemes.first { ($0["name"] as? String)?.contains("high bits") == true })
        XCTAssertEqual(schemes.last?["speedup"] as? Double, int4High["speedup"] as? Double)
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(picture.contains("<svg") && picture.contains("time per layer") && picture.contains("<polyline"), picture)
    }

    func testSimulateErrorsAreOneLocatedLine() throws {
        let (shapes, grid) = try inputs()
        let config = try write("c.json", "{\n\"rows\": 0}")
        try assertError(["simulate", "--table", Self.energyTable, "--number-format", "int8", "--shapes", shapes, "--grid", grid, "--config", config],
                        "\(config):2:9: error: 'rows' must be an integer from 1 to 65536, found 0")
        try assertError(["simulate", "--table", Self.delayOnlyTable, "--number-format", "int8", "--shapes", shapes, "--grid", grid],
                        "\(Self.delayOnlyTable): error: the array model needs a delay table with energy_fj (run halo characterize --energy)")
        try assertError(["simulate", "--table", Self.energyTable, "--number-format", "int8", "--shapes", shapes],
                        "halo: error: --shapes needs --grid FILE (a report of 'halo select', or a model's halo.json)")
        try assertError(["simulate", "--table", Self.energyTable, "--number-format", "int8", "--shapes", shapes, "--grid", grid, "--reorder"],
                        "halo: error: --reorder needs --model (the codes of each channel)")
    }

    static let ihpCorners = CLITests.repo.appendingPathComponent("Benchmarks/results/corners/mac8-ihp-sg13g2-typ.csv").path

    /// `--corners` with the committed IHP SG13G2 tables (1.50 V and 1.20 V): the signed-off clock is the
    /// 1.50 V none row, levels only at the two voltages, the input nets from each voltage's column.
    func testSimulateWithCorners() throws {
        let (shapes, grid) = try inputs()
        let json = scratch.appendingPathComponent("r.json").path
        let r = try halo(["simulate", "--corners", Self.ihpCorners, "--number-format", "int8", "--shapes", shapes, "--grid", grid,
                          "--dvfs-goal", "energy", "--prefill-tokens", "64", "--decode-tokens", "4", "-o", json])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("input nets 177.5 fJ/op (table column)"), r.stdout)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let mac = try XCTUnwrap(report["mac"] as? [String: Any])
        XCTAssertEqual(mac["reference_delay_ns"] as? Double, 2.315243)
        XCTAssertEqual(mac["input_net_energy"] as? String, "table column")
        XCTAssertEqual(mac["voltages_v"] as? [Double], [1.5, 1.2])
        XCTAssertEqual(mac["input_net_energy_fj_per_voltage"] as? [Double], [177.4954, 106.7039])
        let schemes = try XCTUnwrap(report["schemes"] as? [[String: Any]])
        for s in schemes {
            for level in try XCTUnwrap(s["levels"] as? [[String: Any]]) {
                XCTAssertTrue([1.5, 1.2].contains(try XCTUnwrap(level["voltage_v"] as? Double)), "\(level)")
                XCTAssertEqual(level["clock_ns"] as? Double, 2.315243)
            }
        }
    }

    func testCornersErrors() throws {
        let (shapes, grid) = try inputs()
        let delayOnly = try write("c.csv", "code,delay_ns@1.50V,delay_ns@1.20V\nnone,2,3\n0,1,1.5\n1,2,3\n")
        try assertError(["simulate", "--table", Self.energyTable, "--corners", Self.ihpCorners, "--number-format", "int8", "--shapes", shapes, "--grid", grid],
                        "halo: error: give --table or --corners, not both (the corners' highest voltage is the delay table)")
        try assertError(["simulate", "--vf-table", "vf.csv", "--corners", Self.ihpCorners, "--number-format", "int8", "--shapes", shapes, "--grid", grid],
                        "halo: error: --vf-table and --corners exclude each other (the corners give each level's delays)")
        try assertError(["simulate", "--number-format", "int8", "--shapes", shapes, "--grid", grid],
                        "halo: error: 'halo simulate' needs --table TABLE.csv or --corners FILE")
        try assertError(["simulate", "--corners", delayOnly, "--number-format", "uint1", "--shapes", shapes, "--grid", grid],
                        "\(delayOnly): error: the array model needs a delay table with energy_fj at 1.50V (run halo characterize --energy)")
    }
}
