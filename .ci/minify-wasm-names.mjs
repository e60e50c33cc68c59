// Shortens the names the wasm module and its JS glue share, after wasm-pack and before esbuild.
//
// wasm-bindgen names every import after its Rust path plus a 16-hex-digit hash
// (`__wbg_resolve_dbf78ab4942478b0`) and every export after its class and method (`session_getToken`).
// Each name is stored twice, in the wasm and in the glue, and the hashes do not compress: about
// 3 KB of the gzipped package. binaryen renames them all to one or two letters
// (`--minify-imports-and-exports-and-modules`) and prints the mapping; this script applies the same
// mapping to the glue (`clerk.js`) and to the two .d.ts files that list the raw exports, then checks
// that the glue provides every import the module now asks for and calls no export it lost.
//
// Usage: node .ci/minify-wasm-names.mjs pkg     (wasm-opt from npm binaryen first on PATH)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'pkg';
const files = { wasm: join(dir, 'clerk_bg.wasm'), glue: join(dir, 'clerk.js'), dts: join(dir, 'clerk.d.ts'), wasmDts: join(dir, 'clerk_bg.wasm.d.ts') };
const fail = (why) => { console.error(`minify-wasm-names: ${why}`); process.exit(1); };
// The wasm features wasm-pack's wasm-opt is given (Cargo.toml), so both runs read the module alike.
const features = readFileSync(new URL('../Cargo.toml', import.meta.url), 'utf8').match(/^wasm-opt = \[(.*)\]$/m)?.[1].match(/--enable-[\w-]+/g);
if (!features?.length) fail('no `wasm-opt = [...--enable-...]` line in Cargo.toml');

const escape = (s) => s.replace(/[$]/g, '\\$');

const printed = execFileSync('wasm-opt', [files.wasm, '--minify-imports-and-exports-and-modules', ...features, '-o', files.wasm], { encoding: 'utf8' });
// Then -Oz once more until nothing changes (the renaming reorders what it can share), and the
// producers and target-features sections go: no browser reads them (≈ 0.4 KB gzip together).
// A separate run: with --converge the renaming itself would run again and print a second mapping.
// --low-memory-unused: Rust places nothing below 1 MiB's global base, so the optimizer may fold
// small constant addresses; --zero-filled-memory: the module's own memory starts zeroed, so zero
// data need not be stored. Not -tnh: it lets the optimizer remove a panic's trap, turning an abort
// into carrying on with bad state.
execFileSync('wasm-opt', [files.wasm, '-Oz', '--converge', '--low-memory-unused', '--zero-filled-memory', '--strip-producers', '--strip-target-features', ...features, '-o', files.wasm]);
const map = JSON.parse(printed.slice(printed.indexOf('{')));
const module = new WebAssembly.Module(readFileSync(files.wasm));
const modules = [...new Set(WebAssembly.Module.imports(module).map((i) => i.module))];
if (modules.length !== 1) fail(`expected the imports of one module, got ${JSON.stringify(modules)}`);

let glue = readFileSync(files.glue, 'utf8');
/** Replaces every match of `pattern`; `expected` says how many there must be (undefined: any). */
const rename = (text, pattern, replacement, expected, what) => {
  let count = 0;
  const out = text.replace(pattern, (...m) => { count++; return replacement(...m); });
  if (expected !== undefined && count !== expected) fail(`${what}: ${count} matches, expected ${expected}`);
  return out;
};

// The import object: `"./clerk_bg.js": import0` and, inside it, `name: function(...)`.
glue = rename(glue, /"\.\/clerk_bg\.js":/g, () => `${JSON.stringify(modules[0])}:`, 1, 'import module');
for (const [, from, to] of map.imports) {
  glue = rename(glue, new RegExp(`(\\n\\s*)${escape(from)}(: function)`, 'g'), (_, lead, rest) => `${lead}${to}${rest}`, 1, `import ${from}`);
}
// Every use of an export goes through `wasm.<name>`; some exports the glue never calls.
const exportNames = new Set(map.exports.map(([, to]) => to));
for (const [from, to] of map.exports) {
  glue = rename(glue, new RegExp(`\\bwasm\\.${escape(from)}\\b`, 'g'), () => `wasm.${to}`, undefined, `export ${from}`);
}

// Checks: every import the module asks for is provided, and every export the glue uses exists.
const provided = new Set([...glue.matchAll(/\n\s*([A-Za-z_$][\w$]*): function/g)].map((m) => m[1]));
const missing = WebAssembly.Module.imports(module).filter((i) => !provided.has(i.name));
if (missing.length) fail(`the glue lacks imports ${missing.map((i) => i.name).join(', ')}`);
const unknown = [...new Set([...glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]))].filter((n) => !exportNames.has(n));
if (unknown.length) fail(`the glue uses exports the module no longer has: ${unknown.join(', ')}`);
writeFileSync(files.glue, glue);

// The raw exports are typed in two places; keep them true to the module.
const renameDeclarations = (file, prefix) => {
  let text = readFileSync(file, 'utf8');
  for (const [from, to] of map.exports) {
    text = rename(text, new RegExp(`(${prefix})${escape(from)}:`, 'g'), (_, lead) => `${lead}${to}:`, undefined, `${file} ${from}`);
  }
  writeFileSync(file, text);
};
renameDeclarations(files.dts, 'readonly ');
renameDeclarations(files.wasmDts, 'export const ');
console.log(`minify-wasm-names: ${map.imports.length} imports, ${map.exports.length} exports renamed`);
