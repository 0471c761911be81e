/**
 * A fake Ollama server for every test that talks to Ollama: a real node:http server on 127.0.0.1 that
 * answers the endpoints Shard Curator uses the way the real server does (shapes, status codes and
 * error texts read from Ollama's server source), plus fault injection and a record of every request.
 *
 * Faithful details worth knowing:
 * - /api/chat with an embedding model: 400 `"x" does not support chat` (/api/generate says
 *   `... does not support generate`), as the real handlers word it.
 * - `think: true` to a model without the `thinking` capability: 400 `"x" does not support thinking`;
 *   `think: false` is accepted by every model. A thinking model asked without `think: false` thinks
 *   first, so its first generated token is not the answer.
 * - Servers older than 0.12.11 ignore `logprobs`/`top_logprobs` and return no `logprobs`.
 * - /api/embed: `input: ""` yields `embeddings: []`; an empty string inside an input array yields no
 *   vector either (the array of vectors comes back shorter), so clients must filter empties.
 * - Only inference endpoints (chat, generate, embed) take a slot; beyond `slots` they queue, beyond
 *   `maxQueue` waiting requests they get 503 `server busy, please try again.  maximum pending requests exceeded`.
 *
 * Standalone: `node --import tsx test/fakes/ollama-server.ts --port 11434 [--latency 50] [--slots 4]`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeModel {
  /** As `ollama list` shows it, e.g. `qwen2.5:0.5b`. A name without a tag means `:latest`. */
  name: string;
  kind: 'judge' | 'embedding';
  /** Judges only: the model reports the `thinking` capability (qwen3-style). */
  thinking?: boolean;
  /** `<arch>.context_length` in /api/show; default 32768 for judges, 2048 for embedders. */
  contextLength?: number;
  /** `<arch>.embedding_length`; default 896 for judges, 768 for embedders. */
  embeddingLength?: number;
  /** `general.architecture`; default `qwen2` / `nomic-bert` (`qwen3` for thinking judges). */
  family?: string;
  /** 64 hex digits; default derived from the name. */
  digest?: string;
}

export interface TopLogprob {
  token: string;
  logprob: number;
}

/** The top log-probs of the first generated token for a prompt (any order; the server sorts them). */
export type AnswerFunction = (prompt: string, model: string) => TopLogprob[];

export type Fault =
  | { status: number; error?: string }
  | { drop: 'before-headers' | 'mid-body' };

export interface FakeOllamaOptions {
  models?: FakeModel[];
  /** Reported by /api/version; default 0.13.5. */
  version?: string;
  answer?: AnswerFunction;
  /** Processing time of an inference request while it holds a slot, in ms (default 0). */
  latencyMs?: number | ((path: string, body: Record<string, any>) => number);
  /** Inference requests processed at once (OLLAMA_NUM_PARALLEL); default unlimited. */
  slots?: number;
  /** Requests allowed to wait for a slot (OLLAMA_MAX_QUEUE); default 512. */
  maxQueue?: number;
  port?: number;
}

export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  /** The parsed JSON body (undefined for GET or an unparsable body). */
  body: any;
  /** performance.now() at arrival. */
  receivedAt: number;
  /** Requests in flight at arrival, this one included. */
  inFlight: number;
  /** The status sent; undefined when the connection was dropped or the client left first. */
  status?: number;
  /** The client went away before the response was finished. */
  aborted: boolean;
  finishedAt?: number;
}

export const DEFAULT_MODELS: FakeModel[] = [
  { name: 'qwen2.5:0.5b', kind: 'judge' },
  { name: 'qwen3:0.6b', kind: 'judge', thinking: true },
  { name: 'nomic-embed-text:latest', kind: 'embedding' },
];

const INFERENCE_PATHS = new Set(['/api/chat', '/api/generate', '/api/embed']);
const FILLER_TOKENS = ['The', 'I', 'This', 'It', 'Based', '**', 'A', '-', '1', 'As', 'In', 'Sure', 'OK', 'Maybe'];

