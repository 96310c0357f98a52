// Why a request to the admin plane got no answer, in words an operator can act on. fetch reports
// every such failure as "fetch failed" and keeps the reason in err.cause.code: a refused connection
// and an untrusted certificate need different fixes, so they must not read the same.

/** Nothing listens there, or the name does not resolve: the server is not where the URL says. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Certificate verification failures that trusting the right CA fixes (Node's OpenSSL verify codes). */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA',
]);

const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** TLS spoken to a plain HTTP server, or the reverse. */
const PLAIN_HTTP_SERVER = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO']);

interface Cause {
  code?: unknown;
  message?: unknown;
  errors?: { code?: unknown }[];
}

/** The cause's code; an AggregateError (every address of a name refused) carries it on its errors. */
function causeOf(err: unknown): { code?: string; message?: string } {
  const cause = (err as { cause?: Cause } | null)?.cause;
  if (!cause || typeof cause !== 'object') return {};
  const code = typeof cause.code === 'string' ? cause.code : typeof cause.errors?.[0]?.code === 'string' ? (cause.errors[0].code as string) : undefined;
  return { code, message: typeof cause.message === 'string' ? cause.message : undefined };
}

/** The one-line message for a fetch to `url` that threw `err`. */
export function fetchFailure(err: unknown, url: URL): string {
  const { code, message } = causeOf(err);
  const at = `the admin plane at ${url.origin}`;
  const fix = '(--admin-url or MODELGATE_ADMIN_URL)';
  if (code && UNREACHABLE.has(code)) return `cannot reach ${at} (${code}); is the server running? ${fix}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate of ${at} is not trusted (${code}): it is not issued for ${url.hostname}; use a host name it names ${fix}`;
  }
  if (code && EXPIRED.has(code)) return `the certificate of ${at} is not trusted (${code}): it is outside its validity period; renew it or check the clocks`;
  if (code && (UNTRUSTED.has(code) || /CERT/.test(code))) {
    return `the certificate of ${at} is not trusted (${code}); to trust it, run with NODE_EXTRA_CA_CERTS=<PEM file of the CA that signed it> (a self-signed certificate is its own CA)`;
  }
  if (code && PLAIN_HTTP_SERVER.has(code) && url.protocol === 'https:') return `no TLS answer from ${at} (${code}); if the server does not use TLS, use http:// ${fix}`;
  if (code === 'UND_ERR_SOCKET' && url.protocol === 'http:') return `${at} closed the connection (${code}); if the server uses TLS, use https:// ${fix}`;
  // fetch never connects to some ports (1, 22, 25, 6000, ...): https://fetch.spec.whatwg.org/#port-blocking
  if (!code && message === 'bad port') return `fetch does not connect to port ${url.port} of ${url.hostname} (a blocked port); serve the admin plane on another port ${fix}`;
  // Anything else: the code if there is one, else the cause's own words (short, one line).
  const why = code ?? (message ? message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200) : 'no reason given');
  return `request to ${at} failed (${why}) ${fix}`;
}
