#!/usr/bin/env node
// Builds the Vue example with Vite and serves it as the app's own server would, with Clerk's
// Frontend API proxied under the app's origin:
//   /__clerk/*   forwarded to clerk-server (its /v1 Frontend API and the /npm/@clerk/… script
//                build), so the app's relative `proxyUrl: '/__clerk'` is all @clerk/vue needs
//   /*           the built app (index.html for any other path)
// Configuration, at build time as Vite takes it: VITE_CLERK_PUBLISHABLE_KEY (and optionally
// VITE_CLERK_PROXY_URL). `node run.mjs` starts clerk-server too (seeded demo instance) and prints
// the URL: what `make vue-example` runs. `buildVue()` and `startVue()` are what
// tests/js/vue-example.mjs uses.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
export const PROXY_PATH = '/__clerk';

/** `vite build` into a new temporary folder, with the publishable key; resolves to the folder. */
export async function buildVue({ pk }) {
  const vite = path.join(here, 'node_modules/vite/dist/node/index.js');
  if (!fs.existsSync(vite)) throw new Error(`www/vue has no node_modules: run .ci/setup (npm install in ${here})`);
  const { build } = await import(vite);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clerk-rs-vue-example-'));
  process.env.VITE_CLERK_PUBLISHABLE_KEY = pk;
  await build({ root: here, logLevel: 'warn', configFile: false, build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
  return outDir;
}

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css' };

/** Forwards `req` to clerk-server at `upstream` with the proxy prefix taken off. */
export function forward(req, res, upstream) {
  const target = new URL(req.url.slice(PROXY_PATH.length) || '/', upstream);
  const headers = { ...req.headers, host: target.host };
  const out = http.request(target, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  out.on('error', (e) => res.writeHead(502, { 'content-type': 'text/plain' }).end(String(e)));
  req.pipe(out);
}

/** Serves the built app at `dist` and the proxy on localhost:`port`; resolves to {url, close}. */
export async function startVue({ dist, fapiUrl, port = 0 }) {
  const index = fs.readFileSync(path.join(dist, 'index.html'));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === PROXY_PATH || url.pathname.startsWith(`${PROXY_PATH}/`)) return forward(req, res, fapiUrl);
    const file = path.join(dist, decodeURIComponent(url.pathname));
    if (url.pathname !== '/' && file.startsWith(dist + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(index);
  });
  await new Promise((r) => server.listen(port, 'localhost', r));
  return { url: `http://localhost:${server.address().port}`, close: () => server.close() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fapiPort = process.env.FAPI_PORT ?? '4030';
  const db = path.join(root, '.demo/vue-example.db');
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const clerkServer = spawn(path.join(root, 'target/release/clerk-server'),
    ['--db', db, '--addr', `127.0.0.1:${fapiPort}`, '--library', path.join(root, 'pkg'), '--dev', '--seed'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve, reject) => {
    clerkServer.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); });
    clerkServer.on('exit', () => reject(new Error(`clerk-server exited:\n${out}`)));
  });
  const dist = await buildVue({ pk: out.match(/publishable key:\s+(\S+)/)[1] });
  const app = await startVue({ dist, fapiUrl: `http://127.0.0.1:${fapiPort}`, port: Number(process.env.PORT ?? 3000) });
  console.log(`\n  clerk-rs + @clerk/vue example: ${app.url}/\n  users: bob@example.com, password demo-password-1\n  (Ctrl-C stops it)\n`);
  process.on('SIGINT', () => { clerkServer.kill(); app.close(); process.exit(0); });
}
