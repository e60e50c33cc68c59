// `SignIn` and `SignUp`: views of one attempt. `client.signIn` follows the client's current
// attempt; an object returned by a step shows what the engine decides (the client's attempt
// while it is the same one, else the step's answer), read once per state.

import { Call, Query } from './engine';
import type { Core } from './core';
import { keepRaw, view } from './convert';
import type { Verification } from './types';
import { assertion, createEmailLinkFlow, flows } from './lazy';
import type { AuthenticateWithRedirectParams } from './flows';
import type { FutureMember, SignInFuture, SignUpFuture } from './future';

type Raw = Record<string, unknown>;

abstract class Attempt {
  readonly #core: Core;
  readonly #kind: 'sign_in' | 'sign_up';
  readonly #answer: Raw | null;
  #readFor?: object;
  #current: Raw | null = null;

  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core, kind: 'sign_in' | 'sign_up', answer: Raw | null) {
    this.#core = core;
    this.#kind = kind;
    this.#answer = answer;
  }

  /** The engine link, for the flows (flows.ts); a method, not a getter: it is not state. */
  protected coreLink(): Core {
    return this.#core;
  }

  protected field(key: string): any {
    const state = this.#core.state;
    if (this.#readFor !== state) {
      this.#readFor = state;
      this.#current = this.#core.query(Query.Attempt, { kind: this.#kind, answer: this.#answer });
    }
    return view(this.#current)?.[key] ?? null;
  }

  /** Runs a step; resolves to a new object showing the step's answer. */
  protected run<T>(make: (core: Core, answer: Raw) => T, step: string, params: unknown, extra?: object): Promise<T> {
    const core = this.#core;
    const op = this.#kind === 'sign_in' ? Call.SignIn : Call.SignUp;
    return core.call(op, { step, params: params ?? {}, ...extra }).then((answer: Raw) => make(core, answer));
  }
}

/** What clerk-js shows for a verification the server has not started (its Verification of null): Clerk's UI reads them without checking. */
const noVerification = (): Verification => ({ status: null, strategy: null, nonce: null, message: null, externalVerificationRedirectUrl: null, attempts: null, expireAt: null, error: null });

const signIn = (core: Core, answer: Raw) => new SignIn(core, answer);
const signUp = (core: Core, answer: Raw) => new SignUp(core, answer);

// `__internal_future`, the Core 3 API over each attempt, is installed by future.ts.
export interface SignIn extends FutureMember<SignInFuture> {}
export interface SignUp extends FutureMember<SignUpFuture> {}

export type SignInStatus = 'needs_identifier' | 'needs_first_factor' | 'needs_second_factor' | 'needs_new_password' | 'complete';

export class SignIn extends Attempt {
  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core, answer: Raw | null) {
    super(core, 'sign_in', answer);
  }
  get id(): string | null {
    return this.field('id');
  }
  get status(): SignInStatus | null {
    return this.field('status');
  }
  get identifier(): string | null {
    return this.field('identifier');
  }
  get supportedIdentifiers(): string[] | null {
    return this.field('supportedIdentifiers');
  }
  get supportedFirstFactors(): Array<{ strategy: string; emailAddressId?: string; safeIdentifier?: string; [key: string]: unknown }> | null {
    return this.field('supportedFirstFactors');
  }
  get supportedSecondFactors(): Array<{ strategy: string; [key: string]: unknown }> | null {
    return this.field('supportedSecondFactors');
  }
  get firstFactorVerification(): Verification {
    return this.field('firstFactorVerification') ?? noVerification();
  }
  get secondFactorVerification(): Verification {
    return this.field('secondFactorVerification') ?? noVerification();
  }
  get createdSessionId(): string | null {
    return this.field('createdSessionId');
  }
  get userData(): Record<string, unknown> {
    return this.field('userData') ?? {};
  }

  #step(step: string, params: unknown, extra?: object): Promise<SignIn> {
    return this.run(signIn, step, params, extra);
  }
  /** Starts a sign-in; the browser's locale and time zone go with it, as with clerk-js. */
  create(params: { identifier?: string; password?: string; strategy?: string; [key: string]: unknown }): Promise<SignIn> {
    return this.#step('create', params, { locale: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  }
  prepareFirstFactor(params: { strategy: string; [key: string]: unknown }): Promise<SignIn> {
    return this.#step('prepare_first_factor', params);
  }
  attemptFirstFactor(
    params: { strategy: 'password'; password: string } | { strategy: 'email_code' | 'phone_code' | 'reset_password_email_code'; code: string },
  ): Promise<SignIn> {
    return this.#step('attempt_first_factor', params);
  }
  prepareSecondFactor(params?: { strategy?: 'totp' | string; [key: string]: unknown }): Promise<SignIn> {
    return this.#step('prepare_second_factor', params);
  }
  attemptSecondFactor(params: { strategy?: 'totp' | 'backup_code' | 'phone_code' | string; code: string }): Promise<SignIn> {
    return this.#step('attempt_second_factor', params);
  }
  /** Prepares the `passkey` factor, lets the authenticator sign its challenge, and attempts it. */
  async authenticateWithPasskey(): Promise<SignIn> {
    const prepared = await this.prepareFirstFactor({ strategy: 'passkey' });
    const publicKeyCredential = await assertion(prepared.firstFactorVerification?.nonce);
    return prepared.#step('attempt_first_factor', { strategy: 'passkey', publicKeyCredential });
  }
  /** After a verified `reset_password_email_code`: sets the new password, as clerk-js does. */
  resetPassword(params: { password: string; signOutOfOtherSessions?: boolean }): Promise<SignIn> {
    return this.#step('reset_password', params);
  }
  /** This sign-in as the server has it now. */
  reload(): Promise<SignIn> {
    return this.#step('reload', {}, { id: this.id });
  }
  /** Signs in with an OAuth provider: off to the provider, back at `redirectUrl`. */
  authenticateWithRedirect(params: AuthenticateWithRedirectParams): Promise<void> {
    return flows().then((f) => f.authenticateWithRedirect(this.coreLink(), this, params));
  }
  /** Emails a sign-in link; `startEmailLinkFlow` resolves once it is opened or expired. */
  createEmailLinkFlow() {
    return createEmailLinkFlow<SignIn>(this.coreLink(), (params) => this.prepareFirstFactor(params as { strategy: string }));
  }
}

