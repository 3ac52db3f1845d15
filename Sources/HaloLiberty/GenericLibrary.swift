import Foundation
import HaloCore

/// The embedded generic library: NLDM timing for Verilog gate primitives and Yosys internal gate
/// cells, used when a netlist instantiates a cell that no Liberty library provides.
///
/// It is not a characterized process. It is a *logical-effort* model (Sutherland, Sproull & Harris,
/// "Logical Effort", 1999) for a generic ~180 nm-class static CMOS node, with a linear dependence on
/// input slew added, written as ordinary Liberty tables so that the timing engine treats it like any
/// other library.
///
/// ## Constants
///
/// | symbol | value | meaning |
/// |--------|-------|---------|
/// | τ      | 0.010 ns (10 ps) | unit delay: a unit inverter driving an identical inverter, with no parasitics |
/// | C_inv  | 2 fF     | input capacitance of the unit inverter |
/// | k_s    | 0.2      | delay added per ns of input transition (ns/ns) |
/// | S₀     | 0.020 ns | output transition of an unloaded gate |
/// | S₁     | 2        | output transition per unit of τ·C_load/C_inv (10–90 % ramp ≈ 2 × 50 % RC delay) |
/// | k_t    | 0.1      | part of the input transition passed to the output transition (ns/ns) |
/// | ρ      | 1.2      | rise penalty of output stages whose pull-up has ≥ 2 series pMOS (1 otherwise) |
/// | p_ff   | 6        | parasitic delay of a flip-flop's clock → Q path |
/// | t_su   | 3τ = 0.030 ns | intrinsic setup time of the storage element |
/// | t_h    | 1τ = 0.010 ns | intrinsic hold time of the storage element |
///
/// A fan-out-of-4 inverter (C_load = 8 fF, input slew 0.1 ns) thus takes 10 ps·(1 + 4) + 0.2·100 ps
/// = 70 ps, with a 0.02 + 2·0.01·4 + 0.01 = 0.11 ns output transition.
///
/// ## Combinational arcs
///
/// Every input pin `x` of a gate has a logical effort `g_x` and a parasitic delay `p_x` (in units of τ).
/// Every gate is sized so that its output stage drives like the unit inverter, hence
///
/// - input pin capacitance:  `C_x = g_x · C_inv` (rise = fall)
/// - cell_fall (ns):          `d_f(s, C) = τ · (p_x + C / C_inv) + k_s · s`
/// - cell_rise (ns):          `d_r(s, C) = ρ · τ · (p_x + C / C_inv) + k_s · s`
/// - fall_transition (ns):    `t_f(s, C) = S₀ + S₁ · τ · C / C_inv + k_t · s`
/// - rise_transition (ns):    `t_r(s, C) = ρ · (S₀ + S₁ · τ · C / C_inv) + k_t · s`
///
/// with `s` the input pin's transition (ns) and `C` the total output load (fF). (The logical-effort
/// delay `τ·(g·h + p)` with electrical effort `h = C / C_x` gives `g·h = C / C_inv`.)
///
/// Each function is stored as a 2-D table, `variable_1 : input_net_transition`,
/// `variable_2 : total_output_net_capacitance`, on the break points s ∈ {0, 0.05, 0.2, 0.5, 1} ns and
/// C ∈ {0, 5, 20, 50, 100} fF. The model is linear in each variable, so bilinear interpolation *and*
/// extrapolation of the tables reproduce the equations exactly at every (s, C).
///
/// `timing_sense` of each arc is computed by enumerating the truth table of the output function:
/// positive unate if raising the pin never lowers the output, negative unate if it never raises it,
/// non-unate otherwise. (An input the function does not depend on gets no arc; no cell here has one.)
///
/// Effort and parasitics (γ = 2 pMOS/nMOS mobility ratio; a multi-stage gate's internal stage drives
/// the next stage with unit strength, so it adds `τ·(p_internal + C_next/C_inv)` to `p`):
///
/// | cell | g per input | p per input | ρ | area |
/// |------|-------------|-------------|---|------|
/// | `not`, `$_NOT_`, `nand1`, `nor1`, `xnor1` (inverter) | 1 | 1 | 1 | 2 |
/// | `buf`, `$_BUF_`, `and1`, `or1`, `xor1` (2 inverters) | 1 | 3 | 1 | 4 |
/// | `nandN` (N ≥ 2), `$_NAND_` (N = 2) | (N+2)/3 | N | 1 | 2N |
/// | `norN` (N ≥ 2), `$_NOR_` (N = 2) | (2N+1)/3 | N | 1.2 | 2N |
/// | `andN` (N ≥ 2), `$_AND_` (NAND + inverter) | (N+2)/3 | N + 2 | 1 | 2N+2 |
/// | `orN` (N ≥ 2), `$_OR_` (NOR + inverter) | (2N+1)/3 | N + 2 | 1 | 2N+2 |
/// | `xorN`, `xnorN`, `$_XOR_`, `$_XNOR_` (N ≥ 2: balanced tree of XOR2, L = ⌈log₂N⌉ levels) | 4 | 4 + 8(L−1) | 1.2 | 12(N−1) |
/// | `$_ANDNOT_` = NOR2(!A, B) | A: 1, B: 5/3 | A: 2 + (1 + 5/3) = 14/3, B: 2 | 1.2 | 6 |
/// | `$_ORNOT_` = NAND2(!A, B) | A: 1, B: 4/3 | A: 2 + (1 + 4/3) = 13/3, B: 2 | 1 | 6 |
/// | `$_NMUX_` (tristate-inverter mux + select inverter) | A, B: 2; S: 3 | A, B: 4; S: 4 + (1 + 2) = 7 | 1.2 | 10 |
/// | `$_MUX_` (`$_NMUX_` + inverter) | A, B: 2; S: 3 | A, B: 6; S: 9 | 1 | 12 |
/// | `$_AOI3_` (AOI21) | A, B: 2; C: 5/3 | 7/3 | 1.2 | 6 |
/// | `$_OAI3_` (OAI21) | A, B: 2; C: 4/3 | 8/3 | 1.2 | 6 |
/// | `$_AOI4_` (AOI22), `$_OAI4_` (OAI22) | 2 | 4 | 1.2 | 8 |
///
/// An XOR tree's internal XOR2 drives an XOR2 input (4 C_inv): `τ·(4 + 4) = 8τ` per extra level; every
/// input is modeled at the full depth L. An inverting mux's select drives the S̄ transistors (2 C_inv)
/// through an internal unit inverter: `+ τ·(1 + 2)`. AOI/OAI parasitics count the diffusion width on the
/// output node (AOI21: nMOS 2 + 1, pMOS 4 → 7/3; OAI21: nMOS 2, pMOS 4 + 2 → 8/3; AOI22/OAI22: 12/3).
/// Wide NAND/NOR gates use the single-stage formulas as they are (a 16-input NAND has p = 16).
/// `area` is a transistor count (a relative measure, not µm²).
///
/// ## Flip-flops
///
/// `$_DFF_P_`, `$_DFF_N_` (pins `D`, `C`, `Q`) and `$_DFFE_PP_`, `$_DFFE_PN_`, `$_DFFE_NP_`, `$_DFFE_NN_`
/// (pins `D`, `C`, `E`, `Q`), with Yosys's semantics: an `ff` group (`IQ`, `IQN`),
/// `clocked_on : C` (or `!C`), `next_state : D` (or `(E&D)|(!E&IQ)`, with `!E` for an active-low enable),
/// and `Q` = `IQ`. Pin capacitances: `C` = 1·C_inv = 2 fF; `D` = 1·C_inv (plain flop) or 2·C_inv
/// (enable flop: `D` is a data input of an internal `$_NMUX_`); `E` = 3·C_inv (the mux select).
///
/// - Clock → Q (`rising_edge` or `falling_edge`, non-unate), s = clock transition:
///   `d(s, C) = τ · (p_ff + C / C_inv) + k_s · s` for both rise and fall;
///   the Q transitions are `S₀ + S₁ · τ · C / C_inv + k_t · s` (ρ = 1).
/// - Setup (`setup_rising`/`setup_falling` on `D` and `E`, related pin `C`), tables indexed by
///   (`related_pin_transition` s_C, `constrained_pin_transition` s_D), rise = fall constraint:
///   `setup = t_su + e_x + k_s · (s_D − s_C)`
/// - Hold (`hold_rising`/`hold_falling`):
///   `hold = t_h − e_x + k_s · (s_C − s_D)`
///
/// where `e_x` is the delay of the internal path from the pin to the storage element: 0 for `D` of a
/// plain flop; `τ·(4 + 1) = 5τ` for `D` and `τ·(7 + 1) = 8τ` for `E` of an enable flop (the internal
/// mux driving a unit load). The slew terms follow from the same `k_s` delay model: a slow data edge
/// reaches the storage node later (more setup, less hold), a slow clock edge closes it later.
/// Setup and hold may therefore be negative, as in real libraries.
///
/// Not modeled: power, flops with reset/set (`$_DFF_PP0_` …), latches, tri-state buffers, and gates
/// with more than 16 inputs (`cell(named:inputCount:)` returns nil for these).
public enum GenericLibrary {
    // MARK: Model constants (documented above)

