// Worker thread of createWorkerVerifier: verifies jobs of shared batches through @weft/crypto.
import { parentPort, workerData } from 'node:worker_threads';
import type { ProviderName } from '@weft/crypto';
import { createSuiteResolver } from './suites.ts';
import { runVerifyBatch } from './verifyPool.ts';

const resolveSuite = createSuiteResolver((workerData as { provider: ProviderName }).provider);
// Every batch comes to every worker; this one verifies jobs until none is left to claim, and the
// thread that finishes the batch's last job tells the owner.
parentPort?.on('message', (m: { id: number; buf: SharedArrayBuffer }) => {
  if (runVerifyBatch(resolveSuite, m.buf)) parentPort?.postMessage(m.id);
});
