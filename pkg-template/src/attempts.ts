// `SignIn` and `SignUp`: views of one attempt. `client.signIn` follows the client's current
// attempt; an object returned by a step shows what the engine decides (the client's attempt
// while it is the same one, else the step's answer), read once per state.

import { Call, Query } from './engine';
import type { Core } from './core';
import { view } from './convert';
import type { Verification } from './types';

type Raw = Record<string, unknown>;

abstract class Attempt {
  protected readonly core: Core;
  readonly #answer: Raw | null;
  #readFor?: object;
  #current: Raw | null = null;

  /** @internal */
  constructor(core: Core, answer: Raw | null) {
    this.core = core;
    this.#answer = answer;
  }

  protected abstract readonly kind: 'sign_in' | 'sign_up';

  protected field(key: string): any {
    const state = this.core.state;
    if (this.#readFor !== state) {
      this.#readFor = state;
      this.#current = this.core.query(Query.Attempt, { kind: this.kind, answer: this.#answer });
    }
    return view(this.#current)?.[key] ?? null;
  }
}

export type SignInStatus = 'needs_identifier' | 'needs_first_factor' | 'needs_second_factor' | 'needs_new_password' | 'complete';

export class SignIn extends Attempt {
  protected readonly kind = 'sign_in';
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
  get firstFactorVerification(): Verification | null {
    return this.field('firstFactorVerification');
  }
  get secondFactorVerification(): Verification | null {
    return this.field('secondFactorVerification');
  }
  get createdSessionId(): string | null {
    return this.field('createdSessionId');
  }
  get userData(): Record<string, unknown> | null {
    return this.field('userData');
  }

  #step(step: string, params: unknown, extra?: object): Promise<SignIn> {
    return this.core.call(Call.SignIn, { step, params: params ?? {}, ...extra }).then((answer: Raw) => new SignIn(this.core, answer));
  }
  /** Starts a sign-in; the browser's locale and time zone go with it, as with clerk-js. */
  create(params: { identifier?: string; password?: string; strategy?: string; [key: string]: unknown }): Promise<SignIn> {
    return this.#step('create', params, { locale: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  }
  prepareFirstFactor(params: { strategy: string; [key: string]: unknown }): Promise<SignIn> {
    return this.#step('prepare_first_factor', params);
  }
  attemptFirstFactor(params: { strategy: 'password'; password: string } | { strategy: 'email_code'; code: string }): Promise<SignIn> {
    return this.#step('attempt_first_factor', params);
  }
  prepareSecondFactor(params?: { strategy?: 'totp' | string; [key: string]: unknown }): Promise<SignIn> {
    return this.#step('prepare_second_factor', params);
  }
  attemptSecondFactor(params: { strategy?: 'totp' | string; code: string }): Promise<SignIn> {
    return this.#step('attempt_second_factor', params);
  }
}

export type SignUpStatus = 'missing_requirements' | 'complete' | 'abandoned';

interface SignUpParams {
  emailAddress?: string;
  password?: string;
  firstName?: string;
  lastName?: string;
  username?: string;
  [key: string]: unknown;
}

export class SignUp extends Attempt {
  protected readonly kind = 'sign_up';
  get id(): string | null {
    return this.field('id');
  }
  get status(): SignUpStatus | null {
    return this.field('status');
  }
  get emailAddress(): string | null {
    return this.field('emailAddress');
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
  get verifications(): Record<string, Verification | null> | null {
    return this.field('verifications');
  }
  get createdSessionId(): string | null {
    return this.field('createdSessionId');
  }
  get createdUserId(): string | null {
    return this.field('createdUserId');
  }

  #step(step: string, params: unknown): Promise<SignUp> {
    return this.core.call(Call.SignUp, { step, params: params ?? {} }).then((answer: Raw) => new SignUp(this.core, answer));
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
}
