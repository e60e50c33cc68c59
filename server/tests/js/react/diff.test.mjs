// node --test react/diff.test.mjs: diffRuns is strict (undefined, null and a missing key differ;
// NaN equals NaN) and ignores only which session ids the runs happened to get.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { diffRuns } from './harness.mjs';

const run = (steps) => ({ steps });

test('identical runs with different session ids do not differ', () => {
  const a = run([{ name: 's', hooks: { sessionId: 'sess_aaa', other: 'sess_bbb', n: NaN } }]);
  const b = run([{ name: 's', hooks: { sessionId: 'sess_xxx', other: 'sess_yyy', n: NaN } }]);
  assert.deepEqual(diffRuns(a, b), []);
});

test('session ids are matched by order of appearance', () => {
  const a = run([{ first: 'sess_a', second: 'sess_b' }]);
  const b = run([{ first: 'sess_x', second: 'sess_x' }]);
  assert.deepEqual(diffRuns(a, b), [{ path: '$.0.second', a: '<session 2>', b: '<session 1>' }]);
});

test('session ids inside strings are normalized too', () => {
  const a = run([{ id: 'sess_a', context: 'sess_a:org_1' }]);
  const b = run([{ id: 'sess_b', context: 'sess_b:org_1' }]);
  assert.deepEqual(diffRuns(a, b), []);
  assert.equal(diffRuns(a, run([{ id: 'sess_b', context: 'sess_c:org_1' }]))[0].path, '$.0.context');
});

test('undefined, null and a missing key are three different things', () => {
  const a = run([{ v: undefined, w: null, x: 1 }]);
  const b = run([{ v: null, w: undefined }]);
  assert.deepEqual(diffRuns(a, b), [
    { path: '$.0.v', a: undefined, b: null },
    { path: '$.0.w', a: null, b: undefined },
    { path: '$.0.x', a: 1, b: '<missing>' },
  ]);
});

test('types are compared before values', () => {
  assert.deepEqual(diffRuns(run([{ v: '1' }]), run([{ v: 1 }])), [{ path: '$.0.v', a: '1', b: 1 }]);
  assert.deepEqual(diffRuns(run([{ v: [] }]), run([{ v: {} }])), [{ path: '$.0.v', a: [], b: {} }]);
});
