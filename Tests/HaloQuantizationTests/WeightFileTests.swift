import Foundation
import Testing
import HaloQuantization

/// Scratch files for one test.
final class Scratch {
    let dir: URL
    init() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-q-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ data: Data) -> String {
        let p = path(name)
        try! data.write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Data(text.utf8)) }
}

/// A safetensors file built by hand: header text as given, then `payload`.
func safetensorsBytes(header: String, payload: [UInt8], declaredLength: UInt64? = nil) -> Data {
    var d = Data()
    let h = Array(header.utf8)
    withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { d.append(contentsOf: $0) }
    d.append(contentsOf: h)
    d.append(contentsOf: payload)
    return d
}

func le32(_ f: Float) -> [UInt8] { withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } }

/// The error line a throwing call produces.
func errorLine(_ body: () throws -> Void) -> String? {
    do { try body() } catch { return HaloError(wrapping: error).line(tool: "halo") }
    return nil
}

@Suite struct SafeTensorsTests {
    @Test func roundTripF32AndCodes() throws {
        let s = Scratch()
        let a: [Float] = [1.5, -2.25, 0, 3e-8, .greatestFiniteMagnitude, -0.0]
        let entries: [SafeTensorsWriter.Entry] = [
            .init(name: "layer.0.weight", shape: [2, 3], payload: .f32(a)),
            .init(name: "layer.0.weight.codes", shape: [2, 3], payload: .u8([0, 1, 2, 255, 254, 128])),
            .init(name: "layer.1.weight", shape: [3], payload: .f32([7, 8, 9])),
            .init(name: "wide", shape: [2], payload: .u16([65535, 1])),
        ]
        let path = s.path("m.safetensors")
        try SafeTensorsWriter.write(entries, metadata: ["format": "pt", "note": "quote \" and \\"], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata == ["format": "pt", "note": "quote \" and \\"])
        #expect(file.tensors.map(\.name) == ["layer.0.weight", "layer.0.weight.codes", "layer.1.weight", "wide"])
        #expect(file.tensors.map(\.dtype) == ["F32", "U8", "F32", "U16"])
        let t = try file.read(named: "layer.0.weight")
        #expect(t.shape == [2, 3])
        #expect(t.values.map(\.bitPattern) == a.map(\.bitPattern))
        // The data starts at a multiple of 8 and the buffer is exactly covered.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect((8 + n) % 8 == 0)
        #expect(bytes.count == 8 + n + 24 + 6 + 12 + 4)
        // Selection: default is readable tensors of rank ≥ 2; globs match across dots.
        #expect(try file.select([]).map(\.name) == ["layer.0.weight"])
        #expect(try file.select(["layer.*.weight"]).map(\.name) == ["layer.0.weight", "layer.1.weight"])
        #expect(try file.select(["layer.1.weight", "layer.?.weight"]).map(\.name) == ["layer.1.weight", "layer.0.weight"])
        #expect(errorLine { _ = try file.select(["nope*"]) } == "\(path): error: no tensor matches 'nope*' (the file has 4 tensors: 'layer.0.weight', 'layer.0.weight.codes', 'layer.1.weight', 'wide')")
    }