    /// τ, ns.
    static let tau = 0.010
    /// C_inv, fF.
    static let inverterCapacitance = 2.0
    /// k_s, ns of delay per ns of input transition.
    static let slewDelayFactor = 0.2
    /// S₀, ns.
    static let intrinsicSlew = 0.020
    /// S₁, dimensionless.
    static let slewLoadFactor = 2.0
    /// k_t, ns of output transition per ns of input transition.
    static let slewPassFactor = 0.1
    /// ρ for output stages with stacked pMOS.
    static let stackedRiseFactor = 1.2
    /// p_ff.
    static let flopParasitic = 6.0
    /// t_su, ns.
    static let setupTime = 3 * tau
    /// t_h, ns.
    static let holdTime = 1 * tau
    /// Transition break points, ns.
    static let slewBreakpoints: [Double] = [0, 0.05, 0.2, 0.5, 1.0]
    /// Load break points, fF.
    static let loadBreakpoints: [Double] = [0, 5, 20, 50, 100]
    /// The widest gate primitive built.
    static let maxPrimitiveInputs = 16
    /// Input pin names of gate primitives, in order.
    static let primitivePinNames: [String] = "ABCDEFGHIJKLMNOP".map { String($0) }

    /// A LibertyLibrary (name "halo_generic", path "<generic>") holding every fixed-arity cell:
    /// `not`, `buf`, the Yosys gate cells and the Yosys flip-flops listed above.
    public static let library: LibertyLibrary = {
        var cells: [LibertyCell] = [
            makeGate(primitiveSpec(.not, inputs: 1, name: "not")),
            makeGate(primitiveSpec(.buf, inputs: 1, name: "buf")),
        ]
        cells += yosysGateSpecs.map(makeGate)
        cells += flopSpecs.map(makeFlop)
        return LibertyLibrary(name: "halo_generic", path: "<generic>", cells: cells)
    }()

