#!/usr/bin/env node
// Runs the React SDK scenario for each factory in `factories` (default: the clerk-js control)
// and each SDK in `sdks` (default: both), and prints `{runs, diffs}` as one JSON line:
// `diffs[i]` is diffRuns(runs[0], runs[i]), so with the control first every other run is
// compared with clerk-js under the same or the other SDK.
// Usage: node run.mjs '{"fapiUrl":…,"pk":…,"sk":…,"orgId":…,"sdks":["@clerk/react"],
//                       "factories":["factories/clerk-js.mjs","/path/to/clerk-rs-factory.mjs"]}'
// JSON cannot hold `undefined`: it is printed as {"$undefined":true}, so the reader can still
// tell it from null (harness.mjs's diffRuns works on the live values, not on this output).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { diffRuns, runScenario } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = JSON.parse(process.argv[2]);
process.env.CLERK_TELEMETRY_DISABLED = '1';
const runs = [];
for (const f of args.factories ?? ['factories/clerk-js.mjs']) {
  for (const sdk of args.sdks ?? ['@clerk/react', '@clerk/clerk-react']) {
    runs.push(await runScenario({ ...args, sdk, factory: path.resolve(here, f) }));
  }
}
const diffs = runs.map((r) => diffRuns(runs[0], r));
const tagUndefined = (v) => {
  if (v === undefined) return { $undefined: true };
  if (Array.isArray(v)) return v.map(tagUndefined);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tagUndefined(x)]));
  return v;
};
console.log(JSON.stringify(tagUndefined({ runs, diffs })));
