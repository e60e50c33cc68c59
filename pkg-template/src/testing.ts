// For the project's own browser tests (not shipped): the object layer over an engine the test
// made, with a scripted platform or the real one.

import { bindEngine, type Engine, type EngineClass } from './engine';
import { Clerk } from './clerk';

export function clerkFromEngine(engine: Engine): Clerk {
  bindEngine(engine.constructor as EngineClass);
  return Clerk.fromEngine(engine);
}
