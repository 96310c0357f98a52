// The one table from catalog codes to HTTP statuses, and the error handler both planes share:
// OIP-shaped bodies ({"error": "..."}), Retry-After where a retry helps, never a stack or a path.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isModelGateError, type ErrorCode } from '../errors.ts';
import { isStoreBusy, storeBusy } from '../store/index.ts';
import type { OnRejected } from './rejections.ts';
import { NAME } from './schemas.ts';

export const STATUS: Record<ErrorCode, number> = {
  MG_INVALID_REQUEST: 400,
  MG_INVALID_TENSOR: 400,
  MG_INPUT_CONSTRAINT: 400,
  MG_PAYLOAD_TOO_LARGE: 413,
  MG_MODEL_NOT_FOUND: 404,
  MG_VERSION_NOT_FOUND: 404,
  MG_NOT_FOUND: 404,
  MG_MODEL_NOT_READY: 503,
  MG_QUEUE_FULL: 503,
  MG_OVERLOADED: 503,
  MG_TIMEOUT: 504,
  MG_SHUTTING_DOWN: 503,
  MG_UNAUTHENTICATED: 401,
  MG_FORBIDDEN: 403,
  MG_RATE_LIMITED: 429,
  MG_CONFLICT: 409,
  MG_PACKAGE_INVALID: 400,
  MG_SIGNATURE_INVALID: 400,
  MG_DECRYPTION_FAILED: 400,
  MG_INFERENCE_FAILED: 500,
  MG_STORE_BUSY: 503,
  MG_CONFIG_INVALID: 500,
  MG_INTERNAL: 500,
};

/** Fastify's own client errors, reworded for people; their codes are stable (lib/errors.js). */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is larger than the configured limit',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content type; send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the request body is empty; send a JSON object',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length header does not match the body',
};

export function sendError(reply: FastifyReply, status: number, message: string, retryAfter?: number): FastifyReply {
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).send({ error: message });
}

/** `[A-Za-z0-9._-]` as its parts: ranges as written ("a-z"), single characters quoted ("'.'"). */
function classParts(body: string): string[] {
  const chars = body.match(/\\u[0-9a-fA-F]{4}|\\.|./g) ?? [];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i + 1] === '-' && i + 2 < chars.length) {
      parts.push(`${chars[i]}-${chars[i + 2]}`);
      i += 2;
    } else {
      parts.push(`'${chars[i].replace(/^\\(?!u)/, '')}'`);
    }
  }
  return parts;
}

const list = (parts: string[], last: 'and' | 'or') => (parts.length < 2 ? parts.join('') : `${parts.slice(0, -1).join(', ')} ${last} ${parts.at(-1)}`);

function quantified(min: number, max: number | undefined, of: string): string {
  if (min === 1 && max === 1) return `one of ${of}`;
  const count = max === undefined ? (min === 0 ? 'any number of' : `${min} or more`) : min === max ? `${min}` : min === 0 ? `at most ${max}` : `${min} to ${max}`;
  return `${count} characters of ${of}`;
}

/**
 * A path parameter's pattern in words, read from the schema's regex, so the message cannot drift
 * from the rule: '^[a-z2-7]{12}$' -> "use 12 characters of a-z and 2-7". Undefined for a pattern
 * this does not read (alternatives, groups): the caller then shows the pattern itself.
 */
export function describePattern(pattern: string): string | undefined {
  // The most common one, in the wording clients already see for it.
  if (pattern === NAME.pattern) return "use letters, digits, '.', '_' or '-' (at most 63)";
  const negated = /^\^\[\^((?:\\.|[^\]\\])+)\][+*]\$$/.exec(pattern);
  if (negated) {
    // Excluding the C0 range is how the schemas forbid control characters.
    if (negated[1].startsWith('\\u0000-\\u001f')) return 'control characters are not allowed';
    return `do not use ${list(classParts(negated[1]), 'or')}`;
  }
  const segment = /\[((?:\\.|[^\]\\^])(?:\\.|[^\]\\])*)\](?:\{(\d+)(?:(,)(\d*))?\}|([+*?]))?/y;
  if (!pattern.startsWith('^') || !pattern.endsWith('$')) return undefined;
  const body = pattern.slice(1, -1);
  const phrases: string[] = [];
  segment.lastIndex = 0;
  while (segment.lastIndex < body.length) {
    const m = segment.exec(body);
    if (!m) return undefined;
    const [, cls, lo, comma, hi, op] = m;
    const [min, max] = op === '+' ? [1, undefined] : op === '*' ? [0, undefined] : op === '?' ? [0, 1]
      : lo === undefined ? [1, 1] : [Number(lo), comma ? (hi ? Number(hi) : undefined) : Number(lo)];
    phrases.push(quantified(min, max, list(classParts(cls), phrases.length === 0 && max === 1 ? 'or' : 'and')));
  }
  return phrases.length > 0 ? `use ${phrases.join(', then ')}` : undefined;
}

