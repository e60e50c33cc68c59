// The script build (`clerk.browser.js`): what clerk-js's own `clerk.browser.js` does, over the
// same object layer as the ES module (index.ts), bundled once more as a classic script. Clerk's
// framework SDKs (@clerk/nextjs, @clerk/vue, @clerk/astro, …) inject it as
// `<script async crossorigin="anonymous" data-clerk-publishable-key data-clerk-proxy-url
// data-clerk-domain nonce src=…>` and wait (up to 15 s) for `window.Clerk`, an instance they then
// `load()` themselves. This file only finds its options, instantiates the wasm beside itself and
// sets `window.Clerk`; it never calls `load()`.

import init, { Engine } from './wasm/clerk.js';
import { bindEngine } from './engine';
import { Clerk } from './clerk';

declare global {
  interface Window {
    Clerk?: unknown;
    __clerk_publishable_key?: string;
    __clerk_proxy_url?: string;
    __clerk_domain?: string;
  }
}

// `document.currentScript` is this script only while its first synchronous run lasts: read it
// before anything awaits.
const script = document.currentScript as HTMLScriptElement | null;

/** The option from this script's `data-clerk-*` attribute, else from any script that has it
 * (as clerk-js reads them), else from its `window.__clerk_*` global. */
function option(attribute: string, global: string | undefined): string {
  return (
    script?.getAttribute(attribute) ||
    document.querySelector(`script[${attribute}]`)?.getAttribute(attribute) ||
    global ||
    ''
  );
}

const publishableKey = option('data-clerk-publishable-key', window.__clerk_publishable_key);
const proxyUrl = option('data-clerk-proxy-url', window.__clerk_proxy_url);
const domain = option('data-clerk-domain', window.__clerk_domain);
// The attribute is hidden from scripts once the element is in the document; the property is not.
const nonce = script?.nonce || script?.getAttribute('nonce') || '';
// The wasm lives beside this script, wherever it is served from (a CDN, a proxy, clerk-server).
const wasmUrl = new URL('clerk_bg.wasm', script?.src || document.baseURI);

async function start(): Promise<void> {
  // A CORS request without credentials, as the `crossorigin="anonymous"` script itself was
  // fetched; the glue compiles it while it streams, and falls back to compiling the whole body
  // when the server's Content-Type is not `application/wasm`.
  await init({ module_or_path: fetch(wasmUrl, { mode: 'cors', credentials: 'same-origin' }) });
  bindEngine(Engine);
  // A second copy of the script (an SDK that injected it again) keeps the first instance.
  if (window.Clerk) return;
  window.Clerk = new Clerk(publishableKey, {
    ...(proxyUrl && { proxyUrl }),
    ...(domain && { domain }),
    // Kept as clerk-js keeps it (`__internal_getOption('nonce')`), for whatever the app's UI
    // injects under a Content-Security-Policy.
    ...(nonce && { nonce }),
  });
}

start().catch((error) => {
  // Reported as an uncaught error (the console, window.onerror); the SDK's own wait then ends
  // with its `failed_to_load_clerk_js`.
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
});