export type SignUpStatus = 'missing_requirements' | 'complete' | 'abandoned';

interface SignUpParams {
  emailAddress?: string;
  /** With its country code; the server stores it in E.164. */
  phoneNumber?: string;
  password?: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  [key: string]: unknown;
}

export class SignUp extends Attempt {
  /** Made by the library; apps get these objects from a `Clerk`. */
  constructor(core: Core, answer: Raw | null) {
    super(core, 'sign_up', answer);
  }
  get id(): string | null {
    return this.field('id');
  }
  get status(): SignUpStatus | null {
    return this.field('status');
  }
  get emailAddress(): string | null {
    return this.field('emailAddress');
  }
  get phoneNumber(): string | null {
    return this.field('phoneNumber');
  }
  get username(): string | null {
    return this.field('username');
  }
  get firstName(): string | null {
    return this.field('firstName');
  }
  get lastName(): string | null {
    return this.field('lastName');
  }
  get requiredFields(): string[] | null {
    return this.field('requiredFields');
  }
  get optionalFields(): string[] | null {
    return this.field('optionalFields');
  }
  get missingFields(): string[] | null {
    return this.field('missingFields');
  }
  get unverifiedFields(): string[] | null {
    return this.field('unverifiedFields');
  }
  get verifications(): Record<string, Verification> {
    const v = this.field('verifications') ?? {};
    const out: Record<string, Verification> = {};
    for (const k of ['emailAddress', 'phoneNumber', 'web3Wallet', 'externalAccount', ...Object.keys(v)]) out[k] = v[k] ?? noVerification();
    return out;
  }
  get createdSessionId(): string | null {
    return this.field('createdSessionId');
  }
  get createdUserId(): string | null {
    return this.field('createdUserId');
  }

  #step(step: string, params: unknown, extra?: object): Promise<SignUp> {
    return this.run(signUp, step, params, extra);
  }
  /** This sign-up as the server has it now. */
  reload(): Promise<SignUp> {
    return this.#step('reload', {}, { id: this.id });
  }
  /** Signs up with an OAuth provider: off to the provider, back at `redirectUrl`. */
  authenticateWithRedirect(params: AuthenticateWithRedirectParams): Promise<void> {
    return flows().then((f) => f.authenticateWithRedirect(this.coreLink(), this, params));
  }
  /** Emails a verification link; `startEmailLinkFlow` resolves once it is opened or expired. */
  createEmailLinkFlow() {
    return createEmailLinkFlow<SignUp>(this.coreLink(), (params) => this.prepareVerification(params as { strategy: string }));
  }
  create(params: SignUpParams): Promise<SignUp> {
    return this.#step('create', params);
  }
  update(params: SignUpParams): Promise<SignUp> {
    return this.#step('update', params);
  }
  prepareVerification(params: { strategy: string; [key: string]: unknown }): Promise<SignUp> {
    return this.#step('prepare_verification', params);
  }
  attemptVerification(params: { strategy: string; code: string }): Promise<SignUp> {
    return this.#step('attempt_verification', params);
  }
  prepareEmailAddressVerification(params?: { strategy?: 'email_code' }): Promise<SignUp> {
    return this.#step('prepare_email_address_verification', params);
  }
  attemptEmailAddressVerification(params: { code: string }): Promise<SignUp> {
    return this.#step('attempt_email_address_verification', params);
  }
  preparePhoneNumberVerification(params?: { strategy?: 'phone_code' }): Promise<SignUp> {
    return this.#step('prepare_phone_number_verification', params);
  }
  attemptPhoneNumberVerification(params: { code: string }): Promise<SignUp> {
    return this.#step('attempt_phone_number_verification', params);
  }
}
keepRaw(Attempt);
