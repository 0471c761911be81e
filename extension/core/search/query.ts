import { UserError } from '../errors';

/** What to look for in the text field: a substring or a JavaScript regular expression. */
export interface TextQuery {
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
}

/** Cap on the length of a search pattern: longer ones are pasted text, not queries. */
export const MAX_PATTERN_LENGTH = 10_000;

/**
 * A predicate for one text. Case-sensitive substrings use `includes` (fastest); every other case is
 * a RegExp without the `g` flag, so `test` keeps no state between texts.
 * Throws a UserError for an empty pattern or one that does not compile.
 */
export function compileMatcher(query: TextQuery): (text: string) => boolean {
  const { pattern, regex, caseSensitive } = query;
  if (pattern.length === 0) throw new UserError('The search pattern is empty.');
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new UserError(`The search pattern is ${pattern.length.toLocaleString('en-US')} characters long; the limit is ${MAX_PATTERN_LENGTH.toLocaleString('en-US')}.`);
  }
  if (!regex && caseSensitive) return (text) => text.includes(pattern);
  const source = regex ? pattern : pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let re: RegExp;
  try {
    re = new RegExp(source, caseSensitive ? '' : 'i');
  } catch (err) {
    // V8 says e.g. "Invalid regular expression: /(/: Unterminated group"
    throw new UserError(`${err instanceof Error ? err.message : String(err)}. Fix the regular expression, or search for plain text.`);
  }
  return (text) => re.test(text);
}
