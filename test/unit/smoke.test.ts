import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectTextField, textOf } from '../../extension/core/shard/fields';

test('detectTextField prefers common names over the first string column', () => {
  assert.equal(detectTextField('f', [{ name: 'id', type: 'string' }, { name: 'Content', type: 'string' }]), 'Content');
  assert.equal(detectTextField('f', [{ name: 'n', type: 'number' }, { name: 'title', type: 'string' }]), 'title');
  assert.equal(detectTextField('f', [{ name: 'n', type: 'number' }]), undefined);
  assert.throws(() => detectTextField('f.jsonl', [{ name: 'a', type: 'string' }], { textField: 'b' }), /f\.jsonl: text field "b" is not a column; columns are: a/);
});

test('detectTextField takes a preferred field when it is a column, and detects otherwise', () => {
  const columns = [{ name: 'text', type: 'string' }, { name: 'summary', type: 'string' }, { name: 'n', type: 'number' }];
  assert.equal(detectTextField('f', columns, { preferTextField: 'summary' }), 'summary');
  assert.equal(detectTextField('f', columns, { preferTextField: 'missing' }), 'text');
  assert.equal(detectTextField('f', columns, { preferTextField: 'summary', textField: 'n' }), 'n');
});

test('textOf renders non-strings as JSON and missing as empty', () => {
  assert.equal(textOf('x'), 'x');
  assert.equal(textOf(null), '');
  assert.equal(textOf(undefined), '');
  assert.equal(textOf({ a: [1] }), '{"a":[1]}');
});
