import Foundation
import XCTest
import HaloCore

/// `halo characterize --corner` and `halo quantize --corners` end to end: the corner CSV equals the
/// single-library runs column by column, the voltage/frequency table, and the errors.
final class CornerCLITests: XCTestCase {
    static let osu018 = EnergyCLITests.osu018, mac8 = EnergyCLITests.mac8

    func halo(_ arguments: [String]) throws -> EnergyCLITests.Outcome { try EnergyCLITests.run(arguments) }

    func assertError(_ arguments: [String], _ expected: String, line: UInt = #line) throws {
        let r = try halo(arguments)
        XCTAssertNotEqual(r.status, 0, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").last.map(String.init), expected, line: line)
    }

    func testCornersEqualSingleLibraryRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-corner-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A second "corner": the osu018 library gzip-compressed, as a corner's library may be.
        let gz = dir.appendingPathComponent("osu018.lib.gz").path
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(CornerCLITests.osu018)' > '\(gz)'"]
        try gzip.run(); gzip.waitUntilExit()
        let out = dir.appendingPathComponent("c.csv").path, vf = dir.appendingPathComponent("vf.csv").path
        let r = try halo(["characterize", CornerCLITests.mac8, "--bus", "W", "--codes", "0-15", "--energy", "--vectors", "100",
                          "--corner", "1.8V=\(CornerCLITests.osu018)", "--corner", "1.5V=\(gz)", "-o", out, "--vf-output", vf])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("of the 1.50V corner states nom_voltage 1.8 V"), r.stderr)
        let corners = try CornerTables.read(path: out)
        XCTAssertEqual(corners.voltages, [1.8, 1.5])
        let single = try halo(["characterize", CornerCLITests.mac8, "--bus", "W", "--codes", "0-15", "--energy", "--vectors", "100",
                               "--liberty", CornerCLITests.osu018])
        let reference = try DelayTable.parseCSV(single.stdout, path: "single.csv")
        for c in corners.corners {
            XCTAssertEqual(c.table.entries.map(\.delayNs), reference.entries.map(\.delayNs))
            XCTAssertEqual(c.table.unconstrained?.delayNs, reference.unconstrained?.delayNs)
            XCTAssertEqual(c.table.entries.map(\.toggles), reference.entries.map(\.toggles))
        }
        // Energy at each corner's own voltage: ½·C·V² scales by (1.5/1.8)² on the switching part (the
        // input-port nets are pure switching).
        for (a, b) in zip(corners.corners[0].table.entries, corners.corners[1].table.entries) {
            XCTAssertEqual(b.inputEnergyFJ! / a.inputEnergyFJ!, (1.5 * 1.5) / (1.8 * 1.8), accuracy: 1e-4)
        }
        XCTAssertEqual(corners.corners[0].table.entries.map(\.energyFJ), reference.entries.map(\.energyFJ))
        // The voltage/frequency table, read by quantize's reader (1000 / the none row).
        let text = try String(contentsOfFile: vf, encoding: .utf8)
        let rows = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.map(\.first), ["voltage_v", "1.8", "1.5"])
        XCTAssertEqual(Double(rows[1][1])!, 1000 / reference.unconstrained!.delayNs!, accuracy: 1e-3)
        // Read as one delay table: the nominal corner.
        XCTAssertEqual(try DelayTable.read(path: out).entries.map(\.delayNs), reference.entries.map(\.delayNs))
    }

    func testErrors() throws {
        let base = ["characterize", CornerCLITests.mac8, "--bus", "W"]
        try assertError(base + ["--corner", "1.8V"], "halo: error: malformed --corner '1.8V' (expected VOLTAGE=LIB[,LIB...], e.g. 1.80V=lib_1v80.lib)")
        try assertError(base + ["--corner", "fast=\(CornerCLITests.osu018)"],
                        "halo: error: malformed voltage 'fast' in --corner 'fast=\(CornerCLITests.osu018)' (expected a positive number of volts, e.g. 1.80V)")
        try assertError(base + ["--corner", "1.8V=\(CornerCLITests.osu018),"],
                        "halo: error: --corner '1.8V=\(CornerCLITests.osu018),' names an empty library (expected VOLTAGE=LIB[,LIB...])")
        try assertError(base + ["--corner", "1.8V=\(CornerCLITests.osu018)", "--liberty", CornerCLITests.osu018],
                        "halo: error: --corner and --liberty exclude each other (each corner names its libraries)")
        try assertError(base + ["--corner", "1.8V=\(CornerCLITests.osu018)", "--corner", "1.80=\(CornerCLITests.osu018)", "--codes", "0"],
                        "halo: error: two --corner options at 1.80V; give each voltage once")
        try assertError(base + ["--liberty", CornerCLITests.osu018, "--vf-output", "/tmp/x.csv"],
                        "halo: error: --vf-output needs --corner (the voltages to make the table of)")
        try assertError(base + ["--corner", "1.8V=/nonexistent.lib"], "/nonexistent.lib: error: no such file")
        try assertError(["quantize", "--corners", "/nonexistent.csv", "--vf-table", "vf.csv", "--number-format", "int8",
                         "--weights", "w.csv", "--tile", "8x8", "-o", "/tmp/q.safetensors"],
                        "halo: error: --vf-table and --corners exclude each other (the corners give each level's delays)")
        try assertError(["quantize", "--table", "t.csv", "--corners", "c.csv", "--number-format", "int8", "--weights", "w.csv",
                         "-o", "/tmp/q.safetensors"], "halo: error: --corners needs --tile RxC (the DVFS tile)")
    }
}
