// The engine's host (issue 23): the wasm decides everything and performs nothing; this file
// performs what it commands (fetch, timers, localStorage, other tabs, beforeEmit, settling
// calls) and feeds back what came of it, each input with the time. It holds
// no protocol rule: which request, when to retry, what an answer means are the engine's.
//
//   call(op) ──▶ raw.call ──▶ commands ──▶ perform ──▶ fetch … ──▶ raw.response ──▶ commands …
//
// The command numbers are the engine's `Command` (src/engine/port.rs).

import { makeError, type ErrorJson } from './errors';
import { Query } from './ops';

/** The wasm export (src/wasm/engine.rs): inputs in, commands out as JSON text ('' for none). */
export interface RawEngine {
  call(now: number, id: number, op: number, args: string, hasBeforeEmit: boolean): string;
  response(now: number, id: number, status: number, body: string, dbJwt?: string, retryAfter?: string): string;
  failure(now: number, id: number, message: string): string;
  timer(now: number, id: number): string;
  beforeEmitSettled(now: number, slot: number, error?: string): string;
  tabMessage(now: number, message: string): string;
  take(): string;
  query(now: number, op: number, args: string): string;
  listen(listener: () => void): number;
  unlisten(id: number): void;
  observe(onChange: () => void): void;
  dispose(): string;
  free(): void;
}

/** What the page lends the engine synchronously (src/wasm/host.rs). */
export interface Host {
  readonly origin: string | undefined;
  readStorage(key: string): string | undefined;
  readCookies(): string | undefined;
  writeCookie(assignment: string): void;
  page(): string | undefined;
  /** 1 focused, 2 visible, 3 hidden, 0 without a document (read when a token is requested). */
  tabState(): number;
}

const hasDocument = typeof document === 'object';

export const pageHost: Host = {
  get origin() {
    return globalThis.location?.origin;
  },
  readStorage(key) {
    try {
      return localStorage.getItem(key) ?? undefined;
    } catch {
      return undefined; // storage refused (private modes, sandboxed frames): it is a cache
    }
  },
  readCookies: () => (hasDocument ? document.cookie : undefined),
  writeCookie(assignment) {
    if (hasDocument) document.cookie = assignment;
  },
  page() {
    if (!hasDocument) return undefined;
    // `Secure` over http too in a secure context (http://localhost), but not in Safari, which
    // refuses it there (clerk-js's getSecureAttribute).
    const secure = globalThis.isSecureContext === true && (globalThis as { safari?: unknown }).safari === undefined;
    return JSON.stringify([location.host, location.hostname, location.protocol === 'https:', secure]);
  },
  // clerk-js's tab state: focused when the document has focus, else its visibility.
  tabState: () => (!hasDocument ? 0 : document.hasFocus() ? 1 : document.visibilityState === 'visible' ? 2 : 3),
};

const messageOf = (e: unknown) => (e instanceof Error ? e.message : typeof e === 'string' ? e : '') || undefined;

export type Fetch = (url: string, init: RequestInit) => Promise<Pick<Response, 'status' | 'text' | 'headers'>>;

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  beforeEmit?: (sessionId: string | null) => unknown;
}

/** One engine and the I/O it commands. The object layer sees only `call` and the queries. */
export class Driver {
  readonly #raw: RawEngine;
  readonly #fetch?: Fetch;
  readonly #calls = new Map<number, PendingCall>();
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #channel?: BroadcastChannel;
  #nextCall = 0;
  /** Freed: the wasm instance is gone, so late answers have nowhere to go. */
  #freed = false;
  /** What the engine left when it retired (its `Retire` command): its last snapshot and the
   * error every later call and query gets. */
  #retired?: { snapshot: string; error: ErrorJson };
  /** The last string a call resolved with, which the engine's `Again` repeats. */
  #lastString = '';

