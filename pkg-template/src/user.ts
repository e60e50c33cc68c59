// The signed-in user and the resources of their own account, as clerk-js 6.40 has them
// (packages/clerk-js/src/core/resources/User.ts and its neighbours). The methods are tables of
// requests (`define`); the engine sends each, applies the client it answers with and emits.

import type { Core } from './core';
import { createEmailLinkFlow, credential } from './lazy';
import { DATA, type DeletedObject, type PageParams, type Paginated, type Raw, Resource, type Spec, THIS, VOID, define, fileArg, send } from './resource';
import { OrganizationMembership, OrganizationSuggestion, UserOrganizationInvitation } from './organization';
import type { Verification } from './types';

type Totp = { id: string; secret?: string; uri?: string; verified: boolean; backupCodes?: string[]; [key: string]: unknown };

export class EmailAddress extends Resource {
  declare emailAddress: string;
  declare verification: Verification;
  declare linkedTo: Array<{ id: string; type: string }>;
  /** `{strategy: 'email_code'}`, or `{strategy: 'email_link', redirectUrl}`. */
  declare prepareVerification: (params: { strategy: 'email_code' | 'email_link'; redirectUrl?: string }) => Promise<this>;
  declare attemptVerification: (params: { code: string }) => Promise<this>;
  declare reload: () => Promise<this>;
  declare destroy: () => Promise<void>;

  /** Emails a verification link; `startEmailLinkFlow` resolves once it is opened. */
  createEmailLinkFlow(): { startEmailLinkFlow: (params: { redirectUrl: string }) => Promise<EmailAddress>; cancelEmailLinkFlow: () => void } {
    const { startEmailLinkFlow, cancelEmailLinkFlow } = createEmailLinkFlow(this.core(), (p) => this.prepareVerification(p as any), (now) => now.verification?.status === 'verified');
    return { startEmailLinkFlow: (p) => startEmailLinkFlow(p) as Promise<EmailAddress>, cancelEmailLinkFlow };
  }
  toString(): string {
    return this.emailAddress;
  }
}

export class PhoneNumber extends Resource {
  declare phoneNumber: string;
  declare reservedForSecondFactor: boolean;
  declare defaultSecondFactor: boolean;
  declare verification: Verification;
  /** Texts a code (`phone_code`). */
  declare prepareVerification: () => Promise<this>;
  declare attemptVerification: (params: { code: string }) => Promise<this>;
  declare makeDefaultSecondFactor: () => Promise<this>;
  declare setReservedForSecondFactor: (params: { reserved: boolean }) => Promise<this>;
  declare reload: () => Promise<this>;
  declare destroy: () => Promise<void>;
  toString(): string {
    return this.phoneNumber;
  }
}

export class ExternalAccount extends Resource {
  declare provider: string;
  declare emailAddress: string;
  declare username: string | null;
  declare verification: Verification | null;
  /** Back through the provider for more scopes: follow `verification.externalVerificationRedirectUrl`. */
  declare reauthorize: (params: { redirectUrl: string; additionalScopes?: string[] }) => Promise<this>;
  declare destroy: () => Promise<void>;

  override read(raw: Raw | null): this {
    super.read(raw);
    // clerk-js names the provider without its strategy prefix (`google`, not `oauth_google`).
    if (raw) this.provider = String(raw.provider ?? '').replace('oauth_', '');
    return this;
  }
  providerSlug(): string {
    return this.provider;
  }
  providerTitle(): string {
    return `${this.provider.charAt(0).toUpperCase()}${this.provider.slice(1)} Account`;
  }
  accountIdentifier(): string {
    return this.username || this.emailAddress;
  }
}

export class Passkey extends Resource {
  declare name: string | null;
  declare lastUsedAt: Date | null;
  declare verification: Verification | null;
  declare update: (params: { name: string }) => Promise<this>;
  declare delete: () => Promise<DeletedObject>;
}

/** A signed-in session of the user on any device, with its latest activity (`user.getSessions()`). */
export class SessionWithActivities extends Resource {
  declare status: string;
  declare lastActiveAt: Date;
  declare latestActivity: { browserName?: string; browserVersion?: string; deviceType?: string; ipAddress?: string; city?: string; country?: string; isMobile?: boolean };
  declare revoke: () => Promise<this>;
}

