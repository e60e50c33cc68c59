// The redirect flows, shaped as clerk-js's: OAuth (`authenticateWithRedirect`, then
// `handleRedirectCallback` on the page the provider comes back to) and email links
// (`createEmailLinkFlow` in the waiting tab, `handleEmailLinkVerification` on the link's page).
// Each is a few engine calls in order; the server decides every status, and the environment
// `load()` fetched says which strategies may be tried at all. Written for size: every byte here
// ships in the package (.ci/size-budget).

import { Call, Query } from './ops';
import type { Core } from './core';
import type { Fail } from './errors';
import type { SignIn, SignUp } from './attempts';

type Raw = Record<string, any>;
export type Navigate = (to: string) => unknown;
type SetActive = (session: string) => Promise<void>;

export interface AuthenticateWithRedirectParams {
  strategy: string;
  /** The page the provider comes back to, where the app calls `handleRedirectCallback()`. */
  redirectUrl: string;
  /** Where `handleRedirectCallback()` goes once signed in. */
  redirectUrlComplete?: string;
  [key: string]: unknown;
}

export interface HandleRedirectCallbackParams {
  /** Where to go once signed in; default: the `redirectUrlComplete` the flow started with. */
  redirectUrl?: string;
  /** `false`: a new external account is an error instead of a sign-up. */
  transferable?: boolean;
}

export interface HandleEmailLinkVerificationParams {
  /** Where to go when the link signed this browser in. */
  redirectUrlComplete?: string;
  /** Where to go when this browser still has a step to take (a second factor). */
  redirectUrl?: string;
  /** Called when the link was opened on another device or browser. */
  onVerifiedOnOtherDevice?: () => void;
}

const KEY = 'clerk-rs:redirect-complete';

// Given by lazy.ts when this chunk loads: importing errors.ts here would make esbuild split it
// (and what it imports) into a third file that index.js then fetches before load().
let fail: Fail;
export const init = (f: Fail) => void (fail = f);

/** Refuses, without asking the server, a strategy the environment does not enable: the error
 * the server would answer. An environment that says nothing allows everything, as in clerk-js. */
function gate(core: Core, strategy: string): void {
  const s = (core.query(Query.Environment) as Raw | null)?.user_settings;
  if (s && !(strategy.startsWith('oauth_') ? s.social?.[strategy]?.enabled : s.attributes?.email_address?.first_factors?.includes(strategy))) {
    throw fail('form_param_value_invalid', strategy + ' does not match one of the allowed values for parameter strategy', { paramName: 'strategy' });
  }
}

const absolute = (url: unknown) => (typeof url === 'string' ? new URL(url, location.href).href : url);

/** A step of sessionStorage that may be off (then only params say where to go). */
function stored(value?: unknown): string | undefined {
  try {
    if (value === undefined) {
      const v = sessionStorage.getItem(KEY) ?? undefined;
      sessionStorage.removeItem(KEY);
      return v;
    }
    sessionStorage.setItem(KEY, value as string);
  } catch {}
}

/** `signIn/signUp.authenticateWithRedirect`: the attempt with the strategy, then off to the provider. */
export async function authenticateWithRedirect(core: Core, attempt: SignIn | SignUp, params: AuthenticateWithRedirectParams): Promise<void> {
  const { strategy, redirectUrl, redirectUrlComplete, ...rest } = params ?? {};
  if (typeof strategy !== 'string' || typeof redirectUrl !== 'string') throw fail('invalid_argument', 'authenticateWithRedirect needs {strategy, redirectUrl}');
  gate(core, strategy);
  const complete = absolute(redirectUrlComplete);
  const made: Raw = await attempt.create({ ...rest, strategy, redirectUrl: absolute(redirectUrl), actionCompleteRedirectUrl: complete });
  const v = made.firstFactorVerification ?? made.verifications?.externalAccount;
  if (v?.status !== 'unverified' || !v.externalVerificationRedirectUrl) throw fail('unexpected_response', 'No provider URL in the answer');
  stored(complete ?? '');
  location.assign(v.externalVerificationRedirectUrl);
}

/** `createEmailLinkFlow()`: prepare, then reload the attempt every second (as clerk-js polls)
 * until the link is opened (`verified`) or too late (`expired`). */
