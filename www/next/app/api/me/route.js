// A route handler: the same auth() as the pages, for an API call.
import { auth, currentUser } from '@clerk/nextjs/server';

export async function GET() {
  const { userId, sessionId } = await auth();
  const user = userId ? await currentUser() : null;
  return Response.json({ userId, sessionId, email: user?.primaryEmailAddress?.emailAddress ?? null });
}
