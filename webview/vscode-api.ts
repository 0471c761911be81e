/** The part of the VS Code webview API this app uses (injected by VS Code, or by the test harness). */
export interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare global {
  function acquireVsCodeApi<State = unknown>(): VsCodeApi<State>;
}
