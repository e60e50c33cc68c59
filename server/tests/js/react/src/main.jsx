// The probe app: ClerkProvider from the SDK under test (`#clerk-sdk`: @clerk/react 6.x or
// @clerk/clerk-react 5.61) around an instance from the factory under test (`#clerk-factory`),
// and one component per hook that writes what the hook returns into window.__probe on every
// render. The driver (../harness.mjs) reads it. Values are copied as they are: `undefined` and
// `null` stay distinct (Playwright's serialiser keeps both).
import React from 'react';
import { createRoot } from 'react-dom/client';
import * as SDK from '#clerk-sdk';
import { createClerk } from '#clerk-factory';

const { ClerkProvider, useAuth, useUser, useSession, useSessionList, useOrganization, useOrganizationList, useClerk } = SDK;
const { publishableKey, proxyUrl } = window.__HARNESS__;

const probe = { hooks: {}, changedAt: 0, api: {}, errors: [] };
window.__probe = probe;
window.addEventListener('error', (e) => probe.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => probe.errors.push(String(e.reason?.message ?? e.reason)));

function record(name, value) {
  probe.hooks[name] = value;
  probe.changedAt = performance.now();
}

/** `f(v)` for a value, keeping `undefined` and `null` as they are. */
const pick = (v, f) => (v === undefined || v === null ? v : f(v));
const page = (p) => pick(p, (p) => ({ count: p.count, isLoading: p.isLoading, isFetching: p.isFetching, data: p.data }));

function AuthProbe() {
  const a = useAuth();
  probe.api.getToken = a.getToken;
  const has = (params) => (typeof a.has === 'function' ? a.has(params) : `<${typeof a.has}>`);
  record('useAuth', {
    isLoaded: a.isLoaded, isSignedIn: a.isSignedIn, userId: a.userId, sessionId: a.sessionId,
    orgId: a.orgId, orgRole: a.orgRole, orgSlug: a.orgSlug, orgPermissions: a.orgPermissions,
    hasAdmin: has({ role: 'org:admin' }), hasMember: has({ role: 'org:member' }),
    hasManageMembers: has({ permission: 'org:sys_memberships:manage' }),
    getToken: typeof a.getToken, signOut: typeof a.signOut,
  });
  return null;
}

function UserProbe() {
  const u = useUser();
  record('useUser', {
    isLoaded: u.isLoaded, isSignedIn: u.isSignedIn,
    user: pick(u.user, (x) => ({ id: x.id, firstName: x.firstName, email: x.primaryEmailAddress?.emailAddress })),
  });
  return null;
}

function SessionProbe() {
  const s = useSession();
  record('useSession', {
    isLoaded: s.isLoaded, isSignedIn: s.isSignedIn,
    session: pick(s.session, (x) => ({ id: x.id, status: x.status, userId: x.user?.id })),
  });
  return null;
}

function SessionListProbe() {
  const l = useSessionList();
  probe.api.setActiveFromSessionList = l.setActive;
  record('useSessionList', {
    isLoaded: l.isLoaded,
    sessions: pick(l.sessions, (ss) => ss.map((x) => ({ id: x.id, status: x.status, userId: x.user?.id }))),
    setActive: typeof l.setActive,
  });
  return null;
}

function OrganizationProbe() {
  const o = useOrganization({ memberships: { pageSize: 10 } });
  record('useOrganization', {
    isLoaded: o.isLoaded,
    organization: pick(o.organization, (x) => ({ id: x.id, name: x.name, slug: x.slug, membersCount: x.membersCount })),
    membership: pick(o.membership, (m) => ({ id: m.id, role: m.role })),
    memberships: pick(page(o.memberships), (p) => ({ ...p, data: pick(p.data, (d) => d.map((m) => m.publicUserData?.userId)) })),
  });
  return null;
}

function OrganizationListProbe() {
  const l = useOrganizationList({ userMemberships: true, userInvitations: true, userSuggestions: true });
  const ids = (p) => pick(page(p), (p) => ({ ...p, data: pick(p.data, (d) => d.map((m) => m.organization?.id ?? m.id)) }));
  record('useOrganizationList', {
    isLoaded: l.isLoaded,
    userMemberships: ids(l.userMemberships),
    userInvitations: ids(l.userInvitations),
    userSuggestions: ids(l.userSuggestions),
    setActive: typeof l.setActive,
  });
  return null;
}

function ClerkProbe() {
  const c = useClerk();
  record('useClerk', { loaded: c.loaded, status: c.status, setActive: typeof c.setActive, signOut: typeof c.signOut });
  return null;
}

const mark = (name) => <span data-control={name} />;

/** The control components: `<Show>` in 6.x; `<SignedIn>`, `<SignedOut>`, `<Protect>` in 5.x. */
function Controls() {
  if (SDK.Show) {
    const { Show } = SDK;
    return (
      <>
        <Show when="signed-in">{mark('signed-in')}</Show>
        <Show when="signed-out">{mark('signed-out')}</Show>
        <Show when={{ role: 'org:admin' }}>{mark('role-admin')}</Show>
        <Show when={{ role: 'org:member' }}>{mark('role-member')}</Show>
        <Show when={{ permission: 'org:sys_memberships:manage' }}>{mark('perm-manage-members')}</Show>
      </>
    );
  }
  const { SignedIn, SignedOut, Protect } = SDK;
  return (
    <>
      <SignedIn>{mark('signed-in')}</SignedIn>
      <SignedOut>{mark('signed-out')}</SignedOut>
      <Protect role="org:admin">{mark('role-admin')}</Protect>
      <Protect role="org:member">{mark('role-member')}</Protect>
      <Protect permission="org:sys_memberships:manage">{mark('perm-manage-members')}</Protect>
    </>
  );
}

/**
 * The probes re-render when the SDK's own subscriptions make them; `probe.api.rerender()`
 * re-renders them all as any state change above them would, so the driver can also record
 * what each hook returns on a render it did not trigger itself (clerk-js mutates its client in
 * place, so `useSessionList()` only shows new sessions on such a render).
 */
function Probes() {
  const [renders, setRenders] = React.useState(0);
  probe.api.rerender = () => setRenders((n) => n + 1);
  return (
    <div data-renders={renders}>
      <AuthProbe />
      <UserProbe />
      <SessionProbe />
      <SessionListProbe />
      <OrganizationProbe />
      <OrganizationListProbe />
      <ClerkProbe />
      <Controls />
    </div>
  );
}

const clerk = await createClerk({ publishableKey, proxyUrl });
window.__harnessClerk = clerk;
const noNavigation = () => {};
createRoot(document.getElementById('root')).render(
  <ClerkProvider publishableKey={publishableKey} Clerk={clerk} telemetry={false} routerPush={noNavigation} routerReplace={noNavigation}>
    <Probes />
  </ClerkProvider>,
);
