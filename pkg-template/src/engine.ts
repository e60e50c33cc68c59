// The wasm boundary as the object layer sees it: one Engine per Clerk, operations by number,
// arguments and results as JSON text. The numbers are the engine's `Call` and `Query` enums
// (src/engine/ops.rs); every rule lives behind them.

export interface Engine {
  call(op: number, args: string, beforeEmit?: (sessionId: string | null) => unknown): Promise<string>;
  query(op: number, args: string): string;
  listen(listener: () => void): number;
  unlisten(id: number): void;
  observe(onChange: () => void): void;
  dispose(): void;
  free(): void;
}

export type EngineClass = new (publishableKey: string, proxyUrl?: string) => Engine;

export { Call, Query } from './ops';

let engineClass: EngineClass | undefined;

/** Set once by the entry module, after the wasm is instantiated. */
export function bindEngine(engine: EngineClass): void {
  engineClass = engine;
}

export function newEngine(publishableKey: string, proxyUrl?: string): Engine {
  if (!engineClass) throw new Error('clerk-rs: the WebAssembly module is not instantiated yet');
  return new engineClass(publishableKey, proxyUrl);
}
