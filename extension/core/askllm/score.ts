/** One generated token's log-probabilities as Ollama returns them (`logprobs[i]`). */
export interface TokenLogprobs {
  token: string;
  logprob: number;
  top_logprobs?: Array<{ token: string; logprob: number }>;
}

export interface YesNoScore {
  /** Sum of the probabilities of every "yes" variant among the first answer token's top log-probs. */
  pYes: number;
  pNo: number;
  /** pYes / (pYes + pNo); null when neither appears. */
  normalized: number | null;
  /** Neither yes nor no among the top tokens: the model answered something else. */
  offFormat: boolean;
}

/**
 * The answer word a token stands for: trimmed of whitespace and punctuation, lower-cased, so "Yes",
 * " yes", "YES" and "yes." are all `yes`. U+2581 and U+0120 are the word-start markers of
 * SentencePiece and byte-level BPE, in case a server returns raw vocabulary pieces.
 */
export function answerWord(token: string): string {
  return token.replace(/^[\s\p{P}\u2581\u0120]+|[\s\p{P}\u2581\u0120]+$/gu, '').toLowerCase();
}

/** The Ask-LLM score from the log-probs of the first generated token. */
export function scoreFromLogprobs(first: TokenLogprobs): YesNoScore {
  const candidates = first.top_logprobs && first.top_logprobs.length > 0 ? first.top_logprobs : [first];
  let pYes = 0;
  let pNo = 0;
  for (const { token, logprob } of candidates) {
    const word = answerWord(token);
    if (word === 'yes') pYes += Math.exp(logprob);
    else if (word === 'no') pNo += Math.exp(logprob);
  }
  // Rounding in the server's log-softmax can push a near-certain sum a hair above 1.
  pYes = Math.min(1, pYes);
  pNo = Math.min(1, pNo);
  const total = pYes + pNo;
  return { pYes, pNo, normalized: total > 0 ? pYes / total : null, offFormat: total === 0 };
}
