// `Session` and `Token`: live views of a session of the client, by id. A held Session keeps
// showing the session as the server last described it (status included), also once the
// client no longer lists it.

import { Call, Query } from './engine';
import type { Core, RawSession } from './core';
import { bindMethods, date, keepRaw, view } from './convert';
import { assertion } from './lazy';
import { once } from './resource';
import { User } from './user';
import type { CheckAuthorizationParams, GetTokenOptions, PublicUserData, SessionStatus, SessionVerification } from './types';

export class Token {
  readonly #core: Core;
  readonly #raw: string;

  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core, raw: string) {
    this.#core = core;
    this.#raw = raw;
  }

  getRawString(): string {
    return this.#raw;
  }

  /** The claims, decoded without verification (the browser cannot verify, and need not). */
  get jwt(): { claims: Record<string, unknown> } | null {
    const claims = this.#core.query(Query.TokenClaims, { jwt: this.#raw });
    return claims === null ? null : { claims };
  }
}

export class Session {
  readonly object = 'session' as const;
  readonly id: string;
  readonly #core: Core;
  readonly #fallback: RawSession;

  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core, id: string, raw: RawSession) {
    this.#core = core;
    this.id = id;
    this.#fallback = raw;
    // clerk-js's are arrow properties; Clerk's UI calls them unbound (`checkAuthorization`).
    bindMethods(this);
  }

  get #raw(): RawSession {
    return this.#core.rawSession(this.id) ?? this.#fallback;
  }

  get status(): SessionStatus {
    return this.#raw.status as SessionStatus;
  }
  get lastActiveAt(): Date | null {
    return date(this.#raw.last_active_at);
  }
  get abandonAt(): Date | null {
    return date(this.#raw.abandon_at);
  }
  get expireAt(): Date | null {
    return date(this.#raw.expire_at);
  }
  get createdAt(): Date | null {
    return date(this.#raw.created_at);
  }
  get updatedAt(): Date | null {
    return date(this.#raw.updated_at);
  }
  get lastActiveOrganizationId(): string | null {
    return (this.#raw.last_active_organization_id as string | null) ?? null;
  }
  get lastActiveToken(): Token | null {
    const jwt = this.#raw.last_active_token?.jwt;
    return jwt ? new Token(this.#core, jwt) : null;
  }
  get factorVerificationAge(): [number, number] | null {
    return (this.#raw.factor_verification_age as [number, number] | null) ?? null;
  }
  get actor(): Record<string, unknown> | null {
    return view(this.#raw.actor);
  }
  /** The actor when it is an agent (clerk-js's `agent`), else null. */
  get agent(): Record<string, unknown> | null {
    const actor = this.actor;
    return actor?.type === 'agent' ? actor : null;
  }
  get tasks(): Array<Record<string, unknown>> | null {
    return view(this.#raw.tasks);
  }
  /** The first task the session must finish, if any. */
  get currentTask(): Record<string, unknown> | undefined {
    return this.tasks?.[0];
  }
  get user(): User | null {
    const raw = this.#raw.user;
    return once(raw, () => new User(this.#core, raw!));
  }
  get publicUserData(): PublicUserData | null {
    return view(this.#raw.public_user_data);
  }

  #lifecycle(op: Call): Promise<Session> {
    return this.#core.call(op, { session: this.id }).then((raw: RawSession) => this.#core.session(raw.id, raw) as Session);
  }
  /** Ends the session on the server. */
  end(): Promise<Session> {
    return this.#lifecycle(Call.EndSession);
  }
  /** Removes the session from the client. */
  remove(): Promise<Session> {
    return this.#lifecycle(Call.RemoveSession);
  }
  /** Marks the session as active now, keeping its organization. */
  touch(): Promise<Session> {
    return this.#lifecycle(Call.TouchSession);
  }

  /** A session token, cached for its lifetime; concurrent callers share one request. */
  getToken(options?: GetTokenOptions): Promise<string> {
    return this.#core.call(Call.GetToken, { session: this.id, options: options ?? {} });
  }

  checkAuthorization(params: CheckAuthorizationParams): boolean {
    return this.#core.query(Query.CheckAuthorization, { session: this.id, params });
  }

  #verify(step: string, params: unknown): Promise<SessionVerification> {
    return this.#core.call(Call.VerifySession, { session: this.id, step, params: params ?? {} }).then(view);
  }
  startVerification(params: { level: 'first_factor' | 'second_factor' | 'multi_factor' }): Promise<SessionVerification> {
    return this.#verify('start', params);
  }
  prepareFirstFactorVerification(params: { strategy: string; emailAddressId?: string }): Promise<SessionVerification> {
    return this.#verify('prepare_first_factor', params);
  }
  attemptFirstFactorVerification(params: { strategy: 'password'; password: string } | { strategy: string; code: string }): Promise<SessionVerification> {
    return this.#verify('attempt_first_factor', params);
  }
  prepareSecondFactorVerification(params?: { strategy?: 'totp' | string }): Promise<SessionVerification> {
    return this.#verify('prepare_second_factor', params);
  }
  attemptSecondFactorVerification(params: { strategy?: 'totp' | string; code: string }): Promise<SessionVerification> {
    return this.#verify('attempt_second_factor', params);
  }

  /** Reverifies with a passkey: prepares the factor, lets the authenticator sign, attempts it. */
  async verifyWithPasskey(): Promise<SessionVerification> {
    const prepared = await this.prepareFirstFactorVerification({ strategy: 'passkey' });
    const publicKeyCredential = await assertion(prepared.firstFactorVerification?.nonce);
    return this.#verify('attempt_first_factor', { strategy: 'passkey', publicKeyCredential });
  }

  /** This session as the server has it now (the client is fetched again). */
  reload(): Promise<Session> {
    return this.#core.call(Call.ReloadClient, {}).then(() => this.#core.session(this.id, this.#fallback) as Session);
  }

  /** Forgets this client's cached tokens. */
  clearCache(): void {
    this.#core.query(Query.ClearCache);
  }
}
keepRaw(Token);
keepRaw(Session);
