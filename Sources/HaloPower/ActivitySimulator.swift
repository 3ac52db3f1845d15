import HaloCore
import HaloLiberty
import HaloTiming

/// Zero-delay (functional) toggle counting, bit-parallel. Thread-safe: `simulate` keeps its state
/// local, so one simulator serves any number of threads and codes.
public final class ActivitySimulator: @unchecked Sendable {
    /// The design being simulated.
    public let graph: TimingGraph
    let design: ActivityDesign
    /// Words per block (4,096 vectors).
    let blockWords = 64

    /// Compiles the graph's cells for simulation. Throws for a flop without `next_state`.
    public init(graph: TimingGraph) throws {
        self.graph = graph
        self.design = try ActivityDesign(graph: graph)
    }

    init(design: ActivityDesign) {
        self.graph = design.graph
        self.design = design
    }

    /// True when the design has flip-flops or latches (simulated cycle by cycle in lanes).
    public var isSequential: Bool { design.isSequential }

    /// Counts the transitions of every net while `stimulus` is applied with `constants` held.
    ///
    /// Combinational design: every vector settles; the counts cover the vectorCount − 1 consecutive
    /// pairs. Registered design: one clock cycle per vector, sampled settled before the edge (ideal
    /// clock, flops load `next_state`; clear/preset are not modeled). The vectors are split into 64
    /// consecutive runs simulated side by side (one per bit of a word); each run starts from its first
    /// vector applied for two warm-up cycles, so the counts cover vectorCount − (number of runs) pairs.
    /// The nets of the ideal clock network count one rise and one fall per cycle.
    public func simulate(_ stimulus: PackedStimulus, constants: [CaseConstant] = []) -> NetActivity {
        let binding = ActivityBinding(design: design, stimulus: stimulus, constants: constants)
        return design.isSequential ? simulateCycles(stimulus, binding) : simulateStream(stimulus, binding)
    }

