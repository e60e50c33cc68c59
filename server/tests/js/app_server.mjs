// An app's own servers, as a Clerk user writes them, against clerk-server: one on plain
// @clerk/backend (`authenticateRequest`), one on @clerk/express (`clerkMiddleware`). Both serve:
//   GET /page[?clerk=1]  a document: the handshake redirect when @clerk/backend asks for one,
//                        otherwise HTML with the request's auth as JSON in <script id="auth">;
//                        with ?clerk=1 the page also loads clerk-js (browser build).
//   GET /api/auth        the same auth as JSON (a fetch is never eligible for a handshake).
//   GET /clerk/*         clerk-js's dist files.
//   GET /react/*         (plain @clerk/backend app, with `reactDir`) a built single-page app.
// Cookies ignore ports, so both apps (on two ports of 127.0.0.1) see the cookies clerk-js writes
// on the page's host, as apps on one site do.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createClerkClient } from '@clerk/backend';
import { clerkMiddleware, getAuth } from '@clerk/express';
import express from 'express';

const here = path.dirname(fileURLToPath(import.meta.url));
const clerkDist = path.join(here, 'node_modules/@clerk/clerk-js/dist');

/** The auth fields the tests compare, with null kept distinct from undefined by the JSON reader. */
function authSummary(auth, status, reason) {
  return {
    status,
    reason: reason ?? null,
    userId: auth?.userId ?? null,
    sessionId: auth?.sessionId ?? null,
    orgId: auth?.orgId ?? null,
  };
}

function page({ pk, fapiUrl, withClerk, auth }) {
  const script = withClerk
    ? `<script src="/clerk/clerk.browser.js" data-clerk-publishable-key="${pk}" data-clerk-proxy-url="${fapiUrl}"></script>`
    : '';
  return `<!doctype html><html><body><script id="auth" type="application/json">${JSON.stringify(auth)}</script>${script}</body></html>`;
}

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.css': 'text/css' };

/** A file under `dir` for the URL path after `prefix` (index.html for the folder itself). */
function serveFile(dir, prefix, urlPath, res) {
  const rel = decodeURIComponent(urlPath.slice(prefix.length)) || 'index.html';
  const file = path.join(dir, rel);
  if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

/** Node's request as a WHATWG Request, which `authenticateRequest` takes. */
function toWebRequest(req, origin) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    for (const one of [].concat(v)) headers.append(k, one);
  }
  return new Request(new URL(req.url, origin), { method: req.method, headers });
}

/**
 * Starts both apps. `options` are passed to authenticateRequest / clerkMiddleware as an app
 * would: keys, the Frontend API (proxyUrl, since clerk-server is reached over plain http), the
 * Backend API (apiUrl) and the authorized parties (both apps' origins, filled in here).
 */
export async function startApps({ pk, sk, fapiUrl, clockSkewInMs = 0, reactDir = null }) {
  const servers = [];
  const authorizedParties = [];
  const common = { publishableKey: pk, secretKey: sk, proxyUrl: fapiUrl, apiUrl: fapiUrl, clockSkewInMs, authorizedParties };

  // 1. Plain @clerk/backend.
  const clerkClient = createClerkClient({ secretKey: sk, publishableKey: pk, apiUrl: fapiUrl });
  let backendUrl;
  const backend = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, backendUrl);
      if (url.pathname.startsWith('/clerk/')) return serveFile(clerkDist, '/clerk/', url.pathname, res);
      // The app's assets are static; its document goes through authenticateRequest below, as
      // behind an app's middleware, so a development key gets its dev-browser handshake.
      if (reactDir && url.pathname.startsWith('/react/') && url.pathname !== '/react/') {
        return serveFile(reactDir, '/react/', url.pathname, res);
      }
      const state = await clerkClient.authenticateRequest(toWebRequest(req, backendUrl), common);
      const setCookies = state.headers.getSetCookie();
      const headers = {};
      state.headers.forEach((v, k) => { if (k !== 'set-cookie') headers[k] = v; });
      if (setCookies.length) headers['set-cookie'] = setCookies;
      if (state.headers.get('location')) {
        res.writeHead(307, headers).end();
        return;
      }
      const auth = authSummary(state.toAuth(), state.status, state.reason);
      if (url.pathname === '/api/auth') {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(auth));
      } else if (reactDir && url.pathname === '/react/') {
        res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(fs.readFileSync(path.join(reactDir, 'index.html')));
      } else if (url.pathname === '/page') {
        res.writeHead(200, { ...headers, 'content-type': 'text/html' })
          .end(page({ pk, fapiUrl, withClerk: url.searchParams.has('clerk'), auth }));
      } else {
        res.writeHead(404).end();
      }
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e?.stack ?? e));
    }
  });
  backendUrl = await listen(backend);
  servers.push(backend);

  // 2. @clerk/express.
  const app = express();
  app.use('/clerk', express.static(clerkDist));
  // The app's own Backend API client, as with CLERK_SECRET_KEY / CLERK_API_URL in the
  // environment: without one the middleware's client has no secret key, cannot fetch the
  // handshake payload, and every handshake ends signed out (and loops, in development).
  app.use(clerkMiddleware({ ...common, clerkClient: createClerkClient({ secretKey: sk, publishableKey: pk, apiUrl: fapiUrl }) }));
  const expressAuth = (req) => {
    const auth = getAuth(req);
    return authSummary(auth, auth.userId ? 'signed-in' : 'signed-out', null);
  };
  app.get('/api/auth', (req, res) => res.json(expressAuth(req)));
  app.get('/page', (req, res) => {
    res.type('html').send(page({ pk, fapiUrl, withClerk: 'clerk' in req.query, auth: expressAuth(req) }));
  });
  const expressServer = http.createServer(app);
  const expressUrl = await listen(expressServer);
  servers.push(expressServer);

  authorizedParties.push(backendUrl, expressUrl);
  return {
    backendUrl,
    expressUrl,
    clerkClient,
    close: () => Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r); }))),
  };
}
