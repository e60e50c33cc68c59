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
// Each output line is {"name", "result": "accept" | reason, "message"?, "expect"?, "ok"?}.
// Exits 1 if any case with an `expect` got another result, 2 on unusable input.

import { readFileSync } from 'node:fs';
import { verifyToken } from '@clerk/backend';

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
    await verifyToken(token, { jwtKey: pem, authorizedParties, issuer, clockSkewInMs });
    output.result = 'accept';
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
