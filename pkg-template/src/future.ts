// clerk-js's "future" sign-in and sign-up (`signIn.__internal_future`, what @clerk/react 6's
// `useSignIn()` / `useSignUp()` return): each step resolves to `{error}` instead of rejecting,
// and is run through the signal state (signals.ts) so `errors` and `fetchStatus` follow it.
// Every step is one of the legacy attempt's (attempts.ts), i.e. an engine `Call.SignIn` /
// `Call.SignUp` step; what a factor needs is read from the attempt the server sent.

import type { Clerk } from './clerk';
import type { Core } from './core';
import { SignIn, SignUp } from './attempts';
import { fail } from './errors';
import { assertion } from './lazy';
import { State, type Slot, task } from './signals';

type Raw = Record<string, any>;
type Result = Promise<{ error: unknown }>;

const absolute = (url: string) => new URL(url, location.href).href;
const param = (name: string) => new URLSearchParams(location.search).get(name);
/** clerk-js's `emailLink.verification`: what the link's page was told, or null. */
function linkVerification(clerk: Clerk) {
  const status = param('__clerk_status');
  const createdSessionId = param('__clerk_created_session');
  if (!status || !createdSessionId) return null;
  const verifiedFromTheSameClient = status === 'verified' && !!clerk.client?.sessions.some((s) => s.id === createdSessionId);
  return { status, createdSessionId, verifiedFromTheSameClient };
}
/** clerk-js's ClerkRuntimeError `factor_not_found`, naming the strategy. */
const notFound = (strategy: string) => fail('factor_not_found', 'No ' + strategy + ' factor on this sign-in');

abstract class Future<A extends SignIn | SignUp> {
  /** The attempt this future shows: the client's, or a step's answer once the client dropped it. */
  protected a: A;
  protected readonly clerk: Clerk;
  readonly #slot: Slot<any>;
  #canBeDiscarded = false;

  constructor(clerk: Clerk, slot: Slot<any>, attempt: A) {
    this.clerk = clerk;
    this.#slot = slot;
    this.a = attempt;
  }
  /** @internal The signal state shows the client's newer version of this attempt. */
  __update(attempt: A): void {
    this.a = attempt;
  }
  get id(): string | undefined {
    return this.a.id ?? undefined;
  }
  get createdSessionId(): string | null {
    return this.a.createdSessionId;
  }
  get canBeDiscarded(): boolean {
    return this.#canBeDiscarded;
  }

  /** One step under the signal state; `fn` returns the attempt the step answered. */
  protected run(fn: (a: A) => Promise<unknown>): Result {
    return task(this.#slot, async () => {
      await fn(this.a);
    });
  }
  /** Runs a legacy step on the current attempt and shows its answer. */
  protected async step(name: string, params?: unknown): Promise<A> {
    return (this.a = await (this.a as any)[name](params));
  }
  protected async make(params: Raw): Promise<A> {
    return this.step('create', params);
  }

  /** After the polling clerk-js does for an email link: reload every second until `done`. */
  protected waitFor(done: (a: A) => boolean): Result {
    return this.run(async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        if (done(await this.step('reload'))) return;
      }
    });
  }

  /** Makes the created session active (`navigate` as setActive's). */
  async finalize(params?: { navigate?: (p: any) => unknown }): Result {
    const kind = this.a instanceof SignIn ? 'sign-in' : 'sign-up';
    if (!this.a.createdSessionId) throw new Error('Cannot finalize ' + kind + ' without a created session.');
    return this.run(async (a) => {
      const session = a.createdSessionId as string;
      if (!this.clerk.client?.sessions.some((s) => s.id === session)) await this.clerk.client?.reload();
      this.#canBeDiscarded = true;
      await this.clerk.setActive({ session, navigate: params?.navigate });
    });
  }

  /** Starts over without a fetching state, as clerk-js's. */
  reset(): Result {
    const client = this.clerk.client;
    if (!client) throw new Error('Cannot reset without a client.');
    this.#canBeDiscarded = true;
    this.a instanceof SignIn ? client.resetSignIn() : client.resetSignUp();
    return Promise.resolve({ error: null });
  }

  /** OAuth and enterprise SSO: the attempt with the provider's routes, then off to it. */
  protected async redirect(made: Raw | null | undefined): Promise<void> {
    if (made?.status === 'unverified' && made.externalVerificationRedirectUrl) this.clerk.__internal_windowNavigate(made.externalVerificationRedirectUrl);
  }
  protected routes(p: Raw): Raw {
    return { redirectUrl: this.clerk.buildUrlWithAuth(p.redirectCallbackUrl), actionCompleteRedirectUrl: absolute(p.redirectUrl) };
  }
}

