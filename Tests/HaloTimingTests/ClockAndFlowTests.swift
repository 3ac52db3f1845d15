import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// Real flow netlists and the two clock modes against upstream OpenSTA (Fixtures/flow): OpenSTA's own
/// post-route example `gcd_sky130hd.v` read as it is (tap cells with no pins, a clock tree), and registered
/// MACs with hand-built clock trees, each with an ideal and a propagated clock.
final class ClockAndFlowTests: XCTestCase {
    static let folder = TestPaths.fixtures.appendingPathComponent("flow")
    let toleranceNs = 0.001

    private func pdkLibrary(_ relativePath: String) throws -> LibertyLibrary {
        guard let pdk = TestPaths.pdkFolder else {
            throw XCTSkip("no ../shared/pdk (or HALO_PDK_DIR): \(relativePath) unavailable, clock-mode parity skipped")
        }
        return try GzipLibraryCache(folder: pdk).library(relativePath)
    }

    private func readGraph(_ netlist: String, _ library: LibertyLibrary, top: String, propagated: Bool,
                           diagnostics: DiagnosticSink? = nil) throws -> TimingGraph {
        let isLeaf: (String) -> Bool = { library.cell(named: $0) != nil }
        let design = try VerilogReader.read(paths: [netlist], top: top, isLeafCell: isLeaf, diagnostics: diagnostics)
        return try TimingGraph(design: design, libraries: [library],
                               conditions: TimingConditions(clockPort: nil, propagatedClock: propagated), diagnostics: diagnostics)
    }

    func testGcdSky130hdReadsAsItIsAndMatchesBothClockModes() throws {
        let lib = try pdkLibrary("sky130hd/sky130hd_tt.lib.gz")
        let netlist = ClockAndFlowTests.folder.appendingPathComponent("gcd_sky130hd.v").path
        for mode in ["ideal", "propagated"] {
            let sink = DiagnosticSink()
            let graph = try readGraph(netlist, lib, top: "gcd", propagated: mode == "propagated", diagnostics: sink)
            XCTAssertTrue(sink.warnings.map { "\($0)" }.contains { $0.contains("skipped 1040 instances of unknown cells with no connections (sky130_fd_sc_hd__tapvpwrvgnd_1 ×1040)") },
                          "\(sink.warnings)")
            XCTAssertEqual(graph.clockPin.map { graph.pinName($0) }, "clk", "the clock is found through the clock tree")
            let ours = try XCTUnwrap(TimingAnalysis(graph: graph).run(constants: []).delayNs)
            let reference = try DelayTable.read(path: ClockAndFlowTests.folder.appendingPathComponent("gcd_sky130hd-\(mode).csv").path)
            let theirs = try XCTUnwrap(reference.unconstrained?.delayNs ?? nil)
            print("parity gcd_sky130hd (\(mode) clock): Halo \(String(format: "%.6f", ours)) ns, OpenSTA \(String(format: "%.6f", theirs)) ns, |Δ| = \(String(format: "%.3f", abs(ours - theirs) * 1000)) ps")
            XCTAssertEqual(ours, theirs, accuracy: toleranceNs, mode)
        }
    }

    func testRegisteredMACsWithClockTreesMatchBothClockModes() throws {
        for (pdk, library) in [("sky130hd", "sky130hd/sky130hd_tt.lib.gz"),
                               ("ihp-sg13g2", "ihp-sg13g2/sg13g2_stdcell_typ_1p20V_25C.lib.gz")] {
            let lib = try pdkLibrary(library)
            let netlist = TestPaths.repo.appendingPathComponent("Netlists/flow/pe8_cts_\(pdk).v").path
            for mode in ["ideal", "propagated"] {
                let graph = try readGraph(netlist, lib, top: "pe8", propagated: mode == "propagated")
                let r = try compareWithReference(graph: graph, bus: "wreg",
                                                 referencePath: ClockAndFlowTests.folder.appendingPathComponent("pe8_cts_\(pdk)-\(mode).csv").path,
                                                 label: "pe8_cts_\(pdk) \(mode)")
                print("parity pe8_cts_\(pdk) (\(mode) clock): \(r.rows) rows, largest |Halo − OpenSTA| = \(String(format: "%.3f", r.worstNs * 1000)) ps at \(r.worstAt)")
                XCTAssertLessThanOrEqual(r.worstNs, toleranceNs, "\(pdk) \(mode): \(r.worstAt)")
            }
        }
    }