function fullName(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

function hashUnit(text: string, salt = ''): number {
  return createHash('sha256').update(salt).update(text).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The default judge: P(yes) between 0.05 and 0.95 derived from the prompt, spread over yes-variants
 * ("Yes" 85%, " yes" 10%, "YES" 5% of 0.9*p) and no-variants likewise, the remaining 0.1 over
 * 14 filler tokens. So P(yes)/(P(yes)+P(no)) is exactly `fakeYesShare(prompt)`.
 */
export function fakeYesShare(prompt: string): number {
  return 0.05 + 0.9 * hashUnit(prompt, 'ask-llm');
}

export const defaultAnswer: AnswerFunction = (prompt) => {
  const p = fakeYesShare(prompt);
  const yes = 0.9 * p;
  const no = 0.9 * (1 - p);
  const entries: Array<[string, number]> = [
    ['Yes', yes * 0.85], [' yes', yes * 0.1], ['YES', yes * 0.05],
    ['No', no * 0.85], [' no', no * 0.1], ['NO', no * 0.05],
  ];
  // Fillers share the remaining 0.1 with halving weights (normalised so the total is exactly 0.1).
  const weights = FILLER_TOKENS.map((_, i) => 2 ** -i);
  const sum = weights.reduce((a, b) => a + b, 0);
  FILLER_TOKENS.forEach((token, i) => entries.push([token, (0.1 * weights[i]) / sum]));
  return entries.map(([token, prob]) => ({ token, logprob: Math.log(prob) }));
};

/** Deterministic unit vectors: hashed bag of words (so similar texts are near), L2-normalised. */
export function fakeEmbedding(text: string, dims: number): number[] {
  const vector = new Float64Array(dims);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [text];
  for (const word of words) {
    const h = createHash('sha256').update(word).digest();
    for (let k = 0; k < 4; k++) {
      const index = h.readUInt32BE(k * 4) % dims;
      vector[index] += h[16 + k] & 1 ? 1 : -1;
    }
  }
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  return Array.from(vector, (v) => v / norm);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

class HttpFail {
  constructor(readonly status: number, readonly error: string) {}
}

export class FakeOllama {
  readonly models = new Map<string, FakeModel>();
  readonly requests: RecordedRequest[] = [];
  version: string;
  answer: AnswerFunction;
  latencyMs: NonNullable<FakeOllamaOptions['latencyMs']>;
  slots: number;
  maxQueue: number;
  /** Highest number of inference requests in flight at once (arrived, not finished). */
  maxInFlight = 0;

  private readonly server: Server;
  private readonly port: number;
  private inFlight = 0;
  private busySlots = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly faults: Array<{ fault: Fault; paths: string[] }> = [];
  private readonly loaded = new Map<string, number>();
  private nextId = 1;
  private address = '';

  constructor(options: FakeOllamaOptions = {}) {
    for (const model of options.models ?? DEFAULT_MODELS) this.models.set(fullName(model.name), model);
    this.version = options.version ?? '0.13.5';
    this.answer = options.answer ?? defaultAnswer;
    this.latencyMs = options.latencyMs ?? 0;
    this.slots = options.slots ?? Infinity;
    this.maxQueue = options.maxQueue ?? 512;
    this.port = options.port ?? 0;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    if (!this.address) throw new Error('fake Ollama server not started');
    return this.address;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.address = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** The next `count` inference requests (or requests to `paths`) meet `fault` instead of an answer. */
  failNext(count: number, fault: Fault, paths: string[] = [...INFERENCE_PATHS]): void {
    for (let i = 0; i < count; i++) this.faults.push({ fault, paths });
  }

  inferenceRequests(): RecordedRequest[] {
    return this.requests.filter((r) => INFERENCE_PATHS.has(r.path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const inference = INFERENCE_PATHS.has(path);
    const record: RecordedRequest = {
      id: this.nextId++, method: req.method ?? 'GET', path, body: undefined,
      receivedAt: performance.now(), inFlight: 0, aborted: false,
    };
    this.requests.push(record);
    if (inference) {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      record.inFlight = this.inFlight;
    }
    let finished = false;
    const closed = new Promise<void>((resolve) => res.once('close', () => {
      if (!res.writableFinished) record.aborted = true;
      resolve();
    }));
    const finish = () => {
      if (finished) return;
      finished = true;
      record.finishedAt = performance.now();
      if (inference) this.inFlight--;
    };
    void closed.then(finish);

    try {
      const raw = await readBody(req);
      if (raw.length > 0) {
        try { record.body = JSON.parse(raw); } catch { /* reported below by the route */ }
      }
      const faultIndex = this.faults.findIndex((f) => f.paths.includes(path));
      if (faultIndex >= 0) {
        const [{ fault }] = this.faults.splice(faultIndex, 1);
        if ('drop' in fault) {
          if (fault.drop === 'before-headers') req.socket.destroy();
          else {
            res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '4096' });
            res.write('{"model":"');
            setImmediate(() => req.socket.destroy());
          }
          return;
        }
        throw new HttpFail(fault.status, fault.error ?? (fault.status === 503
          ? 'server busy, please try again.  maximum pending requests exceeded'
          : 'llama runner process has terminated: exit status 2'));
      }
      await this.route(req.method ?? 'GET', path, raw, record, res, closed);
    } catch (err) {
      const fail = err instanceof HttpFail ? err : new HttpFail(500, String(err));
      if (!res.headersSent && !res.destroyed) sendJson(res, fail.status, { error: fail.error });
    }
    record.status = res.headersSent ? res.statusCode : undefined;
  }

  private async route(method: string, path: string, raw: string, record: RecordedRequest, res: ServerResponse, closed: Promise<void>): Promise<void> {
    if (method === 'GET' && (path === '/api/version')) return sendJson(res, 200, { version: this.version });
    if (method === 'GET' && path === '/api/tags') return sendJson(res, 200, { models: [...this.models.values()].map((m) => this.listEntry(m)) });
    if (method === 'GET' && path === '/api/ps') {
      const now = Date.now();
      const models = [...this.loaded.entries()].filter(([name]) => this.models.has(name)).map(([name, until]) => {
        const m = this.models.get(name)!;
        return { ...this.listEntry(m), expires_at: new Date(until).toISOString(), size_vram: this.listEntry(m).size, context_length: Math.min(4096, this.contextLength(m)) };
      }).filter((m) => Date.parse(m.expires_at) > now);
      return sendJson(res, 200, { models });
    }
    if (method !== 'POST' || !['/api/show', '/api/chat', '/api/generate', '/api/embed'].includes(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    if (raw.length === 0) throw new HttpFail(400, 'missing request body');
    if (record.body === undefined || typeof record.body !== 'object' || record.body === null) {
      throw new HttpFail(400, `invalid character '${raw[0]}' looking for beginning of value`);
    }
    const body = record.body as Record<string, any>;
    if (path === '/api/show') return sendJson(res, 200, this.show(body));
    if (path === '/api/embed') return this.embed(body, res, closed);
    return this.complete(path, body, res, closed);
  }

  private model(name: unknown): FakeModel {
    if (typeof name !== 'string' || name === '') throw new HttpFail(400, 'model is required');
    const model = this.models.get(fullName(name));
    if (!model) throw new HttpFail(404, `model '${name}' not found`);
    return model;
  }

  private family(m: FakeModel): string {
    return m.family ?? (m.kind === 'embedding' ? 'nomic-bert' : m.thinking ? 'qwen3' : 'qwen2');
  }

  private contextLength(m: FakeModel): number {
    return m.contextLength ?? (m.kind === 'embedding' ? 2048 : 32768);
  }

  private embeddingLength(m: FakeModel): number {
    return m.embeddingLength ?? (m.kind === 'embedding' ? 768 : 896);
  }

  private digest(m: FakeModel): string {
    return m.digest ?? createHash('sha256').update(fullName(m.name)).digest('hex');
  }

  private details(m: FakeModel) {
    return {
      parent_model: '', format: 'gguf', family: this.family(m), families: [this.family(m)],
      parameter_size: m.kind === 'embedding' ? '137M' : '494.03M', quantization_level: m.kind === 'embedding' ? 'F16' : 'Q4_K_M',
    };
  }

  private listEntry(m: FakeModel) {
    return {
      name: fullName(m.name), model: fullName(m.name), modified_at: '2025-11-20T10:00:00.000000000Z',
      size: m.kind === 'embedding' ? 274302450 : 397821319, digest: this.digest(m), details: this.details(m),
    };
  }

  private show(body: Record<string, any>) {
    const m = this.model(body.model ?? body.name);
    const arch = this.family(m);
    const capabilities = m.kind === 'embedding' ? ['embedding'] : m.thinking ? ['completion', 'tools', 'thinking'] : ['completion', 'tools', 'insert'];
    return {
      license: 'Apache License 2.0',
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${fullName(m.name)}\n`,
      parameters: m.kind === 'embedding' ? 'num_ctx                        8192' : 'stop                           "<|im_end|>"',
      template: m.kind === 'embedding' ? '{{ .Prompt }}' : '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n',
      details: this.details(m),
      model_info: {
        'general.architecture': arch,
        'general.parameter_count': m.kind === 'embedding' ? 136727040 : 494032768,
        [`${arch}.context_length`]: this.contextLength(m),
        [`${arch}.embedding_length`]: this.embeddingLength(m),
        [`${arch}.block_count`]: m.kind === 'embedding' ? 12 : 24,
      },
      capabilities,
      modified_at: '2025-11-20T10:00:00.000000000Z',
    };
  }

  /** Waits for a free slot and the processing latency; false when the client went away meanwhile. */
  private async process(path: string, body: Record<string, any>, closed: Promise<void>): Promise<boolean> {
    let gone = false;
    void closed.then(() => { gone = true; });
    if (this.busySlots >= this.slots) {
      if (this.waiting.length >= this.maxQueue) {
        throw new HttpFail(503, 'server busy, please try again.  maximum pending requests exceeded');
      }
      let wake!: () => void;
      const slot = new Promise<void>((resolve) => { wake = resolve; });
      this.waiting.push(wake);
      await Promise.race([slot, closed]);
      if (gone) {
        const at = this.waiting.indexOf(wake);
        if (at >= 0) this.waiting.splice(at, 1);
        else this.releaseSlot(); // woken and closed in the same tick: hand the slot on
        return false;
      }
    } else {
      this.busySlots++;
    }
    try {
      const latency = typeof this.latencyMs === 'function' ? this.latencyMs(path, body) : this.latencyMs;
      if (latency > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((resolve) => { timer = setTimeout(resolve, latency); }), closed]);
        clearTimeout(timer);
      }
      this.loaded.set(fullName(body.model), Date.now() + 5 * 60_000);
      return !gone;
    } finally {
      this.releaseSlot();
    }
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiting request
    else this.busySlots--;
  }

  private async complete(path: string, body: Record<string, any>, res: ServerResponse, closed: Promise<void>): Promise<void> {
    const chat = path === '/api/chat';
    const modern = compareVersions(this.version, '0.12.11') >= 0 || this.version === '0.0.0';
    const top = Number(body.top_logprobs ?? 0);
    if (modern && (top < 0 || top > 20)) throw new HttpFail(400, 'top_logprobs must be between 0 and 20');
    const m = this.model(body.model);
    if (!m.thinking && body.think === true) throw new HttpFail(400, `"${body.model}" does not support thinking`);
    if (m.kind === 'embedding') throw new HttpFail(400, `"${body.model}" does not support ${chat ? 'chat' : 'generate'}`);
    if (chat && !Array.isArray(body.messages)) throw new HttpFail(400, 'json: cannot unmarshal into Go struct field ChatRequest.messages');
    const started = process.hrtime.bigint();
    if (!(await this.process(path, body, closed))) return;

    const prompt = chat
      ? (body.messages as Array<{ role: string; content: string }>).map((msg) => msg.content ?? '').join('\n')
      : String(body.prompt ?? '');
    const thinkingFirst = m.thinking === true && body.think !== false;
    const ranked = (thinkingFirst ? [{ token: 'Okay', logprob: -0.01 }, { token: 'Let', logprob: -4.7 }] : this.answer(prompt, body.model))
      .slice().sort((a, b) => b.logprob - a.logprob);
    const numPredict = Number(body.options?.num_predict ?? -1);
    const tokens = [ranked[0]?.token ?? '', '.'].slice(0, numPredict > 0 ? numPredict : 2);
    const wantLogprobs = modern && body.logprobs === true;
    const logprobFor = (token: string, i: number) => {
      const chosen = i === 0 ? ranked[0] : { token, logprob: -0.05 };
      return {
        token: chosen.token, logprob: chosen.logprob, bytes: [...Buffer.from(chosen.token)],
        ...(top > 0 ? { top_logprobs: (i === 0 ? ranked : [chosen]).slice(0, top).map((t) => ({ token: t.token, logprob: t.logprob, bytes: [...Buffer.from(t.token)] })) } : {}),
      };
    };
    const promptTokens = Math.min(Math.ceil(prompt.length / 4) + 10, this.contextLength(m));
    const elapsed = Number(process.hrtime.bigint() - started);
    const metrics = {
      done_reason: tokens.length < 2 ? 'length' : 'stop',
      total_duration: elapsed, load_duration: 1_000_000, prompt_eval_count: promptTokens,
      prompt_eval_duration: Math.round(elapsed * 0.8), eval_count: tokens.length, eval_duration: Math.round(elapsed * 0.2),
    };
    const text = (parts: string[]) => (thinkingFirst ? { content: '', thinking: parts.join('') } : { content: parts.join('') });
    const chunk = (parts: string[], done: boolean, logprobs: unknown[]) => ({
      model: body.model,
      created_at: new Date().toISOString(),
      ...(chat ? { message: { role: 'assistant', ...text(parts) } } : { response: thinkingFirst ? '' : parts.join(''), ...(thinkingFirst ? { thinking: parts.join('') } : {}) }),
      done,
      ...(done ? metrics : {}),
      ...(done && !chat ? { context: [151644, 872, 198] } : {}),
      ...(wantLogprobs && logprobs.length > 0 ? { logprobs } : {}),
    });

    if (body.stream === false) {
      sendJson(res, 200, chunk(tokens, true, tokens.map(logprobFor)));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    tokens.forEach((token, i) => res.write(JSON.stringify(chunk([token], false, [logprobFor(token, i)])) + '\n'));
    res.end(JSON.stringify(chunk([], true, [])) + '\n');
  }

  private async embed(body: Record<string, any>, res: ServerResponse, closed: Promise<void>): Promise<void> {
    let input: string[];
    if (typeof body.input === 'string') input = body.input.length > 0 ? [body.input] : [];
    else if (Array.isArray(body.input)) {
      if (!body.input.every((v: unknown) => typeof v === 'string')) throw new HttpFail(400, 'invalid input type');
      input = body.input;
    } else if (body.input === undefined || body.input === null) input = [];
    else throw new HttpFail(400, 'invalid input type');
    const m = this.model(body.model);
    const started = process.hrtime.bigint();
    if (!(await this.process('/api/embed', body, closed))) return;
    if (input.length === 0) return sendJson(res, 200, { model: body.model, embeddings: [] });
    const context = this.contextLength(m);
    let promptEvalCount = 0;
    const embeddings: number[][] = [];
    for (const text of input) {
      if (text.length === 0) continue;
      const tokens = Math.ceil(text.length / 4) + 2;
      if (tokens > context && body.truncate === false) throw new HttpFail(400, 'the input length exceeds the context length');
      // Truncation keeps the start of the text, as the real server does.
      embeddings.push(fakeEmbedding(tokens > context ? text.slice(0, (context - 2) * 4) : text, this.embeddingLength(m)));
      promptEvalCount += Math.min(tokens, context);
    }
    const elapsed = Number(process.hrtime.bigint() - started);
    sendJson(res, 200, { model: body.model, embeddings, total_duration: elapsed, load_duration: 1_000_000, prompt_eval_count: promptEvalCount });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  return new FakeOllama(options).start();
}

/** A 127.0.0.1 port with nothing listening (bound, then released), for "connection refused" tests. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const fake = new FakeOllama({
    port: Number(flag('port') ?? 11434),
    latencyMs: Number(flag('latency') ?? 0),
    slots: flag('slots') ? Number(flag('slots')) : undefined,
    version: flag('version'),
  });
  void fake.start().then(() => {
    process.stdout.write(`${fake.url}\n`);
    const stop = () => void fake.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (err: Error) => {
    console.error(`fake Ollama server: ${err.message}`);
    process.exit(1);
  });
}
