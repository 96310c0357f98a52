// The real server process serving HTTPS on both planes with certificates made by openssl at test
// time: real TLS clients of each protocol version, security headers over TLS, and the refusal to
// start with a weak key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { tempDir } from '../fixtures/server.ts';
import { makeCert, type CertFiles } from '../security/plane/certs.ts';
import { freePort } from './process.ts';

interface Started {
  proc: ChildProcess;
  ports: { inference: number; admin: number };
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `modelgate serve` on free ports; does not wait for it (it may be meant to fail). */
async function start(args: string[]): Promise<Started> {
  const ports = { inference: await freePort(), admin: await freePort() };
  const dataDir = join(tempDir('mg-e2e-tls-'), 'data');
  let out = '';
  const proc = spawn(
    process.execPath,
    ['bin/modelgate.js', 'serve', '--host', '127.0.0.1', '--port', String(ports.inference), '--admin-port', String(ports.admin), '--data-dir', dataDir, '--registry-poll-ms', '0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, ports, dataDir, output: () => out, exited };
}

/**
 * The exit code of a server expected to refuse to start. If it serves instead (HTTP or HTTPS), or is
 * still starting after the same bound startModelgate uses, it is stopped and that is the answer, so
 * a wrong start fails the test rather than hanging it.
 */
async function exitCode(s: Started): Promise<number | null | 'served' | 'still starting'> {
  for (let i = 0; i < 300; i++) {
    if (s.proc.exitCode !== null) return s.proc.exitCode;
    const health = `127.0.0.1:${s.ports.inference}/v2/health/live`;
    const served = await fetch(`http://${health}`).then(() => true, () => false);
    if (served) {
      s.proc.kill('SIGTERM');
      await s.exited;
      return 'served';
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  s.proc.kill('SIGTERM');
  await s.exited;
  return 'still starting';
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a TLS connection with the given client settings; resolves to the protocol or the error code. */
function handshake(port: number, opts: ConnectionOptions): Promise<{ protocol?: string | null; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => {
      const protocol = socket.getProtocol();
      socket.end();
      resolve({ protocol });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

let cert: CertFiles;
let ca: Buffer;
let mg: Started;
let token: string;

/** Starts the TLS server and waits until it is ready over HTTPS, or undefined when another test
 * process took a port it found free (EADDRINUSE: the caller tries other ports). */
async function startReady(): Promise<Started | undefined> {
  const s = await start(['--tls-cert', cert.cert, '--tls-key', cert.key]);
  for (let i = 0; i < 300; i++) {
    if (s.proc.exitCode !== null) {
      if (/EADDRINUSE/.test(s.output())) return undefined;
      throw new Error(`modelgate exited early:\n${s.output()}`);
    }
    const ok = await get(s.ports.inference, '/v2/health/ready', ca).then((r) => r.status === 200, () => false);
    if (ok) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  s.proc.kill('SIGKILL');
  throw new Error(`modelgate was not ready over HTTPS within 30 s:\n${s.output()}`);
}

before(async () => {
  cert = makeCert('rsa2048');
  ca = readFileSync(cert.cert);
  let s: Started | undefined;
  for (let attempt = 1; !s; attempt++) {
    s = await startReady();
    if (!s && attempt >= 5) throw new Error('five starts in a row lost their port to other processes');
  }
  mg = s;
  token = readFileSync(join(s.dataDir, 'admin.token'), 'utf8').trim();
});
after(async () => {
  mg.proc.kill('SIGTERM');
  await mg.exited;
});

test('both planes answer over HTTPS, with HSTS and the other security headers', async () => {
  for (const port of [mg.ports.inference, mg.ports.admin]) {
    const live = await get(port, '/v2/health/live', ca);
    assert.equal(live.status, 200);
    assert.equal(live.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(live.headers['x-content-type-options'], 'nosniff');
    assert.equal(live.headers['cache-control'], 'no-store');
  }
  const models = await get(mg.ports.admin, '/admin/models', ca, { authorization: `Bearer ${token}` });
  assert.equal(models.status, 200, models.body);
  assert.equal((await get(mg.ports.admin, '/admin/models', ca)).status, 401);
  // The URLs the server announces are https ones.
  assert.match(mg.output(), new RegExp(`"inference":"https://127\\.0\\.0\\.1:${mg.ports.inference}"`));
  assert.match(mg.output(), new RegExp(`"admin":"https://127\\.0\\.0\\.1:${mg.ports.admin}"`));
});

test('plain HTTP to a TLS plane gets no answer from the API', async () => {
  for (const port of [mg.ports.inference, mg.ports.admin]) {
    const res = await fetch(`http://127.0.0.1:${port}/v2/health/live`).then((r) => r.status, (err: Error) => err.name);
    assert.notEqual(res, 200);
  }
});

test('TLS 1.2 with a forward-secret AEAD suite and TLS 1.3 connect; TLS 1.1 and static-RSA suites are refused', async () => {
  for (const port of [mg.ports.inference, mg.ports.admin]) {
    assert.deepEqual(await handshake(port, { ca, minVersion: 'TLSv1.3' }), { protocol: 'TLSv1.3' });
    assert.deepEqual(await handshake(port, { ca, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }), { protocol: 'TLSv1.2' });
    // The client offers TLS 1.1 (its own floor lowered), so the refusal is the server's.
    const old = await handshake(port, { ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    assert.equal(old.protocol, undefined, 'TLS 1.1 must not be negotiated');
    assert.match(old.error ?? '', /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|VERSION/i, `refused for its version: ${old.error}`);
    const weak = await handshake(port, { ca, maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:AES128-SHA' });
    assert.equal(weak.protocol, undefined, 'a suite without forward secrecy must not be negotiated');
    assert.match(weak.error ?? '', /HANDSHAKE_FAILURE|NO_SHARED_CIPHER|ALERT/i, `${weak.error}`);
  }
});

test('a 1024-bit RSA key, a certificate of another key and half a pair stop the server at start', async () => {
  const weak = makeCert('rsa1024');
  const other = makeCert('p256');
  const cases: [string[], RegExp][] = [
    [['--tls-cert', weak.cert, '--tls-key', weak.key], /inference plane TLS key .*rsa1024\.key: an RSA key of 1024 bits is too weak; use at least 2048 bits/],
    [['--tls-cert', cert.cert, '--tls-key', cert.key, '--admin-tls-cert', cert.cert, '--admin-tls-key', other.key], /admin plane TLS certificate .* does not match the key .*p256\.key/],
    [['--tls-cert', cert.cert], /set both tlsCert and tlsKey or neither/],
  ];
  for (const [args, message] of cases) {
    const s = await start(args);
    const code = await exitCode(s);
    assert.equal(code, 2, s.output());
    assert.match(s.output(), message);
    assert.doesNotMatch(s.output(), /BEGIN .*PRIVATE KEY/);
  }
});