    /// The cell for a Yosys internal gate name (e.g. "$_AND_") or a gate primitive name with its input count
    /// ("and" with inputCount 3 → a 3-input AND cell named "and3" with pins A,B,C,Y). nil if unknown.
    ///
    /// Yosys names ignore `inputCount`. `not` and `buf` accept an inputCount of 0 or 1. The built
    /// names (`and3`, `xor2`, …) are accepted too, with an inputCount of 0 or their own arity.
    /// Primitives are built on first use and cached.
    public static func cell(named name: String, inputCount: Int) -> LibertyCell? {
        if name.hasPrefix("$") { return library.cell(named: name) }
        if name == "not" || name == "buf" {
            return inputCount <= 1 ? library.cell(named: name) : nil
        }
        var family = Primitive(rawValue: name)
        var arity = inputCount
        if family == nil {
            // "and3", "xnor12", …
            let letters = name.prefix { $0.isLetter }
            guard let f = Primitive(rawValue: String(letters)), f != .not, f != .buf,
                  let n = Int(name.dropFirst(letters.count)), String(n) == String(name.dropFirst(letters.count)),
                  inputCount == 0 || inputCount == n else { return nil }
            family = f
            arity = n
        }
        guard let family, family != .not, family != .buf,
              (1...maxPrimitiveInputs).contains(arity) else { return nil }
        let cellName = "\(family.rawValue)\(arity)"
        return cache.cell(cellName) { makeGate(primitiveSpec(family, inputs: arity, name: cellName)) }
    }

