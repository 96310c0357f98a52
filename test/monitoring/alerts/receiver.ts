// A real local webhook receiver (node:http on 127.0.0.1, port 0) answering from a script, and the
// signature check taken verbatim from docs/alerts.md, so the documented snippet is what gets tested.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export type Answer = number | 'hang' | { status: number; headers: Record<string, string> };

/** `answer(n)` gives the status (and headers) of the n-th request (0-based); 'hang' never answers. */
export async function startReceiver(answer: (n: number) => Answer = () => 204): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answer(n);
      if (a === 'hang') return;
      if (typeof a === 'number') res.writeHead(a).end();
      else res.writeHead(a.status, a.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/modelgate?token=not-logged`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Verify = (header: string | string[] | undefined, rawBody: string, secret: string, toleranceSeconds?: number) => boolean;

/** Imports the first ```js block after `<!-- snippet: verify -->` in docs/alerts.md. */
export async function documentedVerifier(): Promise<Verify> {
  const doc = readFileSync(new URL('../../../docs/alerts.md', import.meta.url), 'utf8');
  const after = doc.slice(doc.indexOf('<!-- snippet: verify -->'));
  const match = /```js\n([\s\S]*?)```/.exec(after);
  if (!match) throw new Error('docs/alerts.md has no verify snippet');
  const dir = mkdtempSync(join(tmpdir(), 'mg-snippet-'));
  try {
    const file = join(dir, 'verify-modelgate-signature.mjs');
    writeFileSync(file, match[1]);
    const mod = (await import(pathToFileURL(file).href)) as { verifyModelGateSignature: Verify };
    return mod.verifyModelGateSignature;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
