import HaloCore
import HaloCommandLine

// The command line of every subcommand is declared in HaloCommandLine's `Grammars` (one option table per
// subcommand); this file connects a subcommand to its table.

/// The parsed words of one invocation (options under their canonical names).
typealias Arguments = ParsedArguments

/// Parses `argv` by `grammar`, printing its deprecation warnings (one line each) at once.
func parseArguments(_ argv: [String], _ grammar: CommandGrammar) throws -> Arguments {
    let args = try ParsedArguments(argv, grammar: grammar)
    printWarnings(args.warnings)
    return args
}

/// Whether the invocation asked for help; prints the subcommand's help (from its grammar) if so.
func helpRequested(_ args: Arguments, _ grammar: CommandGrammar) throws -> Bool {
    guard args.flag("--help") else { return false }
    try printHelp(HelpText.command(grammar))
    return true
}