    /// Combinational: blocks of `blockWords` words along the vector stream.
    private func simulateStream(_ stimulus: PackedStimulus, _ binding: ActivityBinding) -> NetActivity {
        let g = graph, d = design
        let netCount = g.design.nets.count
        let totalWords = stimulus.wordCount
        let n = stimulus.vectorCount
        var rises = [Int](repeating: 0, count: netCount)
        var falls = [Int](repeating: 0, count: netCount)
        guard n > 1 else { return NetActivity(vectorCount: n, operations: 0, rises: rises, falls: falls) }
        let W = min(blockWords, totalWords)
        // Rows: 0 zeros, 1 ones, 2… computed nets.
        var computedRow = [Int32](repeating: -1, count: netCount)
        var rowCount = 2
        for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
            computedRow[Int(out.net)] = Int32(rowCount)
            rowCount += 1
        }
        let rows = UnsafeMutablePointer<UInt64>.allocate(capacity: rowCount * W)
        defer { rows.deallocate() }
        rows.initialize(repeating: 0, count: rowCount * W)
        for w in 0..<W { rows[W + w] = ~0 }
        let temps = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, d.maxTemps) * W)
        defer { temps.deallocate() }
        // Stimulus words, contiguous.
        let stim = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, stimulus.pins.count * totalWords))
        defer { stim.deallocate() }
        for (i, w) in stimulus.words.enumerated() { (stim + i * totalWords).initialize(from: w, count: totalWords) }
        // Where a pin reads its block: `pinPointer` below, resolved again for every block.
        var netsToCount: [Int32] = []
        for net in 0..<netCount where binding.netConstant[net] == 2 && (computedRow[net] >= 0 || binding.netStimulus[net] >= 0) {
            netsToCount.append(Int32(net))
        }
        var carry = [UInt64](repeating: 0, count: netCount)
        // Variable row pointers per output entry are rebuilt per block.
        var varPointers = [UnsafePointer<UInt64>](repeating: UnsafePointer(rows), count: d.variablePins.count)
        var outPointers = [UnsafeMutablePointer<UInt64>?](repeating: nil, count: d.outputs.count)
        var block = 0
        while block * W < totalWords {
            let w0 = block * W
            let words = min(W, totalWords - w0)
            func netPointer(_ net: Int) -> UnsafePointer<UInt64> {
                let c = binding.netConstant[net]
                if c != 2 { return UnsafePointer(rows + Int(c) * W) }
                let s = binding.netStimulus[net]
                if s >= 0 { return UnsafePointer(stim + Int(s) * totalWords + w0) }
                let r = computedRow[net]
                return UnsafePointer(rows + Int(max(0, r)) * W)
            }
            func pinPointer(_ p: Int) -> UnsafePointer<UInt64> {
                if p < 0 { return UnsafePointer(rows) }
                let o = binding.pinOverride[p]
                if o == 0 || o == 1 { return UnsafePointer(rows + Int(o) * W) }
                if o >= 2 { return UnsafePointer(stim + Int(o - 2) * totalWords + w0) }
                let net = g.pinNet[p]
                return net >= 0 ? netPointer(net) : UnsafePointer(rows)
            }
            for (v, p) in d.variablePins.enumerated() { varPointers[v] = pinPointer(Int(p)) }
            if block == 0 {
                for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
                    outPointers[e] = rows + Int(computedRow[Int(out.net)]) * W
                }
            }
            varPointers.withUnsafeBufferPointer { vp in
                for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
                    guard let dst = outPointers[e], out.program >= 0 else { continue }
                    runProgram(d.programs[Int(out.program)], vars: vp.baseAddress! + Int(out.varStart), temps: temps,
                        zeros: UnsafePointer(rows), ones: UnsafePointer(rows + W), W: W, words: words, dst: dst)
                }
            }
            // Count.
            let lastValidBits = (w0 + words == totalWords && n % 64 != 0) ? n % 64 : 64
            for net32 in netsToCount {
                let net = Int(net32)
                let v = netPointer(net)
                var c = carry[net]
                var r = 0, f = 0
                for w in 0..<words {
                    let x = v[w]
                    var t = x ^ ((x << 1) | c)
                    c = x >> 63
                    if w0 + w == 0 { t &= ~1 }
                    if w == words - 1 && lastValidBits < 64 { t &= (UInt64(1) << UInt64(lastValidBits)) &- 1 }
                    r += (t & x).nonzeroBitCount
                    f += (t & ~x).nonzeroBitCount
                }
                carry[net] = c
                rises[net] += r
                falls[net] += f
            }
            block += 1
        }
        return NetActivity(vectorCount: n, operations: n - 1, rises: rises, falls: falls)
    }

    /// Registered: one cycle per vector, 64 lanes of consecutive runs.
    private func simulateCycles(_ stimulus: PackedStimulus, _ binding: ActivityBinding) -> NetActivity {
        let g = graph, d = design
        let netCount = g.design.nets.count
        let n = stimulus.vectorCount
        var rises = [Int](repeating: 0, count: netCount)
        var falls = [Int](repeating: 0, count: netCount)
        let lanes = min(64, max(1, n / 2))
        let runLength = n == 0 ? 0 : (n + lanes - 1) / lanes
        // Scratch: one word per net, per stimulus pin, per flop; constants; variable pointers.
        let netValue = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, netCount))
        let stimValue = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, stimulus.pins.count))
        let constants = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        let temps = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, d.maxTemps))
        let pointers = UnsafeMutablePointer<UnsafePointer<UInt64>>.allocate(capacity: max(1, d.variablePins.count))
        defer {
            netValue.deallocate(); stimValue.deallocate(); constants.deallocate(); temps.deallocate(); pointers.deallocate()
        }
        netValue.initialize(repeating: 0, count: max(1, netCount))
        stimValue.initialize(repeating: 0, count: max(1, stimulus.pins.count))
        constants[0] = 0
        constants[1] = ~0
        for net in 0..<netCount where binding.netConstant[net] == 1 { netValue[net] = ~0 }
        func pinPointer(_ p: Int) -> UnsafePointer<UInt64> {
            if p < 0 { return UnsafePointer(constants) }
            let o = binding.pinOverride[p]
            if o == 0 || o == 1 { return UnsafePointer(constants + Int(o)) }
            if o >= 2 { return UnsafePointer(stimValue + Int(o - 2)) }
            let net = g.pinNet[p]
            return net >= 0 ? UnsafePointer(netValue + net) : UnsafePointer(constants)
        }
        for (v, p) in d.variablePins.enumerated() { pointers[v] = pinPointer(Int(p)) }
        var state = [UInt64](repeating: 0, count: d.flops.count)
        func settle() {
            for net in 0..<netCount where binding.netStimulus[net] >= 0 { netValue[net] = stimValue[Int(binding.netStimulus[net])] }
            for (e, out) in d.outputs.enumerated() where binding.outputConstant[e] == 2 {
                let net = Int(out.net)
                switch out.program {
                case -1: netValue[net] = 0
                case -2, -3:
                    let f = Int(d.flopOfInstance[Int(out.instance)])
                    netValue[net] = out.program == -2 ? state[f] : ~state[f]
                default:
                    runProgram(d.programs[Int(out.program)], vars: UnsafePointer(pointers + Int(out.varStart)), temps: temps,
                        zeros: UnsafePointer(constants), ones: UnsafePointer(constants + 1), W: 1, words: 1, dst: netValue + net)
                }
            }
        }
        func clockEdge() {
            var next = state
            for (f, flop) in d.flops.enumerated() {
                let count = Int(flop.varCount)
                var vars = [UInt64](repeating: 0, count: count)
                for k in 0..<count { vars[k] = pinPointer(Int(d.stateVars[Int(flop.varStart) + k])).pointee }
                // Lane by lane through the truth table (flops have few inputs).
                var word: UInt64 = 0
                for l in 0..<64 {
                    var m = 0
                    for k in 0..<count where (vars[k] >> UInt64(l)) & 1 == 1 { m |= 1 << k }
                    if d.scalar(Int(flop.program), m) { word |= UInt64(1) << UInt64(l) }
                }
                next[f] = word
            }
            state = next
        }
        var countNets: [Int] = []
        for net in 0..<netCount where binding.netConstant[net] == 2 && !d.netOnClock[net] { countNets.append(net) }
        var previous = [UInt64](repeating: 0, count: netCount)
        var operations = 0
        for t in 0..<runLength {
            // Lane l simulates vectors [l·L, min(n, (l+1)·L)).
            var valid: UInt64 = 0
            for l in 0..<lanes where l * runLength + t < n { valid |= UInt64(1) << UInt64(l) }
            for i in 0..<stimulus.pins.count {
                var word: UInt64 = 0
                for l in 0..<lanes {
                    let k = l * runLength + t
                    if k < n, stimulus.bit(i, k) { word |= UInt64(1) << UInt64(l) }
                }
                stimValue[i] = word
            }
            if t == 0 {
                // Warm-up: each run's first vector for two cycles.
                settle(); clockEdge(); settle(); clockEdge()
            }
            settle()
            if t > 0 {
                for net in countNets {
                    let x = netValue[net], y = previous[net]
                    let tr = (x ^ y) & valid
                    rises[net] += (tr & x).nonzeroBitCount
                    falls[net] += (tr & ~x).nonzeroBitCount
                }
                operations += valid.nonzeroBitCount
            }
            for net in countNets { previous[net] = netValue[net] }
            clockEdge()
        }
        for net in 0..<netCount where d.netOnClock[net] {
            rises[net] += operations
            falls[net] += operations
        }
        return NetActivity(vectorCount: n, operations: operations, rises: rises, falls: falls)
    }
}

