// Runs `modelgate ...` as a user would, without blocking this process's event loop (a test's own
// server must keep answering), with an environment the caller controls entirely.
import { execFile } from 'node:child_process';

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Only PATH comes from the caller's environment, so no MODELGATE_* or NODE_EXTRA_CA_CERTS of the
 * machine running the tests changes what the command does. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/modelgate.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, out, errOut) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, out, err: errOut });
    });
  });
}

/** A one-line refusal: "modelgate: <message>\n", and no stack frame. */
export function oneLine(r: CliResult): string {
  const lines = r.err.split('\n').filter(Boolean);
  if (lines.length !== 1 || /at .*\.(ts|js):\d+/.test(r.err)) throw new Error(`expected one line on stderr, got:\n${r.err}`);
  return lines[0];
}