    @Test func halfAndBFloat16() throws {
        let s = Scratch()
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001 = 2^-24.
        // BF16: 1.0 = 0x3F80, -0.5 = 0xBF00, 3.140625 = 0x4049.
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001]
        let bf16: [UInt16] = [0x3F80, 0xBF00, 0x4049, 0x0000]
        var payload: [UInt8] = []
        for h in f16 + bf16 { payload += [UInt8(h & 0xFF), UInt8(h >> 8)] }
        let header = #"{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]}}"#
        let path = s.write("h.safetensors", safetensorsBytes(header: header, payload: payload))
        let file = try SafeTensorsFile(path: path)
        #expect(try file.read(named: "h").values == [1, -2, 65504, 0x1p-24])
        #expect(try file.read(named: "b").values == [1, -0.5, 3.140625, 0])
        for bits in [UInt16(0x3C00), 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x8400, 0x3555] {
            #expect(HalfFloat.bits(from: HalfFloat.float(fromBits: bits)) == bits)
        }
    }

    /// Eight malformed files, each with its exact error line.
    @Test func malformedFiles() throws {
        let s = Scratch()
        let ok = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        var cases: [(String, Data, String)] = []
        cases.append(("short.safetensors", Data([1, 2, 3, 4, 5]),
                      "truncated file: 5 bytes, but a safetensors file starts with an 8-byte header length"))
        cases.append(("long.safetensors", safetensorsBytes(header: ok, payload: le32(1) + le32(2), declaredLength: 1000),
                      "header length 1000 exceeds the 62 bytes after the length field (truncated or not a safetensors file)"))
        cases.append(("json.safetensors", safetensorsBytes(header: #"{"x":{"dtype":"F32","#, payload: []),
                      "bad header: the 20-byte header is not valid JSON"))
        cases.append(("notjson.safetensors", safetensorsBytes(header: "PK\u{3}\u{4}", payload: []),
                      "bad header: the 4-byte JSON header does not start with '{' (not a safetensors file?)"))
        cases.append(("i64.safetensors", safetensorsBytes(header: #"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, payload: Array(repeating: 0, count: 8)),
                      "tensor 'x' has dtype I64; supported: F32, F16, BF16"))
        cases.append(("size.safetensors", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: le32(1) + le32(2)),
                      "tensor 'x' has shape [3] of F32 (12 bytes) but data_offsets [0, 8] span 8 bytes"))
        cases.append(("trunc.safetensors", safetensorsBytes(header: ok, payload: le32(1)),
                      "tensor 'x' has data_offsets [0, 8] beyond the 4-byte data buffer (truncated file?)"))
        cases.append(("nodtype.safetensors", safetensorsBytes(header: #"{"x":{"shape":[2],"data_offsets":[0,8]}}"#, payload: le32(1) + le32(2)),
                      "bad header: tensor 'x' has no 'dtype' string"))
        cases.append(("offsets.safetensors", safetensorsBytes(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, payload: le32(1) + le32(2)),
                      "tensor 'x' has data_offsets [8, 0] out of order (the end before the beginning)"))
        for (name, data, message) in cases {
            let path = s.write(name, data)
            let line = errorLine { _ = try WeightFiles.read(path: path, patterns: ["x"]) }
            #expect(line == "\(path): error: \(message)", "\(name)")
        }
        #expect(errorLine { _ = try SafeTensorsFile(path: s.path("absent.safetensors")) } == "\(s.path("absent.safetensors")): error: no such file")
    }
}

@Suite struct NPYTests {
    @Test func roundTrip() throws {
        let s = Scratch()
        let t = WeightTensor(name: "w", shape: [3, 2], values: [1, -2, 0.5, 1e-7, 3, -0.0])
        for double in [false, true] {
            let path = s.path(double ? "w8.npy" : "w.npy")
            try NPY.write(t, to: path, double: double)
            let back = try NPY.read(path: path)
            #expect(back.values == t.values && back.shape == t.shape)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect((data.count - 6 * (double ? 8 : 4)) % 64 == 0) // preamble + header padded to 64 bytes
        }
        let one = WeightTensor(name: "v", shape: [4], values: [1, 2, 3, 4])
        let p = s.path("v.npy")
        try NPY.write(one, to: p)
        #expect(try NPY.read(path: p) == one)
    }

    /// Hand-built files: big-endian f4, little-endian f2, version 2.0 header.
    @Test func handBuilt() throws {
        let s = Scratch()
        func npy(_ header: String, major: UInt8 = 1, _ payload: [UInt8]) -> Data {
            var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0])
            let h = Array(header.utf8)
            if major == 1 { d += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)] } else { d += [UInt8(h.count & 0xFF), UInt8(h.count >> 8), 0, 0] }
            d.append(contentsOf: h)
            d.append(contentsOf: payload)
            return d
        }
        let be = npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", [0x3F, 0x80, 0, 0, 0xC0, 0x40, 0, 0])
        #expect(try NPY.read(path: s.write("be.npy", be)).values == [1, -3])
        let half = npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }\n", [0x00, 0x3C, 0x00, 0xB8])
        let h = try NPY.read(path: s.write("half.npy", half))
        #expect(h.values == [1, -0.5] && h.shape == [1, 2])
        let v2 = npy("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (), }\n", major: 2,
                     withUnsafeBytes(of: (2.5).bitPattern.littleEndian) { Array($0) })
        let scalar = try NPY.read(path: s.write("v2.npy", v2))
        #expect(scalar.values == [2.5] && scalar.shape == [])
    }

    @Test func malformedFiles() throws {
        let s = Scratch()
        func npy(_ header: String, _ payload: [UInt8], declared: Int? = nil) -> Data {
            let h = Array(header.utf8)
            let n = declared ?? h.count
            return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + h + payload)
        }
        let cases: [(String, Data, String)] = [
            ("magic.npy", Data("PK\u{3}\u{4}hello".utf8), "bad magic: not a .npy file (expected \\x93NUMPY)"),
            ("fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", [0, 0, 0, 0]),
             "Fortran-order array: save it in C order (numpy.ascontiguousarray) before quantizing"),
            ("int.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n", Array(repeating: 0, count: 8)),
             "dtype '<i8' is not supported; supported: f4, f2, f8 (either byte order)"),
            ("trunc.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", [0, 0, 0, 0]),
             "shape [3] of <f4 needs 12 data bytes, the file has 4 (truncated file)"),
            ("header.npy", npy("{'descr': '<f4'", [], declared: 500), "header length 500 exceeds the 15 bytes after the preamble (truncated file?)"),
            ("noshape.npy", npy("{'descr': '<f4', 'fortran_order': False, }\n", []), "bad header: no 'shape' tuple"),
            ("short.npy", Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1]), "truncated file: 7 bytes, too short for the .npy preamble"),
        ]
        for (name, data, message) in cases {
            let path = s.write(name, data)
            #expect(errorLine { _ = try WeightFiles.read(path: path) } == "\(path): error: \(message)", "\(name)")
        }
    }
}

