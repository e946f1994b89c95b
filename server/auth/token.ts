/**
 * Bearer-token authentication: every API request must carry the admin token; health
 * endpoints are exempt. Tokens are compared in constant time and never logged.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../registry/status-error';

/** generateToken returns a new random admin token. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** TokenAuthenticator accepts requests bearing one of its tokens. */
export class TokenAuthenticator {
  private readonly tokens: Buffer[];

  constructor(tokens: string[]) {
    this.tokens = tokens.map((t) => Buffer.from(t));
  }

  /** authenticate throws 401 Unauthorized unless the request bears a known token. */
  authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) {
      const given = Buffer.from(m[1]);
      if (this.tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) return;
    }
    throw new StatusError(401, 'Unauthorized', 'Unauthorized');
  }
}