export class SignInFuture extends Future<SignIn> {
  readonly emailCode = { sendCode: (p?: Raw) => this.#send('email_code', p), verifyCode: (p: Raw) => this.#first('email_code', p) };
  readonly phoneCode = { sendCode: (p?: Raw) => this.#send('phone_code', p), verifyCode: (p: Raw) => this.#first('phone_code', p) };
  readonly emailLink = {
    sendLink: (p: Raw) => this.#send('email_link', p),
    waitForVerification: () => this.waitFor((a) => /^(verified|expired|failed|client_mismatch)$/.test(a.firstFactorVerification?.status ?? '')),
    verification: null as unknown,
  };
  readonly resetPasswordEmailCode = this.#reset('reset_password_email_code');
  readonly resetPasswordPhoneCode = this.#reset('reset_password_phone_code');
  readonly mfa = {
    sendPhoneCode: () => this.#sendSecond('phone_code'),
    verifyPhoneCode: (p: Raw) => this.#second('phone_code', p),
    sendEmailCode: () => this.#sendSecond('email_code'),
    verifyEmailCode: (p: Raw) => this.#second('email_code', p),
    verifyTOTP: (p: Raw) => this.#second('totp', p),
    verifyBackupCode: (p: Raw) => this.#second('backup_code', p),
  };

  constructor(clerk: Clerk, slot: Slot<any>, attempt: SignIn) {
    super(clerk, slot, attempt);
    Object.defineProperty(this.emailLink, 'verification', { get: () => linkVerification(clerk) });
  }

  get identifier() {
    return this.a.identifier;
  }
  get userData() {
    return this.a.userData;
  }
  get status() {
    return this.a.status || 'needs_identifier';
  }
  get supportedFirstFactors() {
    return this.a.supportedFirstFactors ?? [];
  }
  get supportedSecondFactors() {
    return this.a.supportedSecondFactors ?? [];
  }
  get firstFactorVerification() {
    return this.a.firstFactorVerification;
  }
  get secondFactorVerification() {
    return this.a.secondFactorVerification;
  }
  get isTransferable() {
    return this.a.firstFactorVerification?.status === 'transferable';
  }
  get existingSession() {
    const v = this.a.firstFactorVerification as Raw | null;
    const sessionId = v?.status === 'failed' && v.error?.code === 'identifier_already_signed_in' && v.error.meta?.sessionId;
    return sessionId ? { sessionId } : undefined;
  }

  create(params: Raw): Result {
    return this.run(() => super.make(params));
  }
  password(params: Raw): Result {
    const ids = [params?.identifier, params?.emailAddress, params?.phoneNumber].filter(Boolean);
    if (ids.length > 1) throw new Error('Only one of identifier, emailAddress, or phoneNumber can be provided');
    return this.run((a) => super.make({ identifier: ids[0] || a.identifier, password: params.password }));
  }
  ticket(params?: Raw): Result {
    return this.create({ strategy: 'ticket', ticket: params?.ticket ?? param('__clerk_ticket') ?? undefined });
  }
  sso(p: Raw): Result {
    return this.run(async (a) => {
      const routes = this.routes(p);
      let made = a;
      if (!a.id || (p.strategy !== 'enterprise_sso' && a.firstFactorVerification?.externalVerificationRedirectUrl)) {
        made = await super.make({ strategy: p.strategy, ...routes, identifier: p.identifier });
      }
      if (p.strategy === 'enterprise_sso') {
        made = await this.step('prepareFirstFactor', { ...routes, oidcPrompt: p.oidcPrompt, enterpriseConnectionId: p.enterpriseConnectionId, strategy: 'enterprise_sso' });
      }
      await this.redirect(made.firstFactorVerification);
    });
  }
  passkey(params?: { flow?: 'autofill' | 'discoverable' }): Result {
    return this.run(async (a) => {
      const flow = params?.flow;
      if (flow === 'autofill' || flow === 'discoverable') await super.make({ strategy: 'passkey' });
      else if (!a.supportedFirstFactors?.some((f) => f.strategy === 'passkey')) throw notFound('passkey');
      else await this.step('prepareFirstFactor', { strategy: 'passkey' });
      const publicKeyCredential = await assertion(this.a.firstFactorVerification?.nonce);
      await this.step('attemptFirstFactor', { strategy: 'passkey', publicKeyCredential });
    });
  }

  /** A first factor's code (or link): with an identifier a new sign-in first, then the factor that fits. */
  #send(strategy: string, p: Raw = {}): Result {
    const id = p.emailAddressId ?? p.phoneNumberId;
    const identifier = p.emailAddress ?? p.phoneNumber;
    // As clerk-js: without a sign-in, an identifier is needed and an id cannot be used.
    if (!this.a.id && (id || !identifier)) throw new Error('Sending a ' + strategy + ' needs an identifier (emailAddress or phoneNumber) when no sign-in exists');
    return this.run(async () => {
      if (identifier) await super.make({ identifier });
      const factors = this.a.supportedFirstFactors ?? [];
      const same = (f: Raw) => f.strategy === strategy;
      const factor =
        (id && factors.find((f) => same(f) && (f.emailAddressId === id || f.phoneNumberId === id))) ||
        factors.find((f) => same(f) && f.safeIdentifier === this.a.identifier) ||
        factors.find(same);
      if (!factor) throw notFound(strategy);
      const extra =
        strategy === 'email_link' ? { redirectUrl: absolute(p.verificationUrl) } : strategy === 'phone_code' ? { channel: p.channel ?? 'sms' } : {};
      await this.step('prepareFirstFactor', { strategy, emailAddressId: factor.emailAddressId, phoneNumberId: factor.phoneNumberId, ...extra });
    });
  }
  #first(strategy: string, p: Raw): Result {
    return this.run(() => this.step('attemptFirstFactor', { strategy, code: p?.code }));
  }
  #second(strategy: string, p: Raw): Result {
    return this.run(() => this.step('attemptSecondFactor', { strategy, code: p?.code }));
  }
  #sendSecond(strategy: string): Result {
    return this.run(async (a) => {
      const factor = a.supportedSecondFactors?.find((f) => f.strategy === strategy);
      if (!factor) throw notFound(strategy);
      await this.step('prepareSecondFactor', { strategy, phoneNumberId: factor.phoneNumberId, emailAddressId: factor.emailAddressId });
    });
  }
  #reset(strategy: string) {
    return {
      sendCode: (p: Raw = {}) => {
        if (!this.a.id && !p.phoneNumber) throw new Error('Cannot reset password without a sign in.');
        return this.run(async () => {
          if (p.phoneNumber) await super.make({ identifier: p.phoneNumber });
          const factor = this.a.supportedFirstFactors?.find((f) => f.strategy === strategy);
          if (!factor) throw notFound(strategy);
          await this.step('prepareFirstFactor', { strategy, emailAddressId: factor.emailAddressId, phoneNumberId: factor.phoneNumberId });
        });
      },
      verifyCode: (p: Raw) => this.#first(strategy, p),
      submitPassword: (p: Raw) =>
        this.run(() => this.step('resetPassword', { password: p?.password, signOutOfOtherSessions: p?.signOutOfOtherSessions ?? true })),
    };
  }
}