const of = <T>(C: new (core: Core, raw: Raw) => T) => (core: Core, raw: Raw) => new C(core, raw);
const code = (p: { code?: string }) => ({ code: p.code });
const own = (kind: string) => (self: Resource) => ['me', kind, self.id];
const identifier: Record<string, Spec> = {
  prepareVerification: ['POST', 'prepare_verification', THIS],
  attemptVerification: ['POST', 'attempt_verification', THIS, code],
  reload: ['GET', '', THIS],
  destroy: ['DELETE', '', VOID],
};
define(EmailAddress, own('email_addresses'), identifier);
define(PhoneNumber, own('phone_numbers'), {
  ...identifier,
  prepareVerification: ['POST', 'prepare_verification', THIS, () => ({ strategy: 'phone_code' })],
  makeDefaultSecondFactor: ['PATCH', '', THIS, () => ({ defaultSecondFactor: true })],
  setReservedForSecondFactor: ['PATCH', '', THIS, (p) => ({ reservedForSecondFactor: p.reserved })],
});
define(ExternalAccount, own('external_accounts'), {
  reauthorize: ['PATCH', 'reauthorize', THIS, (p) => ({ redirectUrl: p.redirectUrl, additionalScope: p.additionalScopes })],
  destroy: ['DELETE', '', VOID],
});
define(Passkey, own('passkeys'), { update: ['PATCH', '', THIS, (p) => ({ name: p.name })], delete: ['DELETE', '', DATA] });
define(SessionWithActivities, own('sessions'), { revoke: ['POST', 'revoke', THIS] });

const membership = of(OrganizationMembership);

export class User extends Resource {
  declare firstName: string | null;
  declare lastName: string | null;
  declare username: string | null;
  declare imageUrl: string;
  declare hasImage: boolean;
  declare primaryEmailAddressId: string | null;
  declare primaryPhoneNumberId: string | null;
  declare primaryWeb3WalletId: string | null;
  declare emailAddresses: EmailAddress[];
  declare phoneNumbers: PhoneNumber[];
  declare externalAccounts: ExternalAccount[];
  declare passkeys: Passkey[];
  declare web3Wallets: Array<Record<string, unknown>>;
  declare organizationMemberships: OrganizationMembership[];
  declare passwordEnabled: boolean;
  declare totpEnabled: boolean;
  declare backupCodeEnabled: boolean;
  declare twoFactorEnabled: boolean;
  declare createOrganizationEnabled: boolean;
  declare createOrganizationsLimit: number | null;
  declare deleteSelfEnabled: boolean;
  declare publicMetadata: Record<string, unknown>;
  declare unsafeMetadata: Record<string, unknown>;
  declare lastSignInAt: Date | null;
  declare createdAt: Date | null;
  declare updatedAt: Date | null;

  /** Names, username, primary identifiers, `unsafeMetadata` (replaced whole). */
  declare update: (params: { firstName?: string; lastName?: string; username?: string; primaryEmailAddressId?: string; primaryPhoneNumberId?: string; unsafeMetadata?: Record<string, unknown> }) => Promise<this>;
  /** Deep-merges `unsafeMetadata` (RFC 7396: `null` removes a key). */
  declare updateMetadata: (params: { unsafeMetadata: Record<string, unknown> }) => Promise<this>;
  declare updatePassword: (params: { newPassword: string; currentPassword?: string; signOutOfOtherSessions?: boolean }) => Promise<this>;
  declare removePassword: (params: { currentPassword: string }) => Promise<this>;
  /** Deletes the account: its sessions end and the client shows no user. */
  declare delete: () => Promise<void>;
  declare reload: () => Promise<this>;
  declare createEmailAddress: (params: { email: string }) => Promise<EmailAddress>;
  declare createPhoneNumber: (params: { phoneNumber: string }) => Promise<PhoneNumber>;
  /** Connects an OAuth account: follow `verification.externalVerificationRedirectUrl` to the provider. */
  declare createExternalAccount: (params: { strategy: string; redirectUrl?: string; additionalScopes?: string[] }) => Promise<ExternalAccount>;
  /** Starts TOTP enrolment: `{secret, uri}` for the authenticator app. */
  declare createTOTP: () => Promise<Totp>;
  /** Finishes TOTP enrolment; the answer carries the backup codes. */
  declare verifyTOTP: (params: { code: string }) => Promise<Totp>;
  declare disableTOTP: () => Promise<DeletedObject>;
  /** A new set of backup codes, replacing the old one (shown once). */
  declare createBackupCode: () => Promise<{ id: string; codes: string[]; createdAt: Date | null; updatedAt: Date | null }>;
  declare leaveOrganization: (organizationId: string) => Promise<DeletedObject>;
  declare getOrganizationMemberships: (params?: PageParams) => Promise<Paginated<OrganizationMembership>>;
  declare getOrganizationInvitations: (params?: PageParams & { status?: string }) => Promise<Paginated<UserOrganizationInvitation>>;
  declare getOrganizationSuggestions: (params?: PageParams & { status?: string | string[] }) => Promise<Paginated<OrganizationSuggestion>>;
  #sessions?: SessionWithActivities[];

  protected override nested() {
    return { email_addresses: of(EmailAddress), phone_numbers: of(PhoneNumber), external_accounts: of(ExternalAccount), passkeys: of(Passkey), organization_memberships: membership };
  }
  override read(raw: Raw | null): this {
    super.read(raw);
    for (const key of ['emailAddresses', 'phoneNumbers', 'externalAccounts', 'passkeys', 'web3Wallets', 'organizationMemberships'] as const) this[key] ??= [];
    return this;
  }

