// Hosting Clerk's prebuilt UI (@clerk/ui, the app's dependency, not ours) as clerk-js 6 does:
// `load({ ui: { ClerkUI } })` (or the older `clerkUICtor`) constructs it with
// `new ClerkUI(() => clerk, () => clerk.environment, options, moduleManager)`, and every
// `mount*`/`open*`/… goes to the controls its `ensureMounted()` resolves to. Also the members
// the UI reads that are not part of Clerk's public API (`__internal_*`), the no-op telemetry
// collector and the few getters clerk-js has besides.

import type { Environment } from './environment';

type Raw = Record<string, any>;
type Controls = Record<string, (...args: any[]) => unknown>;
interface UI {
  ensureMounted(opts?: { preloadHint?: string }): Promise<Controls>;
}

const hosted = new WeakMap<object, Promise<UI | undefined>>();

/** The UI constructor the options name, if any (a constructor or a promise of one). */
const ctorOf = (o: Raw) => o.ui?.ClerkUI ?? o.clerkUICtor ?? o.clerkUiCtor;

/** clerk-js's module manager: the UI asks it for optional modules (password strength, payments),
 * which this package does not bundle; the UI then goes without them, as with a failed import. */
const moduleManager = { import: (_name: string) => Promise.resolve(undefined) };

/** In `load()`: constructs the UI once, when the options bring one. */
export function hostUI(clerk: object, options: Raw): void {
  const ctor = ctorOf(options);
  if (!ctor || hosted.has(clerk)) return;
  // A `ui` whose ClerkUI turns out to be nothing (@clerk/vue passes a Promise of undefined when
  // it prefetches no UI) hosts none: mounts then report ui_components_unavailable (clerk-js
  // throws "e is not a constructor" from load() there).
  hosted.set(clerk, Promise.resolve(ctor).then((C: any) => (typeof C === 'function' ? new C(() => clerk, () => (clerk as any).environment, options, moduleManager) : undefined)));
}

/** The hosted UI's controls, or undefined when there is no UI (components.ts reports then). */
export function controls(clerk: object, preloadHint?: string): Promise<Controls | undefined> | undefined {
  return hosted.get(clerk)?.then((ui) => ui?.ensureMounted(preloadHint ? { preloadHint } : undefined));
}

/** The appearance key / modal name clerk-js uses for a component. */
export const keyOf = (component: string) =>
  component === 'APIKeys' ? 'apiKeys' : component === 'OAuthConsent' ? '__internal_oauthConsent' : component[0].toLowerCase() + component.slice(1);
export const DRAWERS = ['Checkout', 'PlanDetails', 'SubscriptionDetails'];

/** clerk-js's `windowNavigate`: http(s) and relative URLs only. */
const windowNavigate = (to: URL | string) => {
  const url = new URL(String(to), location.href);
  if (url.protocol === 'http:' || url.protocol === 'https:') location.href = url.href;
};

/** What installUIHost adds to Clerk, for the declarations (clerk.ts). */
export interface UIHostMembers {
  __internal_windowNavigate(to: URL | string): void;
  readonly __internal_country: string | null;
  __internal_setActiveInProgress: boolean;
  readonly __internal_environment: Environment | null;
  /** The error `__internal_navigateWithError` left for the page it went to; read once. */
  __internal_last_error: Record<string, unknown> | null;
  __internal_navigateWithError(to: string, error: unknown): Promise<unknown>;
  __internal_addNavigationListener(listener: () => void): () => void;
  __internal_updateProps(props: Raw): Promise<unknown> | undefined;
  __internal_openReverification(props?: Raw): void;
  __internal_closeReverification(): void;
  __experimental_prefetchOrganizationSwitcher(): void;
  readonly uiVersion: string | undefined;
  sdkMetadata: { name: string; version: string; environment?: string };
  readonly telemetry: { isEnabled: boolean; isDebug: boolean; record(event: unknown): void; recordLog(entry: unknown): void } | undefined;
  readonly isSatellite: boolean;
  readonly domain: string;
  readonly isStandardBrowser: boolean;
  readonly billing: Record<string, (params?: unknown) => Promise<{ data: unknown[]; total_count: number }>>;
  readonly apiKeys: Record<string, (params?: unknown) => Promise<{ data: unknown[]; total_count: number }>>;
}

