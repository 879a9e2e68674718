export * from './lib/generated/api.service';
export * from './lib/generated/operations';
export type { components, operations, paths } from './lib/generated/schema';
export * from './lib/types';
export * from './lib/url';