@Suite struct TextWeightsTests {
    @Test func matrixAndVector() throws {
        let s = Scratch()
        let m = try WeightFiles.read(path: s.write("m.csv", "# weights\n1, 2, 3\n-4.5,5e-1,  6\n\n"))[0]
        #expect(m.name == "m" && m.shape == [2, 3] && m.values == [1, 2, 3, -4.5, 0.5, 6])
        let v = try WeightFiles.read(path: s.write("v.txt", "1 2\n3\n4 5 6\n"))[0]
        #expect(v.shape == [6] && v.values == [1, 2, 3, 4, 5, 6])
        #expect(errorLine { _ = try WeightFiles.read(path: s.path("v.txt"), patterns: ["w"]) } == "\(s.path("v.txt")): error: no tensor matches 'w' (the file holds one tensor, 'v')")
    }

    @Test(arguments: [("1,2,3\n4,x5,6\n", "2:3", "malformed number 'x5'"),
                      ("1 2\n  3 nan\n", "2:5", "malformed number 'nan'"),
                      ("0.5,1e400\n", "1:5", "value '1e400' is not a finite 32-bit float"),
                      ("1.2.3\n", "1:1", "malformed number '1.2.3'"),
                      ("# nothing\n\n", "1:1", "no numbers in the file")])
    func badNumbers(text: String, location: String, message: String) throws {
        let s = Scratch()
        let path = s.write("bad.csv", text)
        #expect(errorLine { _ = try WeightFiles.read(path: path) } == "\(path):\(location): error: \(message)")
    }

    @Test func syntheticIsDeterministic() {
        let a = SyntheticWeights.generate(.gaussian, count: 100_000, seed: 7)
        #expect(a == SyntheticWeights.generate(.gaussian, count: 100_000, seed: 7))
        #expect(a != SyntheticWeights.generate(.gaussian, count: 100_000, seed: 8))
        let mean = a.values.reduce(0.0) { $0 + Double($1) } / 1e5
        let variance = a.values.reduce(0.0) { $0 + Double($1) * Double($1) } / 1e5 - mean * mean
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.02)
        let l = SyntheticWeights.generate(.laplace, count: 100_000, seed: 7)
        let lv = l.values.reduce(0.0) { $0 + Double($1) * Double($1) } / 1e5
        let kurtosis = l.values.reduce(0.0) { $0 + pow(Double($1), 4) } / 1e5 / (lv * lv)
        #expect(abs(lv - 1) < 0.03 && abs(kurtosis - 6) < 0.6) // Laplace: excess kurtosis 3
    }
}
