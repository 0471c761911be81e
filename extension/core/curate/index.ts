/** Keep/drop decisions: sampler specs, samplers, decisions with manual overrides, comparison, stats. */
export * from './spec';
export * from './sampler';
export * from './decisions';
export * from './compare';
export * from './stats';
export { RowUniform } from './random';
