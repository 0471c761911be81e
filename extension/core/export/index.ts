/** Export of a curated shard: writers, recipe, annotations-only export, atomic writes and verification. */
export { exportCurated, exportAnnotations } from './export';
export type { ExportCuratedOptions, ExportCuratedResult, ExportAnnotationsOptions, ExportProgress } from './export';
export type { AnnotationColumns } from './annotations';
export type { ExportFormat } from './job';
export { samplerDropSteps, type DropSteps } from './drop-steps';
export { proposeExportPaths, proposeAnnotationsPath, recipePathFor, defaultExportFormat } from './paths';
export { RECIPE_FORMAT, RECIPE_VERSION, type Recipe, type RecipeInputs } from './recipe';
export { ExportVerificationError } from './verify';
export { ANNOTATION_COLUMNS, DROP_REASON_COLUMN } from './row-extras';
export { JSON_TEXT_COLUMNS_KEY } from './json-to-arrow';
