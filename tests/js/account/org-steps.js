// The organization flows of account-orgs.mjs, run in the page through a library's public
// clerk-js API only, so that the very same code runs on clerk-js 6.40 and on clerk-rs. Each
// step takes the loaded `clerk` and the driver's arguments and returns `{ r, ids }`: `r` is what
// is compared between the libraries (no ids or times, only labels and types), `ids` the raw ids
// the driver passes on to other users' pages. `tag` keeps undefined apart from null, and says
// what type a value has, so that the driver never compares JSON.stringify output.

const state = { labels: new Map() };

/** A stable name for an id, in order of first sight ("org1", "user2", …). */
function label(id) {
  if (id === undefined || id === null) return id;
  if (!state.labels.has(id)) {
    const kind = String(id).split('_')[0];
    const n = [...state.labels.values()].filter((l) => l.startsWith(kind)).length + 1;
    state.labels.set(id, `${kind}${n}`);
  }
  return state.labels.get(id);
}

/** A JSON-safe picture of `v` that keeps undefined, Dates and functions distinct. */
export function tag(v) {
  if (v === undefined) return { $undefined: true };
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'function') return { $function: true };
  if (v instanceof Date) return { $date: !Number.isNaN(v.getTime()) };
  if (Array.isArray(v)) return v.map(tag);
  const out = {};
  for (const k of Object.keys(v).sort()) out[k] = tag(v[k]);
  return out;
}

/** A refused call as a picture: the API error's code, status and parameter. */
function apiError(e) {
  const first = e?.errors?.[0];
  return { code: first?.code, status: e?.status, paramName: first?.meta?.paramName, isApiError: Array.isArray(e?.errors) };
}

/** `fn()`, or its API error. */
async function attempt(fn) {
  try {
    await fn();
    return { refused: false };
  } catch (e) {
    return { refused: true, error: apiError(e) };
  }
}

function orgView(o) {
  const served = typeof o.imageUrl === 'string' && o.imageUrl.startsWith(`${location.origin}/v1/images/`);
  return {
    id: label(o.id), name: o.name, slug: o.slug, membersCount: o.membersCount, pendingInvitationsCount: o.pendingInvitationsCount,
    hasImage: o.hasImage, imageUrl: o.imageUrl === '' ? '' : served ? 'served' : o.imageUrl, adminDeleteEnabled: o.adminDeleteEnabled,
    maxAllowedMemberships: o.maxAllowedMemberships, publicMetadata: o.publicMetadata, createdAt: o.createdAt, updatedAt: o.updatedAt,
  };
}

function membershipView(m) {
  return {
    role: m.role, roleName: m.roleName, permissions: m.permissions, org: label(m.organization?.id),
    user: label(m.publicUserData?.userId), identifier: m.publicUserData?.identifier, createdAt: m.createdAt,
  };
}

function invitationView(i) {
  return { emailAddress: i.emailAddress, role: i.role, roleName: i.roleName, status: i.status, org: label(i.organizationId), publicMetadata: i.publicMetadata };
}

function domainView(d) {
  const v = d.affiliationVerification ?? d.verification;
  return {
    name: d.name, org: label(d.organizationId), enrollmentMode: d.enrollmentMode, affiliationEmailAddress: d.affiliationEmailAddress,
    verification: v && { status: v.status, strategy: v.strategy, attempts: v.attempts, expiresAt: v.expiresAt },
    totalPendingInvitations: d.totalPendingInvitations, totalPendingSuggestions: d.totalPendingSuggestions,
  };
}

const page = (p, view) => ({ total: p.total_count, data: p.data.map(view) });

/** A 1×1 PNG, as a File. */
function png() {
  const b64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new File([bytes], 'logo.png', { type: 'image/png' });
}

/** The active session's token claims. */
async function claims(clerk) {
  const jwt = await clerk.session.getToken({ skipCache: true });
  return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
}

