// Entry of the verifier worker threads: registers the TypeScript loader (workers do not inherit the
// parent's loader hooks on Node 20), then runs verifyWorker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./verifyWorker.ts');
