import XCTest
import HaloCore
@testable import HaloNetlist

/// The Yosys 0.23 netlists of the OSU 0.18 µm reference designs.
final class VerilogReferenceTests: XCTestCase {
    static let dir = "/work/shared/reference/netlists/osu018"

    private func load(_ name: String) throws -> FlatDesign {
        let path = "\(VerilogReferenceTests.dir)/\(name).v"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not present") }
        let sink = DiagnosticSink()
        let design = try VerilogReader.read(paths: [path], top: nil, diagnostics: sink)
        XCTAssertEqual(sink.warnings, [], "no warnings expected for \(name)")
        return design
    }

    private func conn(_ design: FlatDesign, _ inst: FlatInstance, _ pin: String) -> String? {
        guard let c = inst.connections.first(where: { $0.pin == pin }), let n = c.net else { return nil }
        return design.nets[n]
    }

    private func busPorts(_ name: String, _ width: Int) -> [String] { (0..<width).map { "\(name)[\($0)]" } }

    func testMac8() throws {
        let d = try load("mac8")
        XCTAssertEqual(d.topName, "mac8")
        XCTAssertEqual(d.sourcePath, "\(VerilogReferenceTests.dir)/mac8.v")
        XCTAssertEqual(d.instances.count, 586) // grep -c '^  [A-Za-z\\]\S* \S* ($'
        XCTAssertEqual(d.ports.map(\.name), busPorts("A", 8) + busPorts("W", 8) + busPorts("P", 20) + busPorts("Y", 20))
        XCTAssertEqual(d.ports.filter { $0.direction == .input }.count, 36)
        XCTAssertEqual(d.ports.filter { $0.direction == .output }.count, 20)
        XCTAssertEqual(d.ports[3].busName, "A")
        XCTAssertEqual(d.ports[3].bit, 3)
        XCTAssertEqual(d.nets.count, 622) // 566 scalar wires + 8 + 8 + 20 + 20 port bits
        XCTAssertTrue(d.netAliases.isEmpty)
        XCTAssertTrue(d.constantNets.isEmpty)
        for p in d.ports { XCTAssertEqual(d.nets[p.net], p.name) }

        // XNOR2X1 _1148_ (.A(P[0]), .B(_0500_), .Y(Y[0]));
        let x = try XCTUnwrap(d.instances.first { $0.name == "_1148_" })
        XCTAssertEqual(x.cellName, "XNOR2X1")
        XCTAssertEqual(x.primitiveInputCount, 0)
        XCTAssertEqual(x.connections.map(\.pin), ["A", "B", "Y"])
        XCTAssertEqual(conn(d, x, "A"), "P[0]")
        XCTAssertEqual(conn(d, x, "B"), "_0500_")
        XCTAssertEqual(conn(d, x, "Y"), "Y[0]")
        XCTAssertEqual(x.location?.line, 3602)
        XCTAssertEqual(x.location?.column, 11)
        // MUX2X1 _1142_ (.A(_0502_), .B(_0503_), .S(_0410_), .Y(_0525_));
        let mux = try XCTUnwrap(d.instances.first { $0.name == "_1142_" })
        XCTAssertEqual(mux.connections.map { d.nets[$0.net ?? 0] }, ["_0502_", "_0503_", "_0410_", "_0525_"])
        XCTAssertEqual(d.instances.first?.name, "_0566_")
        XCTAssertEqual(d.instances.last?.name, "_1151_")
        let cells = Dictionary(grouping: d.instances, by: \.cellName).mapValues(\.count)
        XCTAssertEqual(cells["NAND2X1"], 128)
        XCTAssertEqual(cells["XNOR2X1"], 121)
        XCTAssertEqual(cells["INVX1"], 32)
    }