export function createEmailLinkFlow<T extends { reload(): Promise<unknown> }>(
  core: Core,
  prepare: (params: Raw) => Promise<T>,
  done = (now: Raw) => /^(verified|expired|transferable)$/.test((now.firstFactorVerification ?? now.verifications?.emailAddress)?.status),
) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Like clerk-js's, a cancelled wait never settles.
  const cancelEmailLinkFlow = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const startEmailLinkFlow = async ({ emailAddressId, redirectUrl }: { emailAddressId?: string; redirectUrl: string }): Promise<T> => {
    gate(core, 'email_link');
    const prepared = await prepare({ strategy: 'email_link', emailAddressId, redirectUrl: absolute(redirectUrl) });
    return new Promise<T>((resolve, reject) => {
      const poll = () => {
        const me = (timer = setTimeout(() => (prepared.reload() as Promise<T>).then((now: Raw) => {
          if (timer !== me) return;
          if (done(now)) resolve(now as T);
          else poll();
        }, reject), 1000));
      };
      poll();
    });
  };
  return { startEmailLinkFlow, cancelEmailLinkFlow };
}

/** `handleRedirectCallback()`: completes what the provider's answer left (a sign-in, a sign-up,
 * or a transfer between them), makes the session active, then goes to the complete URL. A
 * failure at the provider rejects with the server's error; nothing is signed in then. */
export async function handleRedirectCallback(core: Core, setActive: SetActive, params: HandleRedirectCallbackParams = {}, navigate?: Navigate): Promise<void> {
  await core.call(Call.ReloadClient, {});
  const c = core.state.client;
  const si: Raw = c?.sign_in ?? {};
  const su: Raw = c?.sign_up ?? {};
  const siV: Raw = si.first_factor_verification ?? {};
  const suV: Raw = su.verifications?.external_account ?? {};
  const transfer = async (attempt: SignIn | SignUp) => {
    const r = await attempt.create({ transfer: true });
    return r.status === 'complete' ? r.createdSessionId : null;
  };
  let session: string | null = null;
  // In clerk-js's order: a sign-up left complete on the client may be an older one.
  if (si.status === 'complete') session = si.created_session_id;
  else if (suV.error?.code === 'external_account_exists') session = await transfer(core.client()!.signIn);
  else if (siV.status === 'transferable' && params.transferable !== false) session = await transfer(core.client()!.signUp);
  else if (su.status === 'complete') session = su.created_session_id;
  else if (si.status !== 'needs_second_factor') {
    const e: Raw = (siV.status === 'transferable' || siV.status === 'failed' ? siV : suV).error ?? { code: 'oauth_callback_failed', message: 'Nothing to complete' };
    session = e.code === 'identifier_already_signed_in' ? e.meta?.session_id : null;
    if (!session) throw fail(e.code, e.long_message ?? e.message, e.meta);
  }
  // A second factor (or a sign-up's missing field) is the app's next step: the attempt says so.
  if (!session) return;
  await setActive(session);
  const to = params.redirectUrl ?? stored();
  if (to) await (navigate ?? location.assign.bind(location))(to);
}

/** `handleEmailLinkVerification()` on the link's page: reads `__clerk_status`; rejects with a
 * ClerkError whose code is `expired`, `failed` or `client_mismatch`, as clerk-js's
 * EmailLinkError. */
export async function handleEmailLinkVerification(core: Core, setActive: SetActive, params: HandleEmailLinkVerificationParams = {}, navigate?: Navigate): Promise<void> {
  const q = new URLSearchParams(location.search);
  const status = q.get('__clerk_status');
  const go = (to?: string) => to && (navigate ?? location.assign.bind(location))(to);
  if (status !== 'verified' && status !== 'transferable') {
    const code = status === 'expired' || status === 'client_mismatch' ? status : 'failed';
    throw fail(code, 'The email link is ' + (code === 'failed' ? 'not valid' : code));
  }
  const created = q.get('__clerk_created_session');
  const c = core.state.client;
  if (status === 'verified' && c?.sessions.some((s) => s.id === created)) {
    await setActive(created!);
    await go(params.redirectUrlComplete);
  } else if (status === 'verified' && (c?.sign_in?.status === 'needs_second_factor' || c?.sign_up?.status === 'missing_requirements')) {
    await go(params.redirectUrl);
  } else params.onVerifiedOnOtherDevice?.();
}
