import Foundation
import HaloCore
import HaloGenerators
import HaloCommandLine

// `halo generate mac …`: structural Verilog of a MAC variant (HaloGenerators).

func generateCommand(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.generate)
    if args.positionals.isEmpty && !args.flag("--help") { try printHelp(HelpText.command(Grammars.generate)); return }
    if try helpRequested(args, Grammars.generate) { return }
    guard args.positionals.count == 1 else {
        throw HaloError("'halo generate' takes one kind of netlist, not '\(args.positionals.joined(separator: " "))' (see 'halo generate --help')")
    }
    guard args.positionals[0] == "mac" else {
        throw HaloError("unknown netlist kind '\(args.positionals[0])' for 'halo generate' (expected mac)")
    }
    let spec = try macSpec(args)
    if try args.integer("--threads", in: 1 ... Limits.maxThreads) != nil {} // accepted, checked; generation runs on one
    let output = args.value("-o", "--output")
    let outputs = try RunOutputs([output], inputs: [])
    let generated = try MACGenerator.generate(spec)
    try outputs.commit(generated.verilog, to: output)
    if let output, !args.flag("--quiet") {
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