/** What a path parameter names, from the route: /admin/keys/:id -> "key id", /admin/endpoints/:name -> "endpoint name". */
function paramNoun(url: string | undefined, param: string, pattern: string): string {
  const segments = (url ?? '').split('/');
  const at = segments.indexOf(`:${param}`);
  const plural = at > 0 ? segments[at - 1] : '';
  const owner = plural.endsWith('ses') ? plural.slice(0, -2) : plural.replace(/s$/, '');
  const noun = (param === 'id' || param === 'name') && owner && owner !== param ? `${owner} ${param}` : param;
  return pattern === NAME.pattern && !/ (name|id)$/.test(noun) ? `${noun} name` : noun;
}

function validationMessage(err: FastifyError, req: FastifyRequest): string {
  const first = err.validation?.[0];
  const where = `${err.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
  if (err.validationContext === 'params' && first?.keyword === 'pattern') {
    const param = first.instancePath.replace(/^\//, '');
    const pattern = String(first.params.pattern);
    const value = String((req.params as Record<string, unknown>)[param] ?? '').slice(0, 100);
    const rule = describePattern(pattern) ?? `it must match ${pattern}`;
    return `${paramNoun(req.routeOptions.url, param, pattern)} ${JSON.stringify(value)} is not valid: ${rule}`;
  }
  return `${where} ${first?.message ?? 'is invalid'}`;
}

interface Answer {
  status: number;
  message: string;
  code: string;
  retryAfter?: number;
  flags?: readonly string[];
}

function classify(err: FastifyError, req: FastifyRequest): Answer {
  if (isModelGateError(err)) {
    const status = STATUS[err.code];
    if (status >= 500 && err.code !== 'MG_INFERENCE_FAILED') req.log.warn({ code: err.code }, err.message);
    return { status, message: err.message, code: err.code, retryAfter: err.retryAfterSeconds, flags: err.flags };
  }
  if (err.validation) return { status: 400, message: validationMessage(err, req), code: 'FST_ERR_VALIDATION' };
  if (err.code && FASTIFY_MESSAGES[err.code]) return { status: err.statusCode ?? 400, message: FASTIFY_MESSAGES[err.code], code: err.code };
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, message: 'the request body is not valid JSON', code: 'FST_ERR_CTP_INVALID_JSON_BODY' };
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, message: 'the request could not be read', code: err.code ?? 'FST_ERR' };
  }
  if (isStoreBusy(err)) {
    const busy = storeBusy('the request could not be completed', err);
    req.log.warn({ code: busy.code }, busy.message);
    return { status: STATUS.MG_STORE_BUSY, message: busy.message, code: busy.code, retryAfter: busy.retryAfterSeconds };
  }
  req.log.error({ err }, 'unhandled error');
  return { status: 500, message: `internal error (request id ${req.id})`, code: 'MG_INTERNAL' };
}

/** The error handler of a plane: answers in OIP shape and reports the refusal (audit, metrics). */
export function createErrorHandler(onRejected?: OnRejected) {
  return async function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const a = classify(err, req);
    await onRejected?.(req, a.status, a.code, a.flags ?? [], a.message, err).catch((e: unknown) => req.log.error({ err: e }, 'audit of a refused request failed'));
    return sendError(reply, a.status, a.message, a.retryAfter);
  };
}

/** The handler without audit hooks, for apps that record nothing. */
export const errorHandler = createErrorHandler();