export class SignUpFuture extends Future<SignUp> {
  readonly verifications: Raw;

  constructor(clerk: Clerk, slot: Slot<any>, attempt: SignUp) {
    super(clerk, slot, attempt);
    const verification = (strategy: string, extra?: (p: Raw) => Raw) => ({
      send: (p: Raw = {}) => this.run(() => this.step('prepareVerification', { strategy, ...extra?.(p) })),
      verify: (p: Raw) => this.run(() => this.step('attemptVerification', { strategy, code: p?.code })),
    });
    const email = verification('email_code');
    const phone = verification('phone_code', (p) => ({ channel: p.channel ?? 'sms' }));
    const link = verification('email_link', (p) => ({ redirectUrl: absolute(p.verificationUrl) }));
    const v: Raw = {
      sendEmailCode: email.send,
      verifyEmailCode: email.verify,
      sendPhoneCode: phone.send,
      verifyPhoneCode: phone.verify,
      sendEmailLink: link.send,
      waitForEmailLinkVerification: () => this.waitFor((a) => /^(verified|expired)$/.test(a.verifications?.emailAddress?.status ?? '')),
    };
    for (const [name, key] of [['emailAddress', 'emailAddress'], ['phoneNumber', 'phoneNumber'], ['web3Wallet', 'web3Wallet'], ['externalAccount', 'externalAccount']]) {
      Object.defineProperty(v, name, { get: () => this.a.verifications?.[key] ?? null, enumerable: true });
    }
    Object.defineProperty(v, 'emailLinkVerification', { get: () => linkVerification(clerk), enumerable: true });
    this.verifications = v;
  }

