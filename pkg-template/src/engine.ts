// The wasm boundary as the object layer sees it: one Engine per Clerk, operations by number,
// arguments as JSON text, results as parsed JSON. The numbers are the engine's `Call` and `Query`
// enums (src/engine/ops.rs); every rule lives behind them. The wasm's own class takes inputs and
// returns commands; the driver (driver.ts) performs them, so this interface stays as it was.

import { Driver, pageHost, type RawEngine } from './driver';

/** The wasm's listeners as they are; queries with the time and calls as promises (the driver's). */
export interface Engine extends Pick<RawEngine, 'listen' | 'unlisten' | 'observe' | 'free'> {
  query(op: number, args: string): string;
  call(op: number, args: string, beforeEmit?: (sessionId: string | null) => unknown): Promise<any>;
  dispose(): void;
}

export type EngineClass = new (publishableKey: string, proxyUrl: string | undefined, host: typeof pageHost, now: number) => RawEngine;

export { Call, Query } from './ops';

let engineClass: EngineClass | undefined;

/** Set once by the entry module, after the wasm is instantiated. */
export function bindEngine(engine: EngineClass): void {
  engineClass = engine;
}

export function newEngine(publishableKey: string, proxyUrl?: string): Engine {
  if (!engineClass) throw new Error('clerk-rs: the WebAssembly module is not instantiated yet');
  return new Driver(new engineClass(publishableKey, proxyUrl, pageHost, Date.now()), publishableKey);
}
