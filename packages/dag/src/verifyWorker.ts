// Worker thread of createWorkerVerifier: verifies batches of signatures through @weft/crypto.
import { parentPort, workerData } from 'node:worker_threads';
import type { ProviderName } from '@weft/crypto';
import { createSuiteResolver } from './suites.ts';
import { unpackVerifyJobs, verifyJob } from './verifyPool.ts';

const resolveSuite = createSuiteResolver((workerData as { provider: ProviderName }).provider);
parentPort?.on('message', (m: { id: number; buf: ArrayBuffer }) => {
  parentPort?.postMessage({ id: m.id, verdicts: unpackVerifyJobs(m.buf).map((j) => verifyJob(resolveSuite, j)) });
});