  get status() {
    return this.a.status || 'missing_requirements';
  }
  get isTransferable() {
    const v = this.a.verifications?.externalAccount as Raw | undefined;
    return v?.status === 'transferable' && v.error?.code === 'external_account_exists';
  }
  get existingSession() {
    const v = this.a.verifications?.externalAccount as Raw | undefined;
    const sessionId = /^(failed|unverified)$/.test(v?.status) && v?.error?.code === 'identifier_already_signed_in' && v.error.meta?.sessionId;
    return sessionId ? { sessionId } : undefined;
  }

  create(params: Raw): Result {
    return this.run(() => super.make({ ...params, locale: params?.locale ?? navigator.language }));
  }
  update(params: Raw): Result {
    return this.run(() => this.step('update', params));
  }
  password(params: Raw): Result {
    return this.run((a) =>
      a.id ? this.step('update', { strategy: 'password', ...params }) : super.make({ strategy: 'password', ...params, locale: params?.locale ?? navigator.language }),
    );
  }
  ticket(params?: Raw): Result {
    return this.create({ ...params, strategy: 'ticket', ticket: params?.ticket ?? param('__clerk_ticket') ?? undefined });
  }
  sso(p: Raw): Result {
    return this.run(async (a) => {
      const { redirectCallbackUrl, redirectUrl, popup, ...rest } = p;
      const body = { ...rest, ...this.routes(p) };
      const made = a.id ? await this.step('update', body) : await super.make({ ...body, locale: p.locale ?? navigator.language });
      await this.redirect(made.verifications?.externalAccount);
    });
  }
}

// The sign-up's fields, forwarded as the attempt shows them.
for (const name of [
  'requiredFields', 'optionalFields', 'missingFields', 'unverifiedFields', 'username', 'firstName', 'lastName', 'emailAddress',
  'phoneNumber', 'createdUserId', 'web3Wallet', 'hasPassword', 'unsafeMetadata', 'abandonAt', 'legalAcceptedAt', 'locale',
]) {
  Object.defineProperty(SignUpFuture.prototype, name, { get(this: any) { return this.a.field(name); }, configurable: true });
}

