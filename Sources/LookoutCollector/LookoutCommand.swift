import ArgumentParser

@main
struct LookoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookout",
        abstract: "Lookout: traces and metrics for your hosts and services.",
        subcommands: [ServeCommand.self, QueryCommand.self, RulesCommand.self],
        defaultSubcommand: nil)
}
