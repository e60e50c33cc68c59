#!/usr/bin/env node
// Builds the example with Vite and serves it with its API route, as the app's own server:
//   GET /api/me   the request's auth, from the cookies clerk-rs writes (@clerk/backend's
//                 authenticateRequest, as every Clerk server SDK reads them)
//   GET /*        the built app (index.html for any other path)
// `node run.mjs` starts clerk-server too (seeded demo instance) and prints the URL: what
// `make react-example` runs. `startExample()` is what tests/js/react-example.mjs uses.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
// In this repository the packages come from the test tooling's installs; a copy of the example
// installs its own (package.json) and needs none of these aliases.
const sdkModules = path.join(root, 'server/tests/js/node_modules');
const tooling = createRequire(path.join(root, 'tests/js/package.json'));
const serverSide = createRequire(path.join(sdkModules, '..', 'package.json'));

export async function buildExample() {
  const { build } = await import(tooling.resolve('vite'));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clerk-rs-react-example-'));
  const alias = Object.fromEntries(['@clerk/react', 'react', 'react-dom'].map((p) => [p, path.join(sdkModules, p)]));
  alias['clerk-rs'] = path.join(root, 'pkg/index.js');
  await build({
    root: here, logLevel: 'warn', configFile: false,
    resolve: { alias, dedupe: ['react', 'react-dom'] },
    esbuild: { jsx: 'automatic' },
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return outDir;
}

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css', '.wasm': 'application/wasm' };

/** Serves the built app and /api/me on a free loopback port; resolves to {url, close}. */
export async function startExample({ fapiUrl, pk, sk, port = 0 }) {
  const dist = await buildExample();
  const { createClerkClient } = serverSide('@clerk/backend');
  const clerkClient = createClerkClient({ publishableKey: pk, secretKey: sk, apiUrl: fapiUrl });
  // Tokens must be for this app (their azp), as in production; filled in once it listens.
  const authorizedParties = [];
  const index = fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replace(
    '<head>',
    `<head><script>window.__EXAMPLE__ = ${JSON.stringify({ publishableKey: pk, proxyUrl: fapiUrl })}</script>`,
  );
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname === '/api/me') {
      const request = new Request(url, { headers: req.headers });
      const state = await clerkClient.authenticateRequest(request, { proxyUrl: fapiUrl, authorizedParties });
      const auth = state.toAuth();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: state.status, reason: state.reason ?? null, userId: auth?.userId ?? null, sessionId: auth?.sessionId ?? null, orgId: auth?.orgId ?? null }));
      return;
    }
    const file = path.join(dist, decodeURIComponent(url.pathname));
    if (url.pathname !== '/' && file.startsWith(dist + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(index);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  authorizedParties.push(url);
  return {
    url,
    close: () => { server.close(); fs.rmSync(dist, { recursive: true, force: true }); },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fapiPort = process.env.FAPI_PORT ?? '4010';
  const db = path.join(root, '.demo/react-example.db');
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const clerkServer = spawn(path.join(root, 'target/release/clerk-server'),
    ['--db', db, '--addr', `127.0.0.1:${fapiPort}`, '--dev', '--seed'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve, reject) => {
    clerkServer.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); });
    clerkServer.on('exit', () => reject(new Error(`clerk-server exited:\n${out}`)));
  });
  const pk = out.match(/publishable key:\s+(\S+)/)[1];
  const sk = out.match(/secret key:\s+(\S+)/)[1];
  const example = await startExample({ fapiUrl: `http://127.0.0.1:${fapiPort}`, pk, sk, port: Number(process.env.PORT ?? 3000) });
  console.log(`\n  clerk-rs + @clerk/react example: ${example.url}/\n  users: bob@example.com / alice@example.com, password demo-password-1 (alice: TOTP secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)\n  (Ctrl-C stops it)\n`);
  process.on('SIGINT', () => { clerkServer.kill(); example.close(); process.exit(0); });
}
