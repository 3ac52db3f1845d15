import HaloCore
import HaloNetlist

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
    /// width), hexadecimal (`0x25`), octal (`0o45`), binary (`0b100101`) (see `IntegerLiteral`). Returns the unsigned code.
    public func parseCode(_ text: String) -> Int? {
        CaseBus.parseCode(text, width: width)
    }

    /// Parses a code for a bus of `width` bits (see `parseCode(_:)`).
    public static func parseCode(_ text: String, width: Int) -> Int? {
        guard let (negative, m) = IntegerLiteral.parse(text), width > 0, width < 63 else { return nil }
        let full = 1 << width
        if negative {
            guard m <= full / 2 else { return nil }
            return (full - m) & (full - 1)
        }
        guard m < full else { return nil }
        return m
    }
}