    func testPe8() throws {
        let d = try load("pe8")
        XCTAssertEqual(d.topName, "pe8")
        XCTAssertEqual(d.instances.count, 652)
        XCTAssertEqual(d.ports.map(\.name),
                       ["clk", "load_w"] + busPorts("a_in", 8) + busPorts("w_in", 8) + busPorts("p_in", 20)
                       + busPorts("p_out", 20) + busPorts("a_out", 8))
        XCTAssertEqual(d.ports[0].bit, nil)
        XCTAssertEqual(d.ports[0].busName, "clk")
        XCTAssertEqual(d.ports.last?.direction, .output)
        // 810 declared bits; the six assigns at the end merge 1+2+3+4+5+6 = 21 bits into others.
        XCTAssertEqual(d.nets.count, 789)
        XCTAssertEqual(d.netAliases.count, 21)
        // assign _0597_[0] = _0596_[0];  ... assign _0602_[5:0] = { _0601_[5], ..., _0596_[0] };
        let bit0 = try XCTUnwrap(d.net(named: "_0596_[0]"))
        XCTAssertEqual(d.nets[bit0], "_0596_[0]")
        for name in ["_0597_[0]", "_0598_[0]", "_0599_[0]", "_0600_[0]", "_0601_[0]", "_0602_[0]"] {
            XCTAssertEqual(d.netAliases[name], bit0, name)
        }
        let bit5 = try XCTUnwrap(d.net(named: "_0601_[5]"))
        XCTAssertEqual(d.netAliases["_0602_[5]"], bit5)
        XCTAssertEqual(d.nets[bit5], "_0601_[5]")
        XCTAssertNil(d.netAliases["_0602_[6]"])
        // DFFPOSX1 _1247_ (.CLK(clk), .D(a_in[0]), .Q(a_out[0]));
        let ff = try XCTUnwrap(d.instances.first { $0.name == "_1247_" })
        XCTAssertEqual(ff.cellName, "DFFPOSX1")
        XCTAssertEqual(conn(d, ff, "CLK"), "clk")
        XCTAssertEqual(conn(d, ff, "D"), "a_in[0]")
        XCTAssertEqual(conn(d, ff, "Q"), "a_out[0]")
        XCTAssertEqual(d.instances.filter { $0.cellName == "DFFPOSX1" }.count, 36)
        // All clock pins on the one clock net.
        let clk = try XCTUnwrap(d.net(named: "clk"))
        XCTAssertEqual(d.instances.filter { $0.connections.contains { $0.pin == "CLK" && $0.net == clk } }.count, 36)
    }

    func testMac16() throws {
        let d = try load("mac16")
        XCTAssertEqual(d.topName, "mac16")
        XCTAssertEqual(d.instances.count, 2168)
        XCTAssertEqual(d.ports.map(\.name), busPorts("A", 16) + busPorts("W", 16) + busPorts("P", 40) + busPorts("Y", 40))
        XCTAssertEqual(d.nets.count, 2240)
        // Every instance connection is to a real net.
        XCTAssertFalse(d.instances.contains { $0.connections.contains { $0.net == nil } })
    }

    func testReferenceFilesTogetherNeedTop() throws {
        let paths = ["mac8", "pe8"].map { "\(VerilogReferenceTests.dir)/\($0).v" }
        guard paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { throw XCTSkip("absent") }
        XCTAssertThrowsError(try VerilogReader.read(paths: paths, top: nil)) { e in
            XCTAssertEqual(HaloError(wrapping: e).line(tool: "halo"), "halo: error: several candidates for the top module: mac8, pe8 (name one as top)")
        }
        let d = try VerilogReader.read(paths: paths, top: "pe8")
        XCTAssertEqual(d.instances.count, 652)
        XCTAssertEqual(d.sourcePath, paths[1])
    }

    func testReaderRejectsUnknownCellsWithLibraryPredicate() throws {
        let path = "\(VerilogReferenceTests.dir)/mac8.v"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("absent") }
        XCTAssertThrowsError(try VerilogReader.read(paths: [path], top: "mac8", isLeafCell: { $0 != "MUX2X1" })) { e in
            XCTAssertEqual("\(e)", "\(path):3571:3: error: unknown cell or module 'MUX2X1'")
        }
    }
}
