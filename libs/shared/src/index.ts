export * from './lib/metrics';
export * from './lib/enums';
