import Foundation
import HaloCore
import HaloNetlist
import HaloTiming

/// What `halo characterize` computes: the delay table of a bus over a range of codes.
public struct CharacterizationRequest: Sendable {
    /// The bus whose codes are swept (`--bus`).
    public var busName: String
    /// Codes to time, in order; nil = every code 0 … 2^width − 1.
    public var codes: ClosedRange<Int>?
    /// Extra constants held for every code (from `--set`).
    public var fixedConstants: [CaseConstant] = []
    /// Worker threads (default: all cores).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Also time with no case analysis on the bus (the `none` row).
    public var includeUnconstrained: Bool = true

    /// A request for `busName` over `codes` (nil: every code), other settings at their defaults.
    public init(busName: String, codes: ClosedRange<Int>? = nil) {
        self.busName = busName
        self.codes = codes
    }
}

/// Sweeps the codes of a bus through the timing engine.
public enum Characterizer {
    /// Computes the delay table. `progress` is called now and then with (codes done, codes total),
    /// from any thread.
    public static func characterize(graph: TimingGraph, request: CharacterizationRequest,
                                    progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> DelayTable {
        let bus = try CaseBus(named: request.busName, in: graph)
        let (all, range) = try bus.sweepRange(request.codes)
        let count = range.count
        var results = [TimingResult](repeating: TimingResult(), count: count)
        let threads = max(1, min(request.threads, count, Limits.maxThreads))
        let chunk = max(1, min(1024, (count + threads * 8 - 1) / (threads * 8)))
        let done = AtomicCounter()
        let fixed = request.fixedConstants
        // A full sweep walks Gray-code indices, so consecutive codes differ in one bit and
        // `update` re-times only what that bit reaches; a partial range walks codes in order.
        let gray = range == all
        // What a worker keeps between chunks: its analysis and the last code it timed (the next chunk
        // starts from that state, one bit away when this worker also took the chunk before, as it
        // does with one thread).
        struct Worker {
            let analysis: TimingAnalysis
            var constants: [CaseConstant]
            var changes: [CaseConstant] = []
            var previous = -1
        }
        results.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBuffer(buffer)
            ParallelLoop(threads: threads).forEachChunk(count: count, chunkSize: chunk, makeWorker: {
                Worker(analysis: TimingAnalysis(graph: graph), constants: fixed + bus.constants(code: 0))
            }) { w, chunk in
                for k in chunk {
                    let code = gray ? (k ^ (k >> 1)) : range.lowerBound + k
                    let result: TimingResult
                    if w.previous < 0 {
                        for b in 0..<bus.width { w.constants[fixed.count + b].value = (code >> b) & 1 == 1 }
                        result = w.analysis.run(constants: w.constants)
                    } else {
                        w.changes.removeAll(keepingCapacity: true)
                        let flipped = code ^ w.previous
                        for b in 0..<bus.width where (flipped >> b) & 1 == 1 {
                            w.changes.append(CaseConstant(pin: bus.pins[b], value: (code >> b) & 1 == 1))
                        }
                        result = w.analysis.update(w.changes)
                    }
                    w.previous = code
                    out[code - range.lowerBound] = result
                }
                progress?(done.add(chunk.count), count)
            }
        }
        var table = DelayTable(unconstrained: nil, entries: [])
        table.entries.reserveCapacity(count)
        for (k, r) in results.enumerated() {
            table.entries.append(entry(code: range.lowerBound + k, r, graph))
        }
        if request.includeUnconstrained {
            let analysis = TimingAnalysis(graph: graph)
            table.unconstrained = entry(code: -1, analysis.run(constants: fixed), graph)
        }
        table.metadata.bus = bus.name
        table.metadata.busWidth = bus.width
        table.metadata.top = graph.design.topName
        table.metadata.netlist = graph.design.sourcePath
        table.metadata.outputLoadFF = graph.conditions.outputLoadFF
        table.metadata.inputSlewNs = graph.conditions.inputSlewNs
        table.metadata.clock = graph.clockPin.map { graph.pinName($0) }
        return table
    }

    static func entry(code: Int, _ r: TimingResult, _ graph: TimingGraph) -> DelayTable.Entry {
        DelayTable.Entry(code: code, delayNs: r.delayNs,
                         startpoint: r.startPin.map { graph.pinName($0) } ?? "",
                         endpoint: r.endPin.map { graph.pinName($0) } ?? "")
    }
}
