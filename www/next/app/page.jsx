// A server component: what the app's server knows of the request, from the session cookies
// (auth()) and the Backend API (currentUser()).
import { auth, currentUser } from '@clerk/nextjs/server';

export default async function Home() {
  const { userId, sessionId } = await auth();
  const user = await currentUser();
  const server = { userId, sessionId, email: user?.primaryEmailAddress?.emailAddress ?? null };
  return (
    <>
      <h1>{userId ? `Signed in as ${server.email}` : 'Signed out'}</h1>
      <pre data-testid="server">{JSON.stringify(server)}</pre>
      <p><a href="/protected">A protected page</a> · <a href="/api/me">/api/me</a></p>
    </>
  );
}
