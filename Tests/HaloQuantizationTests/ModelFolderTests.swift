import Foundation
import XCTest
@testable import HaloCore
@testable import HaloQuantization

/// Model folders in and out (issue 14): a generated LLaMA-shaped BF16 folder of three shards round-trips,
/// the default selection quantizes what a MAC multiplies, the sampled grid is the full-data grid, and a
/// bad folder is one located line with nothing left behind.
final class ModelFolderTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halo-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    // MARK: A generated model

    private struct Spec { var name: String; var dtype: String; var shape: [Int] }

    /// Heavy-tailed rows of different scales, deterministic.
    private func values(_ count: Int, cols: Int, seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0 ..< count).map { i in
            let rowScale = 0.02 * (1 + Double((i / max(1, cols)) % 7))
            let u = max(rng.nextUnit(), 1e-12), v = rng.nextUnit()
            let g = (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
            let tail = rng.nextUnit() < 0.01 ? 4.0 : 1.0
            return Float(rowScale * g * tail)
        }
    }

    /// The bytes of a tensor as the test writes them: BF16 by truncation plus round-half-up of the
    /// dropped half (exact for these values' purposes: any BF16 input is fine), I64 counting up.
    private func bytes(_ spec: Spec, seed: UInt64) -> [UInt8] {
        let count = spec.shape.reduce(1, *)
        switch spec.dtype {
        case "I64":
            var out: [UInt8] = []
            for i in 0 ..< count { withUnsafeBytes(of: Int64(i).littleEndian) { out += $0 } }
            return out
        case "F32":
            var out: [UInt8] = []
            for v in values(count, cols: spec.shape.last ?? 1, seed: seed) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
            return out
        default:
            var out: [UInt8] = []
            for v in values(count, cols: spec.shape.last ?? 1, seed: seed) {
                let b = UInt16((v.bitPattern &+ 0x8000) >> 16)
                withUnsafeBytes(of: b.littleEndian) { out += $0 }
            }
            return out
        }
    }

    private var hidden = 32, inter = 48, vocab = 40

    private var llamaTensors: [Spec] {
        var t: [Spec] = [Spec(name: "model.embed_tokens.weight", dtype: "BF16", shape: [vocab, hidden])]
        for l in 0 ..< 2 {
            let p = "model.layers.\(l)."
            t += [Spec(name: p + "input_layernorm.weight", dtype: "BF16", shape: [hidden]),
                  Spec(name: p + "self_attn.q_proj.weight", dtype: "BF16", shape: [hidden, hidden]),
                  Spec(name: p + "self_attn.k_proj.weight", dtype: "BF16", shape: [hidden / 2, hidden]),
                  Spec(name: p + "self_attn.v_proj.weight", dtype: "BF16", shape: [hidden / 2, hidden]),
                  Spec(name: p + "self_attn.o_proj.weight", dtype: "BF16", shape: [hidden, hidden]),
                  Spec(name: p + "self_attn.o_proj.bias", dtype: "BF16", shape: [hidden]),
                  Spec(name: p + "post_attention_layernorm.weight", dtype: "BF16", shape: [hidden]),
                  Spec(name: p + "mlp.gate_proj.weight", dtype: "BF16", shape: [inter, hidden]),
                  Spec(name: p + "mlp.up_proj.weight", dtype: "BF16", shape: [inter, hidden]),
                  Spec(name: p + "mlp.down_proj.weight", dtype: "BF16", shape: [hidden, inter])]
        }
        t += [Spec(name: "model.norm.weight", dtype: "BF16", shape: [hidden]),
              Spec(name: "model.rotary_emb.position_ids", dtype: "I64", shape: [1, 16]),
              Spec(name: "lm_head.weight", dtype: "BF16", shape: [vocab, hidden])]
        return t
    }

    /// Writes a three-shard folder with an index and the files a loader needs; returns its path.
    @discardableResult
    private func makeModel(_ name: String = "model", index: Bool = true) throws -> URL {
        let dir = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        let specs = llamaTensors
        let shards = index ? [Array(specs[0 ..< 8]), Array(specs[8 ..< 16]), Array(specs[16...])] : [specs]
        var weightMap: [(String, String)] = []
        var total = 0
        for (s, group) in shards.enumerated() {
            let file = index ? String(format: "model-%05d-of-%05d.safetensors", s + 1, shards.count) : "model.safetensors"
            let writer = try SafeTensorsStreamWriter(path: dir.appendingPathComponent(file).path,
                                                     entries: group.map { .init(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
                                                     metadata: ["format": "pt"])
            for (i, spec) in group.enumerated() {
                let b = bytes(spec, seed: UInt64(s * 100 + i + 1))
                total += b.count
                try b.withUnsafeBytes { try writer.append($0) }
                weightMap.append((spec.name, file))
            }
            try writer.finish()
        }
        if index {
            let map = weightMap.map { "    \(jsonQuoted($0.0)): \(jsonQuoted($0.1))" }.joined(separator: ",\n")
            try "{\n  \"metadata\": {\"total_size\": \(total)},\n  \"weight_map\": {\n\(map)\n  }\n}\n"
                .write(to: dir.appendingPathComponent(ModelFolder.indexFileName), atomically: true, encoding: .utf8)
        }
        try "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": \(hidden)}\n".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try "{\"version\": \"1.0\"}\n".write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        try "{\"pooling_mode_mean_tokens\": true}\n".write(to: dir.appendingPathComponent("1_Pooling/config.json"), atomically: true, encoding: .utf8)
        return dir
    }

    /// int4 codes whose delay grows with the number of one bits (a synthetic table).
    private var space: CodeSpace { int4SpaceByOneBits() }

    private func grid(for tensors: [WeightTensor], levels k: Int = 8, granularity: Granularity = .channel) throws -> [CodeLevel] {
        let selector = GridSelector(problem: try QuantizationProblem(tensors: tensors, granularity: granularity), space: space)
        return selector.select(allowed: space.levels, levels: k).levels
    }

    // MARK: Tests

    /// The default rule keeps embeddings, norms, biases, lm_head and other dtypes, in LLaMA, BERT and GPT-2 names.
    func testDefaultSelection() {
        let sel = TensorSelection()
        func decision(_ name: String, _ shape: [Int], _ dtype: String = "BF16") -> TensorSelection.Decision { sel.decide(name: name, shape: shape, dtype: dtype).decision }
        for name in ["model.layers.0.self_attn.q_proj.weight", "model.layers.3.mlp.down_proj.weight",
                     "encoder.layer.0.attention.self.query.weight", "encoder.layer.5.output.dense.weight",
                     "pooler.dense.weight", "h.0.attn.c_attn.weight", "h.11.mlp.c_proj.weight"] {
            XCTAssertEqual(decision(name, [8, 8]), .quantize, name)
        }
        let kept: [(String, [Int], String)] = [
            ("model.embed_tokens.weight", [8, 8], "embedding"), ("embeddings.word_embeddings.weight", [8, 8], "embedding"),
            ("wte.weight", [8, 8], "embedding"), ("wpe.weight", [8, 8], "embedding"),
            ("encoder.layer.0.attention.output.LayerNorm.weight", [8], "normalization"),
            ("model.layers.0.input_layernorm.weight", [8], "normalization"), ("h.0.ln_1.weight", [8], "normalization"),
            ("model.norm.weight", [8], "normalization"), ("lm_head.weight", [8, 8], "lm_head (kept in full precision)"),
            ("encoder.layer.0.attention.self.query.bias", [8], "1-D (bias or gain)"),
            ("conv.weight", [4, 4, 3, 3], "4-D"), ("model.rotary_emb.inv_freq", [8, 2], "not a .weight"),
        ]
        for (name, shape, reason) in kept { XCTAssertEqual(decision(name, shape), .keep(reason: reason), name) }
        XCTAssertEqual(decision("a.weight", [4, 4], "I8"), .keep(reason: "dtype I8"))
    }

    /// `--tensor` replaces the default, a glob skips 1-D tensors with a warning, an exact name quantizes
    /// anything, `--skip` wins.
    func testIncludeAndSkip() {
        let sel = TensorSelection(include: ["encoder.*.weight", "head.bias"], skip: ["*.value.weight"])
        XCTAssertEqual(sel.decide(name: "encoder.0.query.weight", shape: [4, 4], dtype: "F32").decision, .quantize)
        let norm = sel.decide(name: "encoder.0.LayerNorm.weight", shape: [4], dtype: "F32")
        XCTAssertEqual(norm.decision, .keep(reason: "1-D"))
        XCTAssertNotNil(norm.warning)
        XCTAssertEqual(sel.decide(name: "head.bias", shape: [4], dtype: "F32").decision, .quantize)
        XCTAssertEqual(sel.decide(name: "encoder.0.value.weight", shape: [4, 4], dtype: "F32").decision, .keep(reason: "--skip"))
        XCTAssertEqual(sel.decide(name: "decoder.0.query.weight", shape: [4, 4], dtype: "F32").decision, .keep(reason: "not named by --tensor"))
    }

    /// The whole chain on a three-shard BF16 folder: same files, same headers, kept tensors byte for
    /// byte, quantized ones `bf16(value(code) · scale)` with codes of the grid at each weight's nearest
    /// level; the output opens as a model folder (its index matches its shards).
    func testRoundTrip() throws {
        let input = try makeModel()
        let folder = try ModelFolder(path: input.path)
        XCTAssertTrue(folder.hasIndex)
        XCTAssertEqual(folder.shards.map(\.fileName), (1 ... 3).map { String(format: "model-%05d-of-00003.safetensors", $0) })
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection())
        XCTAssertEqual(plan.quantized.count, 14)
        let sample = try ModelSampling.sample(folder: folder, plan: plan, granularity: .channel)
        let levels = try grid(for: sample)
        let output = scratch.appendingPathComponent("out")
        var progressCalls = 0
        var writer = ModelWriter(folder: folder, plan: plan, grid: levels, space: space, granularity: .channel)
        writer.manifestFields = [("table", "synthetic.csv")]
        let result = try writer.write(to: output.path) { p in
            progressCalls += 1
            XCTAssertLessThanOrEqual(p.quantizedWeightsDone, p.quantizedWeightCount)
        }
        XCTAssertEqual(progressCalls, llamaTensors.count)
        XCTAssertEqual(result.tensors.count, 14)
        XCTAssertEqual(result.kept.count, llamaTensors.count - 14)

        // Files: every input file, the codes files, the manifest.
        let inputFiles = try ModelFolder.files(in: input)
        let expectedFiles = (inputFiles + ["halo.json"] + (1 ... 3).map { String(format: "halo-codes-%05d-of-00003.safetensors", $0) }).sorted()
        XCTAssertEqual(result.files, expectedFiles)
        for f in folder.otherFiles {
            XCTAssertEqual(try Data(contentsOf: output.appendingPathComponent(f)), try Data(contentsOf: input.appendingPathComponent(f)), f)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent(".out.halo-tmp-\(ProcessInfo.processInfo.processIdentifier)").path))

        let out = try ModelFolder(path: output.path)
        let gridCodes = Set(levels.map(\.code))
        for (s, shard) in folder.shards.enumerated() {
            let copy = out.shards[s].file
            XCTAssertEqual(copy.tensors.map(\.name), shard.file.tensors.map(\.name))
            XCTAssertEqual(copy.tensors.map(\.dtype), shard.file.tensors.map(\.dtype))
            XCTAssertEqual(copy.tensors.map(\.shape), shard.file.tensors.map(\.shape))
            XCTAssertEqual(copy.metadata, shard.file.metadata)
            let codes = try SafeTensorsFile(path: output.appendingPathComponent(ModelWriter.codesFileName(forShard: shard.fileName)).path)
            for info in shard.file.tensors {
                let original = shard.file.withBytes(of: info) { Array($0) }
                let written = copy.withBytes(of: copy.info(named: info.name)!) { Array($0) }
                guard plan.items.first(where: { $0.name == info.name })?.decision == .quantize else {
                    XCTAssertEqual(written, original, "kept tensor \(info.name) byte for byte")
                    continue
                }
                let c = codes.withBytes(of: codes.info(named: info.name + ".codes")!) { $0.map { Int($0) } }
                let scale = try codes.read(named: info.name + ".scale")
                XCTAssertEqual(scale.shape, [info.shape[0], 1])
                let x = try shard.file.read(info).values
                let cols = info.count / info.shape[0]
                var mismatches = 0
                for i in 0 ..< info.count {
                    XCTAssertTrue(gridCodes.contains(c[i]))
                    let s = Double(scale.values[i / cols])
                    let expected = Self.bf16RoundNearestEven(Float(s * space.format.value(ofCode: c[i])!))
                    let got = UInt16(written[2 * i]) | UInt16(written[2 * i + 1]) << 8
                    if got != expected { mismatches += 1 }
                    // The code is a nearest level of the weight at its scale.
                    let err = abs(Double(x[i]) - s * space.format.value(ofCode: c[i])!)
                    let best = levels.map { abs(Double(x[i]) - s * $0.value) }.min()!
                    XCTAssertLessThanOrEqual(err, best + 1e-6 * max(1, abs(Double(x[i]))))
                }
                XCTAssertEqual(mismatches, 0, "\(info.name): values differ from bf16(value(code) · scale)")
            }
        }
        let manifest = try JSONNode.parse(try Data(contentsOf: output.appendingPathComponent("halo.json")), path: "halo.json")
        XCTAssertEqual(manifest["format"]?.string, "int4")
        XCTAssertEqual(manifest["table"]?.string, "synthetic.csv")
        XCTAssertEqual(manifest["quantized"]?.array?.count, 14)
        XCTAssertEqual(manifest["grid"]?["codes"]?.array?.count, levels.count)
    }

    /// A folder without an index (one `model.safetensors`) gives `halo-codes.safetensors`.
    func testFolderWithoutIndex() throws {
        let input = try makeModel("single", index: false)
        let folder = try ModelFolder(path: input.path)
        XCTAssertFalse(folder.hasIndex)
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection())
        let levels = try grid(for: try ModelSampling.sample(folder: folder, plan: plan, granularity: .tensor), granularity: .tensor)
        let output = scratch.appendingPathComponent("single-out")
        let result = try ModelWriter(folder: folder, plan: plan, grid: levels, space: space, granularity: .tensor).write(to: output.path)
        XCTAssertTrue(result.files.contains("halo-codes.safetensors"))
        XCTAssertTrue(result.files.contains("model.safetensors"))
        XCTAssertEqual(try SafeTensorsFile(path: output.appendingPathComponent("halo-codes.safetensors").path)
            .read(named: "model.layers.0.mlp.up_proj.weight.scale").shape, [1, 1])
    }

    /// The grid chosen from a sample of 30 % of the rows is the grid chosen from every weight (per
    /// channel), or at other granularities one of equal error on every weight; the sample is all the
    /// weights when they fit.
    func testSampledGridEqualsFullGrid() throws {
        (hidden, inter, vocab) = (256, 384, 64)   // 1.2 M quantized weights: a sample of 30 % is 0.35 M
        let folder = try ModelFolder(path: try makeModel().path)
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection())
        let all = try plan.quantized.map { try folder.shards[$0.shard].file.read($0.info) }
        let total = plan.quantizedWeightCount
        XCTAssertEqual(try ModelSampling.sample(folder: folder, plan: plan, maxWeights: total, granularity: .channel).map(\.values), all.map(\.values))
        for granularity in [Granularity.channel, .tensor, .group(16)] {
            let sample = try ModelSampling.sample(folder: folder, plan: plan, maxWeights: total * 3 / 10, granularity: granularity)
            let sampled = sample.reduce(0) { $0 + $1.count }
            XCTAssertLessThan(sampled, total * 4 / 10)
            let full = GridSelector(problem: try QuantizationProblem(tensors: all, granularity: granularity), space: space)
            for k in [4, 8] {
                let fromSample = try grid(for: sample, levels: k, granularity: granularity)
                let fromAll = try grid(for: all, levels: k, granularity: granularity)
                // On every weight, the sampled grid is as good as the full-data one (within 0.1 %) ...
                let a = full.fit(levels: fromSample).objective, b = full.fit(levels: fromAll).objective
                XCTAssertLessThanOrEqual(abs(a - b), 1e-3 * b, "\(granularity), \(k) levels: \(a) vs \(b)")
                // ... and is the same grid, or its mirror image (a symmetric weight distribution has two
                // grids of equal error, -v and v swapped; a delay budget then tells them apart).
                let mirrored = fromAll.map { -$0.value }.sorted()
                XCTAssertTrue(fromSample.map(\.code) == fromAll.map(\.code) || fromSample.map(\.value).sorted() == mirrored,
                              "\(granularity), \(k) levels: \(fromSample.map(\.code)) vs \(fromAll.map(\.code))")
                if granularity == .channel { XCTAssertEqual(fromSample.map(\.code), fromAll.map(\.code), "\(k) levels") }
            }
        }
        let rows = ModelSampling.rows(for: [(10, 4), (1, 4), (1000, 1)], maxWeights: 211)
        XCTAssertEqual(rows.map(\.count), [2, 1, 202])
        XCTAssertEqual(rows[1], [0])
        XCTAssertEqual(Set(rows[2]).count, 202)
        XCTAssertTrue(rows[2].allSatisfy { (0 ..< 1000).contains($0) } && rows[2] == rows[2].sorted())
        XCTAssertEqual(rows, ModelSampling.rows(for: [(10, 4), (1, 4), (1000, 1)], maxWeights: 211), "deterministic")
    }

    /// `--shard I/N`: the parts, run one after the other into one folder, give the single run's folder
    /// byte for byte, for N = 1, 2 and 3 (three shard files); more parts than shards, or a part's file
    /// already there, are refused; `replace` re-runs a part.
    func testPartsGiveTheSingleRunsFolder() throws {
        let folder = try ModelFolder(path: try makeModel().path)
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection())
        let levels = try grid(for: try ModelSampling.sample(folder: folder, plan: plan, granularity: .channel))
        let writer = ModelWriter(folder: folder, plan: plan, grid: levels, space: space, granularity: .channel)
        let single = scratch.appendingPathComponent("single")
        _ = try writer.write(to: single.path)
        let singleFiles = try ModelFolder.files(in: single)
        for n in 1 ... 3 {
            let split = scratch.appendingPathComponent("split\(n)")
            var tensors = 0
            for i in 0 ..< n {
                let r = try writer.write(to: split.path, part: .init(index: i, count: n))
                tensors += r.tensors.count
                if i < n - 1 { XCTAssertThrowsError(try ModelFolder(path: split.path), "an incomplete folder does not open") }
            }
            XCTAssertEqual(tensors, 14)
            XCTAssertEqual(try ModelFolder.files(in: split), singleFiles, "\(n) parts")
            for f in singleFiles {
                XCTAssertEqual(try Data(contentsOf: split.appendingPathComponent(f)), try Data(contentsOf: single.appendingPathComponent(f)), "\(n) parts: \(f)")
            }
        }
        XCTAssertEqual(ModelWriter.Part(index: 1, count: 3).shards(of: 7), 2 ..< 4)
        XCTAssertEqual((0 ..< 3).map { ModelWriter.Part(index: $0, count: 3).shards(of: 7).count }.reduce(0, +), 7)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        let again = scratch.appendingPathComponent("split2")
        XCTAssertEqual(message { _ = try writer.write(to: again.path, part: .init(index: 0, count: 2)) },
                       "\(again.path): error: '1_Pooling/config.json' already exists (an earlier run's? --force replaces it)")
        XCTAssertNoThrow(try writer.write(to: again.path, replace: true, part: .init(index: 0, count: 2)))
        XCTAssertTrue(message { _ = try writer.write(to: again.path, part: .init(index: 0, count: 4)) }.contains("--shard 0/4: the model has 3 shard files, so at most 3 parts"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: again.path).filter { $0.contains("halo-tmp") }, [])
    }

    /// A grid is read back from a model's halo.json or a report, and every bad grid is one located line.
    func testGridFile() throws {
        let folder = try ModelFolder(path: try makeModel().path)
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection())
        let levels = try grid(for: try ModelSampling.sample(folder: folder, plan: plan, granularity: .channel))
        let out = scratch.appendingPathComponent("gridout")
        _ = try ModelWriter(folder: folder, plan: plan, grid: levels, space: space, granularity: .channel).write(to: out.path)
        XCTAssertEqual(try GridFile.read(path: out.appendingPathComponent("halo.json").path, space: space), levels.sorted { $0.value < $1.value })
        let path = scratch.appendingPathComponent("grid.json").path
        func check(_ text: String, _ expected: String, space s: CodeSpace? = nil) throws {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                let g = try GridFile.read(path: path, space: s ?? space)
                XCTAssertEqual(expected, "ok \(g.map(\.code))", text)
            } catch { XCTAssertEqual("\(error)", expected, text) }
        }
        try check("{\"format\": \"int4\", \"grid\": {\"codes\": [15, 0, 1]}}", "ok [15, 0, 1]")
        try check("{\"format\": \"int8\", \"grid\": {\"codes\": [1]}}", "\(path):1:12: error: the grid is of format int8, but it is applied as int4")
        try check("{\"grid\": {\"codes\": [1, 1]}}", "\(path):1:24: error: grid code 1 is listed twice")
        try check("{\"grid\": {\"codes\": [16]}}", "\(path):1:21: error: grid code must be an integer from 0 to 15, found 16.0")
        try check("{\"grid\": {\"codes\": [\"3\"]}}", "\(path):1:21: error: grid code must be an integer from 0 to 15, found a string")
        try check("{\"grid\": {\"codes\": []}}", "\(path):1:10: error: 'grid.codes' is empty")
        try check("{\"levels\": 3}", "\(path):1:1: error: no 'grid' (a report of halo select or halo quantize, or a model's halo.json)")
        try check("[1]", "\(path):1:1: error: a grid file is a JSON object with 'grid': {'codes': [...]}, found an array")
        let partial = CodeSpace(format: .int(bits: 4), levels: space.levels.filter { $0.code != 3 }, referenceDelayNs: 3)
        try check("{\"grid\": {\"codes\": [3]}}", "\(path):1:21: error: grid code 3 is not in the delay table", space: partial)
        let fp16 = CodeSpace(format: .fp16, levels: [CodeLevel(code: 0, value: 0, delayNs: 1)], referenceDelayNs: 1)
        try check("{\"grid\": {\"codes\": [31744]}}", "\(path):1:21: error: grid code 31744 is not a value of fp16 (NaN or infinite)", space: fp16)
    }

    /// Bad folders and outputs: one located line each, and no output or temporary folder left behind.
    func testBadFoldersAndOutputs() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        let model = try makeModel("bad")
        let index = model.appendingPathComponent(ModelFolder.indexFileName)
        let originalIndex = try String(contentsOf: index, encoding: .utf8)

        // A shard named by the index is missing: located at the index entry.
        try FileManager.default.moveItem(at: model.appendingPathComponent("model-00002-of-00003.safetensors"), to: scratch.appendingPathComponent("aside"))
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.hasPrefix("\(index.path):12:"), message { _ = try ModelFolder(path: model.path) })
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.contains("shard 'model-00002-of-00003.safetensors' named by the index is missing"))
        try FileManager.default.moveItem(at: scratch.appendingPathComponent("aside"), to: model.appendingPathComponent("model-00002-of-00003.safetensors"))

        // The index puts a tensor in another shard / names one no shard has / misses one.
        try originalIndex.replacingOccurrences(of: "\"lm_head.weight\": \"model-00003-of-00003.safetensors\"", with: "\"lm_head.weight\": \"model-00001-of-00003.safetensors\"")
            .write(to: index, atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.contains("tensor 'lm_head.weight' is in 'model-00003-of-00003.safetensors', but the index puts it in 'model-00001-of-00003.safetensors'"))
        try originalIndex.replacingOccurrences(of: "\"lm_head.weight\"", with: "\"lm_head.weight\": \"model-00003-of-00003.safetensors\", \"ghost.weight\"")
            .write(to: index, atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.contains("tensor 'ghost.weight' is not in shard 'model-00003-of-00003.safetensors'"))
        try originalIndex.replacingOccurrences(of: "    \"lm_head.weight\": \"model-00003-of-00003.safetensors\"\n", with: "")
            .replacingOccurrences(of: "\"model.rotary_emb.position_ids\": \"model-00003-of-00003.safetensors\",", with: "\"model.rotary_emb.position_ids\": \"model-00003-of-00003.safetensors\"")
            .write(to: index, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { _ = try ModelFolder(path: model.path) },
                       "\(model.path)/model-00003-of-00003.safetensors: error: tensor 'lm_head.weight' is not in model.safetensors.index.json (the shard's header disagrees with the index)")
        // Malformed index JSON, a weight map of the wrong kind, a path out of the folder.
        try "{\"weight_map\": {\"a\": 3}}".write(to: index, atomically: true, encoding: .utf8)
        XCTAssertEqual(message { _ = try ModelFolder(path: model.path) }, "\(index.path):1:22: error: 'weight_map' entry 'a' must be a shard file name, found a number")
        try "{\"weight_map\": {\"a\": \"../x.safetensors\"}}".write(to: index, atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.contains("expected a .safetensors file inside the folder"))
        try "{\"weight_map\": [".write(to: index, atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.hasPrefix("\(index.path):1:"))
        try originalIndex.write(to: index, atomically: true, encoding: .utf8)

        // A truncated shard.
        let shard = model.appendingPathComponent("model-00003-of-00003.safetensors")
        let shardBytes = try Data(contentsOf: shard)
        try shardBytes.prefix(shardBytes.count - 10).write(to: shard)
        XCTAssertTrue(message { _ = try ModelFolder(path: model.path) }.hasPrefix("\(shard.path): error: "))
        try shardBytes.write(to: shard)

        // Not a folder; an empty folder.
        XCTAssertEqual(message { _ = try ModelFolder(path: index.path) }, "\(index.path): error: is not a folder")
        let empty = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertTrue(message { _ = try ModelFolder(path: empty.path) }.contains("no .safetensors weight file"))

        // Outputs: existing (refused unless replacing), the input itself, a missing directory, a
        // failure half-way (a NaN weight) leaves nothing behind.
        let folder = try ModelFolder(path: model.path)
        let plan = try ModelQuantizationPlan(folder: folder, selection: TensorSelection())
        let levels = try grid(for: try ModelSampling.sample(folder: folder, plan: plan, granularity: .channel))
        let writer = ModelWriter(folder: folder, plan: plan, grid: levels, space: space, granularity: .channel)
        XCTAssertEqual(message { _ = try writer.write(to: empty.path) }, "\(empty.path): error: already exists (give another output folder, or --force to replace it)")
        XCTAssertNoThrow(try writer.write(to: empty.path, replace: true))
        XCTAssertTrue(FileManager.default.fileExists(atPath: empty.appendingPathComponent("halo.json").path))
        XCTAssertTrue(message { _ = try writer.write(to: model.path, replace: true) }.contains("is the input model folder"))
        XCTAssertTrue(message { _ = try writer.write(to: scratch.appendingPathComponent("no/such/out").path) }.contains("no such directory"))

        var poisoned = shardBytes
        let info = try SafeTensorsFile(path: shard.path).info(named: "model.layers.1.mlp.down_proj.weight")!
        let headerLength = Int(poisoned.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let at = 8 + headerLength + info.dataOffsets.lowerBound + 6
        poisoned[at] = 0xC0; poisoned[at + 1] = 0x7F   // BF16 NaN
        try poisoned.write(to: shard)
        let nanFolder = try ModelFolder(path: model.path)
        let half = scratch.appendingPathComponent("half")
        let nanMessage = message { _ = try ModelWriter(folder: nanFolder, plan: plan, grid: levels, space: space, granularity: .channel).write(to: half.path) }
        XCTAssertEqual(nanMessage, "\(shard.path): error: tensor 'model.layers.1.mlp.down_proj.weight': element [0, 3] is NaN")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains("half") }
        XCTAssertEqual(leftovers, [])
        try shardBytes.write(to: shard)

        // Nothing to quantize; a --tensor name that is not there.
        XCTAssertTrue(message { _ = try ModelQuantizationPlan(folder: folder, selection: TensorSelection(include: ["lm_head.weigth"])) }
            .contains("--tensor 'lm_head.weigth': no tensor of that name"))
        XCTAssertTrue(message { _ = try ModelQuantizationPlan(folder: folder, selection: TensorSelection(skip: ["*"])) }
            .contains("nothing to quantize"))
    }

    /// bfloat16 of a float, rounded to nearest even, computed in Double (independent of `BFloat16`).
    static func bf16RoundNearestEven(_ f: Float) -> UInt16 {
        if f == 0 { return f.sign == .minus ? 0x8000 : 0 }
        let d = Double(f)
        let e = Int(floor(log2(abs(d))))
        let ulp = pow(2.0, Double(max(e, -126) - 7))
        let q = (abs(d) / ulp).rounded(.toNearestOrEven) * ulp
        let bits = Float(q).bitPattern >> 16
        return UInt16(bits) | (f.sign == .minus ? 0x8000 : 0)
    }
}
