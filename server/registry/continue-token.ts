/**
 * Continue tokens for paginated lists, shaped as kube-apiserver's: base64 of
 * {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after the prefix>\u0000"}.
 * rv -1 marks an inconsistent continuation after the original revision was compacted.
 */
import { badRequest } from '../../schemas/meta/status-error';

/** ContinueToken is a decoded continue parameter. */
export interface ContinueToken {
  revision: number;
  /** the key to continue after */
  startAfter: string;
}

/** encodeContinue builds the continue parameter for a list under prefix. */
export function encodeContinue(prefix: string, revision: number, lastKey: string): string {
  const start = lastKey.slice(prefix.length) + '\u0000';
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start })).toString('base64');
}

/** decodeContinue parses a continue parameter for a list under prefix; malformed tokens are 400. */
export function decodeContinue(prefix: string, token: string): ContinueToken {
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or JSON');
  }
  if (parsed?.v !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof parsed.rv !== 'number' || !Number.isSafeInteger(parsed.rv) || parsed.rv === 0 || parsed.rv < -1) {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof parsed.start !== 'string' || parsed.start.length === 0) throw badRequest('continue key is not valid: encoded start key empty');
  const start = parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start;
  if (start.includes('/') && !start.split('/').every((s) => s.length > 0)) throw badRequest('continue key is not valid: key must be a relative path');
  if (start.startsWith('/') || start.includes('..')) throw badRequest('continue key is not valid: key must be a relative path');
  return { revision: parsed.rv, startAfter: prefix + start };
}
