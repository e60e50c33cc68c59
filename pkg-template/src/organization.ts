// Organizations and what hangs off them, as clerk-js 6.40 has them (Organization.ts,
// OrganizationMembership.ts, OrganizationInvitation.ts, …): each method names its Frontend API
// request; the engine sends it, applies the client it answers with and emits. Who may do what
// is the server's to decide (a member's admin-only call is its typed 403).

import type { Core } from './core';
import { view } from './convert';
import { type PageParams, type Paginated, type Raw, Resource, fileArg, page, send } from './resource';
import type { PublicUserData } from './types';

const ORGS = 'organizations';
const of = <T>(C: new (core: Core, raw: Raw) => T) => (core: Core, raw: Raw) => new C(core, raw);

export class Organization extends Resource {
  declare name: string;
  declare slug: string | null;
  declare imageUrl: string;
  declare hasImage: boolean;
  declare membersCount: number;
  declare pendingInvitationsCount: number;
  declare maxAllowedMemberships: number;
  declare adminDeleteEnabled: boolean;
  declare publicMetadata: Record<string, unknown>;
  declare createdAt: Date;
  declare updatedAt: Date;

  #path(...rest: string[]): string[] {
    return [ORGS, this.id, ...rest];
  }
  update(params: { name?: string; slug?: string; maxAllowedMemberships?: number }): Promise<this> {
    return this.mutate('PATCH', this.#path(), params);
  }
  reload(): Promise<this> {
    return this.mutate('GET', this.#path());
  }
  destroy(): Promise<void> {
    return this.send('DELETE', this.#path()).then(() => undefined);
  }
  /** Uploads the logo (a Blob, a File or a data string); `null` removes it. */
  async setLogo(params: { file: Blob | string | null }): Promise<Organization> {
    const file = params?.file;
    const raw = file === null ? await this.send('DELETE', this.#path('logo')) : await this.send('PUT', this.#path('logo'), undefined, { file: await fileArg(file) });
    return new Organization(this.core(), raw);
  }
  getRoles(params?: PageParams): Promise<Paginated<Role>> {
    return page(this.core(), this.#path('roles'), role, params);
  }
  getMemberships(params?: PageParams & { role?: string[]; query?: string }): Promise<Paginated<OrganizationMembership>> {
    return page(this.core(), this.#path('memberships'), membership, params);
  }
  getInvitations(params?: PageParams & { status?: string[] }): Promise<Paginated<OrganizationInvitation>> {
    return page(this.core(), this.#path('invitations'), invitation, params);
  }
  getMembershipRequests(params?: PageParams & { status?: string }): Promise<Paginated<OrganizationMembershipRequest>> {
    return page(this.core(), this.#path('membership_requests'), of(OrganizationMembershipRequest), params);
  }
  getDomains(params?: PageParams & { enrollmentMode?: string }): Promise<Paginated<OrganizationDomain>> {
    return page(this.core(), this.#path('domains'), domain, params);
  }
  getDomain(params: { domainId: string }): Promise<OrganizationDomain> {
    return this.send('GET', this.#path('domains', params?.domainId)).then((raw) => domain(this.core(), raw));
  }
  createDomain(name: string, params?: { enrollmentMode?: string }): Promise<OrganizationDomain> {
    return this.send('POST', this.#path('domains'), { name, enrollmentMode: params?.enrollmentMode }).then((raw) => domain(this.core(), raw));
  }
  addMember(params: { userId: string; role: string }): Promise<OrganizationMembership> {
    return this.#member('POST', this.#path('memberships'), { userId: params?.userId, role: params?.role });
  }
  updateMember(params: { userId: string; role: string }): Promise<OrganizationMembership> {
    return this.#member('PATCH', this.#path('memberships', params?.userId), { role: params?.role });
  }
  removeMember(userId: string): Promise<OrganizationMembership> {
    return this.#member('DELETE', this.#path('memberships', userId));
  }
  #member(verb: 'POST' | 'PATCH' | 'DELETE', path: string[], params?: object): Promise<OrganizationMembership> {
    return this.send(verb, path, params).then((raw) => membership(this.core(), raw));
  }
  inviteMember(params: { emailAddress: string; role: string }): Promise<OrganizationInvitation> {
    return this.send('POST', this.#path('invitations'), { emailAddress: params?.emailAddress, role: params?.role }).then((raw) => invitation(this.core(), raw));
  }
  inviteMembers(params: { emailAddresses: string[]; role: string }): Promise<OrganizationInvitation[]> {
    return this.send('POST', this.#path('invitations', 'bulk'), { emailAddress: params?.emailAddresses, role: params?.role }).then((list: Raw[]) =>
      list.map((raw) => invitation(this.core(), raw)),
    );
  }
}

export class OrganizationMembership extends Resource {
  declare organization: Organization;
  declare publicUserData: PublicUserData;
  declare role: string;
  declare roleName: string;
  declare permissions: string[];
  declare publicMetadata: Record<string, unknown>;
  declare createdAt: Date;
  declare updatedAt: Date;

  protected override nested() {
    return { organization };
  }
  #path(): string[] {
    return [ORGS, this.organization.id, 'memberships', String(this.publicUserData?.userId)];
  }
  update(params: { role: string }): Promise<this> {
    return this.mutate('PATCH', this.#path(), { role: params?.role });
  }
  destroy(): Promise<this> {
    return this.mutate('DELETE', this.#path());
  }
}

export class OrganizationInvitation extends Resource {
  declare emailAddress: string;
  declare organizationId: string;
  declare role: string;
  declare status: 'pending' | 'accepted' | 'revoked';
  revoke(): Promise<this> {
    return this.mutate('POST', [ORGS, this.organizationId, 'invitations', this.id, 'revoke']);
  }
}

export class OrganizationMembershipRequest extends Resource {
  declare organizationId: string;
  declare status: string;
  declare publicUserData: PublicUserData;
  accept(): Promise<this> {
    return this.mutate('POST', [ORGS, this.organizationId, 'membership_requests', this.id, 'accept']);
  }
  reject(): Promise<this> {
    return this.mutate('POST', [ORGS, this.organizationId, 'membership_requests', this.id, 'reject']);
  }
}

export class OrganizationDomain extends Resource {
  declare name: string;
  declare organizationId: string;
  declare enrollmentMode: string;
  declare verification: Record<string, unknown> | null;
  declare affiliationEmailAddress: string | null;

  #path(...rest: string[]): string[] {
    return [ORGS, this.organizationId, 'domains', this.id, ...rest];
  }
  prepareAffiliationVerification(params: { affiliationEmailAddress: string }): Promise<this> {
    return this.mutate('POST', this.#path('prepare_affiliation_verification'), params);
  }
  attemptAffiliationVerification(params: { code: string }): Promise<this> {
    return this.mutate('POST', this.#path('attempt_affiliation_verification'), params);
  }
  updateEnrollmentMode(params: { enrollmentMode: string; deletePending?: boolean }): Promise<this> {
    return this.mutate('POST', this.#path('update_enrollment_mode'), params);
  }
  delete(): Promise<void> {
    return this.send('DELETE', this.#path()).then(() => undefined);
  }
}

/** An invitation to an organization, as its invitee sees it (`user.getOrganizationInvitations()`). */
export class UserOrganizationInvitation extends Resource {
  declare emailAddress: string;
  declare publicOrganizationData: { id: string; name: string; slug: string | null; imageUrl: string; hasImage: boolean };
  declare role: string;
  declare status: string;
  accept(): Promise<this> {
    return this.mutate('POST', ['me', 'organization_invitations', this.id, 'accept']);
  }
}

/** An organization the user may join by their verified email's domain (`user.getOrganizationSuggestions()`). */
export class OrganizationSuggestion extends Resource {
  declare publicOrganizationData: { id: string; name: string; slug: string | null; imageUrl: string; hasImage: boolean };
  declare status: string;
  accept(): Promise<this> {
    return this.mutate('POST', ['me', 'organization_suggestions', this.id, 'accept']);
  }
}

export interface Role {
  id: string;
  key: string;
  name: string;
  description: string;
  permissions: Array<Record<string, unknown>>;
  createdAt: Date;
  updatedAt: Date;
}

const organization = of(Organization);
const membership = of(OrganizationMembership);
const invitation = of(OrganizationInvitation);
const domain = of(OrganizationDomain);
const role = (_core: Core, raw: Raw): Role => ({ ...(view(raw) as Role) });

/** `clerk.createOrganization({name, slug})`: the signed-in user becomes its admin. */
export function createOrganization(core: Core, params: { name: string; slug?: string }): Promise<Organization> {
  return send(core, 'POST', [ORGS], { name: params?.name, slug: params?.slug }).then((raw) => organization(core, raw));
}

/** `clerk.getOrganization(id)`: an organization the signed-in user belongs to. */
export function getOrganization(core: Core, id: string): Promise<Organization> {
  return send(core, 'GET', [ORGS, id]).then((raw) => organization(core, raw));
}
