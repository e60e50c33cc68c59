// For the project's own browser tests (not shipped): the object layer over an engine the test
// made (its wasm is the test binary's), with the page's own fetch or a scripted one.

import { Driver, type Fetch, pageHost as host, type RawEngine } from './driver';
import { Clerk } from './clerk';
import { bindEngine, type EngineClass } from './engine';

/** The page's own host (what `new Clerk` gives its engine). */
export const pageHost = () => host;

export function clerkFromEngine(engine: RawEngine, publishableKey: string, fetch?: Fetch): Clerk {
  bindEngine(engine.constructor as EngineClass); // for `new Clerk(…)` in the tests' pages
  return Clerk.fromEngine(new Driver(engine, publishableKey, fetch));
}
