import { describe, expect, it } from 'vitest';
import * as dagCbor from '@ipld/dag-cbor';
import { createInlineVerifier, createSuiteResolver, createWorkerVerifier, generateDag, getSigningPayload } from '../src/index.ts';
import type { BatchVerifier } from '../src/index.ts';
import { countVerifyJobs, packVerifyBatch, readVerifyJob, verifyJob } from '../src/verifyPool.ts';
import { codeOf, newStore, snapshot } from './helpers.ts';

describe('worker verifier', () => {
  it('accepts and refuses exactly what the inline verifier does', async () => {
    const events = [...generateDag({ events: 200, groups: 2, forkRate: 0.3, seed: 21 })];
    // Corrupt the signature of one event: it and its descendants must not be stored.
    const raw = dagCbor.decode(events[50]!.bytes) as Record<string, unknown>;
    const sig = new Uint8Array(raw['sig'] as Uint8Array);
    sig[5] = (sig[5] as number) ^ 0x10;
    const blocks = events.map((e, i) => ({ bytes: i === 50 ? dagCbor.encode({ ...raw, sig }) : e.bytes }));
    const verifier = createWorkerVerifier({ threads: 2 });
    try {
      const inline = await newStore({ batchSize: 32 });
      const threaded = await newStore({ batchSize: 32, verifier });
      const a = await inline.addMany(blocks);
      const b = await threaded.addMany(blocks);
      expect(b.map(codeOf)).toEqual(a.map(codeOf));
      expect(a.map(codeOf)).toContain('bad_signature');
      expect(await snapshot(threaded.db)).toEqual(await snapshot(inline.db));
    } finally {
      await verifier.close();
    }
  });

  it('hands every signature of a new archive in topological order to the batch verifier (events name no group)', async () => {
    const events = [...generateDag({ events: 1_000, groups: 2, forkRate: 0.2, seed: 8 })];
    const inline = createInlineVerifier(createSuiteResolver('node'));
    let batched = 0;
    const counting: BatchVerifier = {
      verifyMany: (jobs) => {
        batched += jobs.length;
        return inline.verifyMany(jobs);
      },
      close: () => inline.close(),
    };
    const store = await newStore({ batchSize: 32, verifier: counting });
    const results = await store.addMany(events.map((e) => ({ bytes: e.bytes })));
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(1_000);
    // Each child's group comes from a parent offered earlier in the call, so none is left to the
    // one-by-one check at validation time.
    expect(batched).toBe(1_000);
  });

  it('packs a batch of jobs into one shared buffer and reads each back', () => {
    const jobs = [
      { suite: 1, key: new Uint8Array([1, 2, 3]), payload: new Uint8Array(70_000).fill(9), sig: new Uint8Array([4, 5]) },
      { suite: 0xffff, key: new Uint8Array(0), payload: new Uint8Array([7]), sig: new Uint8Array(64).fill(1) },
      { suite: 2, key: new Uint8Array(65).fill(3), payload: new Uint8Array(0), sig: new Uint8Array(72).fill(8) },
      // Lengths past 16 bits must not wrap (a wrapped key length would shift where payload and signature are read).
      { suite: 70_000, key: new Uint8Array(65_568).fill(4), payload: new Uint8Array([1, 2]), sig: new Uint8Array(65_600).fill(5) },
    ];
    const buf = packVerifyBatch(jobs);
    expect(countVerifyJobs(buf)).toBe(4);
    expect(jobs.map((_, i) => readVerifyJob(buf, i))).toEqual(jobs);
    expect(countVerifyJobs(packVerifyBatch([]))).toBe(0);
  });

  it('gives the inline verdicts for valid, forged, malformed-key and unknown-suite jobs', async () => {
    const events = [...generateDag({ events: 40, groups: 1, seed: 9 })];
    const resolve = createSuiteResolver('node');
    const jobs = events.map((e, i) => ({
      suite: i % 10 === 3 ? 999 : 1,
      key: i % 10 === 5 ? new Uint8Array(5) : e.event.author.key,
      payload: getSigningPayload(e.event),
      sig: i % 10 === 7 ? new Uint8Array(64) : e.event.sig,
    }));
    const expected = jobs.map((j) => verifyJob(resolve, j));
    expect(new Set(expected.map((v) => typeof v))).toEqual(new Set(['boolean', 'string', 'object'])); // true/false, a reason, null
    const verifier = createWorkerVerifier({ threads: 2 });
    try {
      const before = verifier.threadTimes?.() ?? [];
      expect(await verifier.verifyMany(jobs)).toEqual(expected);
      // One reading per thread, cumulative: the threads' event loops ran meanwhile.
      const after = verifier.threadTimes?.() ?? [];
      expect(after).toHaveLength(2);
      after.forEach((t, i) => expect(t.active + t.idle).toBeGreaterThan((before[i]?.active ?? 0) + (before[i]?.idle ?? 0)));
      // Several batches in flight at once settle independently, each with its own verdicts.
      const [a, b, c] = await Promise.all([verifier.verifyMany(jobs.slice(0, 13)), verifier.verifyMany(jobs.slice(13)), verifier.verifyMany([])]);
      expect([...a, ...b]).toEqual(expected);
      expect(c).toEqual([]);
    } finally {
      await verifier.close();
    }
  });

  it('refuses work after close instead of waiting forever', async () => {
    const verifier = createWorkerVerifier({ threads: 1 });
    await verifier.close();
    const job = { suite: 1, key: new Uint8Array(32), payload: new Uint8Array(1), sig: new Uint8Array(64) };
    await expect(verifier.verifyMany([job])).rejects.toThrow(/closed/);
  });

  it('lets the calling thread verify queued signatures while it would wait, with the same verdicts', async () => {
    const events = [...generateDag({ events: 300, groups: 1, seed: 5 })];
    const suite = createSuiteResolver('node')(1)!;
    const jobs = events.map((e, i) => ({ suite: 1, key: e.event.author.key, payload: getSigningPayload(e.event), sig: i % 7 === 0 ? new Uint8Array(64) : e.event.sig }));
    const expected = jobs.map((j) => suite.verify(j.key, j.payload, j.sig));
    const verifier = createWorkerVerifier({ threads: 1 });
    try {
      expect(verifier.helpOne?.()).toBe(false); // nothing queued
      const verdicts = verifier.verifyMany(jobs);
      let helped = 0;
      while (verifier.helpOne?.()) helped++;
      expect(helped).toBeGreaterThan(0); // the worker cannot have claimed all 300 before the caller starts
      expect(await verdicts).toEqual(expected);
      expect(expected.filter((v) => !v)).toHaveLength(Math.ceil(300 / 7));
    } finally {
      await verifier.close();
    }
  });
});