export function installUIHost(prototype: any): void {
  const listeners = new WeakMap<object, Set<() => void>>();
  const last = new WeakMap<object, unknown>();
  const { navigate, setActive, load } = prototype;
  const members: Record<string, PropertyDescriptor & ThisType<any>> = {
    __internal_windowNavigate: { value: windowNavigate },
    __internal_country: { get: () => null },
    __internal_setActiveInProgress: { value: false, writable: true },
    __internal_environment: { get() { return this.environment; } },
    __internal_last_error: {
      get() {
        const e = last.get(this) ?? null;
        last.delete(this);
        return e;
      },
      set(e) {
        last.set(this, e);
      },
    },
    __internal_navigateWithError: {
      value(to: string, error: unknown) {
        last.set(this, error);
        return this.navigate(to);
      },
    },
    __internal_addNavigationListener: {
      value(listener: () => void) {
        let set = listeners.get(this);
        if (!set) listeners.set(this, (set = new Set()));
        set.add(listener);
        return () => set.delete(listener);
      },
    },
    __internal_updateProps: {
      value(props: Raw) {
        return controls(this)?.then((c) => c?.updateProps({ ...props, options: { ...this.__internal_getOptions(), ...props?.options } }));
      },
    },
    __internal_openReverification: { value(props?: Raw) { void controls(this)?.then((c) => c?.openModal('userVerification', props ?? {})); } },
    __internal_closeReverification: { value() { void controls(this)?.then((c) => c?.closeModal('userVerification')); } },
    __experimental_prefetchOrganizationSwitcher: { value() { void controls(this)?.then((c) => c?.prefetch('organizationSwitcher')); } },
    /** The version of the hosted @clerk/ui (its constructor's), when one was given. */
    uiVersion: {
      get() {
        const ctor = (globalThis as Raw).__internal_ClerkUICtor ?? ctorOf(this.__internal_getOptions());
        return ctor instanceof Promise ? undefined : ctor?.version;
      },
    },
    sdkMetadata: {
      get() {
        return this.__internal_getOption('sdkMetadata') ?? { name: '@clerk/clerk-js', version: this.version, environment: 'production' };
      },
      set(metadata) {
        this.__internal_getOptions().sdkMetadata = metadata;
      },
    },
    /** Clerk's telemetry is not collected here: a collector that records nothing; `telemetry: false` leaves none, as clerk-js. */
    telemetry: {
      get() {
        return this.__internal_getOption('telemetry') === false ? undefined : TELEMETRY;
      },
    },
    isSatellite: {
      get() {
        const s = this.__internal_getOption('isSatellite');
        return typeof s === 'function' ? !!s(new URL(location.href)) : !!s;
      },
    },
    domain: {
      get() {
        const d = this.__internal_getOption('domain');
        const value = String((typeof d === 'function' ? d(new URL(location.href)) : d) ?? '').replace(/^https?:\/\//, '');
        return this.instanceType === 'production' && value && !value.startsWith('clerk.') ? 'clerk.' + value : value;
      },
    },
    // clerk-js's options default it to true.
    isStandardBrowser: { get() { return this.__internal_getOption('standardBrowser') !== false; } },
    // Billing and API keys are not served: the UI's hooks find their namespaces, and every
    // list is empty (they only show when the environment enables them).
    billing: { get: () => NONE },
    apiKeys: { get: () => NONE },
    navigate: {
      value(this: any, to: string | undefined, options?: Raw) {
        for (const listener of [...(listeners.get(this) ?? [])]) listener();
        return navigate.call(this, to, options);
      },
    },
    setActive: {
      async value(this: any, params: Raw) {
        this.__internal_setActiveInProgress = true;
        try {
          return await setActive.call(this, params);
        } finally {
          this.__internal_setActiveInProgress = false;
        }
      },
    },
    load: {
      value(this: any, options?: Raw) {
        hostUI(this, { ...this.__internal_getOptions(), ...options });
        return load.call(this, options);
      },
    },
  };
  for (const [name, d] of Object.entries(members)) Object.defineProperty(prototype, name, { configurable: true, ...d, ...('value' in d ? { writable: true } : {}) });
}

const NONE = new Proxy({}, { get: () => async () => ({ data: [], total_count: 0 }) });
const TELEMETRY = Object.freeze({ isEnabled: false, isDebug: false, record() {}, recordLog() {} });
