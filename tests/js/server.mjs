// Starts clerk-server for a node test script: a free loopback port, a database and a site
// folder of the caller's, the seeded demo instance and the development endpoints.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

export async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A fresh temporary folder whose `site/` holds the release package (pkg/), on top of the demo app
 * (www/) when `withDemo`, and the debug clerk-server built to serve it. Without pkg/ the calling
 * test script `name` fails at once, with its summary line.
 */
export function prepareSite(name, { withDemo = false } = {}) {
  if (!existsSync(join(root, 'pkg/index.js'))) {
    console.log(`FAIL ${name}: pkg/ is missing — run .ci/build-package first`);
    console.log(`${name}: 0 passed, 1 failed`);
    process.exit(1);
  }
  execFileSync('cargo', ['build', '-q', '-p', 'clerk-server'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), `clerk-rs-${name}-`));
  const site = join(dir, 'site');
  if (withDemo) cpSync(join(root, 'www'), site, { recursive: true });
  cpSync(join(root, 'pkg'), join(site, 'pkg'), { recursive: true });
  return { dir, site };
}

/**
 * `profile` is the cargo build to run ('debug' or 'release'); the caller builds it first.
 * `extraArgs` go to clerk-server as they are (e.g. `--strategies`); `port` is a free one unless
 * given (a restart on the same address keeps the publishable key's host).
 * Resolves once the server listens, exits, or `timeoutMs` passes; `started` tells which.
 */
export async function startClerkServer({ db, www, ttl, profile = 'debug', timeoutMs = 60_000, extraArgs = [], port, library }) {
  port ??= await freePort();
  const args = ['--db', db, '--addr', `127.0.0.1:${port}`, '--dev', '--seed', ...extraArgs];
  if (www !== undefined) args.push('--www', www);
  // The script build served at /npm/@clerk/clerk-js@6/dist/ (a folder, or 'none').
  if (library !== undefined) args.push('--library', library);
  if (ttl !== undefined) args.push('--token-ttl', String(ttl));
  const proc = spawn(join(root, `target/${profile}/clerk-server`), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  let exited = false;
  proc.on('exit', () => { exited = true; });
  // A debug build generates its RSA key on first start: slow on a busy machine.
  for (let waited = 0; waited < timeoutMs && !exited && !out.includes('listening'); waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    process: proc,
    started: out.includes('listening'),
    log: () => out,
    orgId: out.match(/organization Acme \(slug acme\): (\S+)/)?.[1],
    stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); },
  };
}