  /** `fetch` replaces the global one (the project's browser tests script the Frontend API). */
  constructor(raw: RawEngine, publishableKey: string, fetch?: Fetch) {
    this.#raw = raw;
    this.#fetch = fetch;
    if (typeof BroadcastChannel === 'function') {
      const channel = (this.#channel = new BroadcastChannel(`clerk-rs:${publishableKey}`));
      channel.onmessage = (event) => {
        if (typeof event.data === 'string') this.#input((r, now) => r.tabMessage(now, event.data));
      };
    }
  }

  call(op: number, args: string, beforeEmit?: (sessionId: string | null) => unknown): Promise<any> {
    if (this.#retired) return Promise.reject(makeError(this.#retired.error));
    const id = ++this.#nextCall;
    const settled = new Promise((resolve, reject) => this.#calls.set(id, { resolve, reject, beforeEmit }));
    // Not through #input: this is every getToken()'s path, and a closure less counts there.
    this.#perform(this.#raw.call(Date.now(), id, op, args, beforeEmit !== undefined));
    return settled;
  }

  query(op: number, args: string): string {
    if (!this.#retired) {
      const answer = this.#raw.query(Date.now(), op, args);
      // A query that changed the client (resetSignIn) may have commanded something: a state
      // for the other tabs, the refresh timer.
      if (op !== Query.Snapshot) this.#perform(this.#raw.take());
      return answer;
    }
    if (op === Query.Snapshot) return this.#retired.snapshot;
    throw makeError(this.#retired.error);
  }

  listen(listener: () => void): number {
    if (this.#retired) return 0; // a disposed instance emits nothing
    const id = this.#raw.listen(listener);
    this.#perform(this.#raw.take()); // a listener called at once may have called in
    return id;
  }

  unlisten(id: number): void {
    if (!this.#retired) this.#raw.unlisten(id);
  }

  observe(onChange: () => void): void {
    if (!this.#retired) this.#raw.observe(onChange);
  }

  /** The engine rejects what is under way and retires; its memory is freed at once. */
  dispose(): void {
    if (this.#freed) return;
    // Its commands reject the calls under way, cancel every timer and retire the engine.
    this.#perform(this.#raw.dispose());
    if (this.#retired) this.free();
    if (this.#channel) {
      this.#channel.onmessage = null;
      this.#channel.close();
    }
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#raw.free();
  }

  /** One input, with the time; then what it commanded. */
  #input(input: (raw: RawEngine, now: number) => string): void {
    if (!this.#freed) this.#perform(input(this.#raw, Date.now()));
  }

  #perform(commands: string): void {
    if (!commands) return;
    for (const c of JSON.parse(commands) as any[]) {
      switch (c[0]) {
        case 0:
          this.#send(c[1], c[2] === 1, c[3], c[4], c[5], c[6] === 1);
          break;
        case 1: {
          const id: number = c[1];
          this.#timers.set(id, setTimeout(() => {
            this.#timers.delete(id);
            this.#input((r, now) => r.timer(now, id));
          }, c[2]));
          break;
        }
        case 2:
          clearTimeout(this.#timers.get(c[1]));
          this.#timers.delete(c[1]);
          break;
        case 3:
          try {
            if (c[2] === null) localStorage.removeItem(c[1]);
            else localStorage.setItem(c[1], c[2]);
          } catch {
            // refused (quota, private mode): storage is a cache
          }
          break;
        case 4:
          try {
            this.#channel?.postMessage(c[1]);
          } catch {
            // closed: this instance was disposed
          }
          break;
        case 5:
          this.#beforeEmit(c[1], c[2], c[3]);
          break;
        case 8:
          this.#retired = { snapshot: c[1], error: c[2] };
          break;
        default: {
          // 6 Resolve, 9 the same string as the last string resolved (a cached token), 7 Reject.
          const call = this.#calls.get(c[1]);
          this.#calls.delete(c[1]);
          if (c[0] === 7) call?.reject(makeError(c[2] as ErrorJson));
          else {
            if (c[0] === 6 && typeof c[2] === 'string') this.#lastString = c[2];
            call?.resolve(c[0] === 6 ? c[2] : this.#lastString);
          }
        }
      }
    }
  }

  #send(id: number, post: boolean, url: string, type: string | null, body: string | null, bytes: boolean): void {
    const init: RequestInit = { method: post ? 'POST' : 'GET', credentials: 'include' };
    if (post && body !== null) {
      init.headers = { 'Content-Type': type! };
      init.body = bytes ? Uint8Array.from(body, (ch) => ch.charCodeAt(0)) : body;
    }
    (this.#fetch ?? fetch)(url, init)
      .then((response) => response.text().then((text) => ({ response, text })))
      .then(
        ({ response, text }) => {
          const header = (name: string) => response.headers.get(name) ?? undefined;
          this.#input((r, now) => r.response(now, id, response.status, text, header('clerk-db-jwt'), header('retry-after')));
        },
        (e) => this.#input((r, now) => r.failure(now, id, messageOf(e) ?? 'fetch failed')),
      );
  }

  /** Runs call `id`'s beforeEmit at once and tells the engine when it settled. */
  #beforeEmit(slot: number, id: number, session: string | null): void {
    let settled: Promise<unknown>;
    try {
      settled = Promise.resolve(this.#calls.get(id)?.beforeEmit?.(session));
    } catch (e) {
      settled = Promise.reject(e);
    }
    settled.then(
      () => this.#input((r, now) => r.beforeEmitSettled(now, slot)),
      (e) => this.#input((r, now) => r.beforeEmitSettled(now, slot, messageOf(e) ?? 'beforeEmit failed')),
    );
  }
}
