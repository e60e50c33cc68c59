// Entry point: instantiates the WebAssembly module once, then exports the classes, so that
// `import { Clerk } from 'clerk-rs'` is all an app needs. Use 'clerk-rs/manual' to control
// instantiation yourself (e.g. to pass a precompiled WebAssembly.Module).
import init, { Clerk, Client, Session, SignIn, SignUp, Token } from './clerk.js';

await init({ module_or_path: new URL('./clerk_bg.wasm', import.meta.url) });

export { Clerk, Client, Session, SignIn, SignUp, Token };
export default Clerk;
