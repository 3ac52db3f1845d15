import Foundation
import XCTest

/// `halo characterize` and `halo report` with placed netlists: the clock found through a clock buffer,
/// `--propagated-clock`, tap cells with no connections, unknown cells and `--black-box` — through the real
/// binary. (The delays themselves are checked against OpenSTA in HaloTimingTests' ClockAndFlowTests.)
final class ClockCLITests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-clock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func run(_ arguments: [String]) throws -> CLITests.Outcome {
        try CLITests(name: "halo", testClosure: { _ in }).halo(arguments)
    }

    /// osu018 pe8 with its registers clocked through two buffers, plus `extra` lines before `endmodule`.
    private func netlist(_ extra: String = "") throws -> String {
        var text = try String(contentsOf: CLITests.repo.appendingPathComponent("Netlists/osu018/pe8.v"), encoding: .utf8)
        text = text.replacingOccurrences(of: ".CLK(clk)", with: ".CLK(ck2)")
        text = text.replacingOccurrences(of: "endmodule", with: """
              wire ck1, ck2;
              CLKBUF1 cb1 (.A(clk), .Y(ck1));
              BUFX2 cb2 (.A(ck1), .Y(ck2));
            \(extra)
            endmodule
            """)
        let path = scratch.appendingPathComponent("pe8_tree.v").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func delays(_ csv: String) -> [String: Double] {
        var d: [String: Double] = [:]
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            if f.count >= 2, let x = Double(f[1]) { d[String(f[0])] = x }
        }
        return d
    }

    func testIdealAndPropagatedClock() throws {
        let v = try netlist()
        let ideal = try run(["characterize", v, "--liberty", CLITests.osu018, "--bus", "wreg", "--codes", "0-3", "--quiet"])
        XCTAssertEqual(ideal.status, 0, ideal.stderr)
        let propagated = try run(["characterize", v, "--liberty", CLITests.osu018, "--bus", "wreg", "--codes", "0-3",
                                  "--propagated-clock", "--quiet"])
        XCTAssertEqual(propagated.status, 0, propagated.stderr)
        let a = delays(ideal.stdout), b = delays(propagated.stdout)
        XCTAssertEqual(Set(a.keys), ["none", "0", "1", "2", "3"])
        XCTAssertEqual(Set(b.keys), Set(a.keys))
        // The clock tree is the same for every register: with a propagated clock the delays change.
        XCTAssertTrue(a.keys.contains { abs(a[$0]! - b[$0]!) > 1e-6 }, "\(a) \(b)")
        // An ideal clock ignores the buffers: the same table as the netlist without them.
        let plain = try run(["characterize", CLITests.repo.appendingPathComponent("Netlists/osu018/pe8.v").path,
                             "--liberty", CLITests.osu018, "--bus", "wreg", "--codes", "0-3", "--quiet"])
        XCTAssertEqual(delays(plain.stdout), a)
        let report = try run(["report", v, "--liberty", CLITests.osu018, "--propagated-clock"])
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(report.stdout.contains("cb2/Y (BUFX2)"), report.stdout)
    }

    func testTapCellsUnknownCellsAndBlackBoxes() throws {
        let taps = try netlist("  FILL f0 ();\n  FILL f1 ();")
        let ok = try run(["characterize", taps, "--liberty", CLITests.osu018, "--bus", "wreg", "--codes", "0-0", "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stderr, "halo: warning: skipped 2 instances of unknown cells with no connections (FILL ×2)\n")
        let unknown = try netlist("  MYSTERY m0 (.A(ck2));")
        let refused = try run(["characterize", unknown, "--liberty", CLITests.osu018, "--bus", "wreg", "--quiet"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("error: unknown cell or module 'MYSTERY'\n"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1)
        let boxed = try run(["characterize", unknown, "--liberty", CLITests.osu018, "--bus", "wreg", "--codes", "0-0",
                             "--black-box", "--quiet"])
        XCTAssertEqual(boxed.status, 0, boxed.stderr)
        XCTAssertTrue(boxed.stderr.contains("1 instance of unknown cells timed as black boxes"), boxed.stderr)
        XCTAssertEqual(delays(boxed.stdout), delays(ok.stdout))
    }
}
