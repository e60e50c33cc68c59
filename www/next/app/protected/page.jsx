// Reached only signed in: proxy.js calls auth.protect() for /protected, which sends a signed-out
// visitor to NEXT_PUBLIC_CLERK_SIGN_IN_URL.
import { auth } from '@clerk/nextjs/server';

export default async function Protected() {
  const { userId } = await auth();
  return <pre data-testid="protected">{JSON.stringify({ userId })}</pre>;
}
