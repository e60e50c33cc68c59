// Clerk's prebuilt UI components are not part of this library: the app brings @clerk/ui
// (`load({ ui: { ClerkUI } })`, ui-host.ts) and each method goes to it, as in clerk-js. Without
// it each fails with the typed `ui_components_unavailable` error: `open*` throws it; `mount*`
// reports it without throwing (React calls it while committing, where a throw would unmount the
// whole tree) and leaves its node empty; `unmount*`/`close*` do nothing.

import { Query } from './engine';
import type { Core } from './core';
import { toError } from './errors';
import { controls, DRAWERS, keyOf } from './ui-host';

const COMPONENTS = [
  'SignIn', 'SignUp', 'UserProfile', 'UserButton', 'UserAvatar', 'OrganizationProfile', 'CreateOrganization',
  'OrganizationSwitcher', 'OrganizationList', 'Waitlist', 'PricingTable', 'APIKeys', 'GoogleOneTap',
  'UserVerification', 'TaskChooseOrganization', 'TaskResetPassword', 'OAuthConsent', 'Checkout',
  'PlanDetails', 'SubscriptionDetails', 'SignInOrUp',
] as const;

type Component = (typeof COMPONENTS)[number];
/** The methods clerk-js has for its prebuilt UI; here each fails with `ui_components_unavailable`. */
export type ComponentMethods = { [K in `mount${Component}`]: (node?: HTMLElement | null, props?: unknown) => void }
  & { [K in `open${Component}`]: (props?: unknown) => void }
  & { [K in `unmount${Component}` | `close${Component}`]: (node?: HTMLElement | null) => void };

/** The typed error for `component` (the engine writes it). */
export function componentError(core: Core, component: string): unknown {
  try {
    core.query(Query.Component, { component });
  } catch (e) {
    return toError(e);
  }
}

/** Reported as an uncaught error would be (console, `window.onerror`), without throwing. */
function report(error: unknown): void {
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
}

export function installComponents(prototype: object, coreOf: (clerk: object) => Core): void {
  const define = (name: string, value: (this: object, ...args: any[]) => void) =>
    Object.defineProperty(prototype, name, { value, configurable: true, writable: true });
  // With @clerk/ui hosted (ui-host.ts), each goes to its controls as in clerk-js.
  for (const component of COMPONENTS) {
    const key = keyOf(component);
    const drawer = DRAWERS.includes(component);
    define(`mount${component}`, function (node?: unknown, props?: unknown) {
      const ui = controls(this, component);
      if (ui) void ui.then((c) => (c ? c.mountComponent({ name: component, appearanceKey: key, node, props }) : report(componentError(coreOf(this), component))));
      else report(componentError(coreOf(this), component));
    });
    define(`open${component}`, function (props?: unknown) {
      const ui = controls(this);
      if (!ui) throw componentError(coreOf(this), component);
      void ui.then((c) => (c ? c[drawer ? 'openDrawer' : 'openModal'](key, props ?? {}) : report(componentError(coreOf(this), component))));
    });
    define(`unmount${component}`, function (node?: unknown) {
      void controls(this)?.then((c) => c?.unmountComponent({ node }));
    });
    define(`close${component}`, function () {
      void controls(this)?.then((c) => c?.[drawer ? 'closeDrawer' : 'closeModal'](key));
    });
  }
}
