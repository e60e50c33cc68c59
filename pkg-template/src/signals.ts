// clerk-js's signal state (`clerk.__internal_state`), which @clerk/react 6's default `useSignIn()`,
// `useSignUp()` and `useWaitlist()` read through `__internal_effect` and the `*Signal()` getters.
// clerk-js uses alien-signals; this is a small hand-written signal/computed/effect with the same
// semantics for what the hooks do (a computed is cached until a signal it read is written; an
// effect runs at once and again, synchronously, after every such write), ~0.3 KB gzip instead
// of ~2 KB.

import type { ClerkError } from './errors';
import { camel } from './convert';

interface Source {
  subs: Set<Sub>;
}
interface Sub {
  deps: Set<Source>;
  dirty(): void;
}

let current: Sub | undefined;

const track = (source: Source) => {
  if (current) {
    source.subs.add(current);
    current.deps.add(source);
  }
};
const untrack = (sub: Sub) => {
  for (const d of sub.deps) d.subs.delete(sub);
  sub.deps.clear();
};
const notify = (source: Source) => {
  for (const s of [...source.subs]) s.dirty();
};

/** Runs `fn` with `sub` collecting what it reads. */
function run<T>(sub: Sub, fn: () => T): T {
  untrack(sub);
  const previous = current;
  current = sub;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

export type Signal<T> = { (): T; (value: T): void };

/** `s()` reads (and is tracked); `s(value)` writes and re-runs what read it. */
export function signal<T>(value: T): Signal<T> {
  const source: Source = { subs: new Set() };
  return function (...args: [T?]) {
    if (!args.length) {
      track(source);
      return value;
    }
    if (!Object.is(value, args[0])) {
      value = args[0] as T;
      notify(source);
    }
  } as Signal<T>;
}

/** A value derived from signals, computed when read after one of them changed. */
export function computed<T>(fn: () => T): () => T {
  const source: Source = { subs: new Set() };
  let stale = true;
  let value: T;
  const sub: Sub = {
    deps: new Set(),
    dirty() {
      if (!stale) {
        stale = true;
        notify(source);
      }
    },
  };
  return () => {
    if (stale) {
      value = run(sub, fn);
      stale = false;
    }
    track(source);
    return value;
  };
}

/** Runs `fn` now and after every change of what it read; returns the function that stops it. */
export function effect(fn: () => void): () => void {
  const sub: Sub = { deps: new Set(), dirty: () => run(sub, fn) };
  run(sub, fn);
  return () => {
    untrack(sub);
    sub.dirty = () => {};
  };
}

/** clerk-js's `errors` of a signal: field errors by parameter name, the raw list, the rest as global. */
export interface Errors {
  fields: Record<string, unknown>;
  raw: unknown[] | null;
  global: unknown[] | null;
}

const FIELDS = {
  signIn: ['identifier', 'password', 'code'],
  signUp: ['firstName', 'lastName', 'emailAddress', 'phoneNumber', 'password', 'username', 'code', 'captcha', 'legalAccepted'],
  waitlist: ['emailAddress'],
};
export type Kind = keyof typeof FIELDS;

/** An API error (from the server) as @clerk/shared's `isClerkAPIResponseError` tells it. */
const isApi = (e: any) => (e?.constructor as { kind?: string } | undefined)?.kind === 'ClerkAPIResponseError';

/** As clerk-js's createClerkGlobalHookError: the error with its two type guards as methods. */
const globalError = (e: any) =>
  Object.assign(e, { isClerkAPIResponseError: () => isApi(e), isClerkRuntimeError: () => !isApi(e) });

/** clerk-js's errorsToParsedErrors. */
export function parseErrors(kind: Kind, error: any): Errors {
  const parsed: Errors = { fields: Object.fromEntries(FIELDS[kind].map((f) => [f, null])), raw: null, global: null };
  if (!error) return parsed;
  const items: any[] = isApi(error) ? error.errors : [];
  const isField = (e: any) => e?.meta?.paramName !== undefined;
  if (items.some(isField)) {
    parsed.raw = [];
    for (const item of items) {
      parsed.raw.push(item);
      const name = isField(item) && camel(item.meta.paramName);
      if (name && name in parsed.fields) parsed.fields[name] = item;
    }
  } else {
    parsed.raw = [error];
    parsed.global = [globalError(error)];
  }
  return parsed;
}

type Fetch = { status: 'idle' | 'fetching' };

/** The three signals of one resource (clerk-js's `*ResourceSignal`, `*ErrorSignal`, `*FetchSignal`) and their computed value. */
export interface Slot<R> {
  resource: Signal<{ resource: R | null }>;
  error: Signal<{ error: ClerkError | null }>;
  fetch: Signal<Fetch>;
  value: () => unknown;
}

/** The resource shown is the future itself (clerk-js shows `resource.__internal_future`). */
function slot<R>(kind: Kind): Slot<R> {
  const resource = signal<{ resource: R | null }>({ resource: null });
  const error = signal<{ error: ClerkError | null }>({ error: null });
  const fetch = signal<Fetch>({ status: 'idle' });
  const value = computed(() => {
    const r = resource().resource;
    return { errors: parseErrors(kind, error().error), fetchStatus: fetch().status, [kind]: r };
  });
  return { resource, error, fetch, value };
}

/** `clerk.__internal_state`: the members @clerk/react reads, named as clerk-js names them. */
export class State {
  readonly __internal_effect = effect;
  readonly __internal_computed = computed;
  readonly signIn: Slot<any>;
  readonly signUp: Slot<any>;
  readonly waitlist: Slot<any>;
  [member: string]: unknown;

  /** Made by the library; apps get it as `clerk.__internal_state`. */
  constructor() {
    this.signIn = slot('signIn');
    this.signUp = slot('signUp');
    this.waitlist = slot('waitlist');
    for (const kind of ['signIn', 'signUp', 'waitlist'] as const) {
      const s = this[kind];
      this[kind + 'ResourceSignal'] = s.resource;
      this[kind + 'ErrorSignal'] = s.error;
      this[kind + 'FetchSignal'] = s.fetch;
      this[kind + 'Signal'] = s.value;
    }
  }

  get __internal_waitlist(): unknown {
    return this.waitlist.resource().resource;
  }
}

/**
 * clerk-js's runAsyncResourceTask: errors cleared and `fetching`, the task, its error (if any),
 * then `idle`. Resolves to `{error}`; never rejects.
 */
export async function task(s: Slot<any>, fn: () => Promise<unknown>): Promise<{ error: ClerkError | null }> {
  s.error({ error: null });
  s.fetch({ status: 'fetching' });
  try {
    await fn();
    return { error: null };
  } catch (error: any) {
    s.error({ error });
    return { error };
  } finally {
    s.fetch({ status: 'idle' });
  }
}
