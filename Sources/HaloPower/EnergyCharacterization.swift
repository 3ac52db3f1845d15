import Foundation
import HaloCore
import HaloLiberty
import HaloNetlist
import HaloTiming

/// The input stream of an energy sweep: what the activation bus and the other free inputs carry.
///
/// The same vectors are applied for every code (the weight bus is held at the code), so codes differ
/// only by the weight. Random streams come from a seeded SplitMix64 generator: equal seeds give
/// equal tables.
public struct EnergyStimulus: Sendable, Equatable {
    /// Values of the activation bus.
    public enum Activations: Sendable, Equatable {
        /// Every bit pattern of the bus equally likely.
        case uniform
        /// Rounded normal values of mean 0 and standard deviation `sigma` integer steps (nil: a quarter
        /// of the signed range, 2^(n−1)/4 — 32 for 8 bits), clamped to the format's range; for an
        /// unsigned format the absolute value (a half-normal, like post-ReLU activations).
        case gaussian(sigma: Double?)
        /// Values from a file (`readActivations(path:)`), used in order; `source` is recorded in the metadata.
        case values([Int], source: String)
    }

    /// What the other free input ports carry (every input port but the weight bus, the activation
    /// bus, the clock and the pins held by `fixedConstants`).
    public enum OtherInputs: String, Sendable {
        /// Held at 0 (e.g. the partial sum P of a MAC: energy of one multiply passing through the adder).
        case zero
        /// Independent uniformly random bits each vector.
        case random
    }

    /// The most vectors per code a stimulus may have.
    public static let maxVectors = 100_000_000

    /// What the activation bus carries (default: uniform).
    public var activations: Activations = .uniform
    /// Vectors per code; nil: 1,000 for random activations, the file's length for a file (a file
    /// shorter than `vectors` is repeated from its start).
    public var vectors: Int?
    /// Seed of the SplitMix64 random streams; equal seeds give equal tables.
    public var seed: UInt64 = 1
    /// The bus the activations drive; nil: found by itself (see `activationBus(in:weightBus:)`).
    public var activationBus: String?
    /// Activations are two's complement (signed) values of the bus width, else unsigned.
    public var signed: Bool = true
    /// What the other free input ports carry (default: held at 0).
    public var otherInputs: OtherInputs = .zero

    /// A stimulus of `activations`, `vectors` per code (nil: the default count) and `seed`; other settings at their defaults.
    public init(activations: Activations = .uniform, vectors: Int? = nil, seed: UInt64 = 1) {
        self.activations = activations
        self.vectors = vectors
        self.seed = seed
    }

    /// The vectors per code this stimulus gives.
    public var vectorCount: Int {
        if let vectors { return vectors }
        if case .values(let v, _) = activations { return v.count }
        return 1000
    }

