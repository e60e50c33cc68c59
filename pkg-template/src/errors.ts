// Errors as clerk-js throws them: `Error`s with `clerkError`, `code`, `longMessage`, `meta`,
// `status` and `errors[]`. The engine decides every field; this only builds the object. An error
// the server answered is a `ClerkAPIResponseError` (its constructor's `kind` is what
// @clerk/shared's `isClerkAPIResponseError` checks across bundles), and `meta` keys are
// camelCase (`paramName`), as clerk-js's ClerkAPIError shows them.

import { camel } from './convert';

export interface ClerkAPIError {
  code: string;
  message: string;
  longMessage?: string;
  meta: Record<string, unknown>;
}

export interface ErrorJson {
  code: string;
  message: string;
  long_message: string | null;
  meta: Record<string, unknown>;
  status: number | null;
  retry_after: number | null;
  errors: Array<{ code: string; message: string; long_message: string | null; meta: Record<string, unknown> }>;
}

const metaOf = (meta: Record<string, unknown>) => Object.fromEntries(Object.entries(meta ?? {}).map(([k, v]) => [camel(k), v]));

export class ClerkError extends Error {
  static kind = 'ClerkError';
  override name: 'ClerkAPIResponseError' | 'ClerkError';
  readonly clerkError = true as const;
  readonly code: string;
  readonly longMessage?: string;
  readonly meta: Record<string, unknown>;
  /** HTTP status, when the error came from the server. */
  readonly status?: number;
  /** Seconds to wait before retrying (429/503 with Retry-After). */
  readonly retryAfter?: number;
  readonly errors: ClerkAPIError[];

  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(json: ErrorJson) {
    super(json.message);
    this.name = json.status === null ? 'ClerkError' : 'ClerkAPIResponseError';
    this.code = json.code;
    if (json.long_message !== null) this.longMessage = json.long_message;
    this.meta = metaOf(json.meta);
    if (json.status !== null) this.status = json.status;
    if (json.retry_after !== null) this.retryAfter = json.retry_after;
    this.errors = json.errors.map((e) => {
      const item: ClerkAPIError = { code: e.code, message: e.message, meta: metaOf(e.meta) };
      if (e.long_message !== null) item.longMessage = e.long_message;
      return item;
    });
  }
}

/** An error the server answered (it has a `status`). */
export class ClerkAPIResponseError extends ClerkError {
  static override kind = 'ClerkAPIResponseError';
}

/** The error for `json`: an API response error when the server answered. */
export const makeError = (json: ErrorJson) => new (json.status === null ? ClerkError : ClerkAPIResponseError)(json);

/** What the engine threw or rejected with (its error JSON) as a ClerkError; anything else as is. */
export function toError(thrown: unknown): unknown {
  return typeof thrown === 'string' && thrown.startsWith('{') ? makeError(JSON.parse(thrown)) : thrown;
}

export type Fail = typeof fail;

/** A ClerkError made in the object layer (no request was made: no status), shaped as the engine's. */
export const fail = (code: string, message: string, meta: Record<string, unknown> = {}) =>
  new ClerkError({ code, message, long_message: message, meta, status: null, retry_after: null, errors: [{ code, message, long_message: message, meta }] });