  /** "first last", or null when both are empty. */
  get fullName(): string | null {
    return [this.firstName, this.lastName].filter(Boolean).join(' ') || null;
  }
  get primaryEmailAddress(): EmailAddress | null {
    return this.emailAddresses.find((e) => e.id === this.primaryEmailAddressId) ?? null;
  }
  get primaryPhoneNumber(): PhoneNumber | null {
    return this.phoneNumbers.find((p) => p.id === this.primaryPhoneNumberId) ?? null;
  }
  get primaryWeb3Wallet(): Record<string, unknown> | null {
    return this.web3Wallets.find((w) => w.id === this.primaryWeb3WalletId) ?? null;
  }
  get hasVerifiedEmailAddress(): boolean {
    return this.emailAddresses.some(verified);
  }
  get hasVerifiedPhoneNumber(): boolean {
    return this.phoneNumbers.some(verified);
  }
  get verifiedExternalAccounts(): ExternalAccount[] {
    return this.externalAccounts.filter(verified);
  }
  get unverifiedExternalAccounts(): ExternalAccount[] {
    return this.externalAccounts.filter((a) => !verified(a));
  }
  get verifiedWeb3Wallets(): Array<Record<string, unknown>> {
    return this.web3Wallets.filter(verified);
  }
  get unverifiedWeb3Wallets(): Array<Record<string, unknown>> {
    return this.web3Wallets.filter((w) => !verified(w));
  }
  isPrimaryIdentification(identification: EmailAddress | PhoneNumber): boolean {
    return identification.id === (identification instanceof EmailAddress ? this.primaryEmailAddressId : this.primaryPhoneNumberId);
  }

  /** Uploads the profile image (a Blob, a File or a data string); `null` removes it. */
  async setProfileImage(params: { file: Blob | string | null }): Promise<{ id?: string; name: string | null; publicUrl: string | null }> {
    const file = params?.file;
    const path = ['me', 'profile_image'];
    const image = file === null ? await send(this.core(), 'DELETE', path) : await send(this.core(), 'POST', path, undefined, { file: await fileArg(file) });
    return { id: image?.id, name: image?.name ?? null, publicUrl: image?.public_url ?? null };
  }
  /** The user's signed-in sessions on every device (fetched once per object, as clerk-js; [] when that fails). */
  async getSessions(): Promise<SessionWithActivities[]> {
    const core = this.core();
    return (this.#sessions ??= await send(core, 'GET', ['me', 'sessions', 'active']).then((list: Raw[]) => list.map((s) => new SessionWithActivities(core, s)), () => []));
  }
  /** Registers a passkey with this device's authenticator (WebAuthn). */
  async createPasskey(): Promise<Passkey> {
    const core = this.core();
    const started = await send(core, 'POST', ['me', 'passkeys']);
    const publicKeyCredential = await credential('registration', started.verification?.nonce);
    return new Passkey(core, await send(core, 'POST', ['me', 'passkeys', started.id, 'attempt_verification'], { strategy: 'passkey', publicKeyCredential }));
  }
}

const verified = (r: { verification?: unknown }) => (r.verification as Verification | null)?.status === 'verified';

define(User, () => ['me'], {
  update: ['PATCH', '', THIS],
  updateMetadata: ['PATCH', 'metadata', THIS],
  updatePassword: ['POST', 'change_password', THIS],
  removePassword: ['POST', 'remove_password', THIS],
  delete: ['DELETE', '', VOID],
  reload: ['GET', '', THIS],
  createEmailAddress: ['POST', 'email_addresses', of(EmailAddress), (p) => ({ emailAddress: p.email })],
  createPhoneNumber: ['POST', 'phone_numbers', of(PhoneNumber), (p) => ({ phoneNumber: p.phoneNumber })],
  createExternalAccount: ['POST', 'external_accounts', of(ExternalAccount), (p) => ({ strategy: p.strategy, redirectUrl: p.redirectUrl, additionalScope: p.additionalScopes })],
  createTOTP: ['POST', 'totp', DATA],
  verifyTOTP: ['POST', 'totp/attempt_verification', DATA, code],
  disableTOTP: ['DELETE', 'totp', DATA],
  createBackupCode: ['POST', 'backup_codes', DATA],
  leaveOrganization: ['DELETE', 'organization_memberships/:id', DATA],
  getOrganizationMemberships: ['GET', 'organization_memberships', [membership]],
  getOrganizationInvitations: ['GET', 'organization_invitations', [of(UserOrganizationInvitation)]],
  getOrganizationSuggestions: ['GET', 'organization_suggestions', [of(OrganizationSuggestion)]],
});
