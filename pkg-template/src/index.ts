// The package entry: instantiates the WebAssembly module once (starting its download at once,
// compiled while it streams), then exports the classes, so `import { Clerk } from 'clerk-rs'`
// is all an app needs.

import init, { Engine } from './wasm/clerk.js';
import { bindEngine } from './engine';

await init({ module_or_path: new URL('./clerk_bg.wasm', import.meta.url) });
bindEngine(Engine);

export { Clerk } from './clerk';
export type { BeforeEmitCallback, Listener, Resources, SetActiveParams } from './clerk';
export { Client } from './client';
export { Session, Token } from './session';
export { SignIn, SignUp } from './attempts';
export type { SignInStatus, SignUpStatus } from './attempts';
export { ClerkError } from './errors';
export { EmailAddress, ExternalAccount, Passkey, PhoneNumber, SessionWithActivities, User } from './user';
export {
  Organization, OrganizationDomain, OrganizationInvitation, OrganizationMembership, OrganizationMembershipRequest, OrganizationSuggestion,
  UserOrganizationInvitation,
} from './organization';
export type { Role } from './organization';
export type { DeletedObject, PageParams, Paginated } from './resource';
export type { AuthenticateWithRedirectParams, HandleEmailLinkVerificationParams, HandleRedirectCallbackParams } from './flows';
export type { ClerkAPIError } from './errors';
export type * from './types';
export { Clerk as default } from './clerk';
