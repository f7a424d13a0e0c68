// Node's own dynamic import, in a plain module that bundlers and test runners load natively
// (vitest: server.deps.external), so policy files always go through Node's loader and the
// hooks in hooks.js.
export const nativeImport = (url) => import(url);
