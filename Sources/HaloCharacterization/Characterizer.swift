import Foundation
import HaloCore
import HaloNetlist
import HaloTiming

/// A bus whose bits can be held at a code: a top-level port bus (`W`) or an internal net bus
/// (`wreg`, the outputs of a weight register). Bit `b` of a code drives `name[b]`.
public struct CaseBus: Sendable {
    /// The bus name as given (`W`, `wreg`).
    public var name: String
    /// The pins the constants go on, bit 0 (LSB) first.
    public var pins: [Int]
    /// Bits in the bus; codes run 0 … 2^width − 1.
    public var width: Int { pins.count }

    /// Finds the bus `name` in a timing graph: ports `name[0]…` first, else nets `name[0]…`
    /// (a net's constant goes on its driver pin), else a scalar port or net `name`.
    public init(named name: String, in graph: TimingGraph) throws {
        self.name = name
        let ports = graph.design.ports.filter { $0.busName == name && $0.bit != nil }
        if !ports.isEmpty {
            let bits = ports.compactMap(\.bit).sorted()
            let low = bits[0]
            var pins: [Int] = []
            for b in 0..<bits.count {
                guard let pin = graph.casePin(named: "\(name)[\(low + b)]") else {
                    throw HaloError("bus '\(name)' has no bit \(low + b)")
                }
                pins.append(pin)
            }
            self.pins = pins
            return
        }
        var pins: [Int] = []
        var b = 0
        while let pin = graph.casePin(named: "\(name)[\(b)]") {
            pins.append(pin)
            b += 1
        }
        if pins.isEmpty, let pin = graph.casePin(named: name) { pins = [pin] }
        guard !pins.isEmpty else {
            let buses = Set(graph.design.ports.map(\.busName)).sorted().joined(separator: ", ")
            throw HaloError("no port or net bus named '\(name)' in '\(graph.design.topName)' (ports: \(buses))")
        }
        self.pins = pins
    }

    /// Every code of the bus and the requested range of them (all when nil), checked for a sweep.
    public func sweepRange(_ codes: ClosedRange<Int>?) throws -> (all: ClosedRange<Int>, range: ClosedRange<Int>) {
        guard width <= 30 else {
            throw HaloError("bus '\(name)' has \(width) bits; at most 30 can be swept")
        }
        let all = 0...((1 << width) - 1)
        let range = codes ?? all
        guard range.lowerBound >= 0, range.upperBound <= all.upperBound else {
            throw HaloError("codes \(range.lowerBound)-\(range.upperBound) are outside 0-\(all.upperBound) for the \(width)-bit bus '\(name)'")
        }
        return (all, range)
    }

    /// The constants that hold `code` (unsigned bits) on the bus.
    public func constants(code: Int) -> [CaseConstant] {
        pins.enumerated().map { CaseConstant(pin: $1, value: (code >> $0) & 1 == 1) }
    }

    /// Parses a code as a user writes it: decimal (`37`), signed (`-3`, two's complement on the bus
    /// width), hexadecimal (`0x25`), binary (`0b100101`). Returns the unsigned code.
    public func parseCode(_ text: String) -> Int? {
        CaseBus.parseCode(text, width: width)
    }

    /// Parses a code for a bus of `width` bits (see `parseCode(_:)`).
    public static func parseCode(_ text: String, width: Int) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "")
        var negative = false
        var body = Substring(t)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        else if body.hasPrefix("+") { body = body.dropFirst() }
        var magnitude: Int?
        if body.hasPrefix("0x") { magnitude = Int(body.dropFirst(2), radix: 16) }
        else if body.hasPrefix("0b") { magnitude = Int(body.dropFirst(2), radix: 2) }
        else if body.hasPrefix("0o") { magnitude = Int(body.dropFirst(2), radix: 8) }
        else if !body.isEmpty, body.allSatisfy(\.isNumber) { magnitude = Int(body) }
        guard let m = magnitude, width > 0, width < 63 else { return nil }
        let full = 1 << width
        if negative {
            guard m <= full / 2 else { return nil }
            return (full - m) & (full - 1)
        }
        guard m < full else { return nil }
        return m
    }
}

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
        let chunks = (count + chunk - 1) / chunk
        let done = AtomicCounter()
        let fixed = request.fixedConstants
        results.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBuffer(buffer)
            let next = AtomicCounter()
            // A full sweep walks Gray-code indices, so consecutive codes differ in one bit and
            // `update` re-times only what that bit reaches; a partial range walks codes in order.
            let gray = range == all
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                let analysis = TimingAnalysis(graph: graph)
                var constants = fixed + bus.constants(code: 0)
                var changes: [CaseConstant] = []
                // The last code this thread timed: the next chunk starts from its state (one bit
                // away when this thread also took the chunk before, as it does with one thread).
                var previous = -1
                while true {
                    let c = next.add(1) - 1
                    if c >= chunks { break }
                    let lo = c * chunk, hi = min(count, lo + chunk)
                    for k in lo..<hi {
                        let code = gray ? (k ^ (k >> 1)) : range.lowerBound + k
                        let result: TimingResult
                        if previous < 0 {
                            for b in 0..<bus.width { constants[fixed.count + b].value = (code >> b) & 1 == 1 }
                            result = analysis.run(constants: constants)
                        } else {
                            changes.removeAll(keepingCapacity: true)
                            let flipped = code ^ previous
                            for b in 0..<bus.width where (flipped >> b) & 1 == 1 {
                                changes.append(CaseConstant(pin: bus.pins[b], value: (code >> b) & 1 == 1))
                            }
                            result = analysis.update(changes)
                        }
                        previous = code
                        out[code - range.lowerBound] = result
                    }
                    let total = done.add(hi - lo)
                    progress?(total, count)
                }
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

/// A thread-safe counter.
final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    /// Adds `n` and returns the new value.
    func add(_ n: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        value += n
        return value
    }
}

/// A buffer that worker threads write to at disjoint indices.
struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<T>
    init(_ base: UnsafeMutableBufferPointer<T>) { self.base = base }
    subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

