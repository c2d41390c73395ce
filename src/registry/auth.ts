/**
 * Registry authentication: reads WWW-Authenticate challenges and answers them, with Basic
 * credentials or with Bearer tokens from the challenge's realm (anonymous or credentialed),
 * cached per scope. Spec: https://distribution.github.io/distribution/spec/auth/token/
 */
import { ShipshapeError } from '../errors.js';
import { readBody, type Transport } from './transport.js';
import type { Credentials } from './types.js';

export interface Challenge {
  /** Lowercased: 'bearer', 'basic'. */
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (and several challenges in one header). */
export function parseChallenges(value: string): Challenge[] {
  const out: Challenge[] = [];
  const tokenRe = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
  let cur: Challenge | undefined;
  let i = 0;
  const skipSpace = () => {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  while (i < value.length) {
    skipSpace();
    if (value[i] === ',') {
      i++;
      continue;
    }
    tokenRe.lastIndex = i;
    const m = tokenRe.exec(value);
    if (!m) break;
    i = tokenRe.lastIndex;
    skipSpace();
    if (value[i] !== '=') {
      // A token not followed by "=" starts a new challenge.
      cur = { scheme: m[0].toLowerCase(), params: {} };
      out.push(cur);
      continue;
    }
    i++;
    skipSpace();
    let v = '';
    if (value[i] === '"') {
      for (i++; i < value.length && value[i] !== '"'; i++) v += value[i] === '\\' ? value[++i] ?? '' : value[i];
      i++;
    } else {
      while (i < value.length && value[i] !== ',' && value[i] !== ' ') v += value[i++];
    }
    if (cur) cur.params[m[0].toLowerCase()] = v;
  }
  return out;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Answers challenges for one registry; one instance per client, shared by all its requests. */
export class Authenticator {
  private challenge: Challenge | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  /** Promises, so that layers opened together share one token request. */
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly registry: string,
    private readonly transport: Transport,
    private readonly loadCredentials: () => Promise<Credentials | undefined>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Credentials are looked up once, and only when a registry asks for them (helpers can be slow). */
  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.loadCredentials();
    return this.credentials;
  }

  /** The Authorization header for a request needing `scopes`, once the registry's scheme is known. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    const creds = await this.creds();
    if (ch.scheme === 'basic') {
      return creds?.kind === 'basic' ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    }
    if (creds?.kind === 'bearer') return `Bearer ${creds.token}`;
    const key = [...scopes].sort().join(' ');
    let pending = this.tokens.get(key);
    if (pending) {
      const t = await pending.catch(() => undefined);
      if (t && t.expiresAt > this.now()) return `Bearer ${t.value}`;
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
    }
    pending = this.tokens.get(key);
    if (!pending) {
      pending = this.fetchToken(ch, scopes, creds);
      this.tokens.set(key, pending);
      // A failed fetch must not be cached; the caller still sees the failure.
      pending.catch(() => {
        if (this.tokens.get(key) === pending) this.tokens.delete(key);
      });
    }
    return `Bearer ${(await pending).value}`;
  }

  /**
   * Learns from a 401: returns the scopes to retry with, or undefined when a retry cannot help
   * (the caller then reports the failure with `failureMessage`).
   */
  async onUnauthorized(wwwAuthenticate: string | undefined, scopes: string[], sentAuthorization: boolean): Promise<string[] | undefined> {
    const challenges = wwwAuthenticate ? parseChallenges(wwwAuthenticate) : [];
    const ch = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!ch) return undefined;
    const sameScheme = this.challenge?.scheme === ch.scheme;
    this.challenge = ch;
    const creds = await this.creds();
    const refused = sentAuthorization && sameScheme;
    if (ch.scheme === 'basic') return creds?.kind === 'basic' && !refused ? scopes : undefined;
    if (creds?.kind === 'bearer') return refused ? undefined : scopes;
    // The token we sent was refused: drop it so that the retry fetches a fresh one.
    if (refused) this.tokens.delete([...scopes].sort().join(' '));
    // A token for too small a scope: the challenge names the scope it wants.
    return ch.params.scope ? [...new Set([...scopes, ...ch.params.scope.split(' ')])] : scopes;
  }

  /** The message for a final 401/403, depending on whether we had anything to offer. */
  async failureMessage(status: number, detail?: string): Promise<string> {
    const creds = await this.creds();
    const suffix = detail ? ` (${detail})` : '';
    if (status === 403) return `access denied by registry ${this.registry}${suffix}`;
    if (!creds) {
      return `authentication required by registry ${this.registry}: no credentials found (give a username and password, set SHIPSHAPE_USERNAME/SHIPSHAPE_PASSWORD, or docker login)${suffix}`;
    }
    return `authentication failed for ${this.registry}: check the username and password${suffix}`;
  }

  private async fetchToken(ch: Challenge, scopes: string[], creds: Credentials | undefined): Promise<CachedToken> {
    const realm = ch.params.realm;
    if (!realm) throw new ShipshapeError('registry', `registry ${this.registry} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ShipshapeError('registry', `registry ${this.registry} sent an invalid token realm "${realm}"`);
    }
    // A token request carries the credentials (or the token that stands for them): never in clear
    // text from a registry reached over HTTPS, unless the user named the realm's host insecure.
    if (url.protocol !== 'https:' && this.transport.baseUrl.startsWith('https:') && !this.transport.allowsPlainHttp(url.host)) {
      throw new ShipshapeError(
        'registry',
        `registry ${this.registry} sent a token realm over plain HTTP (${url.origin}): refusing to send credentials in clear text (name ${url.host} with --insecure-registry to allow it)`,
      );
    }
    const service = ch.params.service;
    let res;
    if (creds?.kind === 'identity-token') {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.token, client_id: 'shipshape', access_type: 'offline' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await this.transport.send({
        method: 'POST',
        url: url.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds?.kind === 'basic') url.searchParams.set('account', creds.username);
      const headers: Record<string, string> = {};
      if (creds?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      res = await this.transport.send({ method: 'GET', url: url.toString(), headers });
    }
    const body = await readBody(res.body, 1 << 20, `token from ${url.host}`);
    if (res.status === 401 || res.status === 403) {
      throw new ShipshapeError('unauthorized', await this.failureMessage(401));
    }
    if (res.status !== 200) {
      throw new ShipshapeError(res.status >= 500 ? 'network' : 'registry', `token server ${url.host} for registry ${this.registry} answered ${res.status}`);
    }
    let doc: { token?: string; access_token?: string; expires_in?: number };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new ShipshapeError('registry', `token server ${url.host} for registry ${this.registry} sent something that is not JSON`);
    }
    const value = doc.token || doc.access_token;
    if (!value) throw new ShipshapeError('registry', `token server ${url.host} for registry ${this.registry} sent no token`);
    // The spec's default lifetime is 60 s; refresh a little early.
    const lifetime = Math.max(60, typeof doc.expires_in === 'number' ? doc.expires_in : 60);
    return { value, expiresAt: this.now() + (lifetime - 5) * 1000 };
  }
}
