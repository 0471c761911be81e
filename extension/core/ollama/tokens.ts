/**
 * A conservative token count for text we cannot tokenize (Ollama exposes no tokenizer endpoint):
 * ASCII at 3 characters per token (English averages ~4 with the usual BPE vocabularies), every other
 * UTF-16 unit as a whole token (CJK and other scripts often take one or more tokens per character).
 * Over-estimating is the safe side: a prompt that fits by this count fits the model's context.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x80) ascii++;
  return Math.ceil(ascii / 3 + (text.length - ascii));
}

/** The length of the longest prefix of `text` whose estimated tokens stay within `budget`, never splitting a surrogate pair. */
export function prefixWithinTokens(text: string, budget: number): number {
  let cost = 0;
  for (let i = 0; i < text.length; i++) {
    cost += text.charCodeAt(i) < 0x80 ? 1 / 3 : 1;
    if (cost > budget + 1e-9) return endOnCodePoint(text, i);
  }
  return text.length;
}

/** `end`, moved back one unit if it would cut a surrogate pair in half. */
export function endOnCodePoint(text: string, end: number): number {
  if (end > 0 && end < text.length) {
    const c = text.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) return end - 1;
  }
  return end;
}
