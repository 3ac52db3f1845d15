import XCTest
import HaloCore
import HaloQuantization
@testable import HaloAccelerator

final class ReadersAndReorderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-accel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String {
        let p = dir.appendingPathComponent(name).path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func assertError(_ body: () throws -> Void, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? HaloError)?.description, expected, file: file, line: line)
        }
    }

    func testConfigOverridesAndLocatedErrors() throws {
        let good = try write("good.json", "{\"rows\": 256, \"cols\": 256, \"dvfs_goal\": \"energy\", \"leakage_per_mac_nw\": null}")
        let c = try ArrayConfig.read(path: good)
        XCTAssertEqual(c.rows, 256); XCTAssertEqual(c.cols, 256); XCTAssertEqual(c.goal, .energy)
        XCTAssertEqual(c.dramBandwidthGBps, 34)                  // untouched default
        let unknown = try write("unknown.json", "{\n  \"rows\": 8,\n  \"colums\": 8\n}")
        assertError({ _ = try ArrayConfig.read(path: unknown) },
                    "\(unknown):3:13: error: unknown field 'colums'; the fields are \(ArrayConfig.fieldNames.joined(separator: ", "))")
        let kind = try write("kind.json", "{\"rows\": \"eight\"}")
        assertError({ _ = try ArrayConfig.read(path: kind) }, "\(kind):1:10: error: 'rows' must be an integer from 1 to 65536, found the string \"eight\"")
        let range = try write("range.json", "{\"dram_bandwidth_gbps\": -3}")
        assertError({ _ = try ArrayConfig.read(path: range) }, "\(range):1:25: error: 'dram_bandwidth_gbps' must be a number from 1e-06 to 1000000000.0, found -3")
        let goal = try write("goal.json", "{\"dvfs_goal\": \"fast\"}")
        assertError({ _ = try ArrayConfig.read(path: goal) }, "\(goal):1:15: error: 'dvfs_goal' must be \"speed\" or \"energy\", found the string \"fast\"")
        let array = try write("array.json", "[1]")
        assertError({ _ = try ArrayConfig.read(path: array) }, "\(array):1:1: error: an array configuration is a JSON object, found an array")
    }

    func testShapesFileAndLocatedErrors() throws {
        let good = try write("s.json", "{\"gemms\": [{\"name\": \"q\", \"k\": 64, \"n\": 32, \"repeat\": 2}, {\"name\": \"o\", \"k\": 32, \"n\": 64}]}")
        let shapes = try GEMMShapesFile.read(path: good)
        XCTAssertEqual(shapes.map(\.name), ["q#0", "q#1", "o"])
        XCTAssertEqual(shapes.map(\.k), [64, 64, 32])
        let zero = try write("zero.json", "{\"gemms\": [\n {\"name\": \"q\", \"k\": 0, \"n\": 3}]}")
        assertError({ _ = try GEMMShapesFile.read(path: zero) }, "\(zero):2:21: error: 'k' must be an integer from 1 to 16777216, found 0")
        let missing = try write("missing.json", "{\"gemms\": [{\"name\": \"q\", \"k\": 4}]}")
        assertError({ _ = try GEMMShapesFile.read(path: missing) }, "\(missing):1:12: error: GEMM 'q' needs 'n'")
        let extra = try write("extra.json", "{\"gemms\": [{\"name\": \"q\", \"k\": 4, \"n\": 4, \"m\": 2}]}")
        assertError({ _ = try GEMMShapesFile.read(path: extra) }, "\(extra):1:47: error: unknown field 'm' of a GEMM (expected name, k, n, repeat)")
    }

    /// A quantized model folder as `halo quantize` writes it (only the files the array model reads).
    func writeModel(_ tensors: [(String, [Int], [UInt8])], manifest: String? = nil) throws -> String {
        let folder = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let entries = tensors.map { SafeTensorsWriter.Entry(name: $0.0 + ".codes", shape: $0.1, payload: .u8($0.2)) }
        try SafeTensorsWriter.write(entries, to: folder.appendingPathComponent("halo-codes.safetensors").path)
        let names = tensors.map { "\"\($0.0)\"" }.joined(separator: ", ")
        let text = manifest ?? "{\"format\": \"uint2\", \"grid\": {\"codes\": [0, 1, 2, 3]}, \"codes_files\": [\"halo-codes.safetensors\"], \"quantized\": [\(names)]}"
        try text.write(to: folder.appendingPathComponent("halo.json"), atomically: true, encoding: .utf8)
        return folder.path
    }

    func testModelManifestErrorsAreLocated() throws {
        let path = try writeModel([("a.weight", [2, 2], [0, 1, 2, 3])],
                                  manifest: "{\"format\": \"uint2\",\n \"grid\": {\"codes\": [0, 9]}, \"codes_files\": [], \"quantized\": []}")
        assertError({ _ = try QuantizedModelCodes(path: path) },
                    "\(path)/halo.json:2:24: error: grid code must be an integer from 0 to 3, found 9")
        let p2 = try writeModel([("a.weight", [2, 2], [0, 1, 2, 3])],
                                manifest: "{\"format\": \"uint2\", \"grid\": {\"codes\": [0]}, \"codes_files\": [\"halo-codes.safetensors\"], \"quantized\": [\"b.weight\"]}")
        assertError({ _ = try QuantizedModelCodes(path: p2) }, "\(p2)/halo.json:1:102: error: no 'b.weight.codes' in the codes files")
    }

    /// Tile histograms from a model's codes, with and without permutations, against a hand count.
    func testTileHistogramsFollowPermutations() throws {
        // W [n=4 out, k=2 in], codes row-major: rows 0…3 = (3,3), (0,0), (3,0), (0,1).
        let path = try writeModel([("a.weight", [4, 2], [3, 3, 0, 0, 3, 0, 0, 1])])
        let m = try QuantizedModelCodes(path: path)
        let w = m.matrices[0]
        XCTAssertEqual(w.n, 4); XCTAssertEqual(w.k, 2)
        // Array 2×2: K fits one tile; N splits into rows {0,1} and {2,3}.
        XCTAssertEqual(m.tileHistograms(w, rows: 2, cols: 2), [[2, 0, 0, 2], [2, 1, 0, 1]])
        // Rows ordered 0, 2, 1, 3: the slow rows (holding code 3) share a tile.
        XCTAssertEqual(m.tileHistograms(w, rows: 2, cols: 2, outputOrder: [0, 2, 1, 3]), [[1, 0, 0, 3], [3, 1, 0, 0]])
        // Array 1×4: one K-tile per input column; columns swapped.
        XCTAssertEqual(m.tileHistograms(w, rows: 1, cols: 4, inputOrder: [1, 0]), [[2, 1, 0, 1], [2, 0, 0, 2]])
        XCTAssertEqual(m.rowMaxDelays(w, delayNs: [1, 2, 3, 4]), [4, 1, 4, 2])
    }

    /// Reordering an MLP pair: the permutation groups slow rows, the reordered grid is faster, and the
    /// permuted integer MLP computes the same outputs.
    func testReorderingSpeedsUpAndPreservesTheFunction() throws {
        // Producer up [8 out, 4 in], consumer down [4 out, 8 in]; up's rows 1, 3, 5, 7 hold the slow code 3.
        var up = [UInt8](repeating: 0, count: 32), down = [UInt8](repeating: 1, count: 32)
        for r in [1, 3, 5, 7] { up[r * 4 + 2] = 3 }
        for i in 0 ..< 32 where i % 3 == 0 { up[i] = max(up[i], 1) }
        let path = try writeModel([("l.mlp.up_proj.weight", [8, 4], up), ("l.mlp.down_proj.weight", [4, 8], down)])
        let model = try QuantizedModelCodes(path: path)
        let table = DelayTable(unconstrained: DelayTable.Entry(code: 0, delayNs: 4),
                               entries: (0 ..< 4).map { DelayTable.Entry(code: $0, delayNs: Double($0 + 1), energyFJ: 100 * Double($0 + 1)) })
        let space = try CodeSpace(table: table, format: .uint(bits: 2), tablePath: "t")
        let timing = try MACTiming(table: table, format: .uint(bits: 2), inputNetEnergyFJ: 0, tableIncludesInputNets: false)
        var config = ArrayConfig()
        config.rows = 4; config.cols = 4; config.dvfsSwitchNs = 0; config.dvfsSwitchNJ = 0
        let result = try AcceleratorStudy.run(space: space, timing: timing, config: config,
                                              workload: Workload(prefillTokens: 64, prefillBatch: 1, decodeTokens: 0, decodeBatch: 1),
                                              weights: .model(model), reorder: true)
        let perm = try XCTUnwrap(result.permutations.first)
        XCTAssertEqual(perm.producers, ["l.mlp.up_proj.weight"])
        XCTAssertEqual(perm.consumer, "l.mlp.down_proj.weight")
        XCTAssertEqual(perm.permutation, [1, 3, 5, 7, 0, 2, 4, 6])
        XCTAssertEqual(result.reorderedChannels, 8)
        XCTAssertEqual(result.fastChannels, 4)              // rows 0, 2, 4, 6: codes ≤ 1 (2 ns) against the grid's 4 ns
        let plain = try XCTUnwrap(result.runs.first { $0.name == "halo grid" })
        let reordered = try XCTUnwrap(result.runs.first { $0.name == "halo grid, reordered" })
        // Before: both N-tiles of up hold code 3 (4 ns). After: one tile of 4 slow rows, one of fast rows (2 ns).
        XCTAssertEqual(plain.phases[0].gemms[0].passesPerLevel.filter { $0 > 0 }.count, 1)
        XCTAssertLessThan(reordered.timeNs, plain.timeNs)
        XCTAssertEqual(reordered.phases[0].gemms[0].computeNs, Double(4 + 3 + 64 + 3) * (4 + 2))

        // The same permutation on an integer MLP y = W2 · relu(W1 · x + b1) + b2.
        var rng = SplitMix64(seed: 3)
        func ints(_ n: Int) -> [Int] { (0 ..< n).map { _ in Int(rng.next() % 15) - 7 } }
        let w1 = ints(32), b1 = ints(8), w2 = ints(32), b2 = ints(4), x = ints(4)
        func mlp(_ w1: [Int], _ b1: [Int], _ w2: [Int]) -> [Int] {
            let h = (0 ..< 8).map { i in max(0, (0 ..< 4).reduce(b1[i]) { $0 + w1[i * 4 + $1] * x[$1] }) }
            return (0 ..< 4).map { o in (0 ..< 8).reduce(b2[o]) { $0 + w2[o * 8 + $1] * h[$1] } }
        }
        let p = perm.permutation
        let permuted = mlp(ChannelPermutation.permuteRows(w1, cols: 4, by: p), ChannelPermutation.permuteRows(b1, cols: 1, by: p),
                           ChannelPermutation.permuteColumns(w2, cols: 8, by: p))
        XCTAssertEqual(permuted, mlp(w1, b1, w2))
        // A wrong permutation of the consumer changes the function (the test can fail).
        XCTAssertNotEqual(mlp(ChannelPermutation.permuteRows(w1, cols: 4, by: p), ChannelPermutation.permuteRows(b1, cols: 1, by: p), w2), mlp(w1, b1, w2))
    }
}
