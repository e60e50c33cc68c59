// The base of every account and organization resource (User, EmailAddress, Organization, …):
// clerk-js's fields from the Frontend API's JSON (camelCase, Dates), nested resources as objects
// of their own classes, and methods bound to the object (Clerk's UI calls `user.getSessions`
// unbound). A method names its request as data (verb, path, fields) and sends it through the
// engine's one generic operation (`Call.Resource`): the protocol is the engine's.

import { Call } from './engine';
import type { Core } from './core';
import { bindMethods, camel, keepRaw, verification, view } from './convert';

export type Raw = Record<string, any>;
type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** A nested resource's class, made from its JSON. */
type Make = (core: Core, raw: Raw) => unknown;

export interface Paginated<T> {
  data: T[];
  total_count: number;
}

/** clerk-js's `{ initialPage, pageSize }` (1-based pages, default 10 items) plus a list's filters. */
export interface PageParams {
  initialPage?: number;
  pageSize?: number;
  [filter: string]: unknown;
}

/** What a `DELETE` answers: clerk-js's `DeletedObject`. */
export interface DeletedObject {
  object: string;
  id?: string;
  slug?: string;
  deleted: boolean;
}

/**
 * The engine link of an object that outlives its state, held weakly: a strong one would keep
 * the engine alive until a major GC (wasm memory then grew by every instance an app re-created).
 */
export function weakCore(core: Core): () => Core {
  const ref = new WeakRef(core);
  return () => {
    const live = ref.deref();
    if (!live) throw new Error('clerk-rs: this object belongs to a Clerk that no longer exists');
    return live;
  };
}

export function send(core: Core, verb: Verb, path: string[], params?: unknown, extra?: object): Promise<any> {
  return core.call(Call.Resource, { verb, path, params, ...extra });
}

/** A file as the engine takes it: a string is sent as it is; a Blob's bytes travel as code points 0–255. */
export async function fileArg(file: Blob | string): Promise<unknown> {
  if (typeof file === 'string') return file;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return { name: (file as File).name, type: file.type, bytes: text };
}

/** One page of a list, each item made by `make`: clerk-js's pages become limit and offset. */
export async function page<T>(core: Core, path: string[], make: (core: Core, raw: Raw) => T, params?: PageParams): Promise<Paginated<T>> {
  const { initialPage = 1, pageSize = 10, ...filters } = params ?? {};
  const query = { ...filters, paginated: true, limit: pageSize, offset: (initialPage - 1) * pageSize };
  const answer = await send(core, 'GET', path, undefined, { query, list: true });
  return { data: answer.data.map((raw: Raw) => make(core, raw)), total_count: answer.total_count };
}

const made = new WeakMap<object, unknown>();

const getterNames = new WeakMap<object, Set<string>>();

/** The names a resource's class computes (getters such as `fullName`), found once per class. */
function getters(object: object): Set<string> {
  const own = Object.getPrototypeOf(object);
  let names = getterNames.get(own);
  if (!names) {
    getterNames.set(own, (names = new Set()));
    for (let proto = own; proto !== Resource.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) if (d.get) names.add(name);
    }
  }
  return names;
}

/** The object for a snapshot's JSON, made once per snapshot (so reads are stable within a state). */
export function once<T>(raw: Raw | null | undefined, make: () => T): T | null {
  if (!raw) return null;
  let object = made.get(raw) as T | undefined;
  if (object === undefined) made.set(raw, (object = make()));
  return object;
}

/** How a method answers: `this` with the server's newer word, nothing, the answer as plain data, or objects made from it. */
export const THIS = 0, VOID = 1, DATA = 2;
/**
 * A method as data: its verb; its path after the resource's own (segments `/`-separated, a
 * `:name` segment taken from the argument's field, or the argument itself when it is a
 * string); what it answers (`[make]`: a paginated list of objects); the request's fields, when
 * they are not the argument as the app gave it.
 */
export type Spec = [verb: Verb, path: string, result: typeof THIS | typeof VOID | typeof DATA | Make | [Make], fields?: (params: any) => unknown];

/** Installs `table`'s methods on `C`'s prototype, each request under `base(object)`'s path. */
export function define(C: { prototype: object }, base: (self: any) => string[], table: Record<string, Spec>): void {
  for (const [name, [verb, path, result, fields]] of Object.entries(table)) {
    (C.prototype as Raw)[name] = async function (this: Resource, arg?: any) {
      const core = this.core();
      const segments = [...base(this), ...(path ? path.split('/') : [])].map((s) =>
        s[0] === ':' ? String(typeof arg === 'string' ? arg : arg?.[s.slice(1)]) : s,
      );
      if (Array.isArray(result)) return page(core, segments, result[0], arg);
      const answer = await send(core, verb, segments, fields ? fields(arg ?? {}) : typeof arg === 'string' ? undefined : arg);
      if (result === THIS) return this.read(answer);
      if (result === VOID) return undefined;
      if (result === DATA) return { ...view(answer) };
      return Array.isArray(answer) ? answer.map((raw) => result(core, raw)) : result(core, answer);
    };
  }
}

export abstract class Resource {
  readonly #core: () => Core;
  declare readonly id: string;

  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core, raw: Raw) {
    this.#core = weakCore(core);
    // Bound once, not enumerable: the object still reads as its fields.
    bindMethods(this);
    this.read(raw);
  }

  /** Nested resources by their JSON key (`email_addresses` → EmailAddress). */
  protected nested(): Partial<Record<string, Make>> {
    return {};
  }

  /**
   * @internal Takes the server's newer word on this resource, in place as clerk-js's `fromJSON`:
   * the fields of `raw`, nested resources made as their classes.
   */
  read(raw: Raw | null): this {
    if (!raw) return this;
    const nested = this.nested();
    const core = this.core();
    const converted = view(raw) as Raw;
    const computed = getters(this);
    for (const [key, value] of Object.entries(raw)) {
      const make = nested[key];
      const name = camel(key);
      // What the class computes (a getter such as `fullName`) stays computed.
      if (computed.has(name)) continue;
      (this as Raw)[name] = key === 'verification' ? verification(value) : make && value ? (Array.isArray(value) ? value.map((r: Raw) => make(core, r)) : make(core, value)) : converted[name];
    }
    return this;
  }

  /** @internal The engine this object belongs to. */
  core(): Core {
    return this.#core();
  }
}

// Vue's reactive Proxies cannot reach #private fields: every resource is left unwrapped.
keepRaw(Resource);
