// The signed-in user and the resources of their own account, as clerk-js 6.40 has them
// (packages/clerk-js/src/core/resources/User.ts and its neighbours): each method names its
// Frontend API request; the engine sends it, applies the client it answers with and emits.

import type { Core } from './core';
import { view } from './convert';
import { credential } from './passkeys';
import { createEmailLinkFlow } from './flows';
import { type DeletedObject, type PageParams, type Paginated, type Raw, Resource, fileArg, page, send } from './resource';
import { OrganizationMembership, OrganizationSuggestion, UserOrganizationInvitation } from './organization';
import type { Verification } from './types';

const ME = 'me';

export class EmailAddress extends Resource {
  declare emailAddress: string;
  declare verification: Verification;
  declare linkedTo: Array<{ id: string; type: string }>;

  #path(...rest: string[]): string[] {
    return [ME, 'email_addresses', this.id, ...rest];
  }
  /** `{strategy: 'email_code'}`, or `{strategy: 'email_link', redirectUrl}`. */
  prepareVerification(params: { strategy: 'email_code' | 'email_link'; redirectUrl?: string }): Promise<this> {
    return this.mutate('POST', this.#path('prepare_verification'), params);
  }
  attemptVerification(params: { code: string }): Promise<this> {
    return this.mutate('POST', this.#path('attempt_verification'), { code: params?.code });
  }
  reload(): Promise<this> {
    return this.mutate('GET', this.#path());
  }
  /** Emails a verification link; `startEmailLinkFlow` resolves once it is opened. */
  createEmailLinkFlow() {
    const flow = createEmailLinkFlow(this.core(), (params) => this.prepareVerification(params as any) as any, (now) => now.verification?.status === 'verified');
    return {
      startEmailLinkFlow: ({ redirectUrl }: { redirectUrl: string }) => flow.startEmailLinkFlow({ redirectUrl }) as unknown as Promise<EmailAddress>,
      cancelEmailLinkFlow: flow.cancelEmailLinkFlow,
    };
  }
  destroy(): Promise<void> {
    return this.send('DELETE', this.#path()).then(() => undefined);
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

  #path(...rest: string[]): string[] {
    return [ME, 'phone_numbers', this.id, ...rest];
  }
  prepareVerification(): Promise<this> {
    return this.mutate('POST', this.#path('prepare_verification'), { strategy: 'phone_code' });
  }
  attemptVerification(params: { code: string }): Promise<this> {
    return this.mutate('POST', this.#path('attempt_verification'), { code: params?.code });
  }
  makeDefaultSecondFactor(): Promise<this> {
    return this.mutate('PATCH', this.#path(), { defaultSecondFactor: true });
  }
  setReservedForSecondFactor(params: { reserved: boolean }): Promise<this> {
    return this.mutate('PATCH', this.#path(), { reservedForSecondFactor: params?.reserved });
  }
  reload(): Promise<this> {
    return this.mutate('GET', this.#path());
  }
  destroy(): Promise<void> {
    return this.send('DELETE', this.#path()).then(() => undefined);
  }
  toString(): string {
    return this.phoneNumber;
  }
}

export class ExternalAccount extends Resource {
  declare provider: string;
  declare emailAddress: string;
  declare username: string | null;
  declare verification: Verification | null;

  protected override fromJSON(raw: Raw | null): this {
    super.fromJSON(raw);
    // clerk-js names the provider without its strategy prefix (`google`, not `oauth_google`).
    if (raw) this.provider = String(raw.provider ?? '').replace('oauth_', '');
    return this;
  }
  /** Sends the user back through the provider for more scopes; follow `verification.externalVerificationRedirectUrl`. */
  reauthorize(params: { redirectUrl: string; additionalScopes?: string[] }): Promise<this> {
    return this.mutate('PATCH', [ME, 'external_accounts', this.id, 'reauthorize'], {
      redirectUrl: params?.redirectUrl,
      additionalScope: params?.additionalScopes,
    });
  }
  destroy(): Promise<void> {
    return this.send('DELETE', [ME, 'external_accounts', this.id]).then(() => undefined);
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
  update(params: { name: string }): Promise<this> {
    return this.mutate('PATCH', [ME, 'passkeys', this.id], { name: params?.name });
  }
  delete(): Promise<DeletedObject> {
    return this.send('DELETE', [ME, 'passkeys', this.id]);
  }
}

/** A signed-in session of the user on any device, with its latest activity (`user.getSessions()`). */
export class SessionWithActivities extends Resource {
  declare status: string;
  declare lastActiveAt: Date;
  declare latestActivity: { browserName?: string; browserVersion?: string; deviceType?: string; ipAddress?: string; city?: string; country?: string; isMobile?: boolean };
  revoke(): Promise<this> {
    return this.mutate('POST', [ME, 'sessions', this.id, 'revoke']);
  }
}

const of = <T>(C: new (core: Core, raw: Raw) => T) => (core: Core, raw: Raw) => new C(core, raw);
const emailAddress = of(EmailAddress);
const phoneNumber = of(PhoneNumber);
const externalAccount = of(ExternalAccount);
const passkey = of(Passkey);
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
  #sessions?: SessionWithActivities[];

  protected override nested() {
    return { email_addresses: emailAddress, phone_numbers: phoneNumber, external_accounts: externalAccount, passkeys: passkey, organization_memberships: membership };
  }
  protected override fromJSON(raw: Raw | null): this {
    super.fromJSON(raw);
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
    return this.emailAddresses.some((e) => e.verification?.status === 'verified');
  }
  get hasVerifiedPhoneNumber(): boolean {
    return this.phoneNumbers.some((p) => p.verification?.status === 'verified');
  }
  get verifiedExternalAccounts(): ExternalAccount[] {
    return this.externalAccounts.filter((a) => a.verification?.status === 'verified');
  }
  get unverifiedExternalAccounts(): ExternalAccount[] {
    return this.externalAccounts.filter((a) => a.verification?.status !== 'verified');
  }
  get verifiedWeb3Wallets(): Array<Record<string, unknown>> {
    return this.web3Wallets.filter((w: any) => w.verification?.status === 'verified');
  }
  get unverifiedWeb3Wallets(): Array<Record<string, unknown>> {
    return this.web3Wallets.filter((w: any) => w.verification?.status !== 'verified');
  }
  isPrimaryIdentification(identification: EmailAddress | PhoneNumber): boolean {
    return identification.id === (identification instanceof EmailAddress ? this.primaryEmailAddressId : this.primaryPhoneNumberId);
  }

  /** Names, username, primary identifiers, `unsafeMetadata` (replaced whole, as clerk-js's result). */
  update(params: { firstName?: string; lastName?: string; username?: string; primaryEmailAddressId?: string; primaryPhoneNumberId?: string; unsafeMetadata?: Record<string, unknown> }): Promise<this> {
    return this.mutate('PATCH', [ME], params);
  }
  /** Deep-merges `unsafeMetadata` (RFC 7396: `null` removes a key). */
  updateMetadata(params: { unsafeMetadata: Record<string, unknown> }): Promise<this> {
    return this.mutate('PATCH', [ME, 'metadata'], params);
  }
  updatePassword(params: { newPassword: string; currentPassword?: string; signOutOfOtherSessions?: boolean }): Promise<this> {
    return this.mutate('POST', [ME, 'change_password'], params);
  }
  removePassword(params: { currentPassword: string }): Promise<this> {
    return this.mutate('POST', [ME, 'remove_password'], params);
  }
  /** Deletes the account: every session ends and the client shows no user. */
  delete(): Promise<void> {
    return this.send('DELETE', [ME]).then(() => undefined);
  }
  reload(): Promise<this> {
    return this.mutate('GET', [ME]);
  }
  /** Uploads the profile image (a Blob, a File or a data string); `null` removes it. */
  async setProfileImage(params: { file: Blob | string | null }): Promise<{ id?: string; name: string | null; publicUrl: string | null }> {
    const file = params?.file;
    const path = [ME, 'profile_image'];
    const image = file === null ? await this.send('DELETE', path) : await this.send('POST', path, undefined, { file: await fileArg(file) });
    return { id: image?.id, name: image?.name ?? null, publicUrl: image?.public_url ?? null };
  }
  /** The user's signed-in sessions on every device (fetched once per object, as clerk-js). */
  async getSessions(): Promise<SessionWithActivities[]> {
    const core = this.core();
    // clerk-js answers an empty list when the request fails.
    return (this.#sessions ??= await send(core, 'GET', [ME, 'sessions', 'active']).then((list: Raw[]) => list.map((s) => new SessionWithActivities(core, s)), () => []));
  }
  createEmailAddress(params: { email: string }): Promise<EmailAddress> {
    return this.send('POST', [ME, 'email_addresses'], { emailAddress: params?.email }).then((raw) => new EmailAddress(this.core(), raw));
  }
  createPhoneNumber(params: { phoneNumber: string }): Promise<PhoneNumber> {
    return this.send('POST', [ME, 'phone_numbers'], { phoneNumber: params?.phoneNumber }).then((raw) => new PhoneNumber(this.core(), raw));
  }
  /** Connects an OAuth account: follow `verification.externalVerificationRedirectUrl` to the provider. */
  createExternalAccount(params: { strategy: string; redirectUrl?: string; additionalScopes?: string[] }): Promise<ExternalAccount> {
    const { strategy, redirectUrl, additionalScopes } = params ?? {};
    return this.send('POST', [ME, 'external_accounts'], { strategy, redirectUrl, additionalScope: additionalScopes }).then((raw) => new ExternalAccount(this.core(), raw));
  }
  /** Starts TOTP enrolment: `{secret, uri}` for the authenticator app. */
  createTOTP(): Promise<{ id: string; secret?: string; uri?: string; verified: boolean; backupCodes?: string[] }> {
    return this.send('POST', [ME, 'totp']).then(totp);
  }
  verifyTOTP(params: { code: string }): Promise<{ id: string; verified: boolean; backupCodes?: string[] }> {
    return this.send('POST', [ME, 'totp', 'attempt_verification'], { code: params?.code }).then(totp);
  }
  disableTOTP(): Promise<DeletedObject> {
    return this.send('DELETE', [ME, 'totp']);
  }
  /** A new set of backup codes, replacing the old one (shown once). */
  createBackupCode(): Promise<{ id: string; codes: string[]; createdAt: Date | null; updatedAt: Date | null }> {
    return this.send('POST', [ME, 'backup_codes']).then(totp);
  }
  /** Registers a passkey with this device's authenticator (WebAuthn). */
  async createPasskey(): Promise<Passkey> {
    const started = await this.send('POST', [ME, 'passkeys']);
    const publicKeyCredential = await credential('registration', started.verification?.nonce);
    const raw = await this.send('POST', [ME, 'passkeys', started.id, 'attempt_verification'], { strategy: 'passkey', publicKeyCredential });
    return new Passkey(this.core(), raw);
  }
  leaveOrganization(organizationId: string): Promise<DeletedObject> {
    return this.send('DELETE', [ME, 'organization_memberships', organizationId]);
  }
  getOrganizationMemberships(params?: PageParams): Promise<Paginated<OrganizationMembership>> {
    return page(this.core(), [ME, 'organization_memberships'], membership, params);
  }
  getOrganizationInvitations(params?: PageParams & { status?: string }): Promise<Paginated<UserOrganizationInvitation>> {
    return page(this.core(), [ME, 'organization_invitations'], of(UserOrganizationInvitation), params);
  }
  getOrganizationSuggestions(params?: PageParams & { status?: string | string[] }): Promise<Paginated<OrganizationSuggestion>> {
    return page(this.core(), [ME, 'organization_suggestions'], of(OrganizationSuggestion), params);
  }
}

/** TOTP and backup-code answers are plain data (clerk-js's TOTP and BackupCode have no methods). */
const totp = (raw: Raw) => ({ ...view(raw) });
