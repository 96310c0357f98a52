// How the admin commands say that the admin plane gave no answer: nothing listening, a certificate
// the machine does not trust (with the code and how to trust it), a certificate for another host,
// TLS spoken to a plain server and the reverse. Real HTTPS servers with a self-signed certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { makeCert, type CertFiles } from '../security/plane/certs.ts';
import { freePort } from '../e2e/process.ts';
import { oneLine, runCli } from './run.ts';

let cert: CertFiles;
let tls: HttpsServer;
let otherHost: HttpsServer;
let plain: HttpServer;
const answer = (_req: unknown, res: { setHeader(k: string, v: string): void; end(b: string): void }) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"keys":[]}');
};
const port = (s: HttpsServer | HttpServer) => (s.address() as AddressInfo).port;
const listen = (s: HttpsServer | HttpServer, host: string) => new Promise<void>((resolve) => s.listen(0, host, resolve));

before(async () => {
  cert = makeCert('p256');
  const options = { key: readFileSync(cert.key), cert: readFileSync(cert.cert) };
  tls = createHttps(options, answer);
  // The certificate names 127.0.0.1 and localhost; 127.0.0.2 is the same machine under another name.
  otherHost = createHttps(options, answer);
  plain = createHttp(answer);
  await Promise.all([listen(tls, '127.0.0.1'), listen(otherHost, '127.0.0.2'), listen(plain, '127.0.0.1')]);
});
after(() => {
  for (const s of [tls, otherHost, plain]) s.close();
});

const keysList = (adminUrl: string, env: Record<string, string> = {}) => runCli(['keys', 'list'], { MODELGATE_ADMIN_URL: adminUrl, MODELGATE_TOKEN: 'x', ...env });

test('a self-signed admin certificate is reported as not trusted, with its code and how to trust it', async () => {
  const url = `https://127.0.0.1:${port(tls)}`;
  const r = await keysList(url);
  assert.equal(r.code, 2, r.err);
  const line = oneLine(r);
  assert.equal(line, `modelgate: the certificate of the admin plane at ${url} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); to trust it, run with NODE_EXTRA_CA_CERTS=<PEM file of the CA that signed it> (a self-signed certificate is its own CA)`);
  assert.doesNotMatch(line, /cannot reach/);
});

test('trusted through NODE_EXTRA_CA_CERTS, as the message says, the same server answers', async () => {
  const r = await keysList(`https://127.0.0.1:${port(tls)}`, { NODE_EXTRA_CA_CERTS: cert.cert });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ID\s+NAME\s+ROLES/);
});

test('a trusted certificate that does not name the host in the URL says so', async () => {
  const url = `https://127.0.0.2:${port(otherHost)}`;
  const r = await keysList(url, { NODE_EXTRA_CA_CERTS: cert.cert });
  assert.equal(r.code, 2, r.err);
  assert.match(oneLine(r), /^modelgate: the certificate of the admin plane at https:\/\/127\.0\.0\.2:\d+ is not trusted \(ERR_TLS_CERT_ALTNAME_INVALID\): it is not issued for 127\.0\.0\.2; use a host name it names/);
});

test('nothing listening is still "cannot reach", now with the code', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const r = await keysList(url);
  assert.equal(r.code, 2, r.err);
  assert.equal(oneLine(r), `modelgate: cannot reach the admin plane at ${url} (ECONNREFUSED); is the server running? (--admin-url or MODELGATE_ADMIN_URL)`);
});

test('http:// to a TLS server and https:// to a plain one name the code and the likely fix', async () => {
  const toTls = await keysList(`http://127.0.0.1:${port(tls)}`);
  assert.equal(toTls.code, 2, toTls.err);
  assert.match(oneLine(toTls), /closed the connection \(UND_ERR_SOCKET\); if the server uses TLS, use https:\/\//);
  const toPlain = await keysList(`https://127.0.0.1:${port(plain)}`);
  assert.equal(toPlain.code, 2, toPlain.err);
  assert.match(oneLine(toPlain), /no TLS answer from the admin plane at https:\/\/127\.0\.0\.1:\d+ \(ERR_SSL_WRONG_VERSION_NUMBER\); if the server does not use TLS, use http:\/\//);
});

test('an admin URL that is no URL is named as such', async () => {
  const r = await keysList('localhost-8081');
  assert.equal(r.code, 2, r.err);
  assert.equal(oneLine(r), 'modelgate: --admin-url "localhost-8081" is not a URL (e.g. http://127.0.0.1:8081)');
});
