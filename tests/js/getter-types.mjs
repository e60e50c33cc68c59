// Every getter of every exported class, checked at run time against the type the package
// declares for it (pkg/*.d.ts, emitted from the object layer's own source). Runs the release
// package in headless Chromium against clerk-server, signed in with an organization active, so
// that `T | null` getters are seen both ways where the state allows. A getter typed `string |
// null` that returns `undefined` fails here: the drift JSON.stringify comparisons hide.
import ts from 'typescript';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const root = new URL('../../', import.meta.url).pathname;
let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} getter types: ${name}${ok || detail === undefined ? '' : ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

// Declared getters: class → getter → the set of runtime kinds its type allows.
const CLASSES = ['Clerk', 'Client', 'Session', 'Token', 'SignIn', 'SignUp'];
function kindsOf(node, aliases) {
  switch (node.kind) {
    case ts.SyntaxKind.UnionType: return node.types.flatMap((t) => kindsOf(t, aliases));
    case ts.SyntaxKind.ParenthesizedType: return kindsOf(node.type, aliases);
    case ts.SyntaxKind.StringKeyword: return ['string'];
    case ts.SyntaxKind.NumberKeyword: return ['number'];
    case ts.SyntaxKind.BooleanKeyword: return ['boolean'];
    case ts.SyntaxKind.UndefinedKeyword: return ['undefined'];
    case ts.SyntaxKind.ArrayType: case ts.SyntaxKind.TupleType: return ['array'];
    case ts.SyntaxKind.TypeLiteral: return ['object'];
    case ts.SyntaxKind.LiteralType:
      if (node.literal.kind === ts.SyntaxKind.NullKeyword) return ['null'];
      if (node.literal.kind === ts.SyntaxKind.StringLiteral) return ['string'];
      if (node.literal.kind === ts.SyntaxKind.TrueKeyword || node.literal.kind === ts.SyntaxKind.FalseKeyword) return ['boolean'];
      return ['number'];
    case ts.SyntaxKind.TypeReference: {
      const name = node.typeName.getText();
      if (name === 'Array') return ['array'];
      if (name === 'Date') return ['Date'];
      if (name === 'Record') return ['object'];
      if (CLASSES.includes(name)) return [name];
      if (aliases.has(name)) return kindsOf(aliases.get(name), aliases);
      return ['object']; // interfaces: User, Organization, Verification, …
    }
    default: throw new Error(`unhandled type ${ts.SyntaxKind[node.kind]}: ${node.getText()}`);
  }
}
const declared = new Map();
const aliases = new Map();
const files = readdirSync(join(root, 'pkg')).filter((f) => f.endsWith('.d.ts'));
const sources = files.map((f) => ts.createSourceFile(f, readFileSync(join(root, 'pkg', f), 'utf8'), ts.ScriptTarget.Latest, true));
for (const source of sources) {
  source.forEachChild((node) => { if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node.type); });
}
for (const source of sources) {
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || !CLASSES.includes(node.name?.text)) return;
    const getters = new Map();
    for (const member of node.members) {
      const isGetter = ts.isGetAccessorDeclaration(member);
      const isField = ts.isPropertyDeclaration(member) && member.type && !member.name.getText().startsWith('#');
      if ((isGetter || isField) && member.type) getters.set(member.name.getText(), new Set(kindsOf(member.type, aliases)));
    }
    declared.set(node.name.text, getters);
  });
}
// Members installed on a class's prototype are declared by interfaces the class's own interface
// extends (`interface Clerk extends NavigationMethods, UIHostMembers {}`): their properties count.
const interfaces = new Map();
for (const source of sources) source.forEachChild((node) => { if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node); });
for (const [name, node] of interfaces) {
  if (!CLASSES.includes(name) || !declared.has(name)) continue;
  for (const clause of node.heritageClauses ?? []) {
    for (const t of clause.types) {
      for (const member of interfaces.get(t.expression.getText())?.members ?? []) {
        if (ts.isPropertySignature(member) && member.type) declared.get(name).set(member.name.getText(), new Set(kindsOf(member.type, aliases)));
      }
    }
  }
}
check(`the declarations name all ${CLASSES.length} classes`, CLASSES.every((c) => declared.has(c)), [...declared.keys()]);
check('Session declares lastActiveOrganizationId as string | null',
  [...(declared.get('Session')?.get('lastActiveOrganizationId') ?? [])].sort().join() === 'null,string');

