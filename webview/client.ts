/**
 * The webview end of the protocol: requests with ids and timeouts, and typed event subscriptions.
 * Every reply is matched to its request by id; replies for unknown ids (timed out, or sent to a
 * previous incarnation of the webview) are ignored.
 */
import type { FromWebviewMessage, RequestMethod, RequestParams, RequestResult, ToWebviewMessage } from '../extension/protocol';
import type { VsCodeApi } from './vscode-api';

type EventMessage = Exclude<ToWebviewMessage, { type: 'response' }>;
type EventType = EventMessage['type'];
type EventOf<T extends EventType> = Extract<EventMessage, { type: T }>;

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Long enough for a cold read of a page of big rows from a gzipped shard on a slow disk. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class MessageClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventType, Set<(message: EventMessage) => void>>();

  constructor(private readonly api: VsCodeApi<unknown>, target: Window = window) {
    target.addEventListener('message', (event: MessageEvent) => this.receive(event.data as ToWebviewMessage));
  }

  post(message: FromWebviewMessage): void {
    this.api.postMessage(message);
  }

  request<M extends RequestMethod>(method: M, params: RequestParams<M>, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<RequestResult<M>> {
    const id = this.nextId++;
    return new Promise<RequestResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`"${method}" request got no answer from the extension host within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject, timer });
      this.post({ type: 'request', id, method, params } as FromWebviewMessage);
    });
  }

  on<T extends EventType>(type: T, listener: (message: EventOf<T>) => void): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (message: EventMessage) => void);
  }

  private receive(message: ToWebviewMessage): void {
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    if (message.type === 'response') {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
      return;
    }
    for (const listener of this.listeners.get(message.type) ?? []) listener(message);
  }
}
