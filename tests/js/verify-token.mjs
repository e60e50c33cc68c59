#!/usr/bin/env node
// Runs @clerk/backend's networkless verifyToken on tokens, to check that ours agree with Clerk's.
//
// Usage: node tests/js/verify-token.mjs [cases.jsonl]   (reads stdin without a file)
// Each input line is a JSON case:
//   {"name": "...", "token": "...", "pem": "-----BEGIN PUBLIC KEY-----...",
//    "authorizedParties": ["https://app.example.com"],   // optional
//    "issuer": "https://clerk.example.com",                // optional
//    "clockSkewInMs": 5000,                                 // optional
//    "expect": "accept" | "<TokenVerificationError reason>"} // optional
// Each output line is {"name", "result": "accept" | reason, "message"?, "auth"?, "authError"?,
// "expect"?, "ok"?}.
// `auth` (accepted tokens only) is what Clerk's SDKs read from the claims: @clerk/shared's
// JWTPayloadToAuthObjectProperties (userId, sessionId, orgId, orgRole, orgSlug, orgPermissions, ...).
// Exits 1 if any case with an `expect` got another result, 2 on unusable input.

import { readFileSync } from 'node:fs';
import { verifyToken } from '@clerk/backend';

// @clerk/shared comes with @clerk/backend (same parser clerk-js uses); optional, for `auth` only.
const authProperties = await import('@clerk/shared/jwtPayloadParser')
  .then((m) => m.__experimental_JWTPayloadToAuthObjectProperties)
  .catch(() => undefined);

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
  const { name = `line ${index + 1}`, token, pem, authorizedParties, issuer, clockSkewInMs, expect } = testCase;

  const output = { name };
  try {
    const claims = await verifyToken(token, { jwtKey: pem, authorizedParties, issuer, clockSkewInMs });
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
