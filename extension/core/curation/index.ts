/** The curation model shared by the editor and the CLI. */
export * from './shard-annotations';
export { sortRowsByKey, isIdentityView } from './view';
