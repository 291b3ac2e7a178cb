export * from './treeMath.ts';
export * from './errors.ts';
export * from './wire/index.ts';