    // MARK: Delay equations

    /// cell_rise/cell_fall, ns (ρ = 1 for fall).
    static func gateDelay(parasitic: Double, riseFactor: Double, slew: Double, load: Double) -> Double {
        riseFactor * tau * (parasitic + load / inverterCapacitance) + slewDelayFactor * slew
    }

    /// rise_transition/fall_transition, ns (ρ = 1 for fall).
    static func outputSlew(riseFactor: Double, slew: Double, load: Double) -> Double {
        riseFactor * (intrinsicSlew + slewLoadFactor * tau * load / inverterCapacitance) + slewPassFactor * slew
    }

    /// A (transition × load) table of `f`.
    static func delayTable(_ f: (Double, Double) -> Double) -> LibertyTable {
        var values: [Double] = []
        values.reserveCapacity(slewBreakpoints.count * loadBreakpoints.count)
        for s in slewBreakpoints { for c in loadBreakpoints { values.append(f(s, c)) } }
        return LibertyTable(variables: [.inputNetTransition, .totalOutputNetCapacitance],
                            axes: [slewBreakpoints, loadBreakpoints], values: values)
    }

    /// A (related pin transition × constrained pin transition) table of `f`.
    static func constraintTable(_ f: (Double, Double) -> Double) -> LibertyTable {
        var values: [Double] = []
        values.reserveCapacity(slewBreakpoints.count * slewBreakpoints.count)
        for sr in slewBreakpoints { for sc in slewBreakpoints { values.append(f(sr, sc)) } }
        return LibertyTable(variables: [.relatedPinTransition, .constrainedPinTransition],
                            axes: [slewBreakpoints, slewBreakpoints], values: values)
    }

    // MARK: Unateness

    /// The timing sense of `pin` in `function`, by enumerating every assignment of `inputs`;
    /// nil when the function does not depend on `pin`.
    static func sense(of pin: String, in function: BooleanExpression, inputs: [String]) -> TimingSense? {
        senses(of: function, inputs: inputs)[pin] ?? nil
    }

    /// The timing sense of every input (nil for inputs the function ignores), from one truth table.
    static func senses(of function: BooleanExpression, inputs: [String]) -> [String: TimingSense?] {
        var bit: [String: Int] = [:]
        for (i, name) in inputs.enumerated() { bit[name] = i }
        let rows = 1 << inputs.count
        var table = [Bool](repeating: false, count: rows)
        for m in 0..<rows {
            table[m] = function.evaluate { v in bit[v].map { (m >> $0) & 1 == 1 } ?? false }
        }
        var result: [String: TimingSense?] = [:]
        for (i, name) in inputs.enumerated() {
            let mask = 1 << i
            var rises = false, falls = false
            for m in 0..<rows where m & mask == 0 {
                let lo = table[m], hi = table[m | mask]
                if !lo && hi { rises = true }
                if lo && !hi { falls = true }
                if rises && falls { break }
            }
            switch (rises, falls) {
            case (true, false): result[name] = .some(.positiveUnate)
            case (false, true): result[name] = .some(.negativeUnate)
            case (true, true): result[name] = .some(.nonUnate)
            case (false, false): result[name] = .some(nil)
            }
        }
        return result
    }

    // MARK: Cell specifications

    enum Primitive: String {
        case and, or, nand, nor, xor, xnor, not, buf
    }

    struct InputSpec {
        var pin: String
        /// Logical effort g.
        var effort: Double
        /// Parasitic delay p, in τ.
        var parasitic: Double
    }

