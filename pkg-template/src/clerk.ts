// `Clerk`: clerk-js's entry object. State and every rule are the engine's; this class forwards
// and shapes what it answers into clerk-js's objects.

import { Call, type Engine, newEngine, Query } from './engine';
import { Core } from './core';
import { toError } from './errors';
import type { Client } from './client';
import type { Session } from './session';
import type { ClerkOptions, InstanceType } from './types';
import type { User } from './user';
import { createOrganization, getOrganization, type Organization } from './organization';
import { type ComponentMethods, installComponents } from './components';
import type * as flows from './flows';
import { flows as loadFlows } from './lazy';
import { bindMethods, keepRaw } from './convert';
import type { State } from './signals';
import { createState, ownCore } from './future';
import { type Environment, environmentOf } from './environment';
import { installNavigation, type NavigationMethods } from './navigation';
import { installUIHost, type UIHostMembers } from './ui-host';

export interface Resources {
  client: Client | undefined;
  /** `undefined`: not known yet (before load, during setActive); `null`: signed out. */
  session: Session | null | undefined;
  user: User | null | undefined;
  organization: Organization | null | undefined;
}

export type Listener = (resources: Resources) => void;
export type BeforeEmitCallback = (session: Session | null) => void | Promise<unknown>;
/** `'ready'` once loaded; `'error'` when `load()` failed. */
export type Status = 'loading' | 'ready' | 'degraded' | 'error';
export type Navigate = (to: string, metadata?: { windowNavigate: (to: URL | string) => void }) => unknown;

export interface SetActiveParams {
  /** A Session, its id, or `null` to sign the current session out of this client. */
  session?: Session | string | null;
  /** An Organization, its id or slug, or `null` for the personal account. */
  organization?: Organization | string | null;
  /** Runs after the session became `undefined` and before the new one is emitted; awaited. */
  beforeEmit?: BeforeEmitCallback;
  /** Where to go once the session is set (through `routerPush` when it is on this origin). */
  redirectUrl?: string;
  /** Called instead of navigating to `redirectUrl`, before the new session is emitted. */
  navigate?: (params: { session: Session | null; decorateUrl: (url: string) => string }) => unknown;
}

export interface SignOutOptions {
  /** Only this session; the others stay signed in. */
  sessionId?: string;
  /** Where to go afterwards (default: the `afterSignOutUrl` option, else `/`). */
  redirectUrl?: string;
}

/** The options of `load()` (and of `ClerkProvider`) this library acts on; others are kept for `__internal_getOption`. */
export interface LoadOptions {
  routerPush?: Navigate;
  routerReplace?: Navigate;
  afterSignOutUrl?: string;
  [option: string]: unknown;
}

let injected: Engine | undefined;
/** The clerk-js release whose API this object layer follows. */
const CLERK_JS_VERSION = '6.40.0';

interface Info {
  publishable_key: string;
  frontend_api: string;
  proxy_url: string | null;
  instance_type: InstanceType;
  version: string;
}

// The UI-component methods, the navigation helpers and the UI host's members are installed on
// the prototype at run time (components.ts, navigation.ts, ui-host.ts).
export interface Clerk extends ComponentMethods, NavigationMethods, UIHostMembers {}

