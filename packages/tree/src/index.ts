export * from './treeMath.ts';
