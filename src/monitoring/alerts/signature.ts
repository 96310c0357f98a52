// The webhook signature, Stripe's scheme: `X-ModelGate-Signature: t=<unix seconds>,v1=<hex>` where
// hex = HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp inside the MAC lets receivers refuse
// replays older than a tolerance; v1 names the scheme so it can change without breaking receivers.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-ModelGate-Signature';
/** Receivers should refuse signatures further than this from their clock (replay window). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/**
 * What a receiver does (the same logic as the snippet in docs/alerts.md): parse, recompute, compare
 * in constant time, check the timestamp. Any v1 entry may match, so a sender rotating secrets can
 * send two.
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  nowSeconds: number = Date.now() / 1000,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  let t = Number.NaN;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2).map((s) => s.trim());
    if (k === 't') t = Number(v);
    else if (k === 'v1' && v) v1.push(v);
  }
  if (!Number.isInteger(t) || v1.length === 0) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return v1.some((sig) => {
    const got = Buffer.from(sig);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
