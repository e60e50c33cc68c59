// The object layer's link to one engine: calls and queries (JSON in, JSON out, typed errors),
// the current snapshot (re-read lazily after the engine says it changed) and the objects made
// from it, so `clerk.session === clerk.client.sessions[0]` within one state.

import { Call, type Engine, Query } from './engine';
import { toError } from './errors';
import { once } from './resource';
import { Organization } from './organization';
import { Client } from './client';
import { Session } from './session';

export interface RawSession {
  id: string;
  status: string;
  user: Record<string, unknown> | null;
  last_active_token: { jwt: string | null } | null;
  [key: string]: unknown;
}

export interface RawClient {
  id: string;
  sessions: RawSession[];
  signed_in_session_ids: string[];
  sign_in: Record<string, unknown> | null;
  sign_up: Record<string, unknown> | null;
  [key: string]: unknown;
}

interface Snapshot {
  version: number;
  loaded: boolean;
  resources: null | { session: string | null; organization: Record<string, unknown> | null };
  client: RawClient | null;
  known_sessions: RawSession[];
}

interface State extends Snapshot {
  sessions: Map<string, Session>;
  clientObject?: Client;
}

// An engine whose Clerk (and every object of it) was garbage-collected is disposed and freed.
const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Engine>((engine) => {
  engine.dispose();
  engine.free();
}) : undefined;

export class Core {
  readonly engine: Engine;
  /** The Clerk this link belongs to, weakly (the Clerk holds this; see future.ts's ownCore). */
  owner?: WeakRef<object>;
  #state?: State;
  #disposed = false;

  constructor(engine: Engine) {
    this.engine = engine;
    // Weakly: the engine (in wasm) must not keep this object alive.
    const self = new WeakRef(this);
    engine.observe(() => self.deref()?.invalidate());
    registry?.register(this, engine, this);
  }

  invalidate(): void {
    this.#state = undefined;
  }

  get state(): State {
    if (!this.#state) {
      const snapshot: Snapshot = JSON.parse(this.query(Query.Snapshot));
      this.#state = { ...snapshot, sessions: new Map() };
    }
    return this.#state;
  }

  // Not async: the driver's promise is returned as it is (its rejections are ClerkErrors
  // already), which spares every getToken() a promise and a microtask.
  call(op: Call, args: unknown, beforeEmit?: (sessionId: string | null) => unknown): Promise<any> {
    try {
      return this.engine.call(op, JSON.stringify(args) ?? 'null', beforeEmit);
    } catch (e) {
      return Promise.reject(toError(e));
    }
  }

  query(op: Query, args: unknown = {}): any {
    try {
      const text = this.engine.query(op, JSON.stringify(args) ?? 'null');
      return op === Query.Snapshot ? text : JSON.parse(text);
    } catch (e) {
      throw toError(e);
    }
  }

  /** The Session object for `id` in this state; `fallback` is what it shows once forgotten. */
  session(id: string, fallback?: RawSession): Session | null {
    const state = this.state;
    let object = state.sessions.get(id);
    if (!object) {
      const raw = this.rawSession(id) ?? fallback;
      if (!raw) return null;
      state.sessions.set(id, (object = new Session(this, id, raw)));
    }
    return object;
  }

  rawSession(id: string): RawSession | undefined {
    const state = this.state;
    return state.client?.sessions.find((s) => s.id === id) ?? state.known_sessions.find((s) => s.id === id);
  }

  client(): Client | undefined {
    const state = this.state;
    if (!state.client) return undefined;
    return (state.clientObject ??= new Client(this));
  }

  /** `{client, session, user, organization}`, with `undefined` and `null` as clerk-js uses them. */
  resources() {
    const { resources } = this.state;
    const client = this.client();
    if (!resources) return { client, session: undefined, user: undefined, organization: undefined };
    const session = resources.session === null ? null : this.session(resources.session);
    const raw = resources.organization;
    const organization = raw === null ? null : once(raw, () => new Organization(this, raw));
    return { client, session, user: session ? session.user : null, organization };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    registry?.unregister(this);
    this.engine.dispose();
  }
}
