// Worker thread of createWorkerVerifier: verifies batches of signatures through @weft/crypto.
import { parentPort, workerData } from 'node:worker_threads';
import type { ProviderName } from '@weft/crypto';
import { createSuiteResolver } from './suites.ts';
import { verifyJob } from './verifyPool.ts';
import type { VerifyJob } from './verifyPool.ts';

const resolveSuite = createSuiteResolver((workerData as { provider: ProviderName }).provider);
parentPort?.on('message', (m: { id: number; jobs: VerifyJob[] }) => {
  parentPort?.postMessage({ id: m.id, verdicts: m.jobs.map((j) => verifyJob(resolveSuite, j)) });
});
