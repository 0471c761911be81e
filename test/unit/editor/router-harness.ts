/** The webview side of the router in unit tests: sends requests as the webview does and captures what the host posts. */
import assert from 'node:assert/strict';
import type { Logger } from '../../../extension/editor/logger';
import { ShardRouter } from '../../../extension/editor/router';
import type { ShardSession } from '../../../extension/editor/session';
import type { HostCommand, ResponseMessage, ToWebviewMessage } from '../../../extension/protocol';

export class RouterHarness {
  readonly posted: ToWebviewMessage[] = [];
  readonly logged: string[] = [];
  readonly commands: HostCommand[] = [];
  readonly router: ShardRouter;
  private nextId = 1;

  constructor(readonly session: ShardSession) {
    const log: Logger = { info: (m) => this.logged.push(`info ${m}`), error: (m) => this.logged.push(`error ${m}`) };
    this.router = new ShardRouter(session, (m) => this.posted.push(structuredClone(m)), log, { runCommand: (c) => this.commands.push(c) });
  }

  /** Sends a request the way the webview does and returns its one response. */
  async request(method: string, params: unknown): Promise<ResponseMessage> {
    const id = this.nextId++;
    await this.router.handle({ type: 'request', id, method, params });
    const responses = this.posted.filter((m): m is ResponseMessage => m.type === 'response' && m.id === id);
    assert.equal(responses.length, 1, `exactly one response to request ${id}`);
    return responses[0];
  }

  async ok<T>(method: string, params: unknown): Promise<T> {
    const response = await this.request(method, params);
    assert.ok(response.ok, `request ${method} failed: ${!response.ok ? response.error : ''}`);
    return response.result as T;
  }

  async error(method: string, params: unknown): Promise<string> {
    const response = await this.request(method, params);
    assert.equal(response.ok, false, `request ${method} ${JSON.stringify(params)} should fail`);
    return (response as { error: string }).error;
  }
}
