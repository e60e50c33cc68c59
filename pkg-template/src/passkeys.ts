// Passkeys in the browser: the server's WebAuthn options (JSON with binary fields in base64url,
// as clerk-js receives them in a verification's `nonce`) become navigator.credentials arguments,
// and the credential goes back serialised as clerk-js does. What to ask for and what to accept
// is the server's (webauthn-rs) and the engine's; this is only the browser API's shape.

import type { ClerkError } from './errors';

const b64 = (b: ArrayBuffer | null) =>
  b && btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const bin = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const ids = (list?: Array<{ id: string }>) => (list ?? []).map((c) => ({ ...c, id: bin(c.id) }));

/** A typed error for what the browser refused, with clerk-js's codes. */
function refused(e: any, what: 'registration' | 'retrieval', E: typeof ClerkError): ClerkError {
  const code =
    e?.name === 'NotAllowedError' ? `passkey_${what}_cancelled` : e?.name === 'InvalidStateError' ? 'passkey_already_exists' : `passkey_${what}_failed`;
  const message = String(e?.message ?? e);
  return new E({ code, message, long_message: message, meta: {}, status: null, retry_after: null, errors: [] });
}

/** `E`: errors.ts's ClerkError, given by lazy.ts (imported here, esbuild would split errors.ts into a third file). */
export async function credential(what: 'registration' | 'retrieval', nonce: unknown, E: typeof ClerkError): Promise<string> {
  if (typeof PublicKeyCredential !== 'function') throw refused({ message: 'Passkeys are not supported in this browser' }, what, E);
  const o = JSON.parse(String(nonce));
  let c: any;
  try {
    c =
      what === 'registration'
        ? await navigator.credentials.create({ publicKey: { ...o, challenge: bin(o.challenge), user: { ...o.user, id: bin(o.user.id) }, excludeCredentials: ids(o.excludeCredentials) } })
        : await navigator.credentials.get({ publicKey: { ...o, challenge: bin(o.challenge), allowCredentials: ids(o.allowCredentials) } });
  } catch (e) {
    throw refused(e, what, E);
  }
  if (!c) throw refused({ message: 'The browser returned no credential' }, what, E);
  const r = c.response;
  return JSON.stringify({
    type: c.type,
    id: c.id,
    rawId: b64(c.rawId),
    authenticatorAttachment: c.authenticatorAttachment,
    response:
      what === 'registration'
        ? { clientDataJSON: b64(r.clientDataJSON), attestationObject: b64(r.attestationObject), transports: r.getTransports?.() ?? [] }
        : { clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: b64(r.userHandle) },
  });
}