async function can(clerk) {
  const s = clerk.session;
  return {
    manageMembers: s.checkAuthorization({ permission: 'org:sys_memberships:manage' }),
    readMembers: s.checkAuthorization({ permission: 'org:sys_memberships:read' }),
    manageProfile: s.checkAuthorization({ permission: 'org:sys_profile:manage' }),
    admin: s.checkAuthorization({ role: 'org:admin' }),
  };
}

const findOrg = async (clerk, id) => clerk.getOrganization(id);

export const steps = {
  /** Signs in with a password and makes the session active. */
  async signIn(clerk, { email, password }) {
    const si = await clerk.client.signIn.create({ identifier: email, password });
    await clerk.setActive({ session: si.createdSessionId });
    return { r: { status: si.status, signedIn: clerk.user?.primaryEmailAddress?.emailAddress === email }, ids: { userId: clerk.user.id } };
  },

  /** The admin creates an organization, after the refused attempts. */
  async create(clerk) {
    const refused = {
      noName: await attempt(() => clerk.createOrganization({ name: '' })),
      longName: await attempt(() => clerk.createOrganization({ name: 'x'.repeat(257) })),
      badSlug: await attempt(() => clerk.createOrganization({ name: 'Bad', slug: 'Not A Slug' })),
      takenSlug: await attempt(() => clerk.createOrganization({ name: 'Acme Two', slug: 'acme' })),
    };
    const o = await clerk.createOrganization({ name: 'Initech', slug: 'initech' });
    await clerk.setActive({ organization: o.id });
    const c = await claims(clerk);
    const fetched = await findOrg(clerk, o.id);
    return {
      r: {
        refused, created: orgView(o), fetched: orgView(fetched), active: label(clerk.organization?.id), token: { org: label(c.o?.id), role: c.o?.rol },
        memberships: clerk.user.organizationMemberships.map(membershipView), can: await can(clerk),
      },
      ids: { orgId: o.id },
    };
  },

  /** Profile: rename, the logo, the roles. */
  async profile(clerk, { orgId }) {
    const o = await findOrg(clerk, orgId);
    const renamed = await o.update({ name: 'Initrode', slug: 'initrode' });
    const badRename = await attempt(() => renamed.update({ name: 'Initrode', slug: 'acme' }));
    const withLogo = await renamed.setLogo({ file: png() });
    const logo = await fetch(withLogo.imageUrl);
    const notImage = await attempt(() => withLogo.setLogo({ file: new File([new TextEncoder().encode('plain text')], 'x.png', { type: 'image/png' }) }));
    const noLogo = await withLogo.setLogo({ file: null });
    const roles = await noLogo.getRoles();
    return {
      r: {
        renamed: orgView(renamed), badRename, withLogo: orgView(withLogo), logo: { status: logo.status, type: logo.headers.get('content-type') },
        notImage, noLogo: orgView(noLogo),
        roles: { total: roles.total_count, data: roles.data.map((role) => ({ key: role.key, name: role.name, permissions: role.permissions.map((p) => p.key) })) },
      },
      ids: {},
    };
  },

  /** Members: add, filters, role changes, the last-admin rule. */
  async members(clerk, { orgId, daveId, selfId }) {
    const o = await findOrg(clerk, orgId);
    const added = await o.addMember({ userId: daveId, role: 'org:member' });
    const again = await attempt(() => o.addMember({ userId: daveId, role: 'org:member' }));
    const badRole = await attempt(() => o.addMember({ userId: daveId, role: 'org:boss' }));
    const noUser = await attempt(() => o.addMember({ userId: 'user_nobody', role: 'org:member' }));
    const onlyMembers = await o.getMemberships({ role: ['org:member'] });
    const byQuery = await o.getMemberships({ query: 'dave@' });
    const all = await o.getMemberships();
    const promoted = await o.updateMember({ userId: daveId, role: 'org:admin' });
    const listed = (await o.getMemberships({ role: ['org:admin'] })).data.find((m) => m.publicUserData?.userId === daveId);
    const demoted = await listed.update({ role: 'org:member' });
    const lastAdmin = await attempt(() => o.updateMember({ userId: selfId, role: 'org:member' }));
    const lastAdminRemoved = await attempt(() => o.removeMember(selfId));
    const lastAdminLeaves = await attempt(() => clerk.user.leaveOrganization(orgId));
    return {
      r: {
        added: membershipView(added), again, badRole, noUser, onlyMembers: page(onlyMembers, membershipView), byQuery: page(byQuery, membershipView),
        all: page(all, membershipView), promoted: membershipView(promoted), demoted: membershipView(demoted), lastAdmin, lastAdminRemoved, lastAdminLeaves,
      },
      ids: {},
    };
  },

  /** A member's view: what checkAuthorization says agrees with what the server allows. */
  async asMember(clerk, { orgId }) {
    await clerk.setActive({ organization: orgId });
    const o = clerk.organization;
    const c = await claims(clerk);
    return {
      r: {
        active: label(o?.id), token: { org: label(c.o?.id), role: c.o?.rol }, can: await can(clerk),
        members: page(await o.getMemberships(), membershipView),
        invitations: await attempt(() => o.getInvitations()),
        rename: await attempt(() => o.update({ name: 'Mine' })),
        invite: await attempt(() => o.inviteMember({ emailAddress: 'x@example.com', role: 'org:member' })),
        domains: await attempt(() => o.getDomains()),
        destroy: await attempt(() => o.destroy()),
      },
      ids: {},
    };
  },

  /** Invitations: one, several, refusals, the status filter, revoking. */
  async invite(clerk, { orgId }) {
    const o = await findOrg(clerk, orgId);
    const one = await o.inviteMember({ emailAddress: 'erin@initech.com', role: 'org:member' });
    const many = await o.inviteMembers({ emailAddresses: ['x1@example.com', 'x2@example.com'], role: 'org:admin' });
    const duplicate = await attempt(() => o.inviteMember({ emailAddress: 'ERIN@initech.com', role: 'org:member' }));
    const member = await attempt(() => o.inviteMember({ emailAddress: 'dave@example.com', role: 'org:member' }));
    const badEmail = await attempt(() => o.inviteMember({ emailAddress: 'not-an-email', role: 'org:member' }));
    const pending = await o.getInvitations({ status: ['pending'] });
    const pendingView = page(pending, invitationView);
    const x2 = pending.data.find((i) => i.emailAddress === 'x2@example.com');
    const revoked = await x2.revoke();
    const revokedAgain = await attempt(() => x2.revoke());
    const byStatus = await o.getInvitations({ status: ['revoked'] });
    return {
      r: {
        one: invitationView(one), many: many.map(invitationView), duplicate, member, badEmail, pending: pendingView,
        revoked: invitationView(revoked), revokedAgain, byStatus: page(byStatus, invitationView),
        org: orgView(await findOrg(clerk, orgId)),
      },
      ids: {},
    };
  },

  /** The invited user accepts, then leaves. */
  async acceptInvitation(clerk) {
    const mine = await clerk.user.getOrganizationInvitations({ status: 'pending' });
    const inv = mine.data[0];
    const view = (i) => ({ emailAddress: i.emailAddress, role: i.role, status: i.status, org: { id: label(i.publicOrganizationData?.id), name: i.publicOrganizationData?.name, slug: i.publicOrganizationData?.slug, hasImage: i.publicOrganizationData?.hasImage } });
    // Seen before accepting: the resource methods update the resource itself.
    const listed = { total: mine.total_count, data: mine.data.map(view) };
    const accepted = await inv.accept();
    const again = await attempt(() => inv.accept());
    const memberships = clerk.user.organizationMemberships.map(membershipView);
    const orgId = inv.publicOrganizationData.id;
    const left = await clerk.user.leaveOrganization(orgId);
    return {
      r: {
        listed, accepted: view(accepted), again, memberships,
        left: { object: left.object, deleted: left.deleted }, after: clerk.user.organizationMemberships.length,
      },
      ids: { orgId },
    };
  },

  /** Domains: refusals, adding one, and preparing its affiliation verification. */
  async domain(clerk, { orgId }) {
    const o = await findOrg(clerk, orgId);
    const common = await attempt(() => o.createDomain('gmail.com'));
    const malformed = await attempt(() => o.createDomain('not a domain'));
    const d = await o.createDomain('initech.com');
    const created = domainView(d);
    const taken = await attempt(() => o.createDomain('initech.com'));
    const tooEarly = await attempt(() => d.updateEnrollmentMode({ enrollmentMode: 'automatic_suggestion' }));
    const elsewhere = await attempt(() => d.prepareAffiliationVerification({ affiliationEmailAddress: 'carol@example.com' }));
    const prepared = await d.prepareAffiliationVerification({ affiliationEmailAddress: 'carol@initech.com' });
    return { r: { common, malformed, created, taken, tooEarly, elsewhere, prepared: domainView(prepared) }, ids: { domainId: d.id } };
  },

  /** The code from the outbox verifies the domain; then automatic suggestions. */
  async verifyDomain(clerk, { orgId, domainId, code, wrongCode }) {
    const o = await findOrg(clerk, orgId);
    const d = await o.getDomain({ domainId });
    const wrong = await attempt(() => d.attemptAffiliationVerification({ code: wrongCode }));
    const verified = domainView(await d.attemptAffiliationVerification({ code }));
    const mode = await d.updateEnrollmentMode({ enrollmentMode: 'automatic_suggestion' });
    const filtered = await o.getDomains({ enrollmentMode: 'automatic_suggestion' });
    const none = await o.getDomains({ enrollmentMode: 'automatic_invitation' });
    return { r: { wrong, verified, mode: domainView(mode), filtered: page(filtered, domainView), none: page(none, domainView) }, ids: {} };
  },

  /** A user with an address at the verified domain accepts the suggestion. */
  async acceptSuggestion(clerk) {
    const pending = await clerk.user.getOrganizationSuggestions({ status: 'pending' });
    const view = (s) => ({ status: s.status, org: { id: label(s.publicOrganizationData?.id), name: s.publicOrganizationData?.name }, createdAt: s.createdAt });
    const s = pending.data[0];
    const listed = { total: pending.total_count, data: pending.data.map(view) };
    const accepted = await s.accept();
    const again = await attempt(() => s.accept());
    const member = await attempt(() => clerk.getOrganization(s.publicOrganizationData.id));
    return { r: { pending: listed, accepted: view(accepted), again, member }, ids: {} };
  },

  /** The admin accepts the membership request; then removes members and the domain. */
  async requestsAndCleanup(clerk, { orgId, daveId, domainId }) {
    const o = await findOrg(clerk, orgId);
    const pending = await o.getMembershipRequests({ status: 'pending' });
    const requestView = (q) => ({ status: q.status, org: label(q.organizationId), user: label(q.publicUserData?.userId), identifier: q.publicUserData?.identifier });
    const listed = page(pending, requestView);
    const accepted = await pending.data[0].accept();
    const rejectAfter = await attempt(() => pending.data[0].reject());
    const afterAccept = page(await o.getMemberships(), membershipView);
    const removed = await o.removeMember(daveId);
    const erin = (await o.getMemberships({ query: 'erin' })).data[0];
    const destroyed = await erin.destroy();
    const d = await o.getDomain({ domainId });
    await d.delete();
    const domainsAfter = page(await o.getDomains(), domainView);
    return {
      r: {
        pending: listed, accepted: requestView(accepted), rejectAfter, afterAccept, removed: membershipView(removed),
        destroyed: typeof destroyed, domainsAfter, membersCount: (await findOrg(clerk, orgId)).membersCount,
      },
      ids: {},
    };
  },

  /** The admin deletes the organization. */
  async destroy(clerk, { orgId }) {
    const o = await findOrg(clerk, orgId);
    await o.destroy();
    const gone = await attempt(() => clerk.getOrganization(orgId));
    return { r: { gone, memberships: clerk.user.organizationMemberships.length }, ids: {} };
  },
};
