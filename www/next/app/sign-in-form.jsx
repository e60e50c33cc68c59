'use client';
// A small custom sign-in form: email and password through useSignIn (@clerk/nextjs/legacy: the
// resource-based hook; the default one is Core 3's signal API), then setActive. Once the
// session is active the server components are rendered again with it (router.refresh()).
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useSignIn } from '@clerk/nextjs/legacy';

export function SignInForm() {
  const { isLoaded, signIn, setActive } = useSignIn();
  const router = useRouter();
  const [error, setError] = useState(null);

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      const attempt = await signIn.create({ identifier: form.get('email'), password: form.get('password') });
      if (attempt.status !== 'complete') throw new Error(`sign-in is ${attempt.status}`);
      await setActive({ session: attempt.createdSessionId });
      router.refresh();
    } catch (e) {
      setError(e?.errors?.[0]?.longMessage ?? e?.longMessage ?? e?.message ?? String(e));
    }
  }

  return (
    <form data-testid="sign-in" data-ready={String(isLoaded)} onSubmit={submit}>
      <input name="email" type="email" placeholder="Email" autoComplete="username" />
      <input name="password" type="password" placeholder="Password" autoComplete="current-password" />
      <button type="submit" disabled={!isLoaded}>Sign in</button>
      {error && <p role="alert" data-testid="sign-in-error">{error}</p>}
    </form>
  );
}
