/**
 * Ask-LLM client throughput: a fake Ollama server in a child process (so its CPU is not counted as
 * the client's) with a fixed latency per request and a fixed number of parallel slots. A perfect
 * client keeps every slot busy: slots / latency requests per second. Target: >= 90% of that.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_PROMPT_TEMPLATE, renderPrompt } from '../../extension/core/askllm/prompt';
import { judgeRequest, scoreRows } from '../../extension/core/askllm/run';
import { preflight } from '../../extension/core/ollama/preflight';
import { realScoreItems } from '../fakes/ollama-helpers';
import type { Bench, BenchResult } from './lib';

const LATENCY_MS = 50;
const SLOTS = 8;
const ROWS = 800;
const WARMUP = 200;
const MODEL = 'qwen2.5:0.5b';
/**
 * With exactly SLOTS requests in flight, a slot idles for a round trip (response out, next request
 * in) after every request; a couple of requests queued at the server hide that gap, which is how
 * `shardCurator.askLlm.concurrency` should be set against OLLAMA_NUM_PARALLEL (slots + 1 or 2).
 */
const QUEUED = 2;

async function startServerProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fakes', 'ollama-server.ts'), '--port', '0', '--latency', String(LATENCY_MS), '--slots', String(SLOTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [url] = (await once(lines, 'line')) as [string];
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

export const bench: Bench = {
  title: `Ask-LLM scoring throughput (fake Ollama: ${SLOTS} slots x ${LATENCY_MS} ms; client concurrency ${SLOTS} + ${QUEUED} queued, and ${SLOTS})`,
  async run(): Promise<BenchResult[]> {
    const server = await startServerProcess();
    try {
      const hosts = [server.url];
      const hostInfo = await preflight(hosts, MODEL, 'judge');
      const items = realScoreItems(ROWS, 51);
      const options = { hosts, model: MODEL, concurrency: SLOTS + QUEUED, hostInfo, onResult: () => undefined };
      // Same-run reference: the thinnest possible client (bare fetch, same bodies, same concurrency),
      // which shows how much of any shortfall is the machine rather than the scoring run.
      const judge = { model: MODEL, thinking: false };
      const bodies = items.map((item) => JSON.stringify(judgeRequest(judge, renderPrompt(DEFAULT_PROMPT_TEMPLATE, item.text, { contextTokens: 4096 }).prompt)));
      const bareFetch = async (count: number) => {
        let next = 0;
        await Promise.all(Array.from({ length: SLOTS + QUEUED }, async () => {
          while (next < count) {
            const res = await fetch(`${server.url}/api/chat`, { method: 'POST', body: bodies[next++] });
            await res.json();
          }
        }));
      };
      // Warm-up of both clients (connections, JIT) before anything is timed.
      await scoreRows(items.slice(0, WARMUP), options);
      await bareFetch(WARMUP);

      const b0 = performance.now();
      await bareFetch(ROWS);
      const bareRate = ROWS / ((performance.now() - b0) / 1000);

      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const summary = await scoreRows(items, options);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (summary.failed > 0 || summary.scored !== ROWS) throw new Error(`bench run scored ${summary.scored}, failed ${summary.failed}`);
      const s0 = performance.now();
      await scoreRows(items, { ...options, concurrency: SLOTS });
      const exactRate = ROWS / ((performance.now() - s0) / 1000);

      const ideal = SLOTS / (LATENCY_MS / 1000);
      const rate = ROWS / seconds;
      const cpuMsPerRow = (cpu.user + cpu.system) / 1000 / ROWS;
      return [
        {
          name: 'client throughput',
          value: rate,
          unit: 'rows/s',
          baseline: { name: `server ideal (${SLOTS} slots / ${LATENCY_MS} ms)`, value: ideal, unit: 'rows/s' },
          ratio: rate / ideal,
          target: '>= 0.9x server ideal',
          pass: rate / ideal >= 0.9,
          note: `${ROWS} rows of real text in ${seconds.toFixed(2)} s; bare fetch reached ${bareRate.toFixed(1)} rows/s = ${(bareRate / ideal).toFixed(2)}x ideal on this machine now`,
        },
        {
          name: `client throughput with exactly ${SLOTS} in flight`,
          value: exactRate,
          unit: 'rows/s',
          baseline: { name: `server ideal (${SLOTS} slots / ${LATENCY_MS} ms)`, value: ideal, unit: 'rows/s' },
          ratio: exactRate / ideal,
          note: 'each slot idles for a round trip between requests: set the concurrency a little above the server\'s parallel slots',
        },
        {
          name: 'client throughput vs bare fetch',
          value: rate,
          unit: 'rows/s',
          baseline: { name: 'bare fetch, same bodies and concurrency', value: bareRate, unit: 'rows/s' },
          ratio: rate / bareRate,
        },
        {
          name: 'client CPU per scored row',
          value: cpuMsPerRow,
          unit: 'ms',
          baseline: { name: 'server latency per request', value: LATENCY_MS, unit: 'ms' },
          ratio: LATENCY_MS / cpuMsPerRow,
          note: `user+system CPU of the client process only; at ${SLOTS} in flight one core keeps up with ${(1000 / cpuMsPerRow).toFixed(0)} rows/s`,
        },
      ];
    } finally {
      await server.stop();
    }
  },
};
