#!/usr/bin/env node
// Clerk's Next.js quickstart on clerk-rs and clerk-server, configured by environment variables
// only (the app's code is Clerk's own quickstart; nothing in it names clerk-rs):
//
//   NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY  the instance's key (clerk-server prints it)
//   CLERK_SECRET_KEY                   its secret key (clerk-server prints it)
//   CLERK_API_URL                      the Backend API: clerk-server's URL
//   NEXT_PUBLIC_CLERK_PROXY_URL        the Frontend API over plain http: clerk-server's URL
//   NEXT_PUBLIC_CLERK_JS_URL           the script the SDK loads: clerk-server serves the clerk-rs
//                                      script build at /npm/@clerk/clerk-js@6/dist/clerk.browser.js
//                                      (needed with an absolute http proxy URL, for which the SDK
//                                      would build an https:// script URL)
//   NEXT_PUBLIC_CLERK_PREFETCH_UI=false  no prebuilt UI (@clerk/ui) to fetch
//   NEXT_PUBLIC_CLERK_SIGN_IN_URL=/sign-in  where auth.protect() sends a signed-out visitor (else
//                                      the Account Portal's https:// page)
//
// The NEXT_PUBLIC_ ones are compiled into the client bundle: `next build` and `next start` get
// the same. Serve the app on `localhost`, not 127.0.0.1 (clerkMiddleware's rewrite loops there).
// `node run.mjs` starts clerk-server too (seeded demo instance) and prints the URL: what
// `make next-example` runs. `buildNext()` and `startNext()` are what tests/js/next-example.mjs uses.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const next = path.join(here, 'node_modules/next/dist/bin/next');

/** The environment the app reads, for a clerk-server at `fapiUrl` (http://localhost:PORT). */
export function clerkEnv({ fapiUrl, apiUrl = fapiUrl, pk, sk }) {
  return {
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: pk,
    CLERK_SECRET_KEY: sk,
    CLERK_API_URL: apiUrl,
    NEXT_PUBLIC_CLERK_PROXY_URL: fapiUrl,
    NEXT_PUBLIC_CLERK_JS_URL: `${fapiUrl}/npm/@clerk/clerk-js@6/dist/clerk.browser.js`,
    NEXT_PUBLIC_CLERK_PREFETCH_UI: 'false',
    NEXT_PUBLIC_CLERK_SIGN_IN_URL: '/sign-in',
    NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: '1',
    NEXT_TELEMETRY_DISABLED: '1',
  };
}

function run(args, env, { onOutput } = {}) {
  const child = spawn(process.execPath, [next, ...args], { cwd: here, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const take = (d) => { out += d; onOutput?.(String(d)); };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return { child, output: () => out };
}

/** `next build` with `env`; resolves to its time in ms, rejects with its output on failure. */
export async function buildNext(env) {
  if (!fs.existsSync(next)) throw new Error(`www/next has no node_modules: run .ci/setup (npm install in ${here})`);
  const started = Date.now();
  const { child, output } = run(['build'], env);
  const code = await new Promise((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output()}`);
  return Date.now() - started;
}

/** `next start` on localhost:`port` with `env` (the build's); resolves once it answers. */
export async function startNext(env, port) {
  const { child, output } = run(['start', '-H', 'localhost', '-p', String(port)], env);
  for (let waited = 0; !/Ready in|started server/i.test(output()); waited += 100) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`next start did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://localhost:${port}`, output, close: () => { if (child.exitCode === null) child.kill('SIGTERM'); } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fapiPort = process.env.FAPI_PORT ?? '4020';
  const db = path.join(root, '.demo/next-example.db');
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const clerkServer = spawn(path.join(root, 'target/release/clerk-server'),
    ['--db', db, '--addr', `127.0.0.1:${fapiPort}`, '--library', path.join(root, 'pkg'), '--dev', '--seed'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve, reject) => {
    clerkServer.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); });
    clerkServer.on('exit', () => reject(new Error(`clerk-server exited:\n${out}`)));
  });
  const env = clerkEnv({
    fapiUrl: `http://localhost:${fapiPort}`,
    apiUrl: `http://127.0.0.1:${fapiPort}`,
    pk: out.match(/publishable key:\s+(\S+)/)[1],
    sk: out.match(/secret key:\s+(\S+)/)[1],
  });
  console.log('building the Next.js app (next build) …');
  await buildNext(env);
  const app = await startNext(env, Number(process.env.PORT ?? 3000));
  console.log(`\n  clerk-rs + Next.js quickstart: ${app.url}/\n  users: bob@example.com, password demo-password-1\n  (Ctrl-C stops it)\n`);
  process.on('SIGINT', () => { clerkServer.kill(); app.close(); process.exit(0); });
}
