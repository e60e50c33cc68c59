// `Clerk`: clerk-js's entry object. State and every rule are the engine's; this class forwards
// and shapes what it answers into clerk-js's objects.

import { Call, type Engine, newEngine, Query } from './engine';
import { Core } from './core';
import { toError } from './errors';
import type { Client } from './client';
import type { Session } from './session';
import type { ClerkOptions, InstanceType, Organization, User } from './types';
import * as flows from './flows';

export interface Resources {
  client: Client | undefined;
  /** `undefined`: not known yet (before load, during setActive); `null`: signed out. */
  session: Session | null | undefined;
  user: User | null | undefined;
  organization: Organization | null | undefined;
}

export type Listener = (resources: Resources) => void;
export type BeforeEmitCallback = (session: Session | null) => void | Promise<unknown>;

export interface SetActiveParams {
  /** A Session, its id, or `null` to sign the current session out of this client. */
  session?: Session | string | null;
  /** An Organization, its id or slug, or `null` for the personal account. */
  organization?: Organization | string | null;
  /** Runs after the session became `undefined` and before the new one is emitted; awaited. */
  beforeEmit?: BeforeEmitCallback;
}

let injected: Engine | undefined;

interface Info {
  publishable_key: string;
  frontend_api: string;
  proxy_url: string | null;
  instance_type: InstanceType;
  version: string;
}

export class Clerk {
  readonly #core: Core;
  readonly #info: Info;
  #warnedSetSession = false;

  constructor(publishableKey: string, options?: ClerkOptions) {
    let engine = injected;
    if (!engine) {
      try {
        engine = newEngine(publishableKey, options?.proxyUrl);
      } catch (e) {
        throw toError(e);
      }
    }
    this.#core = new Core(engine);
    this.#info = this.#core.query(Query.Info);
  }

  /** @internal Wraps an existing engine (tests give it a scripted platform). */
  static fromEngine(engine: Engine): Clerk {
    injected = engine;
    try {
      return new Clerk('');
    } finally {
      injected = undefined;
    }
  }

  get version(): string {
    return this.#info.version;
  }
  get publishableKey(): string {
    return this.#info.publishable_key;
  }
  get frontendApi(): string {
    return this.#info.frontend_api;
  }
  get proxyUrl(): string | undefined {
    return this.#info.proxy_url ?? undefined;
  }
  get instanceType(): InstanceType {
    return this.#info.instance_type;
  }
  get loaded(): boolean {
    return this.#core.state.loaded;
  }
  get client(): Client | undefined {
    return this.#core.client();
  }
  /** `undefined` before load and while `setActive` switches; `null` when signed out. */
  get session(): Session | null | undefined {
    return this.#core.resources().session;
  }
  get user(): User | null | undefined {
    return this.#core.resources().user;
  }
  get organization(): Organization | null | undefined {
    return this.#core.resources().organization;
  }
  get isSignedIn(): boolean {
    return !!this.session;
  }

  /** Fetches the environment and the client. */
  async load(_options?: Record<string, unknown>): Promise<void> {
    await this.#core.call(Call.Load, {});
  }

  /**
   * Calls `listener` now and on every change of client, session, user or organization.
   * Returns the function that unsubscribes it; neither keeps this instance alive.
   */
  addListener(listener: Listener): () => void {
    const core = new WeakRef(this.#core);
    const id = this.#core.engine.listen(() => {
      const c = core.deref();
      if (c) listener(c.resources());
    });
    return () => core.deref()?.engine.unlisten(id);
  }

  /**
   * Makes a session (and organization) active in three steps: the session becomes `undefined`,
   * `beforeEmit` runs and is awaited, the new session is emitted. Rejects with beforeEmit's own
   * error if it throws (the switch is completed first).
   */
  async setActive(params: SetActiveParams): Promise<void> {
    const core = this.#core;
    const beforeEmit = params?.beforeEmit;
    let thrown: { error: unknown } | undefined;
    let callback: ((id: string | null) => Promise<void>) | undefined;
    if (typeof beforeEmit === 'function') {
      callback = async (id) => {
        try {
          await beforeEmit(id === null ? null : core.session(id));
        } catch (error) {
          thrown = { error };
          throw error;
        }
      };
    }
    // The engine checks the arguments; of a callback it sees only its type.
    const args = params && typeof params === 'object'
      ? { session: params.session, organization: params.organization, beforeEmit: beforeEmit == null ? undefined : typeof beforeEmit }
      : params;
    try {
      await core.call(Call.SetActive, args, callback);
    } catch (e) {
      throw thrown ? thrown.error : e;
    }
  }

  /** @deprecated `setSession(session, beforeEmit)` is `setActive({session, beforeEmit})`. */
  setSession(session: Session | string | null, beforeEmit?: BeforeEmitCallback): Promise<void> {
    if (!this.#warnedSetSession) {
      this.#warnedSetSession = true;
      console.warn('Clerk: setSession() is deprecated; use setActive({ session, beforeEmit }) instead.');
    }
    return this.setActive({ session, beforeEmit });
  }

  /** Signs out of every session, or of `{sessionId}` only. */
  async signOut(options?: { sessionId?: string }): Promise<void> {
    await this.#core.call(Call.SignOut, { sessionId: options?.sessionId });
  }

  /** On the page an OAuth provider came back to: completes the sign-in or sign-up (or the
   * transfer between them), sets the session active and goes on (`navigate` instead of
   * `location.assign`). */
  handleRedirectCallback(params?: flows.HandleRedirectCallbackParams, navigate?: flows.Navigate): Promise<void> {
    return flows.handleRedirectCallback(this.#core, (session) => this.setActive({ session }), params, navigate);
  }

  /** On an email link's page: signs in here when the link made a session for this browser. */
  handleEmailLinkVerification(params?: flows.HandleEmailLinkVerificationParams, navigate?: flows.Navigate): Promise<void> {
    return flows.handleEmailLinkVerification(this.#core, (session) => this.setActive({ session }), params, navigate);
  }

  /** Stops everything this instance does (refresh, tab sync, listeners); later calls reject. */
  dispose(): void {
    this.#core.dispose();
  }
}

// `using clerk = new Clerk(…)` disposes it, where the engine has `Symbol.dispose`. Set outside the
// class so the published types do not require TypeScript's esnext.disposable lib of every app.
const dispose = (Symbol as unknown as { dispose?: symbol }).dispose;
if (dispose) (Clerk.prototype as any)[dispose] = Clerk.prototype.dispose;
