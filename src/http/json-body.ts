// The JSON body parser of both planes: Fastify's own (secure-json-parse, prototype poisoning refused)
// behind a nesting-depth check on the raw text, so a deeply nested body is refused before any object
// is built, and never reaches a recursive walker (schema validation, serialisers) further on.
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

/** Replaces the application/json parser of an app with the depth-checked one. */
export function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepthExceeds(text, maxDepth)) {
      done(errors.invalidRequest(`the request body is nested deeper than ${maxDepth} levels`), undefined);
      return;
    }
    parse(req, text, done);
  });
}
