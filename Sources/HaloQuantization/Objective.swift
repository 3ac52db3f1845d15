import Foundation

/// What a selection minimizes under its error budget (`--objective`), and the cost axis of its Pareto
/// front.
///
/// A grid's costs, per MAC operation:
/// - **delay**: the slowest of its codes' critical-path delays, ns (the clock period it needs);
/// - **energy**: the mean `energy_fj` of the codes the weights were quantized to, each weight counted
///   once (``Quality/energyPerOpFJ``; importance does not weight energy), fJ;
/// - **edp**: energy per operation × the grid's delay, fJ·ns.
public enum Objective: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// The clock period (the default; the selector's behaviour before objectives existed).
    case delay
    /// Energy per operation.
    case energy
    /// Energy-delay product per operation.
    case edp

    /// Parses `delay`, `energy` or `edp` (any case). Nil otherwise.
    public static func parse(_ text: String) -> Objective? { Objective(rawValue: text.lowercased()) }

    /// `delay`, `energy`, `edp`.
    public var description: String { rawValue }

    /// Whether the objective needs the table's `energy_fj`.
    public var needsEnergy: Bool { self != .delay }

    /// Unit of ``cost(maxDelayNs:energyPerOpFJ:)``.
    public var unit: String {
        switch self {
        case .delay: return "ns"
        case .energy: return "fJ"
        case .edp: return "fJ·ns"
        }
    }

    /// The cost of a grid of slowest code `maxDelayNs` whose weights average `energyPerOpFJ` per
    /// operation; nil when the objective needs energy and there is none.
    public func cost(maxDelayNs: Double, energyPerOpFJ: Double?) -> Double? {
        switch self {
        case .delay: return maxDelayNs
        case .energy: return energyPerOpFJ
        case .edp: return energyPerOpFJ.map { $0 * maxDelayNs }
        }
    }

    /// The cost of a grid of levels `levels` whose quantization gave `quality`.
    public func cost(levels: [CodeLevel], quality: Quality) -> Double? {
        cost(maxDelayNs: levels.map(\.delayNs).max() ?? 0, energyPerOpFJ: quality.energyPerOpFJ)
    }

    /// The order in which the codes standing for one value are preferred (lower first): the fastest
    /// for delay, the cheapest for energy, the smallest energy × delay for EDP; ties by delay, then code.
    func prefers(_ a: CodeLevel, over b: CodeLevel) -> Bool {
        func key(_ l: CodeLevel) -> Double {
            switch self {
            case .delay: return l.delayNs
            case .energy: return l.energyFJ ?? .infinity
            case .edp: return (l.energyFJ ?? .infinity) * l.delayNs
            }
        }
        return (key(a), a.delayNs, a.code) < (key(b), b.delayNs, b.code)
    }
}
