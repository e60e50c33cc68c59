// @clerk/backend's authenticateRequest on one document request with the given cookies (an app
// server's view): what it answers, and the cookies it would set. With an expired `__session`
// and a `__refresh` cookie it calls POST /v1/sessions/{sid}/refresh itself.
// Usage: node refresh_drive.mjs '{"apiUrl":…,"pk":…,"sk":…,"appUrl":…,"cookies":{name: value}}'
import { createClerkClient } from '@clerk/backend';

const { apiUrl, pk, sk, appUrl, cookies } = JSON.parse(process.argv[2]);
const clerk = createClerkClient({ publishableKey: pk, secretKey: sk, apiUrl });
const cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
const request = new Request(appUrl, { headers: { cookie, accept: 'text/html', 'sec-fetch-dest': 'document' } });
const state = await clerk.authenticateRequest(request, { proxyUrl: apiUrl, clockSkewInMs: 0, authorizedParties: [new URL(appUrl).origin] });
const auth = state.toAuth();
console.log(JSON.stringify({
  status: state.status, reason: state.reason ?? null, sessionId: auth?.sessionId ?? null, userId: auth?.userId ?? null,
  location: state.headers.get('location'), setCookies: state.headers.getSetCookie(),
}));
