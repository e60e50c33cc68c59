// A React app on Clerk's own React SDK (@clerk/react), with clerk-rs's `Clerk` passed to
// <ClerkProvider Clerk={…}>: every hook works as with clerk-js. The app's server (../run.mjs)
// reads the session from the cookies clerk-rs writes, with @clerk/backend.
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  ClerkProvider, Show, SignIn, useAuth, useClerk, useOrganizationList, useSessionList, useUser,
} from '@clerk/react';
import { Clerk } from 'clerk-rs';

// The instance's key, and where its Frontend API is (clerk-server): run.mjs puts them in the page.
const { publishableKey, proxyUrl } = window.__EXAMPLE__;
const clerk = new Clerk(publishableKey, { proxyUrl });

function SignInForm() {
  const clerk = useClerk();
  const [error, setError] = useState(null);
  const [needsCode, setNeedsCode] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      if (needsCode) {
        const done = await needsCode.attemptSecondFactor({ strategy: 'totp', code: form.get('code') });
        setNeedsCode(null);
        await clerk.setActive({ session: done.createdSessionId });
        return;
      }
      const signIn = await clerk.client.signIn.create({ identifier: form.get('email'), password: form.get('password') });
      if (signIn.status === 'needs_second_factor') setNeedsCode(signIn);
      else await clerk.setActive({ session: signIn.createdSessionId });
    } catch (e) {
      setError(e.longMessage ?? e.message);
    }
  }
  return (
    <form onSubmit={submit} data-testid="sign-in">
      {needsCode ? (
        <input name="code" placeholder="authenticator code" autoComplete="one-time-code" />
      ) : (
        <>
          <input name="email" placeholder="email" defaultValue="bob@example.com" />
          <input name="password" type="password" placeholder="password" defaultValue="demo-password-1" />
        </>
      )}
      <button type="submit">{needsCode ? 'Verify' : 'Sign in'}</button>
      {error && <p className="error" data-testid="error">{error}</p>}
    </form>
  );
}

function AuthState() {
  const { isLoaded, isSignedIn, userId, sessionId, orgId, orgRole } = useAuth();
  const { user } = useUser();
  return (
    <pre data-testid="auth">
      {JSON.stringify({ isLoaded, isSignedIn, userId, sessionId, orgId, orgRole, email: user?.primaryEmailAddress?.emailAddress ?? null }, null, 2)}
    </pre>
  );
}

function Sessions() {
  const { sessions, setActive } = useSessionList();
  const { sessionId } = useAuth();
  return (
    <section>
      <h3>Sessions on this device</h3>
      {sessions?.filter((s) => s.status === 'active').map((s) => (
        <button key={s.id} data-testid={`session-${s.user?.primaryEmailAddress?.emailAddress}`} disabled={s.id === sessionId}
          onClick={() => setActive({ session: s.id })}>
          {s.user?.primaryEmailAddress?.emailAddress}
        </button>
      ))}
    </section>
  );
}

function Organizations() {
  const { isLoaded, userMemberships, setActive } = useOrganizationList({ userMemberships: true });
  const { orgId } = useAuth();
  if (!isLoaded) return null;
  return (
    <section>
      <h3>Organization</h3>
      <button data-testid="org-personal" disabled={!orgId} onClick={() => setActive({ organization: null })}>Personal account</button>
      {userMemberships.data?.map((m) => (
        <button key={m.id} data-testid={`org-${m.organization.slug}`} disabled={m.organization.id === orgId}
          onClick={() => setActive({ organization: m.organization.id })}>
          {m.organization.name}
        </button>
      ))}
    </section>
  );
}

/** The app's own API, authenticated from the cookies (see run.mjs). */
function MyApi() {
  const [answer, setAnswer] = useState(null);
  const [calls, setCalls] = useState(0);
  async function call() {
    setAnswer(null);
    setAnswer(await (await fetch('/api/me')).json());
    setCalls((n) => n + 1);
  }
  return (
    <section>
      <h3>This app's API</h3>
      <button data-testid="call-api" onClick={call}>GET /api/me</button>
      {answer && <pre data-testid="api" data-call={calls}>{JSON.stringify(answer, null, 2)}</pre>}
    </section>
  );
}

/**
 * Clerk's prebuilt components are not in clerk-rs (it is headless): mounting one reports a
 * typed error (`ui_components_unavailable`, see the console) and renders nothing, and the rest
 * of the page keeps working.
 */
function PrebuiltUi() {
  const [shown, setShown] = useState(false);
  return (
    <section>
      <h3>Prebuilt UI</h3>
      <button data-testid="show-prebuilt" onClick={() => setShown(true)}>Mount &lt;SignIn /&gt;</button>
      {shown && <div data-testid="prebuilt"><SignIn /></div>}
    </section>
  );
}

function App() {
  const { signOut } = useClerk();
  return (
    <>
      <h1>clerk-rs + @clerk/react</h1>
      <AuthState />
      <Show when="signed-out"><SignInForm /></Show>
      <Show when="signed-in">
        <Sessions />
        <Organizations />
        <section>
          <h3>Add an account</h3>
          <SignInForm />
        </section>
        <button data-testid="sign-out" onClick={() => signOut({ redirectUrl: '/' })}>Sign out</button>
      </Show>
      <MyApi />
      <PrebuiltUi />
    </>
  );
}

createRoot(document.getElementById('root')).render(
  <ClerkProvider publishableKey={publishableKey} Clerk={clerk}>
    <App />
  </ClerkProvider>,
);
