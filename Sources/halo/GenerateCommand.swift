import Foundation
import HaloCore
import HaloGenerators

// `halo generate mac …`: structural Verilog of a MAC variant (HaloGenerators).

let generateHelp = """
OVERVIEW: Generate a gate-level MAC netlist, Y = P + A*W (or a multiplier, Y = A*W).

USAGE: halo generate mac --multiplier KIND --width N [--adder KIND] [--signed|--unsigned]
                         [--acc-width M] [--format int|e4m3|fp16|bf16] [--registered] [--no-accumulate]
                         [--top NAME] [-o FILE]

The netlist is structural Verilog of Yosys internal cells ($_AND_, $_XOR_, $_MUX_, ..., flip-flops
$_DFF_P_ and $_DFFE_PP_): 'halo characterize' times it with the embedded generic library, and Yosys
maps it to a Liberty library (synth; dfflibmap -liberty LIB; abc -liberty LIB).

OPTIONS:
  --multiplier KIND    array         carry-save array, unsigned (the signed array is baugh-wooley)
                       wallace       Wallace tree (AND or Baugh-Wooley partial products)
                       dadda         Dadda tree (AND or Baugh-Wooley partial products)
                       booth4        radix-4 Booth partial products, Wallace tree
                       baugh-wooley  Baugh-Wooley signed carry-save array, signed only
  --adder KIND         Carry-propagate adder after the reduction (default ripple):
                       ripple, kogge-stone, brent-kung, sklansky.
  --width N            Bits of A and W: 2 ... 32 (--format e4m3: 8, fp16 and bf16: 16, the defaults there).
  --signed, --unsigned Two's complement or unsigned A, W, P, Y (default --signed; array: --unsigned,
                       the only one it supports). Not for e4m3/fp16/bf16, whose values carry a sign bit.
  --acc-width M        Bits of P and Y (default 2N+4, or 2N with --no-accumulate; e4m3: 41, or 37).
                       Y = (P + A*W) mod 2^M. fp16, bf16: 32 only (binary32).
  --format F           int (default); e4m3: FP8 E4M3 operands (bias 7, subnormals, S.1111.111 read as
                       +-480) with P and Y two's complement fixed point with 18 fraction bits
                       (LSB 2^-18): every product is exact in 37 bits; fp16, bf16: IEEE binary16 or
                       bfloat16 operands with P and Y IEEE binary32, Y = fp32(P + A*W) fused (exact
                       product, one rounding to nearest even, subnormals, +-Inf and NaN as IEEE 754
                       fusedMultiplyAdd; NaN results are 0x7FC00000). The significand product uses
                       --multiplier (not baugh-wooley); --adder builds the alignment, addition,
                       normalization and rounding adders.
  --registered         Add registers clocked by the rising edge of clk: wreg <= W when load_w,
                       areg <= A, preg <= P, Y <= MAC(areg, wreg, preg). Characterize with --bus wreg.
  --no-accumulate      A plain multiplier, Y = A*W (no P port).
  --top NAME           Module name (default from the options, e.g. mac_booth4_koggestone_s8,
                       mul_array_ripple_u4, mac_dadda_sklansky_e4m3_reg, mac_dadda_koggestone_bf16).
  -o, --output FILE    Write the netlist to FILE (default: standard output).
  -h, --help           Show this help.

PORTS: A (activation), W (weight), P (partial sum in), Y (out); registered: also clk, load_w.

EXAMPLE:
  halo generate mac --multiplier booth4 --adder kogge-stone --width 8 -o mac.v
  halo characterize mac.v --bus W
"""

func generateCommand(_ argv: [String]) throws {
    let args = try Arguments(argv, valueOptions: ["--multiplier", "--adder", "--width", "--acc-width", "--format",
                                                  "--top", "-o", "--output"],
                             flagOptions: ["--help", "-h", "--signed", "--unsigned", "--registered", "--no-accumulate"],
                             command: "generate")
    if args.flag("--help") || args.flag("-h") || args.positionals.isEmpty { try printHelp(generateHelp); return }
    guard args.positionals.count == 1 else {
        throw HaloError("'halo generate' takes one kind of netlist, not '\(args.positionals.joined(separator: " "))' (see 'halo generate --help')")
    }
    guard args.positionals[0] == "mac" else {
        throw HaloError("unknown netlist kind '\(args.positionals[0])' for 'halo generate' (expected mac)")
    }
    let spec = try macSpec(args)
    let output = args.value("-o", "--output")
    let outputs = try RunOutputs([output], inputs: [])
    let generated = try MACGenerator.generate(spec)
    try outputs.commit(generated.verilog, to: output)
    if let output {
        StandardStreams.writeError("halo: wrote \(output): module \(generated.module), \(generated.cellCount) cells\n")
    }
}

/// The MACSpec described by the options of `halo generate mac`.
func macSpec(_ args: Arguments) throws -> MACSpec {
    func choice<T: RawRepresentable & CaseIterable>(_ option: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = args.value(option) else { return nil }
        guard let v = T(rawValue: text) else {
            let names = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw HaloError("unknown \(option) '\(text)' (expected one of \(names))")
        }
        return v
    }
    func integer(_ option: String) throws -> Int? {
        guard let text = args.value(option) else { return nil }
        guard let v = Int(text) else { throw HaloError("malformed \(option) '\(text)' (expected an integer)") }
        return v
    }
    guard let multiplier = try choice("--multiplier", MultiplierArchitecture.self) else {
        throw HaloError("'halo generate mac' needs --multiplier (array, wallace, dadda, booth4 or baugh-wooley)")
    }
    let adder = try choice("--adder", AdderArchitecture.self) ?? .ripple
    let format = try choice("--format", MACNumberFormat.self) ?? .int
    if args.flag("--signed") && args.flag("--unsigned") {
        throw HaloError("--signed and --unsigned exclude each other")
    }
    let signed = args.flag("--signed") || (!args.flag("--unsigned") && !(format == .int && multiplier == .array))
    let width: Int
    if let w = try integer("--width") {
        width = w
    } else if let w = format.operandWidth {
        width = w
    } else {
        throw HaloError("'halo generate mac' needs --width N (2 … 32)")
    }
    let spec = MACSpec(multiplier: multiplier, adder: adder, width: width, signed: signed,
                       accumulatorWidth: try integer("--acc-width"), format: format,
                       registered: args.flag("--registered"), accumulate: !args.flag("--no-accumulate"),
                       moduleName: args.value("--top"))
    try spec.validate()
    return spec
}
