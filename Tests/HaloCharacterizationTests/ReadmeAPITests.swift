import Foundation
import XCTest
import HaloTestSupport
import HaloLiberty
import HaloNetlist
import HaloTiming
import HaloCharacterization

/// The README's "Library API" example, run as written: every code line of the README block must
/// appear verbatim in `runExample` below, so the documentation cannot drift from code that compiles.
final class ReadmeAPITests: XCTestCase {
    func testExampleLinesAppearHereVerbatim() throws {
        let readme = try String(contentsOf: TestPaths.repo.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## Library API"),
              let open = readme.range(of: "```swift\n", range: section.upperBound..<readme.endIndex),
              let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex) else {
            return XCTFail("README has no ```swift block under '## Library API'")
        }
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let lines = readme[open.upperBound..<close.lowerBound].split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 5)
        for line in lines {
            // Comments after the code give the printed values; the code part must match.
            let code = line.components(separatedBy: "  //").first!.trimmingCharacters(in: .whitespaces)
            XCTAssertTrue(source.contains(code), "README line not in ReadmeAPITests.swift: \(code)")
        }
    }

    func testExampleRuns() throws {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(TestPaths.repo.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let (code0, none, minus3, end) = try runExample()
        // The README prints "2.0289972…, 4.6255981…".
        XCTAssertTrue(String(code0).hasPrefix("2.0289972"), "\(code0)")
        XCTAssertTrue(String(none).hasPrefix("4.6255981"), "\(none)")
        XCTAssertTrue(String(minus3).hasPrefix("4.6254663"), "\(minus3)")
        XCTAssertEqual(end, "Y[19]")
    }

    private func runExample() throws -> (Double, Double, Double, String) {
        let lib = try LibertyReader.read(path: "/usr/share/qflow/tech/osu018/osu018_stdcells.lib")
        let design = try VerilogReader.read(paths: ["Netlists/osu018/mac8.v"], top: "mac8")
        let graph = try TimingGraph(design: design, libraries: [lib], conditions: TimingConditions(outputLoadFF: 10))
        let table = try Characterizer.characterize(graph: graph, request: CharacterizationRequest(busName: "W"))
        print(table.delayNs(ofCode: 0)!, table.unconstrained!.delayNs!)
        let w = try CaseBus(named: "W", in: graph)
        let analysis = TimingAnalysis(graph: graph)
        let r = analysis.run(constants: w.constants(code: w.parseCode("-3")!))
        print(r.delayNs!, graph.pinName(r.endPin!))
        return (table.delayNs(ofCode: 0)!, table.unconstrained!.delayNs!, r.delayNs!, graph.pinName(r.endPin!))
    }
}
