// Clerk's prebuilt UI components are not part of this headless library. Their methods exist,
// so code written for clerk-js (and Clerk's React components) finds them, and each fails with
// the typed `ui_components_unavailable` error: `open*` throws it; `mount*` reports it without
// throwing (React calls it while committing, where a throw would unmount the whole tree) and
// leaves its node empty; `unmount*`/`close*` do nothing.

import { Query } from './engine';
import type { Core } from './core';
import { toError } from './errors';

const COMPONENTS = [
  'SignIn', 'SignUp', 'UserProfile', 'UserButton', 'UserAvatar', 'OrganizationProfile', 'CreateOrganization',
  'OrganizationSwitcher', 'OrganizationList', 'Waitlist', 'PricingTable', 'APIKeys', 'GoogleOneTap',
  'UserVerification', 'TaskChooseOrganization', 'TaskResetPassword', 'OAuthConsent', 'Checkout',
  'PlanDetails', 'SubscriptionDetails', 'SignInOrUp',
];

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
  const define = (name: string, value: (this: object) => void) =>
    Object.defineProperty(prototype, name, { value, configurable: true, writable: true });
  for (const component of COMPONENTS) {
    define(`mount${component}`, function () {
      report(componentError(coreOf(this), component));
    });
    define(`open${component}`, function () {
      throw componentError(coreOf(this), component);
    });
    define(`unmount${component}`, () => {});
    define(`close${component}`, () => {});
  }
}
