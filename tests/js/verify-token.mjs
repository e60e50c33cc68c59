#!/usr/bin/env node
// Runs @clerk/backend's networkless verifyToken on tokens, to check that ours agree with Clerk's.
//
// Usage: node tests/js/verify-token.mjs [cases.jsonl]   (reads stdin without a file)
// Each input line is a JSON case:
//   {"name": "...", "token": "...", "pem": "-----BEGIN PUBLIC KEY-----...",
//    "authorizedParties": ["https://app.example.com"],   // optional
//    "issuer": "https://clerk.example.com",                // optional
//    "clockSkewInMs": 5000,                                 // optional
//    "jwks": [{"kid": "...", "kty": "RSA", "n": "...", "e": "AQAB"}], // optional, instead of pem
//    "expect": "accept" | "<TokenVerificationError reason>"} // optional
// Each output line is {"name", "result": "accept" | reason, "message"?, "auth"?, "authError"?,
// "expect"?, "ok"?}.
// `auth` (accepted tokens only) is what Clerk's SDKs read from the claims: @clerk/shared's
// JWTPayloadToAuthObjectProperties (userId, sessionId, orgId, orgRole, orgSlug, orgPermissions, ...).
// With `jwks` the key comes through @clerk/backend's remote path (chosen by the token's kid) from a
// loopback server playing the Backend API's GET /v1/jwks.
// Exits 1 if any case with an `expect` got another result, 2 on unusable input.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { verifyToken } from '@clerk/backend';

// @clerk/shared comes with @clerk/backend (same parser clerk-js uses); optional, for `auth` only.
const authProperties = await import('@clerk/shared/jwtPayloadParser')
  .then((m) => m.__experimental_JWTPayloadToAuthObjectProperties)
  .catch(() => undefined);

// Each case gets its own secret key, so @clerk/backend's JWKS cache (keyed by it) never mixes cases.
const jwksBySecretKey = new Map();
let jwksServer;
async function jwksApiUrl() {
  if (!jwksServer) {
    jwksServer = createServer((request, response) => {
      const keys = jwksBySecretKey.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
      response.writeHead(keys ? 200 : 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify(keys ? { keys } : { errors: [{ code: 'authentication_invalid' }] }));
    });
    await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  }
  return `http://127.0.0.1:${jwksServer.address().port}`;
}

const input = readFileSync(process.argv[2] ?? 0, 'utf8');
let mismatches = 0;

for (const [index, line] of input.split('\n').entries()) {
  if (!line.trim()) continue;
  let testCase;
  try {
    testCase = JSON.parse(line);
  } catch (error) {
    console.error(`line ${index + 1} is not JSON: ${error.message}`);
    process.exit(2);
  }
  const { name = `line ${index + 1}`, token, pem, jwks, authorizedParties, issuer, clockSkewInMs, expect } = testCase;

  const output = { name };
  try {
    let key = { jwtKey: pem };
    if (jwks) {
      const secretKey = `sk_test_case_${index}`;
      jwksBySecretKey.set(secretKey, jwks);
      key = { secretKey, apiUrl: await jwksApiUrl() };
    }
    const claims = await verifyToken(token, { ...key, authorizedParties, issuer, clockSkewInMs });
    output.result = 'accept';
    if (authProperties) {
      try {
        const { sessionClaims: _, ...auth } = authProperties(claims);
        output.auth = auth;
      } catch (error) {
        output.authError = String(error?.message ?? error);
      }
    }
  } catch (error) {
    // TokenVerificationError carries a machine-readable reason; anything else is a surprise.
    output.result = error?.reason ?? `unexpected-error`;
    output.message = String(error?.message ?? error);
  }
  if (expect !== undefined) {
    output.expect = expect;
    output.ok = output.result === expect;
    if (!output.ok) mismatches++;
  }
  console.log(JSON.stringify(output));
}

process.exit(mismatches === 0 ? 0 : 1);