    struct GateSpec {
        var name: String
        var inputs: [InputSpec]
        var output: String = "Y"
        var function: BooleanExpression
        /// ρ for the rise tables (1 or `stackedRiseFactor`).
        var riseFactor: Double
        var area: Double
    }

    struct FlopSpec {
        var name: String
        var risingClock: Bool
        /// nil: no enable; true: active-high E; false: active-low E.
        var enableActiveHigh: Bool?
    }

    private static func v(_ name: String) -> BooleanExpression { .variable(name) }

    private static func fold(_ pins: [String],
                             _ op: (BooleanExpression, BooleanExpression) -> BooleanExpression) -> BooleanExpression {
        var e = v(pins[0])
        for p in pins.dropFirst() { e = op(e, v(p)) }
        return e
    }

    private static func uniform(_ pins: [String], g: Double, p: Double) -> [InputSpec] {
        pins.map { InputSpec(pin: $0, effort: g, parasitic: p) }
    }

    /// The spec of an N-input gate primitive (N = 1 for `not`/`buf`).
    static func primitiveSpec(_ kind: Primitive, inputs n: Int, name: String) -> GateSpec {
        let pins = Array(primitivePinNames.prefix(n))
        let nd = Double(n)
        let stacked = n >= 2 ? stackedRiseFactor : 1
        let inverter = uniform(pins, g: 1, p: 1)
        let buffer = uniform(pins, g: 1, p: 3)
        switch kind {
        case .not:
            return GateSpec(name: name, inputs: inverter, function: .not(v("A")), riseFactor: 1, area: 2)
        case .buf:
            return GateSpec(name: name, inputs: buffer, function: v("A"), riseFactor: 1, area: 4)
        case .nand:
            return GateSpec(name: name, inputs: uniform(pins, g: (nd + 2) / 3, p: nd),
                            function: .not(fold(pins, BooleanExpression.and)), riseFactor: 1, area: 2 * nd)
        case .nor:
            return GateSpec(name: name, inputs: uniform(pins, g: (2 * nd + 1) / 3, p: nd),
                            function: .not(fold(pins, BooleanExpression.or)), riseFactor: stacked, area: 2 * nd)
        case .and:
            return GateSpec(name: name, inputs: uniform(pins, g: (nd + 2) / 3, p: nd + 2),
                            function: fold(pins, BooleanExpression.and), riseFactor: 1, area: 2 * nd + 2)
        case .or:
            return GateSpec(name: name, inputs: uniform(pins, g: (2 * nd + 1) / 3, p: nd + 2),
                            function: fold(pins, BooleanExpression.or), riseFactor: 1, area: 2 * nd + 2)
        case .xor, .xnor:
            let parity = fold(pins, BooleanExpression.xor)
            let function = kind == .xor ? parity : .not(parity)
            if n == 1 {
                return GateSpec(name: name, inputs: kind == .xor ? buffer : inverter, function: function,
                                riseFactor: 1, area: kind == .xor ? 4 : 2)
            }
            var levels = 0
            while (1 << levels) < n { levels += 1 }
            return GateSpec(name: name, inputs: uniform(pins, g: 4, p: 4 + 8 * Double(levels - 1)),
                            function: function, riseFactor: stackedRiseFactor, area: 12 * (nd - 1))
        }
    }

