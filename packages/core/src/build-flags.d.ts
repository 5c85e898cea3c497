// Replaced by each build (tsup's `define`, see package.json): `true` in the browser build, where
// the code behind it, which only Node needs, is then left out; `false` in the Node builds. Code
// run from source (the tests) reads it as undefined.
// eslint-disable-next-line no-var -- only a var declares a property of globalThis
declare var __TRACEHOP_BROWSER__: boolean | undefined
