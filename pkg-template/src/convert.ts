// Frontend API JSON as clerk-js shows it: camelCase keys and `*_at` timestamps as Dates. The
// contents of metadata fields belong to the app and keep their keys.

const OPAQUE = ['public_metadata', 'private_metadata', 'unsafe_metadata', 'meta'];
export const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function convert(value: unknown, rename: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[rename ? camel(key) : key] =
      rename && typeof v === 'number' && key.endsWith('_at') ? new Date(v) : convert(v, rename && !OPAQUE.includes(key));
  }
  return out;
}

const views = new WeakMap<object, any>();

/** The converted view of a snapshot object, made once per snapshot (so reads are stable). */
export function view(raw: unknown): any {
  if (raw === null || typeof raw !== 'object') return raw ?? null;
  let v = views.get(raw);
  if (v === undefined) views.set(raw, (v = convert(raw, true)));
  return v;
}

export const date = (ms: unknown): Date | null => (typeof ms === 'number' ? new Date(ms) : null);

/**
 * A verification as clerk-js's `Verification` shows it: always an object (its fields `null`
 * when the server sent none), the redirect as a `URL` under clerk-js's name
 * `externalVerificationRedirectURL`, the expiry as a Date.
 */
export function verification(raw: any): any {
  const v = raw ?? {};
  const to = v.external_verification_redirect_url;
  return {
    status: v.status ?? null,
    strategy: v.strategy ?? null,
    nonce: v.nonce || null,
    message: v.message || null,
    externalVerificationRedirectURL: to ? new URL(to) : null,
    attempts: v.attempts ?? null,
    expireAt: date(v.expire_at),
    error: v.error ? view(v.error) : null,
    verifiedAtClient: v.verified_at_client ?? null,
  };
}

/**
 * Vue's reactive() (and @clerk/vue's resources, which are reactive) wraps the objects it is given
 * in Proxies, and a getter reached through a Proxy cannot read its class's #private fields (clerk-js
 * has none, so it never met this). A prototype marked `__v_skip` (what Vue's markRaw sets) is left
 * unwrapped, and the app reads the objects themselves.
 */
export function keepRaw(of: abstract new (...args: never[]) => object): void {
  Object.defineProperty(of.prototype, '__v_skip', { value: true });
}

/**
 * Every method of `object` (its class's and their parents'), bound to it as an own (not
 * enumerable) property: clerk-js's are arrow properties, and Clerk's UI and SDKs call them
 * unbound (`const { setActive } = clerk`, `user.getSessions`).
 */
export function bindMethods(object: object): void {
  for (let p = Object.getPrototypeOf(object); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (typeof d.value === 'function' && name !== 'constructor' && !Object.hasOwn(object, name)) {
        Object.defineProperty(object, name, { value: d.value.bind(object), configurable: true, writable: true });
      }
    }
  }
}
