#!/usr/bin/env node
// Drives a running clerk-server with the real @clerk/backend SDK (from tests/js/node_modules):
// sessions API, JWKS-based verifyToken and error parsing. Run by tests/bapi.rs.
//
// Usage: node server/tests/backend_sdk.mjs BASE_URL SECRET_KEY USER_ID
// Prints one JSON line per check and exits 1 if any failed.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/js/package.json'));
const { createClerkClient, verifyToken } = require('@clerk/backend');

const [apiUrl, secretKey, userId] = process.argv.slice(2);
const clerk = createClerkClient({ secretKey, apiUrl });
let failures = 0;

async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(JSON.stringify({ name, ok: true, detail }));
  } catch (error) {
    failures += 1;
    console.log(JSON.stringify({ name, ok: false, error: String(error?.stack ?? error) }));
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

let sessionId;
await check('createSession', async () => {
  const s = await clerk.sessions.createSession({ userId });
  assert(typeof s === 'object' && s.id?.startsWith('sess_'), `not a Session: ${JSON.stringify(s)}`);
  assert(s.status === 'active', `status ${s.status}`);
  sessionId = s.id;
  return s.id;
});
await check('getSessionList', async () => {
  const list = await clerk.sessions.getSessionList({ userId, limit: 10 });
  assert(Array.isArray(list.data), `data is not an array: ${JSON.stringify(list)}`);
  assert(list.totalCount >= 1, `totalCount ${list.totalCount}`);
  assert(list.data[0].id === sessionId, 'newest first');
  return list.totalCount;
});
await check('getSession', async () => {
  const s = await clerk.sessions.getSession(sessionId);
  assert(s.userId === userId && typeof s.lastActiveAt === 'number', JSON.stringify(s));
});
let jwt;
await check('getToken', async () => {
  const t = await clerk.sessions.getToken(sessionId);
  jwt = t.jwt;
  assert(typeof jwt === 'string' && jwt.split('.').length === 3, JSON.stringify(t));
});
await check('getToken template + expiresInSeconds', async () => {
  const t = await clerk.sessions.getToken(sessionId, 'demo', 120);
  const claims = JSON.parse(Buffer.from(t.jwt.split('.')[1], 'base64url'));
  assert(claims.exp - claims.iat === 120, JSON.stringify(claims));
});
await check('verifyToken via JWKS', async () => {
  const payload = await verifyToken(jwt, { secretKey, apiUrl });
  assert(payload.sid === sessionId && payload.sub === userId, JSON.stringify(payload));
});
await check('revokeSession', async () => {
  const s = await clerk.sessions.revokeSession(sessionId);
  assert(s.status === 'revoked', `status ${s.status}`);
});
await check('404 is a ClerkAPIResponseError', async () => {
  try {
    await clerk.sessions.getSession('sess_missing');
  } catch (e) {
    assert(e.status === 404 && e.errors?.[0]?.code === 'resource_not_found', `${e.status} ${JSON.stringify(e.errors)}`);
    return 'ok';
  }
  throw new Error('no error thrown');
});

await check('listing sessions without userId or clientId is a 400 naming both', async () => {
  try {
    await clerk.sessions.getSessionList({ limit: 10 });
  } catch (e) {
    const [err] = e.errors ?? [];
    assert(e.status === 400 && err?.code === 'form_param_missing', `${e.status} ${JSON.stringify(e.errors)}`);
    assert(err.longMessage.includes('client_id') && err.longMessage.includes('user_id'), err.longMessage);
    return 'ok';
  }
  throw new Error('no error thrown');
});
await check('verifySession (deprecated) on a revoked session is a 410', async () => {
  try {
    await clerk.sessions.verifySession(sessionId, jwt);
  } catch (e) {
    assert(e.status === 410 && e.errors?.[0]?.code === 'session_not_active', `${e.status} ${JSON.stringify(e.errors)}`);
    return 'ok';
  }
  throw new Error('no error thrown');
});

process.exit(failures ? 1 : 0);
