// Rarely used surfaces, loaded on first use (`import()`), as clerk-js loads its own chunks: the
// passkey glue (WebAuthn) and the redirect flows (OAuth, email links). A page that only loads,
// signs in and reads tokens never fetches them. The ES module build puts each in a chunk beside
// index.js; the script build (one classic <script>) bundles them in. The chunks import nothing
// that index.js has (esbuild would split that into a third file, fetched before load()): what
// they need is handed to them here.

import type { Core } from './core';
import { ClerkError, fail } from './errors';

type Raw = Record<string, any>;

/** A WebAuthn credential: `registration` for a new passkey, `retrieval` for a sign-in's. */
export const credential = async (what: 'registration' | 'retrieval', nonce: unknown): Promise<string> =>
  (await import('./passkeys')).credential(what, nonce, ClerkError);
/** The assertion for a prepared `passkey` factor (its verification's nonce). */
export const assertion = (nonce: unknown) => credential('retrieval', nonce);
export const flows = () => import('./flows').then((f) => (f.init(fail), f));

/** `createEmailLinkFlow()` at once, as clerk-js returns it; its code loads with the call. */
export function createEmailLinkFlow<T extends { reload(): Promise<unknown> }>(core: Core, prepare: (params: Raw) => Promise<T>, done?: (now: Raw) => boolean) {
  const flow = flows().then((f) => f.createEmailLinkFlow<T>(core, prepare, done));
  return {
    startEmailLinkFlow: async (params: { emailAddressId?: string; redirectUrl: string }): Promise<T> => (await flow).startEmailLinkFlow(params),
    cancelEmailLinkFlow: () => void flow.then((f) => f.cancelEmailLinkFlow()),
  };
}
