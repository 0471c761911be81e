import { UserError } from '../errors';
import { endOnCodePoint, estimateTokens, prefixWithinTokens } from '../ollama/tokens';

export const TEXT_PLACEHOLDER = '{text}';

/** The Ask-LLM prompt of Sachdeva et al. 2024 (verbatim apart from whitespace); `{text}` is the row's text. */
export const DEFAULT_PROMPT_TEMPLATE = `###
{text}
###

Does the previous paragraph demarcated within ### and ### contain informative signal for pre-training a large-language model? An informative datapoint should be well-formatted, contain some usable knowledge of the world, and strictly NOT have any harmful, racist, sexist, etc. content.

OPTIONS:
- yes
- no`;

/**
 * Ollama's default context (num_ctx) when the server is not configured otherwise: a longer prompt is
 * cut by the server without telling us, so by default texts are fitted to this, not to the model's
 * (often much larger) trained context.
 */
export const DEFAULT_CONTEXT_TOKENS = 4096;

/** Tokens the model's chat template adds around our message (role markers, a default system prompt) plus the one answer token. */
const CHAT_TEMPLATE_RESERVE = 64;

/** The fingerprint stored with every score: scores under different templates are different measurements. */
export { promptSha256 } from '../store/text-hash';

export function validateTemplate(template: string): void {
  if (!template.includes(TEXT_PLACEHOLDER)) {
    throw new UserError(`The Ask-LLM prompt template has no ${TEXT_PLACEHOLDER} placeholder, so the model would never see the row's text. Add ${TEXT_PLACEHOLDER} where the text belongs.`);
  }
}

export interface RenderedPrompt {
  prompt: string;
  /** The text was cut (to fit the context, or to maxChars). */
  truncated: boolean;
  /** Characters of the text that made it into the prompt. */
  textChars: number;
}

export interface PromptBudget {
  /** Tokens the server gives the prompt: min(model context_length, server num_ctx). */
  contextTokens: number;
  /** A user cap on the characters of text sent, applied first. */
  maxChars?: number;
}

/**
 * The tokens left for text beside `template` within the context (by the conservative estimate).
 * Throws when the template alone leaves no room.
 */
export function textTokenBudget(template: string, contextTokens: number): number {
  const frame = template.split(TEXT_PLACEHOLDER).join('');
  const budget = contextTokens - estimateTokens(frame) - CHAT_TEMPLATE_RESERVE;
  if (budget <= 0) {
    throw new UserError(`The Ask-LLM prompt template (about ${estimateTokens(frame)} tokens) leaves no room for text in a ${contextTokens}-token context. Shorten the template or use a model/server with a larger context.`);
  }
  return budget;
}

/** Puts the text in the template, cut (from the end) so the whole prompt fits; every placeholder gets the text. */
export function renderPrompt(template: string, text: string, budget: PromptBudget): RenderedPrompt {
  const placeholders = template.split(TEXT_PLACEHOLDER).length - 1;
  const perCopy = textTokenBudget(template, budget.contextTokens) / Math.max(1, placeholders);
  let end = text.length;
  if (budget.maxChars !== undefined && end > budget.maxChars) end = endOnCodePoint(text, Math.max(0, budget.maxChars));
  end = Math.min(end, prefixWithinTokens(text, perCopy));
  const fitted = end < text.length ? text.slice(0, end) : text;
  return { prompt: template.split(TEXT_PLACEHOLDER).join(fitted), truncated: end < text.length, textChars: end };
}