    /// Reads a file of activations: integers separated by blanks, commas or newlines; `#` starts a
    /// comment to the end of the line. Decimal (`-3`, two's complement on the bus), `0x` hexadecimal,
    /// `0o` octal or `0b` binary (`IntegerLiteral`). Values are checked against the bus when the sweep starts.
    public static func readActivations(path: String) throws -> [Int] {
        let text = try InputFile.readText(path).text
        var values: [Int] = []
        // Split on the scalar "\n" (Swift reads "\r\n" as one character); columns count UTF-8 bytes.
        for (l, rawLine) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            var column = 1
            var token = ""
            var tokenColumn = 1
            func flush() throws {
                defer { token = "" }
                guard !token.isEmpty else { return }
                guard let (negative, x) = IntegerLiteral.parse(token), x < (1 << 40) else {
                    throw HaloError("malformed activation '\(token)' (expected an integer such as -3, 17, 0x2a)",
                                    at: SourceLocation(file: path, line: l + 1, column: tokenColumn))
                }
                values.append(negative ? -x : x)
            }
            for c in line {
                if c == " " || c == "\t" || c == "," || c == "\r" || c == ";" {
                    try flush()
                } else {
                    if token.isEmpty { tokenColumn = column }
                    token.unicodeScalars.append(c)
                }
                column += UTF8.width(c)
            }
            try flush()
        }
        guard !values.isEmpty else {
            throw HaloError("no activation values in the file", at: SourceLocation(file: path, line: 1, column: 1))
        }
        return values
    }

    /// The activation bus of a design: `activationBus` if set; otherwise the input port bus (other than
    /// the weight bus and the clock) of the weight bus's width, preferring a name `A`, `a_*`, `act*`
    /// or `x` when several have that width.
    public func activationBus(in graph: TimingGraph, weightBus: CaseBus) throws -> CaseBus {
        if let name = activationBus { return try CaseBus(named: name, in: graph) }
        var buses: [String: Int] = [:]
        var order: [String] = []
        let clock = graph.clockPin.map { graph.pinName($0) }
        for port in graph.design.ports where port.direction == .input && port.bit != nil && port.name != clock {
            if buses[port.busName] == nil { order.append(port.busName) }
            buses[port.busName, default: 0] += 1
        }
        let weightPins = Set(weightBus.pins)
        var candidates = order.filter { name in
            buses[name] == weightBus.width && name != weightBus.name
                && !((try? CaseBus(named: name, in: graph))?.pins.contains(where: weightPins.contains) ?? true)
        }
        if candidates.count > 1 {
            let preferred = candidates.filter { n in
                let l = n.lowercased()
                return l == "a" || l.hasPrefix("a_") || l.hasPrefix("act") || l == "x"
            }
            if preferred.count == 1 { candidates = preferred }
        }
        guard candidates.count == 1 else {
            let list = order.filter { $0 != weightBus.name }.map { "\($0)[\(buses[$0] ?? 0)]" }.joined(separator: ", ")
            throw HaloError(candidates.isEmpty
                ? "no input bus of \(weightBus.width) bits to carry activations (input buses: \(list)); name one with --activation-bus"
                : "several input buses could carry the activations (\(candidates.joined(separator: ", "))); name one with --activation-bus")
        }
        return try CaseBus(named: candidates[0], in: graph)
    }

    /// A short description for reports: `uniform`, `gaussian σ=32`, `file acts.txt`.
    public var kindName: String {
        switch activations {
        case .uniform: return "uniform"
        case .gaussian: return "gaussian"
        case .values: return "file"
        }
    }
}

/// What an energy sweep computes.
public struct EnergyRequest: Sendable {
    /// The weight bus whose codes are swept (`--bus`); each code is held on it while the stimulus runs.
    public var busName: String
    /// Codes to simulate; nil = every code.
    public var codes: ClosedRange<Int>?
    /// Extra constants held for every code (from `--set`).
    public var fixedConstants: [CaseConstant] = []
    /// The vectors applied for every code.
    public var stimulus = EnergyStimulus()
    /// Event-driven simulation with per-arc delays (glitches count) instead of zero-delay toggles.
    public var glitchAware = false
    /// V in ½·C·V²; nil: the library's `nom_voltage`.
    public var supplyVoltageV: Double?
    /// Whether `energy_fj` charges the nets driven by input ports (see ``InputNetEnergy``; default: apart).
    public var inputNetEnergy: InputNetEnergy = .separate
    /// Worker threads (default: all cores).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Also simulate with the weight bus free (the `none` row): the weight bus then carries a second,
    /// independent uniform stream (a weight changing every operation).
    public var includeUnconstrained = true

    /// A request for `busName` over `codes` (nil: every code), other settings at their defaults.
    public init(busName: String, codes: ClosedRange<Int>? = nil) {
        self.busName = busName
        self.codes = codes
    }
}

/// The energy of every code of a sweep.
public struct EnergyTable: Sendable {
    /// The codes, in order, and their energies.
    public var codes: [Int]
    /// Energy per operation (fJ) of each code, in the order of `codes`.
    public var energies: [EnergyBreakdown]
    /// The weight bus free (see `EnergyRequest.includeUnconstrained`).
    public var unconstrained: EnergyBreakdown?
    /// How it was measured (for the delay table's metadata).
    public var stimulus: DelayTable.Stimulus
    /// Σ `cell_leakage_power` over the instances, nW.
    public var leakageNW: Double?

    /// The energy of a code, if simulated.
    public func energy(ofCode code: Int) -> EnergyBreakdown? {
        guard let first = codes.first, code >= first, code - first < codes.count, codes[code - first] == code else {
            return codes.firstIndex(of: code).map { energies[$0] }
        }
        return energies[code - first]
    }
}

