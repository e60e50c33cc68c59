#!/usr/bin/env node
// Runs the React SDK scenario once and prints the observations as one JSON line.
// Usage: node run.mjs '{"fapiUrl":…,"pk":…,"sk":…,"orgId":…,"sdk":"@clerk/react","factory":"factories/clerk-js.mjs"}'
// JSON cannot hold `undefined`: it is printed as {"$undefined":true}, so the reader can still
// tell it from null (harness.mjs's diffRuns works on the live values, not on this output).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runScenario } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = JSON.parse(process.argv[2]);
process.env.CLERK_TELEMETRY_DISABLED = '1';
const factory = path.resolve(here, args.factory ?? 'factories/clerk-js.mjs');
const run = await runScenario({ ...args, factory });
const tagUndefined = (v) => {
  if (v === undefined) return { $undefined: true };
  if (Array.isArray(v)) return v.map(tagUndefined);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tagUndefined(x)]));
  return v;
};
console.log(JSON.stringify(tagUndefined(run)));
