// placeholder until the editor lands (helper "host")
export function activate(): void {}
export function deactivate(): void {}