/// Sweeps the codes of a bus through activity simulation and the energy model.
public enum EnergyCharacterizer {
    /// Simulates every code with the same stimulus and returns the energy per operation.
    /// `libraries`: those the graph was linked with (for `internal_power`, leakage and `nom_voltage`).
    public static func characterize(graph: TimingGraph, libraries: [LibertyLibrary], request: EnergyRequest,
                                    progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> EnergyTable {
        let bus = try CaseBus(named: request.busName, in: graph)
        let range = try bus.sweepRange(request.codes).range
        let model = try EnergyModel(graph: graph, libraries: libraries, supplyVoltageV: request.supplyVoltageV)
        let (stimulus, activationBus) = try makeStimulus(graph: graph, weightBus: bus, request: request)
        // Both simulators keep their state per call: one of each serves every thread.
        let zeroDelay = try ActivitySimulator(graph: graph)
        let glitch = request.glitchAware ? try GlitchSimulator(graph: graph) : nil   // refuses registered designs
        let fixed = request.fixedConstants
        let count = range.count
        var results = [EnergyBreakdown](repeating: EnergyBreakdown(operations: 0, switchingFJ: 0, internalFJ: 0, togglesPerOp: 0),
                                        count: count)
        let threads = max(1, min(request.threads, count, Limits.maxThreads))
        let chunk = max(1, min(64, (count + threads * 4 - 1) / (threads * 4)))
        let done = AtomicCounter()
        results.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBuffer(buffer)
            ParallelLoop(threads: threads).forEachChunk(count: count, chunkSize: chunk, makeWorker: { TimingAnalysis(graph: graph) }) { analysis, chunk in
                for k in chunk {
                    let code = range.lowerBound + k
                    let constants = fixed + bus.constants(code: code)
                    analysis.run(constants: constants)
                    let activity = glitch?.simulate(stimulus, constants: constants, analysis: analysis)
                        ?? zeroDelay.simulate(stimulus, constants: constants)
                    out[k] = model.energy(of: activity, analysis: analysis, constants: constants)
                }
                progress?(done.add(chunk.count), count)
            }
        }
        var unconstrained: EnergyBreakdown?
        if request.includeUnconstrained {
            var free = stimulus
            var rng = SplitMix64(seed: request.stimulus.seed &+ 0x5EED)
            free.setBus(bus.pins, values: (0..<stimulus.vectorCount).map { _ in Int(rng.next() & UInt64((1 << bus.width) - 1)) })
            let analysis = TimingAnalysis(graph: graph)
            analysis.run(constants: fixed)
            let activity: NetActivity
            if let glitch {
                activity = glitch.simulate(free, constants: fixed, analysis: analysis)
            } else {
                activity = zeroDelay.simulate(free, constants: fixed)
            }
            unconstrained = model.energy(of: activity, analysis: analysis, constants: fixed)
        }
        var sigma: Double?
        var file: String?
        if case .gaussian(let s) = request.stimulus.activations { sigma = s ?? defaultSigma(width: activationBus.width) }
        if case .values(_, let source) = request.stimulus.activations { file = source }
        let usesRandom: Bool = {
            if case .values = request.stimulus.activations { return request.stimulus.otherInputs == .random || request.includeUnconstrained }
            return true
        }()
        let meta = DelayTable.Stimulus(kind: request.stimulus.kindName, activationBus: activationBus.name, sigma: sigma, file: file,
                                       vectors: stimulus.vectorCount, seed: usesRandom ? Int(truncatingIfNeeded: request.stimulus.seed) : nil,
                                       otherInputs: request.stimulus.otherInputs.rawValue,
                                       simulation: request.glitchAware ? "glitch" : "zero-delay",
                                       supplyVoltageV: model.supplyVoltageV, leakageNW: model.leakageNW,
                                       inputNetEnergy: request.inputNetEnergy.rawValue)
        return EnergyTable(codes: Array(range), energies: results, unconstrained: unconstrained, stimulus: meta,
                           leakageNW: model.leakageNW)
    }

