// The probe app of tests/js/core3.mjs: @clerk/react 6 over the engine named in the query
// (`?engine=js`: clerk-js 6.40's browser build, the control; `?engine=rs`: the release package),
// with @clerk/ui 1.36's browser build passed as `ui`. It shows the signal hooks to the test
// (window.hooks, and every render's fetchStatus in window.renders) and mounts the prebuilt
// component named by `?ui=`.
import { createRoot } from 'react-dom/client';
import {
  ClerkProvider, CreateOrganization, OrganizationProfile, OrganizationSwitcher, SignIn, SignUp, UserButton, UserProfile, useSignIn, useSignUp,
} from '@clerk/react';

const q = new URLSearchParams(location.search);
const script = (src, data = {}) => new Promise((resolve, reject) => {
  const s = document.createElement('script');
  s.src = src;
  Object.assign(s.dataset, data);
  s.onload = resolve;
  s.onerror = () => reject(new Error(`${src} failed to load`));
  document.head.appendChild(s);
});

function Hooks() {
  const signIn = useSignIn();
  const signUp = useSignUp();
  window.hooks = { signIn, signUp };
  window.renders.push({ signIn: signIn.fetchStatus, signUp: signUp.fetchStatus });
  return <pre data-testid="hooks">{String(signIn.signIn?.status ?? 'none')}</pre>;
}

// After signing in or up the components go to this page again, marked `done`.
const back = `${location.pathname}?engine=${q.get('engine')}&done=1`;
const COMPONENTS = {
  SignIn: () => <SignIn routing="hash" forceRedirectUrl={back} signUpForceRedirectUrl={back} />,
  SignUp: () => <SignUp routing="hash" forceRedirectUrl={back} signInForceRedirectUrl={back} />,
  UserButton: () => <UserButton />,
  UserProfile: () => <UserProfile routing="hash" />,
  OrganizationSwitcher: () => <OrganizationSwitcher />,
  OrganizationProfile: () => <OrganizationProfile routing="hash" />,
  CreateOrganization: () => <CreateOrganization routing="hash" />,
};

window.renders = [];
const info = await (await fetch('/__dev/instance')).json();
const publishableKey = info.publishable_key;
let clerk;
if (q.get('engine') === 'js') {
  await script('/clerk/clerk.browser.js', { clerkPublishableKey: publishableKey, clerkProxyUrl: location.origin });
  clerk = window.Clerk;
} else {
  const pkg = '/pkg/index.js';
  const { Clerk } = await import(/* @vite-ignore */ pkg);
  clerk = new Clerk(publishableKey, { proxyUrl: location.origin });
}
window.clerk = clerk;
await script('/ui/ui.browser.js');
const ClerkUI = window.__internal_ClerkUICtor;
const Component = COMPONENTS[q.get('ui')] ?? (() => null);
createRoot(document.getElementById('root')).render(
  <ClerkProvider Clerk={clerk} publishableKey={publishableKey} ui={{ ClerkUI }} afterSignOutUrl={back} afterMultiSessionSingleSignOutUrl={back}>
    <Hooks />
    <div data-testid="ui"><Component /></div>
  </ClerkProvider>,
);
