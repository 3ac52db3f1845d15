import Foundation
import HaloCore
import HaloPlot
import HaloCommandLine

/// `halo plot`: SVG pictures of delay tables and quantization reports.
func plotCommand(_ argv: [String]) throws {
    let args = try parseArguments(argv, Grammars.plot)
    if try helpRequested(args, Grammars.plot) { return }
    if try args.integer("--threads", in: 1 ... Limits.maxThreads) != nil {} // accepted, checked; drawing runs on one
    let diagnostics = DiagnosticSink()
    defer { printWarnings(diagnostics) }
    let output = args.value("-o", "--output")
    if let reportPath = args.value("--pareto") {
        guard args.positionals.isEmpty else {
            throw HaloError("'halo plot --pareto REPORT' takes no other file (found '\(args.positionals[0])')")
        }
        if let f = args.value("--number-format") {
            throw HaloError("\(args.spelling("--number-format")) '\(f)' applies to delay tables, not to --pareto reports")
        }
        let outputs = try RunOutputs([output], inputs: [reportPath])
        let report = try ParetoReport.read(path: reportPath, diagnostics: diagnostics)
        var plot = ParetoPlot(report: report, name: (reportPath as NSString).lastPathComponent)
        if let t = args.value("--title") { plot.title = t }
        try outputs.commit(plot.svg(), to: output)
    } else {
        guard let tablePath = args.positionals.first else {
            throw HaloError("'halo plot' needs a delay table (TABLE.csv or TABLE.json) or --pareto REPORT.json (see 'halo plot --help')")
        }
        guard args.positionals.count == 1 else {
            throw HaloError("'halo plot' draws one table at a time (found '\(args.positionals[0])' and '\(args.positionals[1])')")
        }
        var format = ValueFormat.code
        if let text = args.value("--number-format") {
            guard let f = ValueFormat.parse(text) else {
                throw HaloError("unknown \(args.spelling("--number-format")) '\(text)' (expected code, int8, uint8, intN or uintN with N from 1 to 62, fp16 or bf16)")
            }
            format = f
        }
        let outputs = try RunOutputs([output], inputs: [tablePath])
        let table = try DelayTable.read(path: tablePath)
        if let bits = format.bits, table.metadata.busWidth > 0, table.metadata.busWidth != bits {
            diagnostics.warn("the table's bus '\(table.metadata.bus)' is \(table.metadata.busWidth) bits wide; plotting it as \(args.spelling("--number-format")) \(format)")
        }
        let netlist = table.metadata.netlist.split(separator: " ").first.map { (String($0) as NSString).lastPathComponent } ?? ""
        let name = netlist.isEmpty ? (tablePath as NSString).lastPathComponent : (netlist as NSString).deletingPathExtension
        var plot = DelayPlot(table: table, format: format, name: name)
        do { try plot.validate(path: tablePath) } catch var error as HaloError {
            error.message = error.message.replacingOccurrences(of: "--format", with: args.spelling("--number-format"))
            throw error
        }
        if let t = args.value("--title") { plot.title = t }
        try outputs.commit(plot.svg(), to: output)
    }
}
