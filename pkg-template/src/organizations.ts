// The paginated lists clerk-js hangs on its User and Organization objects, which
// `useOrganizationList` and `useOrganization` page through: methods added to the plain user and
// organization views (not enumerable, so the views still read as the server's JSON).

import { Call } from './engine';
import type { Core } from './core';
import { view } from './convert';

export interface PageParams {
  /** 1-based, as clerk-js counts pages (default 1). */
  initialPage?: number;
  /** Items per page (default 10). */
  pageSize?: number;
  role?: string | string[];
  status?: string;
}

export interface Paginated<T = Record<string, unknown>> {
  data: T[];
  total_count: number;
}

/**
 * The engine link of a method that sits on a snapshot view, held weakly: a strong one would keep
 * the engine alive until a major GC (wasm memory then grew by every instance an app re-created).
 */
export function weakCore(core: Core): () => Core {
  const ref = new WeakRef(core);
  return () => {
    const live = ref.deref();
    if (!live) throw new Error('clerk-rs: this object belongs to a Clerk that no longer exists');
    return live;
  };
}

function pager(core: Core, list: string, organizationId?: string) {
  const live = weakCore(core);
  return async (params?: PageParams): Promise<Paginated> => {
    const core = live();
    const pageSize = params?.pageSize ?? 10;
    const role = Array.isArray(params?.role) ? params.role[0] : params?.role;
    // clerk-js's convertPageToOffsetSearchParams: pages become limit and offset.
    const answer = await core.call(Call.Page, {
      list, organizationId, limit: pageSize, offset: ((params?.initialPage ?? 1) - 1) * pageSize, role, status: params?.status,
    });
    return { data: answer.data.map(view), total_count: answer.total_count };
  };
}

/** Adds `methods` to a view once, not enumerable (the view still reads as the server's JSON). */
export function attach(target: object, methods: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(methods)) {
    if (!(name in target)) Object.defineProperty(target, name, { value, configurable: true });
  }
}

/** The user view with `getOrganizationMemberships`, `…Invitations` and `…Suggestions`. */
export function userView<T extends object | null>(core: Core, user: T): T {
  if (user) {
    attach(user, {
      getOrganizationMemberships: pager(core, 'user_memberships'),
      getOrganizationInvitations: pager(core, 'user_invitations'),
      getOrganizationSuggestions: pager(core, 'user_suggestions'),
    });
  }
  return user;
}

/** The organization view with `getMemberships`, `getInvitations`, `getMembershipRequests` and `getDomains`. */
export function organizationView<T extends { id?: unknown } | null>(core: Core, organization: T): T {
  if (organization && typeof organization.id === 'string') {
    const id = organization.id;
    attach(organization, {
      getMemberships: pager(core, 'memberships', id),
      getInvitations: pager(core, 'invitations', id),
      getMembershipRequests: pager(core, 'membership_requests', id),
      getDomains: pager(core, 'domains', id),
    });
  }
  return organization;
}