    /// The two modes differ where they should: the propagated delays of the clock-tree MAC are not the ideal
    /// ones (latency and skew count), and an ideal clock ignores the tree (the same delays as without it).
    func testClockModesDiffer() throws {
        let lib = try pdkLibrary("sky130hd/sky130hd_tt.lib.gz")
        let withTree = TestPaths.repo.appendingPathComponent("Netlists/flow/pe8_cts_sky130hd.v").path
        let withoutTree = TestPaths.repo.appendingPathComponent("Netlists/pdk/sky130hd/pe8.v").path
        let ideal = try TimingAnalysis(graph: readGraph(withTree, lib, top: "pe8", propagated: false)).run(constants: []).delayNs
        let plain = try TimingAnalysis(graph: readGraph(withoutTree, lib, top: "pe8", propagated: false)).run(constants: []).delayNs
        let propagated = try TimingAnalysis(graph: readGraph(withTree, lib, top: "pe8", propagated: true)).run(constants: []).delayNs
        XCTAssertEqual(try XCTUnwrap(ideal), try XCTUnwrap(plain), accuracy: 1e-12)
        XCTAssertGreaterThan(abs(try XCTUnwrap(propagated) - ideal!), 0.01)
    }

    private let constructsLibrary = LibertyConstructTests.folder.appendingPathComponent("constructs.lib").path

    private func constructsGraph(_ verilog: String, propagated: Bool = false, blackBox: Bool = false,
                                 diagnostics: DiagnosticSink? = nil) throws -> TimingGraph {
        let lib = try LibertyReader.read(path: constructsLibrary)
        let design = try VerilogReader.parse(text: verilog, path: "t.v", top: nil, isLeafCell: { lib.cell(named: $0) != nil },
                                             blackBoxUnknownCells: blackBox, diagnostics: diagnostics)
        return try TimingGraph(design: design, libraries: [lib],
                               conditions: TimingConditions(propagatedClock: propagated), diagnostics: diagnostics)
    }

    /// A register behind an odd number of inverters captures on the falling edge: refused, with its name.
    func testFallingEdgeCaptureIsRefused() throws {
        let verilog = """
        module t (clk, d, q);
          input clk, d; output q; wire ck;
          INV i0 (.A(clk), .Y(ck));
          DFFR r0 (.D(d), .CK(ck), .RN(1'b1), .Q(q));
        endmodule
        """
        XCTAssertThrowsError(try constructsGraph(verilog)) { error in
            XCTAssertTrue("\(error)".contains("register 'r0' (DFFR) captures on the falling edge of clock 'clk'"), "\(error)")
        }
        // Two inversions: the rising edge again, accepted; the clock found through the inverters.
        let even = verilog.replacingOccurrences(of: "INV i0 (.A(clk), .Y(ck));",
                                                with: "wire m; INV i0 (.A(clk), .Y(m)); INV i1 (.A(m), .Y(ck));")
        let graph = try constructsGraph(even)
        XCTAssertEqual(graph.clockPin.map { graph.pinName($0) }, "clk")
    }

    /// Unknown cells: with no connections, skipped with one warning; with connections, an error, or with
    /// black boxes, dropped (their pins neither drive nor load, as OpenSTA's black-box ports).
    func testUnknownCells() throws {
        let verilog = """
        module t (a, y);
          input a; output y; wire n;
          FILL f0 (); FILL f1 (); TAP t0 ();
          INV u0 (.A(a), .Y(n));
          MYSTERY m0 (.I(n), .O(y));
          INV u1 (.A(n), .Y(y2));
        endmodule
        """
        XCTAssertThrowsError(try constructsGraph(verilog)) { error in
            XCTAssertEqual("\(error)", "t.v:5:3: error: unknown cell or module 'MYSTERY'")
        }
        let sink = DiagnosticSink()
        let graph = try constructsGraph(verilog, blackBox: true, diagnostics: sink)
        XCTAssertTrue(sink.warnings.map { $0.line(tool: "halo") }.contains("halo: warning: skipped 3 instances of unknown cells with no connections (FILL ×2, TAP ×1)"), "\(sink.warnings)")
        XCTAssertTrue(sink.warnings.map { "\($0)" }.contains { $0.contains("1 instance of unknown cells timed as black boxes") && $0.contains("MYSTERY ×1") },
                      "\(sink.warnings)")
        XCTAssertEqual(graph.instanceCount, 2)
        // y is driven by nothing now: no path reaches it.
        XCTAssertNil(TimingAnalysis(graph: graph).run(constants: []).delayNs)
    }
}
