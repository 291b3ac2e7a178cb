import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCar, exportCar, generateDag, importCar, readCarBlocks, verifyCar, writeCarFile, readCarFile } from '../src/index.ts';
import type { CheckedEvent, EventBlock } from '../src/index.ts';
import { child, makeSigner, newStore, resolveSuite, snapshot } from './helpers.ts';

const dag: CheckedEvent[] = [...generateDag({ events: 120, groups: 2, forkRate: 0.3, seed: 5 })];
const roots = dag.slice(0, 2).map((e) => e.cid);

async function collect(car: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of car) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

describe('CAR archives', () => {
  it('exports a group in topological order and imports it into another replica', async () => {
    const src = await newStore();
    await src.addMany(dag);
    const bytes = await collect(exportCar(src, [roots[0]!]));
    const { roots: r, blocks } = await readCarBlocks(once(bytes));
    expect(r.map(String)).toEqual([roots[0]!.toString()]);
    expect(blocks.map((b) => b.cid.toString())).toEqual((await src.getTopologicalOrder(roots[0]!)).map(String));
    const dst = await newStore();
    const report = await importCar(dst, once(bytes));
    expect(report.valid).toBe(true);
    expect(report.stored).toBe(true);
    expect(report.accepted).toBe(blocks.length);
    expect((await dst.getHeads(roots[0]!)).map(String)).toEqual((await src.getHeads(roots[0]!)).map(String));
    expect((await dst.getForks(roots[0]!)).length).toBe((await src.getForks(roots[0]!)).length);
    const again = await importCar(dst, once(bytes));
    expect(again.duplicates).toBe(blocks.length);
    expect(again.accepted).toBe(0);
  });

  it('round-trips through a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-car-'));
    const file = join(dir, 'g.car');
    await writeCarFile(file, encodeCar(roots, dag));
    expect((await readFile(file)).length).toBeGreaterThan(0);
    const report = await verifyCar(readCarFile(file), resolveSuite);
    expect(report).toMatchObject({ valid: true, blocks: 120, accepted: 120, stored: false });
  });

  it('stores nothing of an archive with one bad block, and reports every bad block with its code', async () => {
    const store = await newStore();
    await store.addMany(dag.slice(0, 10));
    const before = await snapshot(store.db);
    const tampered: EventBlock[] = dag.map((e) => ({ cid: e.cid, bytes: e.bytes }));
    const bad1 = tampered[40]!;
    const flipped = new Uint8Array(bad1.bytes);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    tampered[40] = { cid: bad1.cid, bytes: flipped }; // wrong CID for the bytes
    tampered[70] = { cid: tampered[70]!.cid, bytes: new Uint8Array([...tampered[70]!.bytes, 0]) }; // trailing byte
    const report = await importCar(store, once(await collect(encodeCar(roots, tampered))));
    expect(report.valid).toBe(false);
    expect(report.stored).toBe(false);
    const codes = report.problems.map((p) => p.code);
    expect(codes).toContain('cid_mismatch');
    expect(codes).toContain('trailing_bytes');
    expect(report.problems.find((p) => p.code === 'cid_mismatch')?.cid).toBe(bad1.cid.toString());
    // Descendants of the refused blocks have a parent that never arrives.
    expect(codes).toContain('missing_parent');
    expect(await snapshot(store.db)).toEqual(before);
    expect(store.pending.size).toBe(0);
  });

  it('refuses an archive whose events name a parent it lacks, storing nothing', async () => {
    const store = await newStore();
    const a = makeSigner(3);
    const lonely = child(a, [dag[5]!.cid], roots[0]!, 'message', 'lonely');
    const report = await importCar(store, once(await collect(encodeCar([roots[0]!], [dag[0]!, lonely]))));
    expect(report.problems.map((p) => p.code)).toEqual(['missing_parent']);
    expect(await snapshot(store.db)).toEqual([]);
  });

  it('reports an unreadable archive as invalid', async () => {
    const report = await verifyCar(once(new Uint8Array([1, 2, 3])), resolveSuite);
    expect(report.valid).toBe(false);
    expect(report.problems[0]?.code).toBe('decode_failed');
  });
});
