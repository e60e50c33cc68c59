// Shapes of the plain resources (users, organizations, …): the Frontend API's JSON with
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
  /** "first last", or null when both are empty. */
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
  /** Registers a passkey with this device's authenticator (WebAuthn), as clerk-js does. */
  createPasskey(): Promise<Passkey>;
  /** A new set of backup codes, replacing the old one (shown once), as clerk-js does. */
  createBackupCode(): Promise<{ id: string; codes: string[]; createdAt: Date; updatedAt: Date; [key: string]: unknown }>;
  [key: string]: unknown;
}

export interface Passkey {
  id: string;
  name: string | null;
  verification: Verification | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
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
