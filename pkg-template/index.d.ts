// Hand-written types for the public API; the same shapes as @clerk/clerk-js where it has them.

export type SessionStatus = 'active' | 'pending' | 'ended' | 'expired' | 'removed' | 'replaced' | 'revoked' | 'abandoned';
export type InstanceType = 'development' | 'production';

export interface ClerkOptions {
  /** Where Frontend API requests go instead of `https://<key host>`; `http://…` reaches a local clerk-server. */
  proxyUrl?: string;
}

export interface ClerkAPIError {
  code: string;
  message: string;
  longMessage?: string;
  meta: Record<string, unknown>;
}

/** Every rejection and throw of this library is one of these. */
export interface ClerkError extends Error {
  name: 'ClerkAPIResponseError' | 'ClerkError';
  clerkError: true;
  code: string;
  longMessage?: string;
  meta: Record<string, unknown>;
  /** HTTP status when the server answered with an error; undefined for client-side errors. */
  status?: number;
  /** Seconds the server asked to wait (HTTP 429 / 503). */
  retryAfter?: number;
  errors: ClerkAPIError[];
}

export interface EmailAddress {
  id: string;
  emailAddress: string;
  verification?: Verification | null;
  [key: string]: unknown;
}

export interface Organization {
  id: string;
  name: string;
  slug: string | null;
  imageUrl?: string;
  membersCount?: number;
  createdAt?: Date;
  updatedAt?: Date;
  [key: string]: unknown;
}

export interface OrganizationMembership {
  id: string;
  role: string;
  permissions: string[];
  organization: Organization;
  [key: string]: unknown;
}

export interface User {
  id: string;
  firstName: string | null;
  lastName: string | null;
  fullName: string | null;
  username?: string | null;
  imageUrl?: string;
  hasImage?: boolean;
  primaryEmailAddressId: string | null;
  primaryEmailAddress: EmailAddress | null;
  emailAddresses: EmailAddress[];
  organizationMemberships: OrganizationMembership[];
  passwordEnabled?: boolean;
  totpEnabled?: boolean;
  twoFactorEnabled?: boolean;
  publicMetadata?: Record<string, unknown>;
  unsafeMetadata?: Record<string, unknown>;
  createdAt?: Date;
  updatedAt?: Date;
  lastSignInAt?: Date | null;
  [key: string]: unknown;
}

export interface PublicUserData {
  firstName: string | null;
  lastName: string | null;
  imageUrl?: string;
  hasImage?: boolean;
  identifier: string;
  userId?: string;
  [key: string]: unknown;
}

export interface Verification {
  status: string | null;
  strategy: string | null;
  attempts?: number | null;
  expireAt?: Date | null;
  [key: string]: unknown;
}

export interface GetTokenOptions {
  /** A JWT template's name: mints a token with the template's claims and lifetime. */
  template?: string;
  /** The organization the token is for; `null` for the personal account. Defaults to the session's active organization. */
  organizationId?: string | null;
  /** Treat a cached token as expired this many seconds before it expires (default 10, under 60). */
  leewayInSeconds?: number;
  /** Always ask the server; the new token replaces the cached one. */
  skipCache?: boolean;
  /** When false, failures resolve to null instead of rejecting. Default true. */
  throwOnError?: boolean;
}

export type ReverificationPreset = 'strict_mfa' | 'strict' | 'moderate' | 'lax';
export interface ReverificationConfig {
  level: 'first_factor' | 'second_factor' | 'multi_factor';
  afterMinutes: number;
}

export interface CheckAuthorizationParams {
  role?: string;
  permission?: string;
  reverification?: ReverificationPreset | ReverificationConfig;
}

export interface SessionVerification {
  status: 'needs_first_factor' | 'needs_second_factor' | 'complete' | string;
  level: string;
  supportedFirstFactors?: Array<Record<string, unknown>> | null;
  supportedSecondFactors?: Array<Record<string, unknown>> | null;
  firstFactorVerification?: Verification | null;
  secondFactorVerification?: Verification | null;
  session?: Record<string, unknown>;
  [key: string]: unknown;
}

export class Token {
  private constructor();
  getRawString(): string;
  /** The decoded claims (not verified: browsers need not verify their own tokens). */
  readonly jwt: { claims: Record<string, unknown> } | null;
}

export class Session {
  private constructor();
  readonly object: 'session';
  readonly id: string;
  readonly status: SessionStatus;
  readonly lastActiveAt: Date | null;
  readonly abandonAt: Date | null;
  readonly expireAt: Date | null;
  readonly createdAt: Date | null;
  readonly updatedAt: Date | null;
  readonly lastActiveOrganizationId: string | null;
  readonly lastActiveToken: Token | undefined;
  /** Minutes since the first and second factor were verified; -1 for never. */
  readonly factorVerificationAge: [number, number] | null;
  readonly actor: Record<string, unknown> | null;
  readonly tasks: Array<Record<string, unknown>> | null;
  readonly user: User | null;
  readonly publicUserData: PublicUserData | null;
  end(): Promise<Session>;
  remove(): Promise<Session>;
  touch(): Promise<Session>;
  getToken(options?: GetTokenOptions): Promise<string | null>;
  checkAuthorization(params: CheckAuthorizationParams): boolean;
  startVerification(params: { level: 'first_factor' | 'second_factor' | 'multi_factor' }): Promise<SessionVerification>;
  prepareFirstFactorVerification(params: { strategy: string; emailAddressId?: string }): Promise<SessionVerification>;
  attemptFirstFactorVerification(params: { strategy: 'password'; password: string } | { strategy: string; code: string }): Promise<SessionVerification>;
  prepareSecondFactorVerification(params?: { strategy?: 'totp' | string }): Promise<SessionVerification>;
  attemptSecondFactorVerification(params: { strategy?: 'totp' | string; code: string }): Promise<SessionVerification>;
  clearCache(): void;
}