export class Clerk {
  readonly #core: Core;
  readonly #info: Info;
  #warnedSetSession = false;
  #options: LoadOptions = {};
  #status: Status = 'loading';
  readonly #statusListeners = new Set<(status: Status) => void>();
  #lastEmitted?: Resources;
  /** An emission since `#lastEmitted` was built: it is rebuilt when next read. */
  #emitted = false;
  #state?: State;
  #environment?: Environment | null;

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
    ownCore(this.#core, this);
    bindMethods(this);
    this.#info = this.#core.query(Query.Info);
    this.#options = { ...options };
    // First of all listeners, so the others (React's hooks) read the resources they are told
    // of. Built when read, not here: an app without such readers pays no snapshot per change.
    const self = new WeakRef(this);
    engine.listen(() => {
      const clerk = self.deref();
      if (clerk) clerk.#emitted = true;
    });
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

  /**
   * The clerk-js version whose API this mirrors, with this library's own as build metadata
   * (`6.40.0+clerk-rs.0.1.0`): Clerk's UI and SDKs check for clerk-js 6.
   */
  get version(): string {
    return CLERK_JS_VERSION + '+clerk-rs.' + this.#info.version;
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
  /** The `domain` option without its scheme (`clerk.`-prefixed on production instances), as clerk-js shows it; `''` without one. */
  get domain(): string {
    const domain = String(this.#options.domain ?? '').replace(/^https?:\/\//, '');
    return domain && this.instanceType === 'production' ? 'clerk.' + domain.replace(/^(clerk\.)+/, '') : domain;
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
  get status(): Status {
    return this.#status;
  }
  /** The environment `load()` fetched, shaped as clerk-js's (its getters included); null before. */
  get environment(): Environment | null {
    if (!this.loaded) return null;
    return (this.#environment ??= environmentOf(this.#core.query(Query.Environment)));
  }
  /** clerk-js's signal state, which @clerk/react 6's `useSignIn()` / `useSignUp()` read. */
  get __internal_state(): State {
    return (this.#state ??= createState(this.#core, this));
  }
  /**
   * The resources last passed to listeners, once loaded (what Clerk's React hooks read): the
   * same object until the next emission.
   */
  get __internal_lastEmittedResources(): Resources | undefined {
    if (!this.loaded) return undefined;
    if (this.#emitted || !this.#lastEmitted) {
      this.#emitted = false;
      this.#lastEmitted = this.#core.resources();
    }
    return this.#lastEmitted;
  }

  /** Fetches the environment and the client; `options` as clerk-js's (router, URLs). */
  async load(options?: LoadOptions): Promise<void> {
    this.#options = { ...this.#options, ...options };
    if (this.loaded) return;
    try {
      await this.#core.call(Call.Load, {});
    } catch (e) {
      this.#setStatus('error');
      throw e;
    }
    this.#setStatus('ready');
  }

  #setStatus(status: Status): void {
    this.#status = status;
    for (const listener of [...this.#statusListeners]) safely(listener, status);
  }

  /** `on('status', fn, {notify: true})` calls `fn` now and on every change of `status`. */
  on(event: 'status', listener: (status: Status) => void, options?: { notify?: boolean }): void {
    if (event !== 'status') return;
    this.#statusListeners.add(listener);
    if (options?.notify) safely(listener, this.#status);
  }
  off(event: 'status', listener: (status: Status) => void): void {
    if (event === 'status') this.#statusListeners.delete(listener);
  }

  /** A `load()` (or constructor) option, as given. */
  __internal_getOption(key: string): any {
    return this.#options[key];
  }
  /** @internal Every option, as given (the UI host passes them on). */
  __internal_getOptions(): LoadOptions {
    return this.#options;
  }

  /** Whether `organizations` is enabled for the instance (React's organization hooks ask). */
  __internal_attemptToEnableEnvironmentSetting(params: { for: string; caller?: string }): { isEnabled: boolean } {
    return { isEnabled: this.#core.query(Query.SettingEnabled, { setting: params?.for }) };
  }

  /**
   * Calls `listener` now (unless `skipInitialEmit`) and on every change of client, session,
   * user or organization. Returns the function that unsubscribes it; neither keeps this
   * instance alive.
   */
  addListener(listener: Listener, options?: { skipInitialEmit?: boolean }): () => void {
    const core = new WeakRef(this.#core);
    let initial = !!options?.skipInitialEmit;
    const id = this.#core.engine.listen(() => {
      const c = core.deref();
      if (c && !initial) listener(c.resources());
    });
    initial = false;
    return () => core.deref()?.engine.unlisten(id);
  }

  /**
   * Goes to `to`: through `routerPush` (`routerReplace` with `{replace: true}`) when it is on
   * this origin and a router was given, else by loading the page. Other schemes than http(s)
   * go to `/`, as in clerk-js.
   */
  async navigate(to: string | undefined, options?: { replace?: boolean }): Promise<unknown> {
    if (!to || typeof location === 'undefined') return;
    let url = new URL(to, location.href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') url = new URL('/', location.href);
    const router = (options?.replace && this.#options.routerReplace) || this.#options.routerPush;
    const windowNavigate = (u: URL | string) => location.assign(String(u));
    if (url.origin !== location.origin || !router) return windowNavigate(url);
    return router(url.pathname + url.search + url.hash, { windowNavigate });
  }

  /** `url`, through the Frontend API's client touch when the client cookie is near expiry. */
  #decorateUrl = (url: string): string => {
    if (!this.#core.query(Query.IsEligibleForTouch)) return url;
    return this.#core.query(Query.BuildTouchUrl, { redirectUrl: new URL(url, location.href).href });
  };

  /**
   * Makes a session (and organization) active in three steps: the session becomes `undefined`,
   * `beforeEmit` runs and is awaited, the new session is emitted. Rejects with beforeEmit's own
   * error if it throws (the switch is completed first).
   */
  async setActive(params: SetActiveParams): Promise<void> {
    const core = this.#core;
    const beforeEmit = params?.beforeEmit;
    const { navigate, redirectUrl } = params ?? {};
    let thrown: { error: unknown } | undefined;
    let callback: ((id: string | null) => Promise<void>) | undefined;
    if (typeof beforeEmit === 'function' || typeof navigate === 'function' || redirectUrl) {
      // Step 2: beforeEmit, then the navigation, before the new session is emitted (clerk-js).
      callback = async (id) => {
        const session = id === null ? null : core.session(id);
        try {
          if (typeof beforeEmit === 'function') await beforeEmit(session);
          if (typeof navigate === 'function') await navigate({ session, decorateUrl: this.#decorateUrl });
          else if (redirectUrl) await this.navigate(this.#decorateUrl(redirectUrl));
        } catch (error) {
          thrown = { error };
          throw error;
        }
      };
    }
    // The engine checks the arguments; of a callback it sees only its type.
    const args = params && typeof params === 'object'
      ? { session: params.session, organization: params.organization, beforeEmit: callback ? 'function' : beforeEmit == null ? undefined : typeof beforeEmit }
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

  /**
   * Signs out of every session (the client stays), or of `{sessionId}` only. When that ends
   * the current session, `callback` runs, or else the page goes to `redirectUrl` (default:
   * the `afterSignOutUrl` option, else `/`), as with clerk-js.
   */
  async signOut(callbackOrOptions?: (() => unknown) | SignOutOptions, options?: SignOutOptions): Promise<void> {
    const opts = (callbackOrOptions && typeof callbackOrOptions === 'object' ? callbackOrOptions : options) ?? {};
    const callback = typeof callbackOrOptions === 'function' ? callbackOrOptions : undefined;
    const client = this.client;
    if (!client || client.sessions.length === 0) return;
    const current = this.session?.id;
    const endsCurrent = !opts.sessionId || opts.sessionId === current || client.signedInSessions.length === 1;
    await this.#core.call(Call.SignOut, { sessionId: opts.sessionId });
    if (!endsCurrent) return;
    if (callback) await callback();
    else await this.navigate(this.#decorateUrl(opts.redirectUrl || (this.#options.afterSignOutUrl as string) || '/'));
  }

  static {
    const coreOf = (clerk: object) => (clerk as Clerk).#core;
    installComponents(Clerk.prototype, coreOf);
    installNavigation(Clerk.prototype, coreOf);
    installUIHost(Clerk.prototype);
  }

  /** On the page an OAuth provider came back to: completes the sign-in or sign-up (or the
   * transfer between them), sets the session active and goes on (`navigate` instead of
   * `location.assign`). */
  handleRedirectCallback(params?: flows.HandleRedirectCallbackParams, navigate?: flows.Navigate): Promise<void> {
    return loadFlows().then((f) => f.handleRedirectCallback(this.#core, (session) => this.setActive({ session }), params, navigate));
  }

  /** On an email link's page: signs in here when the link made a session for this browser. */
  handleEmailLinkVerification(params?: flows.HandleEmailLinkVerificationParams, navigate?: flows.Navigate): Promise<void> {
    return loadFlows().then((f) => f.handleEmailLinkVerification(this.#core, (session) => this.setActive({ session }), params, navigate));
  }

  /** Creates an organization; the signed-in user becomes its admin. */
  createOrganization(params: { name: string; slug?: string }): Promise<Organization> {
    return createOrganization(this.#core, params);
  }
  /** An organization the signed-in user belongs to. */
  getOrganization(organizationId: string): Promise<Organization> {
    return getOrganization(this.#core, organizationId);
  }

  /** Stops everything this instance does (refresh, tab sync, listeners); later calls reject. */
  dispose(): void {
    this.#core.dispose();
  }
}

/** A listener that throws is reported and does not stop the others. */
function safely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (e) {
    console.error(e);
  }
}

keepRaw(Clerk);

// `using clerk = new Clerk(…)` disposes it, where the engine has `Symbol.dispose`. Set outside the
// class so the published types do not require TypeScript's esnext.disposable lib of every app.
const dispose = (Symbol as unknown as { dispose?: symbol }).dispose;
if (dispose) (Clerk.prototype as any)[dispose] = Clerk.prototype.dispose;
