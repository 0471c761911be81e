import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DEFAULT_PROMPT_TEMPLATE, promptSha256, renderPrompt, validateTemplate } from '../../../extension/core/askllm/prompt';
import { answerWord, scoreFromLogprobs } from '../../../extension/core/askllm/score';
import { estimateTokens } from '../../../extension/core/ollama/tokens';
import { UserError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';

const ln = Math.log;

test('the default template is the paper\'s, with one {text} placeholder', () => {
  assert.ok(DEFAULT_PROMPT_TEMPLATE.startsWith('###\n{text}\n###\n\nDoes the previous paragraph demarcated within ### and ### contain informative signal for pre-training a large-language model?'));
  assert.ok(DEFAULT_PROMPT_TEMPLATE.endsWith('OPTIONS:\n- yes\n- no'));
  assert.equal(DEFAULT_PROMPT_TEMPLATE.split('{text}').length, 2);
  assert.equal(promptSha256(DEFAULT_PROMPT_TEMPLATE), createHash('sha256').update(DEFAULT_PROMPT_TEMPLATE).digest('hex'));
  assert.notEqual(promptSha256(DEFAULT_PROMPT_TEMPLATE + ' '), promptSha256(DEFAULT_PROMPT_TEMPLATE));
  assert.throws(() => validateTemplate('Is this good? yes/no'), (err: unknown) => err instanceof UserError && /no \{text\} placeholder/.test(err.message));
});

test('rendering puts the text in verbatim (no $-pattern surprises) when it fits', () => {
  const text = 'Price: $& and $1 stay as written.';
  const r = renderPrompt(DEFAULT_PROMPT_TEMPLATE, text, { contextTokens: 4096 });
  assert.equal(r.prompt, DEFAULT_PROMPT_TEMPLATE.replace('{text}', () => text));
  assert.equal(r.truncated, false);
  assert.equal(r.textChars, text.length);
});

test('a long real document is cut to fit the context and marked truncated', () => {
  const long = realDocuments(60, 4).map((d) => d.text).join('\n\n');
  const r = renderPrompt(DEFAULT_PROMPT_TEMPLATE, long, { contextTokens: 512 });
  assert.equal(r.truncated, true);
  assert.ok(estimateTokens(r.prompt) <= 512 - 64, `prompt estimate ${estimateTokens(r.prompt)}`);
  assert.ok(r.textChars > 500); // most of the budget goes to the text
  assert.ok(long.startsWith(r.prompt.slice(4, 4 + r.textChars)));
  const capped = renderPrompt(DEFAULT_PROMPT_TEMPLATE, long, { contextTokens: 32768, maxChars: 1000 });
  assert.deepEqual([capped.truncated, capped.textChars], [true, 1000]);
  assert.throws(() => renderPrompt(DEFAULT_PROMPT_TEMPLATE, long, { contextTokens: 100 }), /leaves no room for text in a 100-token context/);
});

test('answer words: whitespace, punctuation and case do not matter', () => {
  for (const t of ['Yes', ' yes', 'YES', 'yes.', '\u2581Yes', '"yes"', '\nYes!']) assert.equal(answerWord(t), 'yes', t);
  for (const t of ['No', ' no', 'NO', 'no,']) assert.equal(answerWord(t), 'no', t);
  for (const t of ['Yesterday', 'Nope', 'yes no', '']) assert.ok(!['yes', 'no'].includes(answerWord(t)), t);
});

test('P(yes) sums every yes-variant; P(no) likewise; normalised share', () => {
  const s = scoreFromLogprobs({ token: 'Yes', logprob: ln(0.5), top_logprobs: [
    { token: 'Yes', logprob: ln(0.5) }, { token: ' yes', logprob: ln(0.2) }, { token: 'No', logprob: ln(0.1) },
    { token: ' NO', logprob: ln(0.05) }, { token: 'Maybe', logprob: ln(0.05) }, { token: 'Yesterday', logprob: ln(0.01) },
  ] });
  assert.ok(Math.abs(s.pYes - 0.7) < 1e-12);
  assert.ok(Math.abs(s.pNo - 0.15) < 1e-12);
  assert.ok(Math.abs(s.normalized! - 0.7 / 0.85) < 1e-12);
  assert.equal(s.offFormat, false);
});

test('an answer with neither yes nor no is off-format and scores 0', () => {
  const s = scoreFromLogprobs({ token: 'The', logprob: ln(0.6), top_logprobs: [{ token: 'The', logprob: ln(0.6) }, { token: 'I', logprob: ln(0.3) }] });
  assert.deepEqual(s, { pYes: 0, pNo: 0, normalized: null, offFormat: true });
  const onlyNo = scoreFromLogprobs({ token: 'no', logprob: ln(0.9), top_logprobs: [{ token: 'no', logprob: ln(0.9) }] });
  assert.deepEqual([onlyNo.pYes, onlyNo.normalized, onlyNo.offFormat], [0, 0, false]);
  // without top_logprobs the generated token itself is all we know
  assert.ok(Math.abs(scoreFromLogprobs({ token: ' Yes', logprob: ln(0.8) }).pYes - 0.8) < 1e-12);
});