    /// Adds `energy_fj`, `toggles` and, with the input-port nets kept apart, `input_energy_fj` to the
    /// rows of `table` whose codes were simulated, and the stimulus to its metadata. The convention is
    /// the one the sweep was asked for (`energy.stimulus.inputNetEnergy`).
    public static func annotate(_ table: inout DelayTable, with energy: EnergyTable) {
        let convention = InputNetEnergy(rawValue: energy.stimulus.inputNetEnergy) ?? .separate
        func fill(_ entry: inout DelayTable.Entry, _ e: EnergyBreakdown) {
            entry.energyFJ = e.energyFJ(convention)
            entry.toggles = e.togglesPerOp
            entry.inputEnergyFJ = convention == .separate ? e.inputSwitchingFJ : nil
        }
        for i in table.entries.indices {
            if let e = energy.energy(ofCode: table.entries[i].code) { fill(&table.entries[i], e) }
        }
        if let u = energy.unconstrained, table.unconstrained != nil { fill(&table.unconstrained!, u) }
        table.metadata.stimulus = energy.stimulus
    }

    static func defaultSigma(width: Int) -> Double { Double(1 << max(0, width - 1)) / 4 }

    /// The packed vectors of the sweep (the weight bus is left to the constants).
    public static func makeStimulus(graph: TimingGraph, weightBus: CaseBus, request: EnergyRequest) throws -> (PackedStimulus, CaseBus) {
        let s = request.stimulus
        let count = s.vectorCount
        guard count >= 2 else { throw HaloError("energy needs at least 2 vectors (an operation is a change from one vector to the next)") }
        guard count <= EnergyStimulus.maxVectors else { throw HaloError("\(count) vectors is too many (at most \(EnergyStimulus.maxVectors))") }
        let bus = try s.activationBus(in: graph, weightBus: weightBus)
        let width = bus.width
        guard width <= 62 else { throw HaloError("activation bus '\(bus.name)' is too wide (\(width) bits)") }
        let mask = (1 << width) - 1
        let lo = s.signed ? -(1 << (width - 1)) : 0
        let hi = s.signed ? (1 << (width - 1)) - 1 : mask
        var rng = SplitMix64(seed: s.seed)
        var values: [Int] = []
        values.reserveCapacity(count)
        switch s.activations {
        case .uniform:
            for _ in 0..<count { values.append(Int(rng.next() & UInt64(mask))) }
        case .gaussian(let sigmaOption):
            let sigma = sigmaOption ?? defaultSigma(width: width)
            guard sigma > 0, sigma.isFinite else { throw HaloError("gaussian sigma must be positive, found \(sigma)") }
            for _ in 0..<count {
                var x = (rng.gaussian() * sigma).rounded()
                if !s.signed { x = abs(x) }
                let v = Int(min(Double(hi), max(Double(lo), x)))
                values.append(v & mask)
            }
        case .values(let file, let source):
            guard !file.isEmpty else { throw HaloError("activation file '\(source)' has no values") }
            for (i, v) in file.enumerated() where v < -(1 << (width - 1)) || v > mask {
                throw HaloError("activation \(v) (value \(i + 1) of '\(source)') does not fit the \(width)-bit bus '\(bus.name)' (\(-(1 << (width - 1))) … \(mask))")
            }
            for k in 0..<count { values.append(file[k % file.count] & mask) }
        }
        var stimulus = PackedStimulus(vectorCount: count)
        stimulus.setBus(bus.pins, values: values)
        // The other free inputs.
        let held = Set(request.fixedConstants.map(\.pin)).union(weightBus.pins).union(bus.pins)
        for port in graph.design.ports where port.direction == .input {
            guard let p = graph.casePin(named: port.name), graph.isPort(p) else { continue }
            if held.contains(p) || p == graph.clockPin { continue }
            switch s.otherInputs {
            case .zero: stimulus.hold(pin: p, value: false)
            case .random: stimulus.set(pin: p, words: (0..<stimulus.wordCount).map { _ in rng.next() })
            }
        }
        return (stimulus, bus)
    }
}

/// Box–Muller normals from SplitMix64 (the stimulus's random streams).
extension SplitMix64 {
    /// A standard normal value.
    mutating func gaussian() -> Double {
        let u1 = (Double(next() >> 11) + 1) / 9_007_199_254_740_992   // (0, 1]
        let u2 = Double(next() >> 11) / 9_007_199_254_740_992
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