/**
 * `clerk.__internal_state` for `core`: the sign-in and sign-up signals follow the client's current
 * attempts (one future per attempt id, as clerk-js keeps one SignIn per id), except that a
 * finished attempt the client dropped stays shown until `finalize()` or `reset()` lets it go.
 */
export function createState(core: Core, clerk: Clerk): State {
  const state = new State();
  const shown: Record<string, Future<any> | undefined> = {};
  const follow = (kind: 'signIn' | 'signUp') => {
    const slot = state[kind];
    const raw = kind === 'signIn' ? core.state.client?.sign_in : core.state.client?.sign_up;
    const id = (raw?.id as string | undefined) ?? '';
    const previous = shown[kind];
    // clerk-js's shouldIgnoreNullUpdate: a finished attempt stays until it may be discarded.
    if (!id && previous?.id && !previous.canBeDiscarded) return;
    const attempt = kind === 'signIn' ? new SignIn(core, raw ?? null) : new SignUp(core, raw ?? null);
    let future = previous;
    if (future && (future.id ?? '') === id && !future.canBeDiscarded) future.__update(attempt);
    else shown[kind] = future = kind === 'signIn' ? new SignInFuture(clerk, slot, attempt as SignIn) : new SignUpFuture(clerk, slot, attempt as SignUp);
    slot.resource({ resource: future });
  };
  // The waitlist resource, as clerk-js's before a join. Joining is a Frontend API request
  // (`POST /v1/waitlist`) that neither the engine nor clerk-server has yet: it resolves to a
  // typed error (a code named here: clerk-js has none for it).
  state.waitlist.resource({
    resource: {
      id: '',
      createdAt: null,
      updatedAt: null,
      join: () => task(state.waitlist, async () => {
        throw fail('waitlist_unavailable', 'Joining the waitlist is not supported by clerk-rs yet');
      }),
    },
  });
  let seen = '';
  const update = () => {
    if (!core.state.loaded) return;
    // Only when an attempt changed (token refreshes and session switches leave the hooks alone),
    // or when a finished attempt kept on screen may now go (finalize's setActive).
    const c = core.state.client;
    const text = JSON.stringify([c?.sign_in, c?.sign_up]);
    if (text === seen && !shown.signIn?.canBeDiscarded && !shown.signUp?.canBeDiscarded) return;
    seen = text;
    follow('signIn');
    follow('signUp');
  };
  // The engine holds the listener; only weakly what it updates (see Clerk.addListener).
  (state as any).__follow = update;
  const ref = new WeakRef(state);
  core.engine.listen(() => (ref.deref() as any)?.__follow());
  return state;
}

/**
 * Called by each Clerk: its attempts find it (and its signal state) through their engine link.
 * Weakly: a WeakMap from the Core to its Clerk (which holds the Core) kept every re-created
 * instance's wasm memory alive (soak: +4.1 MiB over 100 create/dispose cycles).
 */
export const ownCore = (core: Core, clerk: Clerk) => (core.owner = new WeakRef(clerk));

/** The `__internal_future` members the legacy attempts get (declared in attempts.ts). */
export interface FutureMember<F> {
  /** This attempt's future (clerk-js's): the one the signal state shows when it is the same attempt. */
  readonly __internal_future: F | null;
}

// `client.signIn.__internal_future` / `client.signUp.__internal_future`, as clerk-js has them.
for (const [Class, kind] of [[SignIn, 'signIn'], [SignUp, 'signUp']] as const) {
  Object.defineProperty(Class.prototype, '__internal_future', {
    configurable: true,
    get(this: SignIn | SignUp) {
      const core = (this as any).coreLink() as Core;
      const clerk = core.owner?.deref() as Clerk | undefined;
      if (!clerk) return null;
      const state = clerk.__internal_state;
      const shown = state[kind].resource().resource as Future<any> | null;
      if (shown && (shown.id ?? null) === this.id) return shown;
      return kind === 'signIn' ? new SignInFuture(clerk, state.signIn, this as SignIn) : new SignUpFuture(clerk, state.signUp, this as SignUp);
    },
  });
}
