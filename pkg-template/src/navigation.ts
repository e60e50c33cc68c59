// clerk-js's navigation helpers (`build*Url`, `redirectTo*`, `redirectWithAuth`,
// `handleUnauthenticated`): option lookups over the `load()` options and the environment's
// `displayConfig`, as clerk-js makes them (its RedirectUrls). Which URL carries the dev-browser
// token is the engine's rule (`Query.UrlWithAuth`). Installed on Clerk's prototype.

import { Query } from './engine';
import type { Core } from './core';

type Raw = Record<string, any>;
interface Host {
  loaded: boolean;
  environment: Raw | null;
  session: unknown;
  __internal_getOption(key: string): any;
  navigate(to: string): Promise<unknown>;
  buildUrlWithAuth(to: string): string;
  signOut(): Promise<void>;
  [key: string]: any;
}

const KEYS = ['signInForceRedirectUrl', 'signInFallbackRedirectUrl', 'signUpForceRedirectUrl', 'signUpFallbackRedirectUrl', 'redirectUrl'];
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

/** Absolute URLs of the redirect keys `source` has, of allowed origins only (clerk-js's RedirectUrls#parse). */
function redirects(h: Host, source: Raw | URLSearchParams | undefined, query: boolean): Raw {
  const allowed: unknown = h.__internal_getOption('allowedRedirectOrigins');
  const out: Raw = {};
  for (const key of KEYS) {
    const v = source instanceof URLSearchParams ? source.get(snake(key)) : source?.[query ? snake(key) : key];
    if (!v) continue;
    const url = new URL(String(v), location.origin);
    const ok =
      !Array.isArray(allowed) || url.origin === location.origin || allowed.some((o) => (o instanceof RegExp ? o.test(url.origin) : String(o) === url.origin));
    if (ok) out[key] = url.href;
  }
  return out;
}

/** The after-sign-in (`signIn`) or after-sign-up URL: force, then the search's redirect_url, then fallback, else `/`. */
function after(h: Host, prefix: 'signIn' | 'signUp', props: Raw = {}, params?: URLSearchParams): string {
  const o = redirects(h, options(h), false), p = redirects(h, props, false), q = redirects(h, params, true);
  const force = prefix + 'ForceRedirectUrl', fallback = prefix + 'FallbackRedirectUrl';
  return q[force] || p[force] || o[force] || q.redirectUrl || q[fallback] || p[fallback] || o[fallback] || '/';
}

const options = (h: Host): Raw => Object.fromEntries(KEYS.map((k) => [k, h.__internal_getOption(k)]));

/** The sign-in or sign-up page with the redirect URLs in its hash's query, as clerk-js builds it. */
function page(h: Host, key: 'signInUrl' | 'signUpUrl', opts: Raw = {}): string {
  const env = h.environment;
  if (!h.loaded || !env?.displayConfig) return '';
  const signIn = h.__internal_getOption('signInUrl');
  // clerk-js's combined flow: a relative signInUrl option and no signUpUrl one.
  const combined = !h.__internal_getOption('signUpUrl') && !!signIn && !/^[a-z][a-z\d+.-]*:/i.test(signIn);
  const base = combined ? signIn : h.__internal_getOption(key) || env.displayConfig[key];
  const o = redirects(h, options(h), false), p = redirects(h, { ...opts, redirectUrl: opts.redirectUrl || location.href }, false);
  const merged: Raw = {};
  for (const k of ['signUpForceRedirectUrl', 'signUpFallbackRedirectUrl', 'signInFallbackRedirectUrl', 'signInForceRedirectUrl']) merged[k] = p[k] || o[k];
  merged.redirectUrl = p.redirectUrl;
  if (merged.signUpForceRedirectUrl) delete merged.signUpFallbackRedirectUrl;
  if (merged.signInForceRedirectUrl) delete merged.signInFallbackRedirectUrl;
  return h.buildUrlWithAuth(withHash(base, combined && key === 'signUpUrl' ? '/create' : '/', { ...opts.initialValues, ...merged }));
}

/** clerk-js's buildURL: `base` (relative to the page) with `path` and the snake_case `params` in its hash. */
function withHash(base: string, path: string, params: Raw): string {
  const url = new URL(base, location.href);
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(snake(k), v);
  const query = search.toString();
  if (query || path !== '/') url.hash = path + (query ? '?' + query : '');
  return url.href;
}

const display = (h: Host, key: string) => (h.environment?.displayConfig ? h.buildUrlWithAuth(h.environment.displayConfig[key]) : '');

