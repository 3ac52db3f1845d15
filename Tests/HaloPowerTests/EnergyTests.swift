import Foundation
import XCTest
import HaloTestSupport
import HaloCore
import HaloLiberty
import HaloNetlist
@testable import HaloTiming
@testable import HaloPower
import HaloCharacterization

/// Switching activity and energy per operation: toggle parity with iverilog, the glitch-aware
/// simulator's invariants, the energy model against hand arithmetic, and the sweep's ordering.
final class EnergyTests: XCTestCase {
    static let codes = [0, 1, 2, 3, 37, 85, 127, 128, 170, 200, 254, 255]

    // MARK: Toggle parity with iverilog

    /// Per-net transition counts per code from a VCD of `tb.dut` (changes at 10·(k+1) ns belong to vector k).
    static func vcdToggles(_ text: String, vectorsPerCode: Int, codes: Int) -> [String: [Int]] {
        var names: [String: [String]] = [:]   // id → bit names (index 0 = LSB)
        var counts: [String: [Int]] = [:]      // bit name → per-code count
        var current: [String: [Character]] = [:]
        var time = 0
        var inDefinitions = true
        var depth = 0
        var timescalePs = 1.0
        var inTimescale = false
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if inDefinitions {
                let parts = line.split(separator: " ").map(String.init)
                if parts.first == "$timescale" { inTimescale = true }
                if inTimescale {
                    // e.g. "1ps", "10 ps", "1ns" on this or the next line.
                    let t = line.replacingOccurrences(of: "$timescale", with: "").replacingOccurrences(of: "$end", with: "")
                        .replacingOccurrences(of: " ", with: "")
                    let digits = t.prefix { $0.isNumber }
                    if let n = Double(digits) {
                        let unit = t.dropFirst(digits.count)
                        timescalePs = n * (["s": 1e12, "ms": 1e9, "us": 1e6, "ns": 1e3, "ps": 1, "fs": 1e-3][String(unit)] ?? 1)
                    }
                    if line.contains("$end") { inTimescale = false }
                    continue
                }
                if parts.first == "$scope" { depth += 1 }
                if parts.first == "$upscope" { depth -= 1 }
                if parts.first == "$var", parts.count >= 5, depth == 2 {
                    let width = Int(parts[2]) ?? 1
                    let id = parts[3], name = parts[4]
                    if width == 1 {
                        names[id] = [name]
                    } else {
                        // "A [7:0]": bits high…low
                        let range = parts.count > 5 ? parts[5] : ""
                        let nums = range.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ":").compactMap { Int($0) }
                        let lo = nums.count == 2 ? min(nums[0], nums[1]) : 0
                        names[id] = (0..<width).map { "\(name)[\(lo + $0)]" }
                    }
                }
                if line.hasPrefix("$enddefinitions") { inDefinitions = false }
                continue
            }
            if line.hasPrefix("#") { time = Int(line.dropFirst()) ?? time; continue }
            if line.hasPrefix("$") { continue }
            var value: [Character]
            var id: String
            if line.hasPrefix("b") {
                let parts = line.dropFirst().split(separator: " ")
                guard parts.count == 2 else { continue }
                value = Array(parts[0])
                id = String(parts[1])
            } else {
                value = [line.first!]
                id = String(line.dropFirst())
            }
            guard let bits = names[id] else { continue }
            // Left-extend to the width (VCD drops leading zeros).
            while value.count < bits.count { value.insert(value.first == "1" ? "0" : value.first!, at: 0) }
            let old = current[id] ?? Array(repeating: "x", count: bits.count)
            let vector = Int((Double(time) * timescalePs / 10_000).rounded()) - 1
            let code = vector / vectorsPerCode
            let k = vector % vectorsPerCode
            for b in 0..<bits.count {
                let newBit = value[bits.count - 1 - b], oldBit = old[bits.count - 1 - b]
                if counts[bits[b]] == nil { counts[bits[b]] = [Int](repeating: 0, count: codes) }
                if k >= 1, vector >= 0, code < codes, newBit != oldBit, "01".contains(newBit), "01".contains(oldBit) {
                    counts[bits[b]]![code] += 1
                }
            }
            current[id] = value
        }
        return counts
    }

    func testZeroDelayTogglesMatchIverilogVCD() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let netlist = TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path
        let graph = try makeGraph(netlist: netlist, libraries: [lib])
        let codes = EnergyTests.codes
        let perCode = 200
        var rng = SplitMix64(seed: 11)
        // Per code its own random A and P streams (P random too, so the adder works as well).
        let a = codes.map { _ in (0..<perCode).map { _ in Int.random(in: 0...255, using: &rng) } }
        let p = codes.map { _ in (0..<perCode).map { _ in Int.random(in: 0...0xFFFFF, using: &rng) } }
        let aBus = try CaseBus(named: "A", in: graph), wBus = try CaseBus(named: "W", in: graph), pBus = try CaseBus(named: "P", in: graph)
        let simulator = try ActivitySimulator(graph: graph)
        var ours: [[Int]] = []   // per code, per net
        for (c, code) in codes.enumerated() {
            var stimulus = PackedStimulus(vectorCount: perCode)
            stimulus.setBus(aBus.pins, values: a[c])
            stimulus.setBus(pBus.pins, values: p[c])
            let activity = simulator.simulate(stimulus, constants: wBus.constants(code: code))
            XCTAssertEqual(activity.operations, perCode - 1)
            ours.append((0..<graph.design.nets.count).map { activity.toggles(ofNet: $0) })
        }

        // The same vectors through iverilog with the osu018 cell models, dumped to VCD.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-vcd-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var hex = ""
        for (c, code) in codes.enumerated() {
            for k in 0..<perCode { hex += String(format: "%05x %05x %05x\n", a[c][k], code, p[c][k]) }
        }
        let total = codes.count * perCode
        try hex.write(to: dir.appendingPathComponent("vectors.hex"), atomically: true, encoding: .utf8)
        let tb = """
        `timescale 1ns/1ps
        module tb;
          reg [19:0] mem [0:\(3 * total - 1)];
          reg [7:0] A, W;
          reg [19:0] P;
          wire [19:0] Y;
          integer i;
          mac8 dut (.A(A), .W(W), .P(P), .Y(Y));
          initial begin
            $readmemh("\(dir.appendingPathComponent("vectors.hex").path)", mem);
            $dumpfile("\(dir.appendingPathComponent("out.vcd").path)");
            $dumpvars(1, dut);
            for (i = 0; i < \(total); i = i + 1) begin
              #10;
              A = mem[3*i][7:0]; W = mem[3*i+1][7:0]; P = mem[3*i+2];
            end
            #10 $finish;
          end
        endmodule
        """
        try tb.write(to: dir.appendingPathComponent("tb.v"), atomically: true, encoding: .utf8)
        let vvp = dir.appendingPathComponent("sim.vvp").path
        XCTAssertEqual(try runProcess("/usr/bin/env", ["iverilog", "-g2005", "-Ttyp", "-o", vvp, "-s", "tb",
                                                        dir.appendingPathComponent("tb.v").path, netlist, TestPaths.osu018Models]), 0,
                       "iverilog failed")
        XCTAssertEqual(try runProcess("/usr/bin/env", ["vvp", "-n", vvp]), 0, "vvp failed")
        let vcd = try String(contentsOf: dir.appendingPathComponent("out.vcd"), encoding: .utf8)
        let theirs = EnergyTests.vcdToggles(vcd, vectorsPerCode: perCode, codes: codes.count)

        var compared = 0, mismatches = 0, toggles = 0
        var firstMismatch = ""
        for (name, counts) in theirs {
            guard let n = graph.design.net(named: name) else { continue }
            compared += 1
            for c in 0..<codes.count {
                toggles += counts[c]
                if counts[c] != ours[c][n] {
                    mismatches += 1
                    if firstMismatch.isEmpty { firstMismatch = "\(name) code \(codes[c]): iverilog \(counts[c]), Halo \(ours[c][n])" }
                }
            }
        }
        print("toggle parity: \(compared) nets × \(codes.count) codes compared (\(toggles) iverilog transitions), \(mismatches) mismatches")
        XCTAssertGreaterThan(compared, 500)
        XCTAssertGreaterThan(toggles, 10_000)
        XCTAssertEqual(mismatches, 0, firstMismatch)
    }

    // MARK: Compiled logic

    func testLogicProgramsReproduceEveryCellFunction() throws {
        for name in ["osu018", "osu035", "osu05"] {
            let lib = try LibraryCache.shared.library(name)
            for cell in lib.cells {
                for pin in cell.pins where pin.direction != .input {
                    guard let f = pin.function else { continue }
                    let compiled = try CompiledFunction(f, pinIndex: { n in cell.pins.firstIndex { $0.name == n } })
                    XCTAssertTrue(EnergyTests.programMatches(table: compiled.table, variables: compiled.variablePins.count),
                                  "\(name) \(cell.name)/\(pin.name)")
                }
            }
        }
        // Random functions of up to 8 variables.
        var rng = SplitMix64(seed: 3)
        for n in 0...8 {
            for _ in 0..<40 {
                let words = max(1, (1 << n) / 64)
                var table = (0..<words).map { _ in rng.next() }
                if n < 6 { table[0] &= (UInt64(1) << UInt64(1 << n)) &- 1 }
                XCTAssertTrue(EnergyTests.programMatches(table: table, variables: n), "random \(n)-input function")
            }
        }
    }

    /// The compiled program equals the truth table, scalar and bit-parallel (one word per 64 minterms).
    static func programMatches(table: [UInt64], variables n: Int) -> Bool {
        let program = LogicProgram(table: table, variables: n)
        for m in 0..<(1 << n) where program.evaluate(m) != ((table[m >> 6] >> UInt64(m & 63)) & 1 == 1) { return false }
        let words = max(1, (1 << n) / 64)
        let masks: [UInt64] = [0xAAAA_AAAA_AAAA_AAAA, 0xCCCC_CCCC_CCCC_CCCC, 0xF0F0_F0F0_F0F0_F0F0,
                               0xFF00_FF00_FF00_FF00, 0xFFFF_0000_FFFF_0000, 0xFFFF_FFFF_0000_0000]
        var rows: [[UInt64]] = (0..<n).map { k in
            (0..<words).map { w in k < 6 ? masks[k] : ((w >> (k - 6)) & 1 == 1 ? ~0 : 0) }
        }
        if rows.isEmpty { rows = [[0]] }
        var zeros = [UInt64](repeating: 0, count: words), ones = [UInt64](repeating: ~0, count: words)
        var out = [UInt64](repeating: 0, count: words)
        var temps = [UInt64](repeating: 0, count: max(1, program.temps) * words)
        let live = n < 6 ? (UInt64(1) << UInt64(1 << n)) &- 1 : ~UInt64(0)
        return rows.withUnsafeBufferPointer { _ in
            let pointers = rows.map { row -> UnsafeMutablePointer<UInt64> in
                let p = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
                p.initialize(from: row, count: words)
                return p
            }
            defer { pointers.forEach { $0.deallocate() } }
            var constPointers = pointers.map { UnsafePointer($0) }
            return constPointers.withUnsafeMutableBufferPointer { vp in
                zeros.withUnsafeMutableBufferPointer { z in
                    ones.withUnsafeMutableBufferPointer { o in
                        temps.withUnsafeMutableBufferPointer { t in
                            out.withUnsafeMutableBufferPointer { d in
                                runProgram(program, vars: UnsafePointer(vp.baseAddress!), temps: t.baseAddress!, zeros: UnsafePointer(z.baseAddress!),
                                    ones: UnsafePointer(o.baseAddress!), W: words, words: words, dst: d.baseAddress!)
                                return (0..<words).allSatisfy { w in (d[w] & live) == (table[w] & live) }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Glitch-aware simulation

    func testGlitchTogglesAreZeroDelayTogglesPlusPairs() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let graph = try makeGraph(netlist: TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path, libraries: [lib])
        let aBus = try CaseBus(named: "A", in: graph), wBus = try CaseBus(named: "W", in: graph), pBus = try CaseBus(named: "P", in: graph)
        var rng = SplitMix64(seed: 5)
        var stimulus = PackedStimulus(vectorCount: 300)
        stimulus.setBus(aBus.pins, values: (0..<300).map { _ in Int.random(in: 0...255, using: &rng) })
        stimulus.setBus(pBus.pins, values: (0..<300).map { _ in Int.random(in: 0...0xFFFFF, using: &rng) })
        let zero = try ActivitySimulator(graph: graph), glitch = try GlitchSimulator(graph: graph)
        let analysis = TimingAnalysis(graph: graph)
        var extra = 0
        for code in [0, 1, 0x55, 0x7F, 0x80, 0xFF] {
            let constants = wBus.constants(code: code)
            analysis.run(constants: constants)
            let z = zero.simulate(stimulus, constants: constants)
            let g = glitch.simulate(stimulus, constants: constants, analysis: analysis)
            for n in 0..<graph.design.nets.count {
                let d = g.toggles(ofNet: n) - z.toggles(ofNet: n)
                XCTAssertGreaterThanOrEqual(d, 0, "\(graph.design.nets[n]) code \(code)")
                XCTAssertEqual(d % 2, 0, "\(graph.design.nets[n]) code \(code): a glitch is a pair of transitions")
                // Every net ends where it settles: rises − falls agree.
                XCTAssertEqual(g.rises[n] - g.falls[n], z.rises[n] - z.falls[n], "\(graph.design.nets[n]) code \(code)")
                extra += d
            }
        }
        XCTAssertGreaterThan(extra, 0, "an array multiplier has hazards")
    }

    // MARK: Energy model

    /// A chain port → INV → INV → port with hand-written power data: every figure by hand.
    func testEnergyModelByHand() throws {
        let libText = """
        library (toy) {
          time_unit : "1ns" ; voltage_unit : "1V" ; capacitive_load_unit (1, pf) ; leakage_power_unit : "1pW" ;
          nom_voltage : 2.0 ;
          power_lut_template (e2) { variable_1 : input_transition_time ; variable_2 : total_output_net_capacitance ;
            index_1 ("0.0, 1.0") ; index_2 ("0.0, 0.1") ; }
          cell (INV) {
            cell_leakage_power : 500 ;
            pin (A) { direction : input ; capacitance : 0.002 ; }
            pin (Y) { direction : output ; function : "!A" ;
              timing () { related_pin : "A" ; timing_sense : negative_unate ;
                cell_rise (scalar) { values ("0.1") ; } cell_fall (scalar) { values ("0.1") ; }
                rise_transition (scalar) { values ("0.2") ; } fall_transition (scalar) { values ("0.4") ; } }
              internal_power () { related_pin : "A" ;
                rise_power (e2) { values ("0.001, 0.002", "0.003, 0.004") ; }
                fall_power (e2) { values ("0.010, 0.020", "0.030, 0.040") ; } }
            }
          }
        }
        """
        let lib = try LibertyReader.parse(text: libText, path: "toy.lib")
        let verilog = "module chain(input a, output y); wire m; INV u1(.A(a), .Y(m)); INV u2(.A(m), .Y(y)); endmodule\n"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-energy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("chain.v").path
        try verilog.write(toFile: path, atomically: true, encoding: .utf8)
        let graph = try makeGraph(netlist: path, libraries: [lib], conditions: TimingConditions(outputLoadFF: 6, inputSlewNs: 0.5))
        let model = try EnergyModel(graph: graph, libraries: [lib])
        XCTAssertEqual(model.supplyVoltageV, 2.0)
        XCTAssertEqual(try XCTUnwrap(model.leakageNW), 1.0, accuracy: 1e-12)   // 2 × 500 pW
        // a: 0 1 1 0 1 → a toggles 3 times (2 rises, 1 fall); m and y follow.
        let aPin = try XCTUnwrap(graph.casePin(named: "a"))
        var stimulus = PackedStimulus(vectorCount: 5)
        stimulus.set(pin: aPin, words: [0b10110])
        let activity = try ActivitySimulator(graph: graph).simulate(stimulus)
        let net = { (name: String) in graph.design.net(named: name)! }
        XCTAssertEqual(activity.rises[net("a")], 2); XCTAssertEqual(activity.falls[net("a")], 1)
        XCTAssertEqual(activity.rises[net("m")], 1); XCTAssertEqual(activity.falls[net("m")], 2)
        XCTAssertEqual(activity.rises[net("y")], 2); XCTAssertEqual(activity.falls[net("y")], 1)
        XCTAssertEqual(activity.operations, 4)
        let analysis = TimingAnalysis(graph: graph)
        analysis.run(constants: [])
        let e = model.energy(of: activity, analysis: analysis)
        // Switching: ½·C·V², V = 2: a, m carry 2 fF (one INV input), y carries 6 fF (port load).
        let switching = (3 * 0.5 * 2 * 4) + (3 * 0.5 * 2 * 4) + (3 * 0.5 * 6 * 4)
        // Internal (tables in pJ → fJ, ×1000): u1 output m: load 2 fF = 0.002 pF → 0.02 of the 0.1 pF axis;
        // slew at a = 0.5 ns (input slew). Negative unate: m rises when a falls (slew of a's fall = 0.5).
        func bilinear(_ v: [Double], _ s: Double, _ c: Double) -> Double {
            let fs = s / 1.0, fc = c / 0.1
            return (1 - fs) * (1 - fc) * v[0] + (1 - fs) * fc * v[1] + fs * (1 - fc) * v[2] + fs * fc * v[3]
        }
        let rise = [1.0, 2.0, 3.0, 4.0], fall = [10.0, 20.0, 30.0, 40.0]   // fJ
        let u1 = 1 * bilinear(rise, 0.5, 0.002) + 2 * bilinear(fall, 0.5, 0.002)
        // u2 output y: load 6 fF; input slew = slew at m: rise 0.2 (m rises), fall 0.4.
        // y rises when m falls (slew 0.4); y falls when m rises (slew 0.2).
        let u2 = 2 * bilinear(rise, 0.4, 0.006) + 1 * bilinear(fall, 0.2, 0.006)
        XCTAssertEqual(e.switchingFJ, switching / 4, accuracy: 1e-9)
        XCTAssertEqual(e.internalFJ, (u1 + u2) / 4, accuracy: 1e-9)
        XCTAssertEqual(e.togglesPerOp, 9.0 / 4)
        // The input-port net a (driven by the port, 2 fF of u1's input): 3 transitions × ½·2 fF·(2 V)² over 4 operations.
        XCTAssertEqual(e.inputSwitchingFJ, 3 * 0.5 * 2 * 4 / 4, accuracy: 1e-12)
        XCTAssertEqual(e.energyFJ(.separate), (switching - 3 * 0.5 * 2 * 4) / 4 + (u1 + u2) / 4, accuracy: 1e-9)
        XCTAssertEqual(e.energyFJ(.include), e.totalFJ)
        XCTAssertEqual(e.energyFJ(.include), e.energyFJ(.separate) + e.inputSwitchingFJ, accuracy: 1e-12)
    }

    /// The input-port nets of the osu018 mac8 (A and W; P held at 0): their term, `input_energy_fj`, is
    /// ½·C·V² × the transitions of the activation bits, counted from the stimulus itself (W is held, P
    /// constant), C each A bit's load; and `include` = `separate` + that term, code by code, in the table.
    func testInputNetEnergyConvention() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let graph = try makeGraph(netlist: TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path, libraries: [lib])
        var request = EnergyRequest(busName: "W", codes: 0...7)
        request.stimulus = EnergyStimulus(activations: .uniform, vectors: 200, seed: 3)
        XCTAssertEqual(request.inputNetEnergy, .separate, "the default is OpenSTA's")
        let separate = try EnergyCharacterizer.characterize(graph: graph, libraries: [lib], request: request)
        request.inputNetEnergy = .include
        let include = try EnergyCharacterizer.characterize(graph: graph, libraries: [lib], request: request)
        // The activation values the sweep applied (the same generator, seed and mask as makeStimulus).
        var rng = SplitMix64(seed: 3)
        let values = (0..<200).map { _ in Int(rng.next() & 0xff) }
        let a = try CaseBus(named: "A", in: graph)
        var expected = 0.0
        for (b, pin) in a.pins.enumerated() {
            let n = graph.pinNet[pin]
            var rises = 0, falls = 0
            for k in 1..<values.count {
                let was = (values[k - 1] >> b) & 1, now = (values[k] >> b) & 1
                if now > was { rises += 1 } else if now < was { falls += 1 }
            }
            let d = graph.netDriver[n]
            expected += 0.5 * 1.8 * 1.8 * (Double(rises) * graph.loadCapacitance[d * 2] + Double(falls) * graph.loadCapacitance[d * 2 + 1])
        }
        expected /= 199
        var separateTable = try Characterizer.characterize(graph: graph, request: CharacterizationRequest(busName: "W", codes: 0...7))
        var includeTable = separateTable
        EnergyCharacterizer.annotate(&separateTable, with: separate)
        EnergyCharacterizer.annotate(&includeTable, with: include)
        for (s, i) in zip(separateTable.entries, includeTable.entries) {
            XCTAssertEqual(try XCTUnwrap(s.inputEnergyFJ), expected, accuracy: 1e-9, "code \(s.code)")
            XCTAssertNil(i.inputEnergyFJ)
            XCTAssertEqual(try XCTUnwrap(i.energyFJ), try XCTUnwrap(s.energyFJ) + expected, accuracy: 1e-9, "code \(s.code)")
        }
        // Code 0 (W = 0 holds every product 0): the input-port nets are nearly all of its energy (the rest
        // is the cells A drives that still switch), as OpenSTA's report_power finds (code 255 / code 0 ≈ 820×).
        let zero = try XCTUnwrap(separateTable.entries[0].energyFJ), zeroIncluded = try XCTUnwrap(includeTable.entries[0].energyFJ)
        print(String(format: "mac8 osu018 code 0: %.1f fJ with the input-port nets, %.1f fJ without (input term %.1f fJ)", zeroIncluded, zero, expected))
        XCTAssertLessThan(zero, 0.05 * zeroIncluded)
        // Read back: the column, and the convention in JSON.
        let csv = try DelayTable.parseCSV(separateTable.csv(), path: "t.csv")
        XCTAssertEqual(try XCTUnwrap(csv.entries[3].inputEnergyFJ), expected, accuracy: 1e-4)
        let json = try DelayTable.parseJSON(Data(separateTable.json().utf8), path: "t.json")
        XCTAssertEqual(json.metadata.stimulus?.inputNetEnergy, "separate")
        XCTAssertEqual(try DelayTable.parseJSON(Data(includeTable.json().utf8), path: "t.json").metadata.stimulus?.inputNetEnergy, "include")
    }

    // MARK: The sweep

    func testCodeZeroHasTheSmallestEnergy() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let graph = try makeGraph(netlist: TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path, libraries: [lib])
        var request = EnergyRequest(busName: "W")
        request.stimulus = EnergyStimulus(activations: .uniform, vectors: 256, seed: 1)
        let table = try EnergyCharacterizer.characterize(graph: graph, libraries: [lib], request: request)
        XCTAssertEqual(table.codes.count, 256)
        let e0 = try XCTUnwrap(table.energy(ofCode: 0)).totalFJ
        for (code, e) in zip(table.codes, table.energies) where code != 0 {
            XCTAssertLessThan(e0, e.totalFJ, "code \(code)")
        }
        let free = try XCTUnwrap(table.unconstrained)
        let mean = table.energies.map(\.totalFJ).reduce(0, +) / 256
        XCTAssertGreaterThan(free.totalFJ, mean, "a weight changing every operation costs more than a held one")
        XCTAssertEqual(table.stimulus.activationBus, "A")
        XCTAssertEqual(table.stimulus.supplyVoltageV, 1.8)
        XCTAssertGreaterThan(try XCTUnwrap(table.leakageNW), 0)
        print(String(format: "mac8 osu018, 256 vectors: code 0 %.1f fJ, mean %.1f fJ, max %.1f fJ, weight free %.1f fJ",
                     e0, mean, table.energies.map(\.totalFJ).max()!, free.totalFJ))

        // Threads do not change the result.
        var one = request
        one.threads = 1
        one.codes = 0...15
        let single = try EnergyCharacterizer.characterize(graph: graph, libraries: [lib], request: one)
        XCTAssertEqual(single.energies, Array(table.energies[0...15]))

        // The delay table carries the columns.
        var delays = try Characterizer.characterize(graph: graph, request: CharacterizationRequest(busName: "W", codes: 0...15))
        EnergyCharacterizer.annotate(&delays, with: single)
        XCTAssertEqual(delays.entries[3].energyFJ, single.energies[3].energyFJ(.separate))
        XCTAssertEqual(delays.entries[3].inputEnergyFJ, single.energies[3].inputSwitchingFJ)
        let reread = try DelayTable.parseCSV(delays.csv(), path: "t.csv")
        XCTAssertEqual(try XCTUnwrap(reread.entries[3].energyFJ), single.energies[3].energyFJ(.separate), accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(reread.entries[3].toggles), single.energies[3].togglesPerOp, accuracy: 1e-4)
        let json = try DelayTable.parseJSON(Data(delays.json().utf8), path: "t.json")
        XCTAssertEqual(json.metadata.stimulus, delays.metadata.stimulus)
        XCTAssertEqual(try XCTUnwrap(json.unconstrained?.energyFJ), try XCTUnwrap(single.unconstrained?.energyFJ(.separate)), accuracy: 1e-4)
    }

    func testStimulusKinds() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let graph = try makeGraph(netlist: TestPaths.repo.appendingPathComponent("Netlists/osu018/mac8.v").path, libraries: [lib])
        let w = try CaseBus(named: "W", in: graph)
        var request = EnergyRequest(busName: "W")
        request.stimulus = EnergyStimulus(activations: .gaussian(sigma: nil), vectors: 4000, seed: 9)
        let (gauss, bus) = try EnergyCharacterizer.makeStimulus(graph: graph, weightBus: w, request: request)
        XCTAssertEqual(bus.name, "A")
        // σ = 32 by default: about 68 % of the values within ±32.
        var inside = 0
        for k in 0..<4000 {
            var v = 0
            for (b, pin) in bus.pins.enumerated() {
                let i = gauss.pins.firstIndex(of: pin)!
                if (gauss.words[i][k >> 6] >> UInt64(k & 63)) & 1 == 1 { v |= 1 << b }
            }
            let signed = v >= 128 ? v - 256 : v
            if abs(signed) <= 32 { inside += 1 }
        }
        XCTAssertEqual(Double(inside) / 4000, 0.68, accuracy: 0.05)
        // Same seed, same stream; another seed, another.
        let again = try EnergyCharacterizer.makeStimulus(graph: graph, weightBus: w, request: request).0
        XCTAssertEqual(again.words, gauss.words)
        request.stimulus.seed = 10
        XCTAssertNotEqual(try EnergyCharacterizer.makeStimulus(graph: graph, weightBus: w, request: request).0.words, gauss.words)

        // A file: values in order, repeated when shorter than --vectors.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("halo-acts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("acts.txt").path
        try "# activations\n1, -1 0x7f\n-128 0b11\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try EnergyStimulus.readActivations(path: file), [1, -1, 127, -128, 3])
        let bad = dir.appendingPathComponent("bad.txt").path
        try "1 2\n3 x7\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EnergyStimulus.readActivations(path: bad)) { error in
            XCTAssertEqual("\(error)", "\(bad):2:3: error: malformed activation 'x7' (expected an integer such as -3, 17, 0x2a)")
        }
        request.stimulus = EnergyStimulus(activations: .values([1, -1, 127, -128, 3], source: file), vectors: 7)
        let fromFile = try EnergyCharacterizer.makeStimulus(graph: graph, weightBus: w, request: request).0
        XCTAssertEqual(fromFile.vectorCount, 7)
        let a0 = fromFile.pins.firstIndex(of: bus.pins[0])!, a7 = fromFile.pins.firstIndex(of: bus.pins[7])!
        XCTAssertEqual(fromFile.words[a0][0], 0b1110111)   // 1, -1, 127, -128, 3, 1, -1: LSBs
        XCTAssertEqual(fromFile.words[a7][0], 0b1001010)   // sign bits
        request.stimulus = EnergyStimulus(activations: .values([300], source: file), vectors: 2)
        XCTAssertThrowsError(try EnergyCharacterizer.makeStimulus(graph: graph, weightBus: w, request: request))
    }

    // MARK: Registered design

    func testRegisteredPEActivityAndEnergy() throws {
        let lib = try LibraryCache.shared.library("osu018")
        let graph = try makeGraph(netlist: TestPaths.repo.appendingPathComponent("Netlists/osu018/pe8.v").path, libraries: [lib])
        var request = EnergyRequest(busName: "wreg", codes: 0...15)
        request.stimulus = EnergyStimulus(activations: .uniform, vectors: 640, seed: 2)
        request.stimulus.activationBus = "a_in"
        let table = try EnergyCharacterizer.characterize(graph: graph, libraries: [lib], request: request)
        let e0 = table.energies[0]
        XCTAssertEqual(e0.operations, 640 - 64)
        for e in table.energies.dropFirst() { XCTAssertLessThan(e0.totalFJ, e.totalFJ) }
        // The clock toggles twice an operation; its flops' clock pins cost internal energy even at code 0.
        XCTAssertGreaterThan(e0.internalFJ, 0)
        XCTAssertThrowsError(try GlitchSimulator(graph: graph))

        // The registered outputs follow the arithmetic (P = 0): 64 runs of 10 vectors; a run samples
        // p_out settled before each clock edge, so it sees the products of its first 9 vectors.
        let w = 5
        let aBus = try CaseBus(named: "a_in", in: graph)
        let values = (0..<640).map { ($0 * 37 + 11) & 0xFF }
        var stimulus = PackedStimulus(vectorCount: values.count)
        stimulus.setBus(aBus.pins, values: values)
        let wreg = try CaseBus(named: "wreg", in: graph)
        let activity = try ActivitySimulator(graph: graph).simulate(stimulus, constants: wreg.constants(code: w))
        XCTAssertEqual(activity.operations, 640 - 64)
        var expected = 0
        for l in 0..<64 {
            for j in 0..<8 {
                let a0 = Int(Int8(truncatingIfNeeded: values[10 * l + j])), a1 = Int(Int8(truncatingIfNeeded: values[10 * l + j + 1]))
                expected += (((a0 * w) & 0xFFFFF) ^ ((a1 * w) & 0xFFFFF)).nonzeroBitCount
            }
        }
        let pOut = try CaseBus(named: "p_out", in: graph)
        let counted = pOut.pins.map { activity.toggles(ofNet: graph.pinNet[$0]) }.reduce(0, +)
        XCTAssertEqual(counted, expected)
    }
}
