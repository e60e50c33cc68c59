// Shapes of the plain data (verifications, public user data, token options, …): the Frontend API's JSON with
// camelCase keys and Dates, as clerk-js shows them. Fields the server adds pass through.

export type SessionStatus = 'active' | 'pending' | 'ended' | 'expired' | 'removed' | 'replaced' | 'revoked' | 'abandoned';
export type InstanceType = 'development' | 'production';

export interface ClerkOptions {
  /** Where Frontend API requests go instead of `https://<key host>`; relative paths are on the page's origin. */
  proxyUrl?: string;
  /** The app's domain for a satellite or multi-domain setup (`clerk.domain`); kept, as clerk-js keeps it. */
  domain?: string;
  /** The Content-Security-Policy nonce for what the app's UI injects (`__internal_getOption('nonce')`). */
  nonce?: string;
}

export interface Verification {
  status: string | null;
  strategy: string | null;
  attempts?: number | null;
  expireAt?: Date | null;
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

export interface GetTokenOptions {
  template?: string;
  /** An organization id, or `null` / `''` for the personal account; omitted: the active organization. */
  organizationId?: string | null;
  leewayInSeconds?: number;
  skipCache?: boolean;
  /** When false, a failure resolves to `''` instead of rejecting. */
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
