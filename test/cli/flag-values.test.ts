// Flag values of the admin commands are checked before anything is sent, each refusal naming the flag
// and what it takes: `endpoint canary --steps abc` used to reach the server as [null] and come back as
// "steps.0: Invalid input: expected number, received null", `keys create --role superuser` as
// "body/roles/0 must be equal to one of the allowed values" without the roles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROLES } from '../../src/security/index.ts';
import { oneLine, runCli } from './run.ts';

/** An admin plane stand-in that only counts requests: a refused flag must never reach it. */
let server: Server;
let requests = 0;
let lastBody: unknown;
before(async () => {
  server = createServer((req, res) => {
    requests++;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      lastBody = body ? JSON.parse(body) : undefined;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => server.close());

async function refused(args: string[], message: string): Promise<void> {
  const before = requests;
  const r = await runCli(args, { MODELGATE_ADMIN_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, MODELGATE_TOKEN: 'x' });
  assert.equal(r.code, 2, r.err);
  assert.equal(oneLine(r), `modelgate: ${message}`);
  assert.equal(requests, before, `${args.join(' ')} sent nothing`);
}

test('endpoint canary: --steps, --bake and --min-requests name the flag and what they take', async () => {
  const canary = ['endpoint', 'canary', 'spam', '--candidate', '2'];
  await refused([...canary, '--steps', 'abc'], "--steps: 'abc' is not a list of percentages like 5,25,50,100 (each above 0, at most 100)");
  await refused([...canary, '--steps', '5,,50'], "--steps: '5,,50' is not a list of percentages like 5,25,50,100 (each above 0, at most 100)");
  await refused([...canary, '--steps', '10,150'], "--steps: '10,150' is not a list of percentages like 5,25,50,100 (each above 0, at most 100)");
  await refused([...canary, '--steps', '50,25'], "--steps '50,25': steps must be strictly increasing");
  await refused([...canary, '--bake', 'soon'], "--bake: 'soon' is not a duration like 500ms, 30s, 10m or 2h");
  await refused([...canary, '--min-requests', 'many'], "--min-requests: 'many' is not a whole number, at least 1");
  await refused([...canary, '--min-requests', '0'], "--min-requests: '0' is not a whole number, at least 1");
});

test('endpoint shadow, history, switch and experiment check their values too', async () => {
  await refused(['endpoint', 'shadow', 'spam', '2', '--sample-rate', 'half'], "--sample-rate: 'half' is not a share from 0 to 1, like 0.25");
  await refused(['endpoint', 'shadow', 'spam', '2', '--sample-rate', '1.5'], "--sample-rate: '1.5' is not a share from 0 to 1, like 0.25");
  await refused(['endpoint', 'history', 'spam', '--limit', 'all'], "--limit: 'all' is not a whole number from 1 to 9999");
  await refused(['endpoint', 'switch', 'spam', '--to', 'red'], "--to: 'red' is not blue or green");
  await refused(['endpoint', 'experiment', 'spam', '--variant', 'a=1'], "--variant: 'a=1' is not name=version:weight, e.g. a=3:50");
});

test('keys create --role with an unknown role lists the roles there are', async () => {
  const roles = ROLES.join(', ');
  await refused(['keys', 'create', '--name', 'ci', '--role', 'superuser'], `--role: unknown role 'superuser'; the roles are ${roles}`);
  await refused(['keys', 'create', '--name', 'ci', '--role', 'predictor,root', '--role', 'viewer'], `--role: unknown role 'root'; the roles are ${roles}`);
});

test('good values go through as the numbers they spell', async () => {
  const env = { MODELGATE_ADMIN_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, MODELGATE_TOKEN: 'x' };
  const r = await runCli(['endpoint', 'canary', 'spam', '--candidate', '2', '--steps', '10, 50,100', '--bake', '30s', '--min-requests', '5'], env);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual((lastBody as { config: unknown }).config, { steps: [10, 50, 100], bakeMs: 30_000, minRequests: 5 });
  const shadow = await runCli(['endpoint', 'shadow', 'spam', '2', '--sample-rate', '0.25'], env);
  assert.equal(shadow.code, 0, shadow.err);
  assert.equal((lastBody as { sampleRate: number }).sampleRate, 0.25);
  // The stand-in's empty answer is no key; only what was sent matters here.
  await runCli(['keys', 'create', '--name', 'ci', '--role', 'predictor,viewer'], env);
  assert.deepEqual((lastBody as { roles: string[] }).roles, ['predictor', 'viewer']);
});