    /// The Yosys internal gate cells (flops excluded).
    static var yosysGateSpecs: [GateSpec] {
        let ab = ["A", "B"]
        let a = v("A"), b = v("B"), c = v("C"), d = v("D"), s = v("S")
        func renamed(_ spec: GateSpec, _ name: String) -> GateSpec {
            var spec = spec
            spec.name = name
            return spec
        }
        let mux: BooleanExpression = .or(.and(s, b), .and(.not(s), a))
        return [
            renamed(primitiveSpec(.buf, inputs: 1, name: ""), "$_BUF_"),
            renamed(primitiveSpec(.not, inputs: 1, name: ""), "$_NOT_"),
            renamed(primitiveSpec(.and, inputs: 2, name: ""), "$_AND_"),
            renamed(primitiveSpec(.nand, inputs: 2, name: ""), "$_NAND_"),
            renamed(primitiveSpec(.or, inputs: 2, name: ""), "$_OR_"),
            renamed(primitiveSpec(.nor, inputs: 2, name: ""), "$_NOR_"),
            renamed(primitiveSpec(.xor, inputs: 2, name: ""), "$_XOR_"),
            renamed(primitiveSpec(.xnor, inputs: 2, name: ""), "$_XNOR_"),
            GateSpec(name: "$_ANDNOT_",
                     inputs: [InputSpec(pin: "A", effort: 1, parasitic: 2 + 1 + 5.0 / 3),
                              InputSpec(pin: "B", effort: 5.0 / 3, parasitic: 2)],
                     function: .and(a, .not(b)), riseFactor: stackedRiseFactor, area: 6),
            GateSpec(name: "$_ORNOT_",
                     inputs: [InputSpec(pin: "A", effort: 1, parasitic: 2 + 1 + 4.0 / 3),
                              InputSpec(pin: "B", effort: 4.0 / 3, parasitic: 2)],
                     function: .or(a, .not(b)), riseFactor: 1, area: 6),
            GateSpec(name: "$_MUX_",
                     inputs: uniform(ab, g: 2, p: 6) + [InputSpec(pin: "S", effort: 3, parasitic: 9)],
                     function: mux, riseFactor: 1, area: 12),
            GateSpec(name: "$_NMUX_",
                     inputs: uniform(ab, g: 2, p: 4) + [InputSpec(pin: "S", effort: 3, parasitic: 7)],
                     function: .not(mux), riseFactor: stackedRiseFactor, area: 10),
            GateSpec(name: "$_AOI3_",
                     inputs: uniform(ab, g: 2, p: 7.0 / 3) + [InputSpec(pin: "C", effort: 5.0 / 3, parasitic: 7.0 / 3)],
                     function: .not(.or(.and(a, b), c)), riseFactor: stackedRiseFactor, area: 6),
            GateSpec(name: "$_OAI3_",
                     inputs: uniform(ab, g: 2, p: 8.0 / 3) + [InputSpec(pin: "C", effort: 4.0 / 3, parasitic: 8.0 / 3)],
                     function: .not(.and(.or(a, b), c)), riseFactor: stackedRiseFactor, area: 6),
            GateSpec(name: "$_AOI4_", inputs: uniform(["A", "B", "C", "D"], g: 2, p: 4),
                     function: .not(.or(.and(a, b), .and(c, d))), riseFactor: stackedRiseFactor, area: 8),
            GateSpec(name: "$_OAI4_", inputs: uniform(["A", "B", "C", "D"], g: 2, p: 4),
                     function: .not(.and(.or(a, b), .or(c, d))), riseFactor: stackedRiseFactor, area: 8),
        ]
    }

    static var flopSpecs: [FlopSpec] {
        [
            FlopSpec(name: "$_DFF_P_", risingClock: true, enableActiveHigh: nil),
            FlopSpec(name: "$_DFF_N_", risingClock: false, enableActiveHigh: nil),
            FlopSpec(name: "$_DFFE_PP_", risingClock: true, enableActiveHigh: true),
            FlopSpec(name: "$_DFFE_PN_", risingClock: true, enableActiveHigh: false),
            FlopSpec(name: "$_DFFE_NP_", risingClock: false, enableActiveHigh: true),
            FlopSpec(name: "$_DFFE_NN_", risingClock: false, enableActiveHigh: false),
        ]
    }

    // MARK: Cell construction

