// The control: real clerk-js 6.40 (browser build, served by the app at /clerk/) as the instance
// given to ClerkProvider. A factory module exports `createClerk({publishableKey, proxyUrl})`,
// which runs in the page and resolves to the (not yet loaded) instance; the provider loads it.
export async function createClerk({ publishableKey, proxyUrl }) {
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/clerk/clerk.browser.js';
    s.dataset.clerkPublishableKey = publishableKey;
    s.dataset.clerkProxyUrl = proxyUrl;
    s.onload = resolve;
    s.onerror = () => reject(new Error('clerk.browser.js failed to load'));
    document.head.appendChild(s);
  });
  return window.Clerk;
}