export type SignInStatus = 'needs_identifier' | 'needs_first_factor' | 'needs_second_factor' | 'needs_new_password' | 'complete';

export class SignIn {
  private constructor();
  readonly id: string | null;
  readonly status: SignInStatus | null;
  readonly identifier: string | null;
  readonly supportedIdentifiers: string[] | null;
  readonly supportedFirstFactors: Array<{ strategy: string; emailAddressId?: string; safeIdentifier?: string; [key: string]: unknown }> | null;
  readonly supportedSecondFactors: Array<{ strategy: string; [key: string]: unknown }> | null;
  readonly firstFactorVerification: Verification | null;
  readonly secondFactorVerification: Verification | null;
  readonly createdSessionId: string | null;
  readonly userData: Record<string, unknown> | null;
  create(params: { identifier?: string; password?: string; strategy?: string }): Promise<SignIn>;
  prepareFirstFactor(params: { strategy: 'email_code'; emailAddressId: string } | { strategy: string; [key: string]: unknown }): Promise<SignIn>;
  attemptFirstFactor(params: { strategy: 'password'; password: string } | { strategy: 'email_code'; code: string }): Promise<SignIn>;
  prepareSecondFactor(params?: { strategy?: 'totp' | string }): Promise<SignIn>;
  attemptSecondFactor(params: { strategy?: 'totp' | string; code: string }): Promise<SignIn>;
}

export type SignUpStatus = 'missing_requirements' | 'complete' | 'abandoned';

export class SignUp {
  private constructor();
  readonly id: string | null;
  readonly status: SignUpStatus | null;
  readonly emailAddress: string | null;
  readonly username: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly requiredFields: string[] | null;
  readonly optionalFields: string[] | null;
  readonly missingFields: string[] | null;
  readonly unverifiedFields: string[] | null;
  readonly verifications: Record<string, Verification | null> | null;
  readonly createdSessionId: string | null;
  readonly createdUserId: string | null;
  create(params: { emailAddress?: string; password?: string; firstName?: string; lastName?: string; username?: string }): Promise<SignUp>;
  update(params: { emailAddress?: string; password?: string; firstName?: string; lastName?: string; username?: string }): Promise<SignUp>;
  prepareVerification(params: { strategy: string }): Promise<SignUp>;
  attemptVerification(params: { strategy: string; code: string }): Promise<SignUp>;
  prepareEmailAddressVerification(params?: { strategy?: 'email_code' }): Promise<SignUp>;
  attemptEmailAddressVerification(params: { code: string }): Promise<SignUp>;
}

export class Client {
  private constructor();
  readonly object: 'client';
  readonly id: string;
  readonly sessions: Session[];
  /** Active and pending sessions. */
  readonly signedInSessions: Session[];
  /** @deprecated Use `signedInSessions`. */
  readonly activeSessions: Session[];
  readonly lastActiveSessionId: string | null;
  readonly lastAuthenticationStrategy: string | null;
  readonly signIn: SignIn;
  readonly signUp: SignUp;
  readonly cookieExpiresAt: Date | null;
  readonly createdAt: Date | null;
  readonly updatedAt: Date | null;
  create(): Promise<Client>;
  destroy(): Promise<void>;
  reload(): Promise<Client>;
  /** @deprecated Use `reload`. */
  fetch(): Promise<Client>;
  removeSessions(): Promise<Client>;
  clearCache(): void;
  /** True when the client cookie expires within 8 days. */
  isEligibleForTouch(): boolean;
  isNew(): boolean;
  buildTouchUrl(params: { redirectUrl: URL | string }): string;
  resetSignIn(): void;
  resetSignUp(): void;
}

/** What listeners receive: `undefined` = not known yet (before load, during setActive), `null` = none. */
export interface Resources {
  client: Client | undefined;
  session: Session | null | undefined;
  user: User | null | undefined;
  organization: Organization | null | undefined;
}

export type Listener = (resources: Resources) => void;
export type BeforeEmitCallback = (session: Session | null) => void | Promise<unknown>;

export interface SetActiveParams {
  /** A session, its id, or null to sign out of the current session. Omitted: keep the current one. */
  session?: Session | string | null;
  /** An organization, its id or slug, or null for the personal account. Omitted: keep the session's. */
  organization?: Organization | string | null;
  /** Runs after listeners saw `undefined` and before they see the new session; a Promise is awaited. */
  beforeEmit?: BeforeEmitCallback;
}

export class Clerk {
  /** @throws {ClerkError} `invalid_publishable_key` for a malformed key. */
  constructor(publishableKey: string, options?: ClerkOptions);
  readonly version: string;
  readonly loaded: boolean;
  readonly publishableKey: string;
  readonly frontendApi: string;
  readonly proxyUrl: string | undefined;
  readonly instanceType: InstanceType;
  readonly client: Client | undefined;
  readonly session: Session | null | undefined;
  readonly user: User | null | undefined;
  readonly organization: Organization | null | undefined;
  readonly isSignedIn: boolean;
  load(options?: Record<string, unknown>): Promise<void>;
  /** Calls `listener` at once and on every change; returns the unsubscribe function. */
  addListener(listener: Listener): () => void;
  setActive(params: SetActiveParams): Promise<void>;
  /** @deprecated Use `setActive({ session, beforeEmit })`. */
  setSession(session: Session | string | null, beforeEmit?: BeforeEmitCallback): Promise<void>;
  signOut(options?: { sessionId?: string }): Promise<void>;
}

export default Clerk;
