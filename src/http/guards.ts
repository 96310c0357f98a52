// Hooks every route passes before its handler: load shedding (503 with Retry-After, never a hang),
// default-deny authentication and a per-principal concurrency cap (429). Routes marked public
// (liveness, readiness) skip all three.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { credentialFrom, type Principal } from '../security/index.ts';
import { sendError } from './errors.ts';
import type { OnRejected } from './rejections.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Reachable without a credential and never shed. */
    public?: boolean;
  }
}

export interface GuardOptions {
  /** Bootstrap credential, API keys, JWTs: whatever the server was configured with. */
  authenticate: (credential: string | undefined) => Promise<Principal | undefined> | Principal | undefined;
  /** Requests in flight on this plane beyond which new ones are shed. */
  maxInFlight: number;
  /** Requests one principal may have in flight on this plane, beyond which its new ones get 429; 0 or absent: no cap. */
  maxInFlightPerPrincipal?: number;
  /** Event loop lag in ms beyond which new requests are shed; 0 disables. */
  maxEventLoopDelayMs: number;
  onRejected?: OnRejected;
  /** Counts a shed request. */
  onShed?: () => void;
  /** Given a reader of the requests in flight on this plane (for a gauge). */
  exposeInFlight?: (read: () => number) => void;
}

/** Measures event loop lag by how late a periodic timer fires. */
function lagMonitor(intervalMs: number): { current: () => number; stop: () => void } {
  let lag = 0;
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(0, now - expected);
    expected = now + intervalMs;
  }, intervalMs);
  timer.unref();
  return { current: () => lag, stop: () => clearInterval(timer) };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function installGuards(app: FastifyInstance, opts: GuardOptions): void {
  let inFlight = 0;
  opts.exposeInFlight?.(() => inFlight);
  // Per principal, so one client flooding from many connections cannot take every slot from the rest.
  const perPrincipal = new Map<string, number>();
  const cap = opts.maxInFlightPerPrincipal ?? 0;
  const lag = opts.maxEventLoopDelayMs > 0 ? lagMonitor(100) : undefined;
  app.addHook('onClose', async () => lag?.stop());
  app.decorateRequest('principal', undefined);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.routeOptions.config?.public) return;
    if (inFlight >= opts.maxInFlight || (lag && lag.current() > opts.maxEventLoopDelayMs)) {
      opts.onShed?.();
      return sendError(reply, 503, 'the server is overloaded; retry later', 1);
    }
    inFlight++;
    reply.raw.once('close', () => inFlight--);
    const credential = credentialFrom(header(req, 'authorization'), header(req, 'x-api-key'));
    const principal = await opts.authenticate(credential);
    if (!principal) {
      const message = credential ? 'the credential is not valid' : 'a credential is required (Authorization: Bearer <key>)';
      await opts.onRejected?.(req, 401, 'MG_UNAUTHENTICATED', [], message).catch((err: unknown) => req.log.error({ err }, 'audit of a refused request failed'));
      return sendError(reply, 401, message);
    }
    req.principal = principal;
    if (cap > 0) {
      const mine = perPrincipal.get(principal.id) ?? 0;
      if (mine >= cap) {
        const message = `'${principal.id}' already has ${cap} requests in flight; retry when one finishes`;
        await opts.onRejected?.(req, 429, 'MG_RATE_LIMITED', [], message).catch((err: unknown) => req.log.error({ err }, 'audit of a refused request failed'));
        return sendError(reply, 429, message, 1);
      }
      perPrincipal.set(principal.id, mine + 1);
      reply.raw.once('close', () => {
        const left = (perPrincipal.get(principal.id) ?? 1) - 1;
        if (left > 0) perPrincipal.set(principal.id, left);
        else perPrincipal.delete(principal.id);
      });
    }
  });
}
