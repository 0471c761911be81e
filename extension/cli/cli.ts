import { EXIT_CANCELLED, runCli } from './main';

// First Ctrl-C asks the running command to stop cleanly; a second one exits at once.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT_CANCELLED);
  interrupt.abort();
});

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: interrupt.signal }).then((code) => {
  process.exitCode = code;
});
