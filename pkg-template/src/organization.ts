// Organizations and what hangs off them, as clerk-js 6.40 has them (Organization.ts,
// OrganizationMembership.ts, OrganizationInvitation.ts, …): each method names its Frontend API
// request; the engine sends it, applies the client it answers with and emits. Who may do what
// is the server's to decide (a member's admin-only call is its typed 403).

import type { Core } from './core';
import { date, view } from './convert';
import { type PageParams, type Paginated, type Raw, Resource, THIS, VOID, define, fileArg, send } from './resource';
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
  declare update: (params: { name?: string; slug?: string; maxAllowedMemberships?: number }) => Promise<this>;
  declare reload: () => Promise<this>;
  declare destroy: () => Promise<void>;
  declare getRoles: (params?: PageParams) => Promise<Paginated<Role>>;
  declare getMemberships: (params?: PageParams & { role?: string[]; query?: string }) => Promise<Paginated<OrganizationMembership>>;
  declare getInvitations: (params?: PageParams & { status?: string[] }) => Promise<Paginated<OrganizationInvitation>>;
  declare getMembershipRequests: (params?: PageParams & { status?: string }) => Promise<Paginated<OrganizationMembershipRequest>>;
  declare getDomains: (params?: PageParams & { enrollmentMode?: string }) => Promise<Paginated<OrganizationDomain>>;
  declare getDomain: (params: { domainId: string }) => Promise<OrganizationDomain>;
  declare addMember: (params: { userId: string; role: string }) => Promise<OrganizationMembership>;
  declare updateMember: (params: { userId: string; role: string }) => Promise<OrganizationMembership>;
  declare removeMember: (userId: string) => Promise<OrganizationMembership>;
  declare inviteMember: (params: { emailAddress: string; role: string }) => Promise<OrganizationInvitation>;
  declare inviteMembers: (params: { emailAddresses: string[]; role: string }) => Promise<OrganizationInvitation[]>;

  createDomain(name: string, params?: { enrollmentMode?: string }): Promise<OrganizationDomain> {
    return send(this.core(), 'POST', [ORGS, this.id, 'domains'], { name, enrollmentMode: params?.enrollmentMode }).then((raw) => domain(this.core(), raw));
  }
  /** Uploads the logo (a Blob, a File or a data string); `null` removes it. */
  async setLogo(params: { file: Blob | string | null }): Promise<Organization> {
    const file = params?.file;
    const path = [ORGS, this.id, 'logo'];
    return new Organization(this.core(), file === null ? await send(this.core(), 'DELETE', path) : await send(this.core(), 'PUT', path, undefined, { file: await fileArg(file) }));
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
  declare update: (params: { role: string }) => Promise<this>;
  declare destroy: () => Promise<void>;
  protected override nested() {
    return { organization };
  }
}

export class OrganizationInvitation extends Resource {
  declare emailAddress: string;
  declare organizationId: string;
  declare role: string;
  declare status: 'pending' | 'accepted' | 'revoked';
  declare revoke: () => Promise<this>;
}

export class OrganizationMembershipRequest extends Resource {
  declare organizationId: string;
  declare status: string;
  declare publicUserData: PublicUserData;
  declare accept: () => Promise<this>;
  declare reject: () => Promise<this>;
}

export class OrganizationDomain extends Resource {
  declare name: string;
  declare organizationId: string;
  declare enrollmentMode: string;
  declare verification: { status: string; strategy: string; attempts: number | null; expiresAt: Date | null } | null;
  declare affiliationVerification: OrganizationDomain['verification'];
  declare affiliationEmailAddress: string | null;
  declare prepareAffiliationVerification: (params: { affiliationEmailAddress: string }) => Promise<this>;
  declare attemptAffiliationVerification: (params: { code: string }) => Promise<this>;
  declare updateEnrollmentMode: (params: { enrollmentMode: string; deletePending?: boolean }) => Promise<this>;
  declare delete: () => Promise<void>;

