// placeholder until the webview lands (helper "webview")
export {};
