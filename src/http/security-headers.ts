// Security headers on every response of both planes, errors and 404s included. The planes serve
// JSON and metrics only, never pages, so the policy can be as strict as a browser allows.
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface HeaderOptions {
  /** The plane serves HTTPS: tell browsers to keep using it. */
  tls: boolean;
}

/** One year, the value HSTS preload lists ask for; no includeSubDomains, since the host is not ours to speak for. */
const HSTS = 'max-age=31536000';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // A JSON answer must never be sniffed into script or HTML.
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Nothing may load, run or frame: a response rendered by mistake does nothing.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
});

/**
 * Adds the headers in one onSend hook. Cache-Control defaults to no-store: predictions, registry
 * state and keys are per-caller answers no shared cache should keep. A route that set its own keeps it.
 */
export function installSecurityHeaders(app: FastifyInstance, opts: HeaderOptions): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    applySecurityHeaders(reply, opts);
    return payload;
  });
}

/** The headers on one reply: for answers sent where no hook runs (refusals before routing). */
export function applySecurityHeaders(reply: FastifyReply, opts: HeaderOptions): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  if (opts.tls) reply.header('strict-transport-security', HSTS);
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}
