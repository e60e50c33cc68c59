// `Client`: the browser's client on the Frontend API (its sessions and current attempts).

import { Call, Query } from './engine';
import type { Core, RawClient } from './core';
import { date, keepRaw } from './convert';
import { SignIn, SignUp } from './attempts';
import type { Session } from './session';

export class Client {
  readonly object = 'client' as const;
  readonly #core: Core;

  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core) {
    this.#core = core;
  }

  get #raw(): RawClient {
    return this.#core.state.client ?? ({ id: '', sessions: [], signed_in_session_ids: [], sign_in: null, sign_up: null } as RawClient);
  }
  #sessions(ids: string[]): Session[] {
    return ids.map((id) => this.#core.session(id)).filter((s): s is Session => s !== null);
  }

  get id(): string {
    return this.#raw.id;
  }
  get sessions(): Session[] {
    return this.#sessions(this.#raw.sessions.map((s) => s.id));
  }
  /** Active and pending sessions. */
  get signedInSessions(): Session[] {
    return this.#sessions(this.#raw.signed_in_session_ids);
  }
  /** @deprecated clerk-js's older name; use `signedInSessions`. */
  get activeSessions(): Session[] {
    return this.sessions.filter((s) => s.status === 'active');
  }
  get lastActiveSessionId(): string | null {
    return (this.#raw.last_active_session_id as string | null) ?? null;
  }
  get lastAuthenticationStrategy(): string | null {
    return (this.#raw.last_authentication_strategy as string | null) ?? null;
  }
  get signIn(): SignIn {
    return new SignIn(this.#core, null);
  }
  get signUp(): SignUp {
    return new SignUp(this.#core, null);
  }
  get cookieExpiresAt(): Date | null {
    return date(this.#raw.cookie_expires_at);
  }
  get createdAt(): Date | null {
    return date(this.#raw.created_at);
  }
  get updatedAt(): Date | null {
    return date(this.#raw.updated_at);
  }

  #run(op: Call): Promise<Client> {
    return this.#core.call(op, {}).then(() => this.#core.client() as Client);
  }
  /** Creates a new client on the server (new id, new client cookie). */
  create(): Promise<Client> {
    return this.#run(Call.CreateClient);
  }
  /** Destroys the client on the server: every session is signed out. */
  destroy(): Promise<void> {
    return this.#core.call(Call.DestroyClient, {}).then(() => undefined);
  }
  /** Fetches the client again; `rotatingTokenNonce` asks the server to rotate the client cookie. */
  reload(params?: { rotatingTokenNonce?: string }): Promise<Client> {
    return this.#core.call(Call.ReloadClient, { rotatingTokenNonce: params?.rotatingTokenNonce }).then(() => this.#core.client() as Client);
  }
  /** clerk-js's older name for `reload`. */
  fetch(): Promise<Client> {
    return this.#run(Call.ReloadClient);
  }
  removeSessions(): Promise<Client> {
    return this.#run(Call.RemoveSessions);
  }
  clearCache(): void {
    this.#core.query(Query.ClearCache);
  }
  /** True when the client cookie expires within 8 days. */
  isEligibleForTouch(): boolean {
    return this.#core.query(Query.IsEligibleForTouch);
  }
  isNew(): boolean {
    return this.#core.query(Query.IsNew);
  }
  /** The URL that extends the client cookie, then redirects to `redirectUrl`. */
  buildTouchUrl(params: { redirectUrl: URL | string }): string {
    const url = params?.redirectUrl;
    return this.#core.query(Query.BuildTouchUrl, { redirectUrl: url instanceof URL ? url.href : url });
  }
  resetSignIn(): void {
    this.#core.query(Query.ResetSignIn);
  }
  resetSignUp(): void {
    this.#core.query(Query.ResetSignUp);
  }
}
keepRaw(Client);
