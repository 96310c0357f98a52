// The `modelgate` command line: one subcommand per capability; errors print one clear line.
import { Command, CommanderError } from 'commander';
import { fileReason, isModelGateError } from '../errors.ts';
import { SERVER_VERSION } from '../server.ts';
import { auditCommand } from './audit.ts';
import { extractionCommand } from './extraction.ts';
import { fileErrorMessage } from './files.ts';
import { keysCommand } from './keys.ts';
import { endpointCommand } from './endpoint.ts';
import { keygenCommand, packageCommand, verifyCommand } from './package-commands.ts';
import { prepareQuickstart } from './quickstart.ts';
import { registryCommands } from './registry-commands.ts';
import { serveCommand } from './serve.ts';

export function program(): Command {
  const cli = new Command('modelgate')
    .description('ModelGate: secure model serving for security teams')
    .version(SERVER_VERSION)
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(
      serveCommand('quickstart', 'serve the example models with a signing key and packages made on first run (what `npm start` runs)', async (config) => ({
        importDir: await prepareQuickstart(config),
      })),
    )
    .addCommand(keygenCommand())
    .addCommand(packageCommand())
    .addCommand(verifyCommand())
    .addCommand(auditCommand())
    .addCommand(keysCommand())
    .addCommand(extractionCommand())
    .addCommand(endpointCommand());
  for (const c of registryCommands()) cli.addCommand(c);
  throwInsteadOfExiting(cli);
  return cli;
}

/** Commander exits with 1 on a usage error (an unknown option, a missing argument); here it throws
 * instead, so main() gives it the status of every other usage error, 2. Set on each command: an
 * added subcommand does not inherit it. */
function throwInsteadOfExiting(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExiting(sub);
}

/** `modelgate promote ... | head`: the reader went away, which is not an error of ours. Without a
 * listener the EPIPE of the next write would be an unhandled 'error' event with a stack trace. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // The status the command had reached stands: `modelgate verify bad.mgpkg | head` still fails.
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    // Any other output failure: one line on stderr if it still works, and a failure status.
    try {
      process.stderr.write(`modelgate: cannot write output: ${err.code ?? err.message}\n`);
    } finally {
      process.exit(1);
    }
  });
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  try {
    await program().parseAsync(argv);
  } catch (err) {
    // Commander has printed its own message (and the help): help and --version end with 0.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (isModelGateError(err)) {
      // "trusted key path x cannot be read" says which file; its cause says why (not found, ...).
      const why = fileReason(err.cause);
      process.stderr.write(`modelgate: ${err.message}${why && !err.message.includes(why) ? `: ${why}` : ''}\n`);
      process.exit(2);
    }
    // A file a library opened without naming it well: still one line, and a usage error like the
    // files the commands check themselves (src/cli/files.ts).
    const fileProblem = fileErrorMessage(err);
    if (fileProblem && !process.env.MODELGATE_DEBUG) {
      process.stderr.write(`modelgate: ${fileProblem}\n`);
      process.exit(2);
    }
    // No stack for people; MODELGATE_DEBUG=1 shows it.
    if (process.env.MODELGATE_DEBUG) throw err;
    process.stderr.write(`modelgate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
