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