  override read(raw: Raw | null): this {
    super.read(raw);
    // clerk-js's own shape for a domain's verification (or null), the affiliation's first.
    const v = raw && (raw.affiliation_verification ?? raw.verification);
    if (raw) this.verification = this.affiliationVerification = v ? { status: v.status, strategy: v.strategy, attempts: v.attempts, expiresAt: date(v.expires_at) } : null;
    return this;
  }
}

/** An invitation to an organization, as its invitee sees it (`user.getOrganizationInvitations()`). */
export class UserOrganizationInvitation extends Resource {
  declare emailAddress: string;
  declare publicOrganizationData: { id: string; name: string; slug: string | null; imageUrl: string; hasImage: boolean };
  declare role: string;
  declare status: string;
  declare accept: () => Promise<this>;
}

/** An organization the user may join by their verified email's domain (`user.getOrganizationSuggestions()`). */
export class OrganizationSuggestion extends Resource {
  declare publicOrganizationData: { id: string; name: string; slug: string | null; imageUrl: string; hasImage: boolean };
  declare status: string;
  declare accept: () => Promise<this>;
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
const mine = (kind: string) => (self: Resource) => ['me', kind, self.id];
const under = (kind: string) => (self: { organizationId: string; id: string }) => [ORGS, self.organizationId, kind, self.id];

define(Organization, (self: Organization) => [ORGS, self.id], {
  update: ['PATCH', '', THIS],
  reload: ['GET', '', THIS],
  destroy: ['DELETE', '', VOID],
  getRoles: ['GET', 'roles', [role]],
  getMemberships: ['GET', 'memberships', [membership]],
  getInvitations: ['GET', 'invitations', [invitation]],
  getMembershipRequests: ['GET', 'membership_requests', [of(OrganizationMembershipRequest)]],
  getDomains: ['GET', 'domains', [domain]],
  getDomain: ['GET', 'domains/:domainId', domain],
  addMember: ['POST', 'memberships', membership],
  updateMember: ['PATCH', 'memberships/:userId', membership, (p) => ({ role: p.role })],
  removeMember: ['DELETE', 'memberships/:id', membership],
  inviteMember: ['POST', 'invitations', invitation],
  inviteMembers: ['POST', 'invitations/bulk', invitation, (p) => ({ emailAddress: p.emailAddresses, role: p.role })],
});
define(OrganizationMembership, (self: OrganizationMembership) => [ORGS, self.organization.id, 'memberships', String(self.publicUserData?.userId)], {
  update: ['PATCH', '', THIS, (p) => ({ role: p.role })],
  destroy: ['DELETE', '', VOID],
});
define(OrganizationInvitation, under('invitations'), { revoke: ['POST', 'revoke', THIS] });
define(OrganizationMembershipRequest, under('membership_requests'), { accept: ['POST', 'accept', THIS], reject: ['POST', 'reject', THIS] });
define(OrganizationDomain, under('domains'), {
  prepareAffiliationVerification: ['POST', 'prepare_affiliation_verification', THIS],
  attemptAffiliationVerification: ['POST', 'attempt_affiliation_verification', THIS],
  updateEnrollmentMode: ['POST', 'update_enrollment_mode', THIS],
  delete: ['DELETE', '', VOID],
});
define(UserOrganizationInvitation, mine('organization_invitations'), { accept: ['POST', 'accept', THIS] });
define(OrganizationSuggestion, mine('organization_suggestions'), { accept: ['POST', 'accept', THIS] });

/** `clerk.createOrganization({name, slug})`: the signed-in user becomes its admin. */
export function createOrganization(core: Core, params: { name: string; slug?: string }): Promise<Organization> {
  return send(core, 'POST', [ORGS], { name: params?.name, slug: params?.slug }).then((raw) => organization(core, raw));
}

/** `clerk.getOrganization(id)`: an organization the signed-in user belongs to. */
export function getOrganization(core: Core, id: string): Promise<Organization> {
  return send(core, 'GET', [ORGS, id]).then((raw) => organization(core, raw));
}
