import Foundation
import XCTest
import Halo

/// `import Halo` alone (no other Halo* import, as in a user's package) reaches every layer, and the
/// README's "Use Halo from Swift" example runs as written: every code line of its block must appear
/// verbatim in `runExample` below.
final class ImportHaloTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testEveryLayerThroughOneImport() throws {
        // HaloCore, HaloLiberty, HaloNetlist, HaloTiming, HaloCharacterization: time a generated MAC.
        let spec = MACSpec(multiplier: .array, adder: .ripple, width: 2, signed: false, accumulatorWidth: nil, format: .int,
                           registered: false, accumulate: true, moduleName: nil)
        let generated = try MACGenerator.generate(spec)                                   // HaloGenerators
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("halo-umbrella-\(UUID().uuidString).v")
        try generated.verilog.write(to: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: source) }
        let design = try VerilogReader.read(paths: [source.path], top: nil)                        // HaloNetlist
        let graph = try TimingGraph(design: design, libraries: [LibertyLibrary](), conditions: TimingConditions())
        let table = try Characterizer.characterize(graph: graph, request: CharacterizationRequest(busName: "W"))
        XCTAssertEqual(table.entries.count, 4)
        XCTAssertNotNil(GenericLibrary.cell(named: "$_AND_", inputCount: 2))              // HaloLiberty
        // HaloQuantization and HaloPlot on that table.
        let space = try CodeSpace(table: table, format: NumberFormat.parse("uint2")!, tablePath: "t.csv")
        XCTAssertEqual(space.levels.count, 4)
        let svg = DelayPlot(table: table, format: .code, name: "mac").svg()
        XCTAssertTrue(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        XCTAssertEqual(HaloError("x").line(tool: "halo"), "halo: error: x")                 // HaloCore
    }

    /// The code of the README block that starts with `import Halo` under "## Use Halo from Swift" (the
    /// comments after the code give the printed values).
    static func readmeExample() throws -> [String] {
        let readme = try String(contentsOf: repo.appendingPathComponent("README.md"), encoding: .utf8)
        let tail = readme.components(separatedBy: "## Use Halo from Swift").dropFirst().first ?? ""
        let block = tail.components(separatedBy: "```swift\nimport Halo\n").dropFirst().first?.components(separatedBy: "```").first ?? ""
        return block.split(separator: "\n").map { $0.components(separatedBy: "  //")[0].trimmingCharacters(in: .whitespaces) }
    }

    func testReadmeExampleLinesAppearHereVerbatim() throws {
        let code = try Self.readmeExample()
        XCTAssertGreaterThan(code.count, 5, "README has no ```swift block starting with 'import Halo' under '## Use Halo from Swift'")
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        for line in code where !source.contains(line) { XCTFail("README line not in ImportHaloTests.swift: \(line)") }
    }

    func testReadmeExampleRuns() throws {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(Self.repo.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let (delay, sqnr, speedup) = try runExample()
        // The README prints these values.
        XCTAssertEqual(String(format: "%.6f ns  %.2f dB  %.3fx", delay, sqnr, speedup), Self.printed)
    }

    static let printed = "3.676273 ns  20.20 dB  1.258x"

    private func runExample() throws -> (Double, Double, Double) {
        let table = try DelayTable.read(path: "Benchmarks/results/energy-mac8-osu018.csv")
        let space = try CodeSpace(table: table, format: NumberFormat.parse("int8")!, tablePath: "mac8.csv")
        let weights = [SyntheticWeights.generate(.gaussian, count: 65_536, seed: 1)]
        let problem = try QuantizationProblem(tensors: weights, granularity: .channel)
        let selector = GridSelector(problem: problem, space: space)
        var request = QuantizationRequest(levels: 16)
        request.budget = .minSpeedup(1.25)
        let outcome = try HardwareAwareQuantizer.run(selector: selector, request: request)
        let grid = outcome.solution.levels.map(\.code)
        let quantized = selector.quantize(outcome.assignment)
        print(grid, outcome.solution.maxDelayNs, outcome.quality.sqnrDB)
        print(space.speedup(maxDelayNs: outcome.solution.maxDelayNs), quantized[0].codes.prefix(4))
        return (outcome.solution.maxDelayNs, outcome.quality.sqnrDB, space.speedup(maxDelayNs: outcome.solution.maxDelayNs))
    }
}
