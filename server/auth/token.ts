/**
 * Bearer-token authentication: every API request must carry the admin token; health
 * endpoints are exempt. Tokens are compared in constant time and never logged.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../../schemas/meta/status-error';
import type { UserInfo } from '../../schemas/types';

/** ADMIN_USER is who the admin token authenticates as: a member of system:masters. */
export const ADMIN_USER: UserInfo = { username: 'nodeless-admin', uid: 'nodeless-admin', groups: ['system:masters', 'system:authenticated'] };

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

  /** authenticate returns the user of a request, or throws 401 Unauthorized unless it bears a known token. */
  authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = m ? this.userOf(m[1]) : undefined;
    if (!user) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    return user;
  }

  /** userOf returns the user a token authenticates, if any. */
  userOf(token: string): UserInfo | undefined {
    const given = Buffer.from(token);
    return this.tokens.some((t) => t.length === given.length && timingSafeEqual(t, given)) ? ADMIN_USER : undefined;
  }
}
