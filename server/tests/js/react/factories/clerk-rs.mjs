// clerk-rs's `Clerk` (the release package built by .ci/build-package into the repository's
// pkg/) as the instance given to ClerkProvider, as an app that installed the package would.
import { Clerk } from '../../../../../pkg/index.js';

export async function createClerk({ publishableKey, proxyUrl }) {
  return new Clerk(publishableKey, { proxyUrl });
}
