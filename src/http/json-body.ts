// The JSON body parser of both planes: Fastify's own (secure-json-parse, prototype poisoning refused)
// behind a nesting-depth check on the raw text, so a deeply nested body is refused before any object
// is built, and never reaches a recursive walker (schema validation, serialisers) further on.
// Bytes that are not UTF-8 are refused too, rather than decoded into U+FFFD the client never sent.
// A reserved key (__proto__, constructor.prototype) is named in the refusal: the body is valid JSON.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../errors.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const OPEN_CURLY = 0x7b;
// The regex engine finds the next structural character much faster than a loop over char codes
// when most of a body is digits, as tensor bodies are.
const STRUCTURAL = /["[\]{}]/g;

/** Where the string opened at `open` ends (its closing quote), or -1 if it never does. */
function stringEnd(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1) {
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

/**
 * Whether a JSON text nests arrays and objects deeper than `limit`, stopping as soon as it does.
 * Brackets inside strings do not count. Malformed text is left to the parser that follows.
 * Measured against JSON.parse of the same text in docs/security.md.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  STRUCTURAL.lastIndex = 0;
  for (let m = STRUCTURAL.exec(text); m !== null; m = STRUCTURAL.exec(text)) {
    const c = text.charCodeAt(m.index);
    if (c === QUOTE) {
      const end = stringEnd(text, m.index);
      if (end === -1) return false;
      STRUCTURAL.lastIndex = end + 1;
    } else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      if (++depth > limit) return true;
    } else {
      depth--;
    }
  }
  return false;
}

/**
 * The offset of the first byte of `body` that is not UTF-8, or -1 if there is none.
 * Only for the error path: decoding replaces each bad sequence with U+FFFD, and before the first one
 * the text and the bytes agree, so the UTF-8 length of what precedes it is its offset. A U+FFFD the
 * client really sent (EF BF BD) is skipped.
 */
export function firstNonUtf8Byte(body: Buffer): number {
  const text = body.toString('utf8');
  let at = 0;
  let from = 0;
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    // Counted from the previous candidate on, so many genuine U+FFFD do not make this quadratic.
    at += Buffer.byteLength(text.slice(from, i));
    if (body[at] !== 0xef || body[at + 1] !== 0xbf || body[at + 2] !== 0xbd) return at;
    from = i;
  }
  return -1;
}

/**
 * The key that made secure-json-parse refuse a body JSON.parse accepts: an own `__proto__`, or a
 * `constructor` object with an own `prototype`. Undefined when the text is not JSON at all.
 * Only for the error path; the depth check has already bounded how deep the walk goes.
 */
export function reservedKeyIn(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const pending = [value];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    if (Object.hasOwn(node, '__proto__')) return '__proto__';
    const ctor = Object.hasOwn(node, 'constructor') ? (node as { constructor: unknown }).constructor : undefined;
    if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) return 'constructor.prototype';
    // One push per value: spreading a tensor's million elements would overflow the argument limit.
    for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) pending.push(v);
  }
  return undefined;
}

/** Replaces the application/json parser of an app with the depth-checked one. */
export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // Read as bytes (Fastify still enforces the body limit) so the encoding can be checked: isUtf8 adds
  // about 0.2 µs to the decoding of a 5 KB body (docs/security.md).
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: string | Buffer, done) => {
    if (typeof body !== 'string' && !isUtf8(body)) {
      done(errors.invalidRequest(`the request body is not valid UTF-8 (first bad byte at offset ${firstNonUtf8Byte(body)}); send JSON encoded as UTF-8`), undefined);
      return;
    }
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepthExceeds(text, maxDepth)) {
      done(errors.invalidRequest(`the request body is nested deeper than ${maxDepth} levels`), undefined);
      return;
    }
    parse(req, text, (err, value) => {
      // Fastify answers every refusal of secure-json-parse as "not valid JSON"; a body refused for a
      // reserved key is valid JSON, and the client should be told what was refused instead.
      // Parsed a second time only when the text holds such a key at all: malformed JSON stays cheap.
      const reserved = err && (text.includes('__proto__') || text.includes('constructor')) ? reservedKeyIn(text) : undefined;
      if (reserved) done(errors.invalidRequest(`the request body uses the reserved key "${reserved}", which is refused`), undefined);
      else done(err, value);
    });
  });
}
