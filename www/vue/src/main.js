// @clerk/vue's plugin, unchanged: it loads the Clerk script from `<proxyUrl>/npm/@clerk/clerk-js@6/
// dist/clerk.browser.js` and waits for window.Clerk. With clerk-server behind the app's own
// `/__clerk` (run.mjs forwards it, as an app proxies Clerk's Frontend API), that is clerk-rs's
// script build: no other setting. Render functions keep the example free of a .vue compiler.
import { createApp, defineComponent, h, ref } from 'vue';
import { clerkPlugin, Show, SignOutButton, useAuth, useSignIn, useUser } from '@clerk/vue';

const SignInForm = defineComponent(() => {
  const { isLoaded, signIn, setActive } = useSignIn();
  const error = ref(null);
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    error.value = null;
    try {
      const attempt = await signIn.value.create({ identifier: form.get('email'), password: form.get('password') });
      if (attempt.status !== 'complete') throw new Error(`sign-in is ${attempt.status}`);
      await setActive.value({ session: attempt.createdSessionId });
    } catch (e) {
      error.value = e?.errors?.[0]?.longMessage ?? e?.longMessage ?? e?.message ?? String(e);
    }
  }
  return () => h('form', { 'data-testid': 'sign-in', 'data-ready': String(isLoaded.value), onSubmit: submit }, [
    h('input', { name: 'email', type: 'email', placeholder: 'Email', autocomplete: 'username' }),
    h('input', { name: 'password', type: 'password', placeholder: 'Password', autocomplete: 'current-password' }),
    h('button', { type: 'submit', disabled: !isLoaded.value }, 'Sign in'),
    error.value && h('p', { role: 'alert', 'data-testid': 'sign-in-error' }, error.value),
  ]);
});

const App = defineComponent(() => {
  const { isLoaded, isSignedIn, userId, sessionId } = useAuth();
  const { user } = useUser();
  return () => h('main', [
    h('pre', { 'data-testid': 'auth' }, JSON.stringify({
      isLoaded: isLoaded.value, isSignedIn: isSignedIn.value ?? null, userId: userId.value ?? null,
      sessionId: sessionId.value ?? null, email: user.value?.primaryEmailAddress?.emailAddress ?? null,
    })),
    h(Show, { when: 'signed-out' }, { default: () => h(SignInForm) }),
    h(Show, { when: 'signed-in' }, {
      default: () => h(SignOutButton, null, { default: () => h('button', { 'data-testid': 'sign-out' }, 'Sign out') }),
    }),
  ]);
});

createApp(App)
  .use(clerkPlugin, {
    publishableKey: import.meta.env.VITE_CLERK_PUBLISHABLE_KEY,
    proxyUrl: import.meta.env.VITE_CLERK_PROXY_URL ?? '/__clerk',
    // No prebuilt UI to fetch (@clerk/ui) until one is served.
    prefetchUI: false,
  })
  .mount('#app');