/** What installNavigation adds to Clerk, for the declarations (clerk.ts). */
export interface NavigationMethods {
  buildUrlWithAuth(to: string): string;
  buildSignInUrl(options?: Raw): string;
  buildSignUpUrl(options?: Raw): string;
  buildUserProfileUrl(): string;
  buildHomeUrl(): string;
  buildCreateOrganizationUrl(): string;
  buildOrganizationProfileUrl(): string;
  buildAfterSignInUrl(options?: { params?: URLSearchParams }): string;
  buildAfterSignUpUrl(options?: { params?: URLSearchParams }): string;
  buildAfterSignOutUrl(): string;
  buildAfterMultiSessionSingleSignOutUrl(): string;
  buildWaitlistUrl(options?: { initialValues?: Record<string, string> }): string;
  redirectWithAuth(to: string): Promise<unknown>;
  redirectToSignIn(options?: Raw): Promise<unknown>;
  redirectToSignUp(options?: Raw): Promise<unknown>;
  redirectToUserProfile(): Promise<unknown>;
  redirectToCreateOrganization(): Promise<unknown>;
  redirectToOrganizationProfile(): Promise<unknown>;
  redirectToAfterSignIn(): Promise<unknown>;
  redirectToAfterSignUp(): Promise<unknown>;
  redirectToAfterSignOut(): Promise<unknown>;
  redirectToWaitlist(): Promise<unknown>;
  handleUnauthenticated(): Promise<unknown>;
}

export function installNavigation(prototype: object, coreOf: (clerk: object) => Core): void {
  const methods: Record<string, (this: Host, ...args: any[]) => unknown> = {
    /** On a development instance, a URL of another origin carries the dev-browser token. */
    buildUrlWithAuth(to: string) {
      const url = new URL(to, location.origin);
      return coreOf(this).query(Query.UrlWithAuth, { url: url.href, raw: to, sameOrigin: url.origin === location.origin });
    },
    buildSignInUrl(o?: Raw) {
      return page(this, 'signInUrl', o);
    },
    buildSignUpUrl(o?: Raw) {
      return page(this, 'signUpUrl', o);
    },
    buildUserProfileUrl() {
      return display(this, 'userProfileUrl');
    },
    buildHomeUrl() {
      return display(this, 'homeUrl');
    },
    buildCreateOrganizationUrl() {
      return display(this, 'createOrganizationUrl');
    },
    buildOrganizationProfileUrl() {
      return display(this, 'organizationProfileUrl');
    },
    buildAfterSignInUrl(o?: { params?: URLSearchParams }) {
      return this.buildUrlWithAuth(after(this, 'signIn', {}, o?.params));
    },
    buildAfterSignUpUrl(o?: { params?: URLSearchParams }) {
      return this.buildUrlWithAuth(after(this, 'signUp', {}, o?.params));
    },
    buildAfterSignOutUrl() {
      const to = this.__internal_getOption('afterSignOutUrl');
      return to ? this.buildUrlWithAuth(to) : '/';
    },
    buildAfterMultiSessionSingleSignOutUrl() {
      if (!this.environment) return '';
      const own = this.__internal_getOption('afterMultiSessionSingleSignOutUrl');
      const signIn = this.__internal_getOption('signInUrl');
      return this.buildUrlWithAuth(own || (signIn ? signIn + '#/choose' : this.environment.displayConfig.afterSignOutOneUrl));
    },
    buildWaitlistUrl(o?: { initialValues?: Record<string, string> }) {
      if (!this.environment?.displayConfig) return '';
      return withHash(this.__internal_getOption('waitlistUrl') || this.environment.displayConfig.waitlistUrl, '/', o?.initialValues ?? {});
    },
    redirectWithAuth(to: string) {
      return this.navigate(this.buildUrlWithAuth(to));
    },
    /** The server says the session ended: the client is fetched again and, when it has no
     * session left (or cannot be fetched: 403/500), the session is cleared here too. */
    async handleUnauthenticated() {
      if (!this.client || !this.session) return;
      try {
        await this.client.reload();
        if (this.session) return;
      } catch (e: any) {
        if (e?.status !== 403 && e?.status !== 500) throw e;
      }
      return this.setActive({ session: null });
    },
  };
  // Every redirectTo* goes where its build*Url says.
  for (const name of ['SignIn', 'SignUp', 'UserProfile', 'CreateOrganization', 'OrganizationProfile', 'AfterSignIn', 'AfterSignUp', 'AfterSignOut', 'Waitlist']) {
    methods['redirectTo' + name] = function (o?: Raw) {
      return this.navigate(this['build' + name + 'Url'](o));
    };
  }
  for (const [name, value] of Object.entries(methods)) Object.defineProperty(prototype, name, { value, configurable: true, writable: true });
}