const { dir, site } = prepareSite('getter-types');
writeFileSync(join(site, 'types.html'), '<!doctype html><title>types</title>');
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
const { browser, context } = await launch();
try {
  const page = await context.newPage();
  await page.goto(`${server.base}/types.html`);
  // In each state, every getter of every live object: its runtime kind.
  const observed = await page.evaluate(async ({ base, orgId }) => {
    const pkg = await import(`${base}/pkg/index.js`);
    const kind = (v) => {
      if (v === null) return 'null';
      if (v === undefined) return 'undefined';
      if (Array.isArray(v)) return 'array';
      if (v instanceof Date) return 'Date';
      for (const c of ['Clerk', 'Client', 'Session', 'Token', 'SignIn', 'SignUp']) if (v instanceof pkg[c]) return c;
      return typeof v;
    };
    const seen = [];
    const walk = (label, object, cls) => {
      for (let proto = Object.getPrototypeOf(object); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
          if (d.get) seen.push({ label, cls, name, kind: kind(object[name]) });
        }
      }
      for (const name of Object.keys(object)) seen.push({ label, cls, name, kind: kind(object[name]) });
    };
    const everything = (label, clerk) => {
      walk(label, clerk, 'Clerk');
      if (clerk.client) {
        walk(label, clerk.client, 'Client');
        walk(label, clerk.client.signIn, 'SignIn');
        walk(label, clerk.client.signUp, 'SignUp');
        for (const s of clerk.client.sessions) {
          walk(label, s, 'Session');
          if (s.lastActiveToken) walk(label, s.lastActiveToken, 'Token');
        }
      }
    };
    const { publishable_key } = await (await fetch(`${base}/__dev/instance`)).json();
    const clerk = new pkg.Clerk(publishable_key, { proxyUrl: base });
    everything('before load', clerk);
    await clerk.load();
    everything('signed out', clerk);
    const signIn = await clerk.client.signIn.create({ identifier: 'bob@example.com' });
    walk('sign-in step', signIn, 'SignIn');
    const done = await signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
    walk('sign-in done', done, 'SignIn');
    await clerk.setActive({ session: done.createdSessionId });
    await clerk.session.getToken();
    everything('signed in', clerk);
    await clerk.setActive({ organization: orgId });
    everything('organization active', clerk);
    const signUp = await clerk.client.signUp.create({ emailAddress: `t${Date.now()}@example.com`, password: 'a-long-password-42' });
    walk('sign-up step', signUp, 'SignUp');
    const held = clerk.session;
    await held.end();
    everything('session ended', clerk);
    walk('held session', held, 'Session');
    return seen;
  }, { base: server.base, orgId: server.orgId });

  const counted = new Map();
  for (const { label, cls, name, kind } of observed) {
    const allowed = declared.get(cls)?.get(name);
    if (!allowed) {
      check(`${cls}.${name} is declared`, false, `${label}: seen as ${kind}`);
      continue;
    }
    const key = `${cls}.${name}`;
    if (!allowed.has(kind)) check(`${key} (${label})`, false, `returned ${kind}, declared ${[...allowed].join(' | ')}`);
    counted.set(key, (counted.get(key) ?? new Set()).add(kind));
  }
  const wrong = observed.filter(({ cls, name, kind }) => declared.get(cls)?.get(name) && !declared.get(cls).get(name).has(kind));
  check(`${counted.size} getters, ${observed.length} reads: every runtime type is the declared one`, wrong.length === 0, wrong.slice(0, 5));
  const nulls = ['Session.lastActiveOrganizationId', 'Client.lastActiveSessionId', 'Client.lastAuthenticationStrategy', 'SignIn.status'];
  check('T | null getters were seen returning null', nulls.every((k) => counted.get(k)?.has('null')), Object.fromEntries(nulls.map((k) => [k, [...(counted.get(k) ?? [])]])));
  const undeclared = [...declared].flatMap(([cls, getters]) => [...getters.keys()].filter((g) => !counted.has(`${cls}.${g}`)).map((g) => `${cls}.${g}`));
  check('every declared getter was read', undeclared.length === 0, undeclared);
} finally {
  await browser.close();
  server.stop();
}
console.log(`getter-types: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
