// The shape of a `warden` subcommand: its arguments (after the command name) in, an exit status out.
// Throwing a CliError is the way to fail with a message.
export type Command = (argv: readonly string[]) => Promise<number>;