    static func makeGate(_ spec: GateSpec) -> LibertyCell {
        let inputNames = spec.inputs.map(\.pin)
        let senses = senses(of: spec.function, inputs: inputNames)
        var timings: [LibertyTiming] = []
        var pins: [LibertyPin] = []
        for input in spec.inputs {
            pins.append(LibertyPin(name: input.pin, direction: .input,
                                   capacitanceFF: input.effort * inverterCapacitance))
            guard let sense = senses[input.pin] ?? nil else { continue }
            let p = input.parasitic, rho = spec.riseFactor
            timings.append(LibertyTiming(
                relatedPins: [input.pin], sense: sense, type: .combinational,
                cellRise: delayTable { gateDelay(parasitic: p, riseFactor: rho, slew: $0, load: $1) },
                cellFall: delayTable { gateDelay(parasitic: p, riseFactor: 1, slew: $0, load: $1) },
                riseTransition: delayTable { outputSlew(riseFactor: rho, slew: $0, load: $1) },
                fallTransition: delayTable { outputSlew(riseFactor: 1, slew: $0, load: $1) }))
        }
        pins.append(LibertyPin(name: spec.output, direction: .output, function: spec.function, timings: timings))
        return LibertyCell(name: spec.name, area: spec.area, pins: pins)
    }

    static func makeFlop(_ spec: FlopSpec) -> LibertyCell {
        let d = v("D"), e = v("E"), iq = v("IQ")
        let enabled: BooleanExpression? = spec.enableActiveHigh.map { $0 ? e : .not(e) }
        let nextState: BooleanExpression = enabled.map { .or(.and($0, d), .and(.not($0), iq)) } ?? d
        let clockedOn: BooleanExpression = spec.risingClock ? v("C") : .not(v("C"))
        let ff = LibertySequential(kind: .flipFlop, stateVariable: "IQ", invertedStateVariable: "IQN",
                                   clockedOn: clockedOn, nextState: nextState)
        let setupType: TimingType = spec.risingClock ? .setupRising : .setupFalling
        let holdType: TimingType = spec.risingClock ? .holdRising : .holdFalling

        func checks(internalDelay e: Double) -> [LibertyTiming] {
            let setup = constraintTable { sc, sd in setupTime + e + slewDelayFactor * (sd - sc) }
            let hold = constraintTable { sc, sd in holdTime - e + slewDelayFactor * (sc - sd) }
            return [
                LibertyTiming(relatedPins: ["C"], type: setupType, riseConstraint: setup, fallConstraint: setup),
                LibertyTiming(relatedPins: ["C"], type: holdType, riseConstraint: hold, fallConstraint: hold),
            ]
        }

        let hasEnable = spec.enableActiveHigh != nil
        // D and E feed an internal $_NMUX_ (data p = 4, select p = 7) driving a unit load.
        var pins = [
            LibertyPin(name: "D", direction: .input, capacitanceFF: (hasEnable ? 2 : 1) * inverterCapacitance,
                       timings: checks(internalDelay: hasEnable ? tau * (4 + 1) : 0)),
            LibertyPin(name: "C", direction: .input, capacitanceFF: inverterCapacitance, isClock: true),
        ]
        if hasEnable {
            pins.append(LibertyPin(name: "E", direction: .input, capacitanceFF: 3 * inverterCapacitance,
                                   timings: checks(internalDelay: tau * (7 + 1))))
        }
        let clockToQ = delayTable { s, c in tau * (flopParasitic + c / inverterCapacitance) + slewDelayFactor * s }
        let qSlew = delayTable { outputSlew(riseFactor: 1, slew: $0, load: $1) }
        let launch = LibertyTiming(relatedPins: ["C"], sense: .nonUnate,
                                   type: spec.risingClock ? .risingEdge : .fallingEdge,
                                   cellRise: clockToQ, cellFall: clockToQ,
                                   riseTransition: qSlew, fallTransition: qSlew)
        pins.append(LibertyPin(name: "Q", direction: .output, function: iq, timings: [launch]))
        return LibertyCell(name: spec.name, area: hasEnable ? 34 : 24, pins: pins, sequentials: [ff])
    }

    // MARK: Cache of primitives built on demand

    private final class CellCache: @unchecked Sendable {
        private let lock = NSLock()
        private var cells: [String: LibertyCell] = [:]

        func cell(_ name: String, build: () -> LibertyCell) -> LibertyCell {
            lock.lock()
            defer { lock.unlock() }
            if let c = cells[name] { return c }
            let c = build()
            cells[name] = c
            return c
        }
    }

    private static let cache = CellCache()
}
