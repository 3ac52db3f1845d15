import Foundation

/// Worst-path reports in the manner of OpenSTA's `report_checks`.
public enum PathReport {
    /// Renders the worst path of each of the `paths` worst endpoints after `analysis` has run.
    public static func render(analysis: TimingAnalysis, paths: Int, constants: [CaseConstant] = []) -> String {
        let g = analysis.graph
        var out = ""
        if !constants.isEmpty {
            out += "Case analysis: " + constants.map { "\(g.pinName($0.pin))=\($0.value ? 1 : 0)" }.joined(separator: " ") + "\n\n"
        }
        // Distinct endpoints, worst transition of each.
        var seen = Set<Int>()
        var chosen: [TimingAnalysis.EndpointDelay] = []
        for e in analysis.endpointDelays() where seen.insert(e.pin).inserted {
            chosen.append(e)
            if chosen.count == paths { break }
        }
        if chosen.isEmpty {
            return out + "No paths: every endpoint is constant or unreachable under the case analysis.\n"
        }
        for e in chosen {
            let stages = analysis.tracePath(endPin: e.pin, transition: e.transition)
            guard let first = stages.first else { continue }
            out += "Startpoint: \(g.pinName(first.pin)) (\(describe(first.pin, g)))\n"
            out += "Endpoint: \(g.pinName(e.pin)) (\(describe(e.pin, g, endpoint: true)))\n"
            out += "Path Type: max\n\n"
            out += ["Cap", "Slew", "Delay", "Time"].map { pad($0, 8) }.joined(separator: " ") + "   Description\n"
            out += String(repeating: "-", count: 78) + "\n"
            for s in stages {
                let isDriver = g.driverPin(of: s.pin) == s.pin && !(g.isPort(s.pin) && g.design.ports[s.pin - g.portPinBase].direction != .input)
                let cap = isDriver ? String(format: "%8.2f", g.loadFF(ofDriver: s.pin, s.transition)) : String(repeating: " ", count: 8)
                let cell = g.cellName(ofPin: s.pin).map { " (\($0))" } ?? (g.isPort(s.pin) ? (g.design.ports[s.pin - g.portPinBase].direction == .input ? " (in)" : " (out)") : "")
                out += "\(cap) " + String(format: "%8.3f %8.3f %8.3f", s.slewNs, s.incrementNs, s.arrivalNs)
                    + " \(s.transition.symbol) \(g.pinName(s.pin))\(cell)\n"
            }
            let arrival = stages.last?.arrivalNs ?? 0
            out += String(repeating: "-", count: 78) + "\n"
            out += pad("", 26) + String(format: " %8.3f   data arrival time\n", arrival)
            if e.setupNs != 0 {
                out += pad("", 26) + String(format: " %8.3f   library setup time\n", e.setupNs)
            }
            if e.captureLatencyNs != 0 {
                out += pad("", 26) + String(format: " %8.3f   capture clock network delay (propagated)\n", -e.captureLatencyNs)
            }
            out += pad("", 26) + String(format: " %8.3f   critical-path delay (shortest clock period)\n\n", e.delayNs)
        }
        return out
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    private static func describe(_ pin: Int, _ g: TimingGraph, endpoint: Bool = false) -> String {
        if g.isPort(pin) { return g.design.ports[pin - g.portPinBase].direction == .input ? "input port" : "output port" }
        let cell = g.cellName(ofPin: pin) ?? ""
        if g.isClockNetwork[pin] {
            return "clock pin of \(cell), \(g.conditions.propagatedClock ? "propagated" : "ideal") clock"
        }
        return endpoint ? "data pin of \(cell), setup check" : cell
    }
}
