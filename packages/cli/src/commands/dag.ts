import { existsSync, statSync } from 'node:fs';
import {
  createSuiteResolver,
  createWorkerVerifier,
  encodeCar,
  exportCar,
  generateDag,
  importCar,
  openLevelStore,
  parseCid,
  readCarFile,
  verifyCar,
  writeCarFile,
} from '@weft/dag';
import type { BatchVerifier, CarReport, CheckedEvent, CID, DagStore } from '@weft/dag';

// Above this archive size (about 2,500 events) signatures are checked on worker threads; below it,
// starting the threads costs more than it saves.
const WORKER_THRESHOLD_BYTES = 1 << 20;

/** Runs `fn` with a worker verifier for large archives (closed afterwards), or none for small ones. */
async function withVerifier<T>(file: string, fn: (verifier: BatchVerifier | undefined) => Promise<T>): Promise<T> {
  if (statSync(file).size < WORKER_THRESHOLD_BYTES) return fn(undefined);
  const verifier = createWorkerVerifier({ threads: 2, provider: 'node' });
  try {
    return await fn(verifier);
  } finally {
    await verifier.close();
  }
}

const usage = `usage:
  weft dag generate --events N [--groups G] [--fork-rate F] [--seed S] --out FILE.car
  weft dag verify FILE.car [--json]
  weft dag import FILE.car --store DIR [--json]
  weft dag export GROUP --store DIR --out FILE.car
  weft dag inspect --store DIR [--json]`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  options: Map<string, string>;
  flags: Set<string>;
}

const FLAGS = new Set(['--json']);
const VALUED = new Set(['--events', '--groups', '--fork-rate', '--seed', '--out', '--store']);

/** Splits arguments into positionals, valued options (`--x v` or `--x=v`) and flags. */
function parseArgs(args: readonly string[]): Parsed {
  const out: Parsed = { positional: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (FLAGS.has(name) && inline === undefined) out.flags.add(name);
    else if (VALUED.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      out.options.set(name, v);
    } else throw new UsageError(`unknown option "${a}"`);
  }
  return out;
}

function need(p: Parsed, name: string): string {
  const v = p.options.get(name);
  if (v === undefined) throw new UsageError(`${name} is required`);
  return v;
}

function intOption(p: Parsed, name: string, fallback: number, min: number): number {
  const raw = p.options.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, not "${raw}"`);
  return n;
}

function onePositional(p: Parsed, what: string): string {
  if (p.positional.length !== 1) throw new UsageError(`expected exactly one ${what}`);
  return p.positional[0] as string;
}

async function withStore<T>(dir: string, fn: (store: DagStore) => Promise<T>, verifier?: BatchVerifier): Promise<T> {
  const store = await openLevelStore(dir, { resolveSuite: createSuiteResolver(), ...(verifier ? { verifier } : {}) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function printReport(verb: string, file: string, r: CarReport, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ file, roots: r.roots.map(String), blocks: r.blocks, accepted: r.accepted, duplicates: r.duplicates, valid: r.valid, stored: r.stored, problems: r.problems }, null, 2));
    return;
  }
  for (const p of r.problems) console.log(`BAD ${p.cid ?? '(no cid)'} ${p.code}: ${p.message}`);
  const outcome = r.valid ? (r.stored || verb === 'verified' ? 'valid' : 'valid') : `INVALID (${r.problems.length} bad block(s)${verb === 'imported' ? ', nothing stored' : ''})`;
  console.log(`${file}: ${r.blocks} block(s), ${r.accepted} new event(s), ${r.duplicates} duplicate(s): ${outcome}`);
}

async function cmdGenerate(p: Parsed): Promise<number> {
  if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0] ?? ''}"`);
  const events = intOption(p, '--events', 0, 1);
  if (!p.options.has('--events')) throw new UsageError('--events is required');
  const groups = intOption(p, '--groups', 1, 1);
  if (groups > events) throw new UsageError('--groups cannot exceed --events (each group needs its genesis)');
  const forkRaw = p.options.get('--fork-rate') ?? '0.05';
  const forkRate = Number(forkRaw);
  if (!Number.isFinite(forkRate) || forkRate < 0 || forkRate > 1) throw new UsageError(`--fork-rate must be between 0 and 1, not "${forkRaw}"`);
  const seed = intOption(p, '--seed', 1, 0);
  const out = need(p, '--out');
  const gen = generateDag({ events, groups, forkRate, seed });
  // Geneses come first, so the roots (group ids) are known before any other block is written.
  const first: CheckedEvent[] = [];
  for (let i = 0; i < groups; i++) {
    const n = gen.next();
    if (n.done) break;
    first.push(n.value);
  }
  let count = 0;
  function* all(): Generator<CheckedEvent> {
    for (const e of first) {
      count++;
      yield e;
    }
    for (const e of gen) {
      count++;
      yield e;
    }
  }
  await writeCarFile(out, encodeCar(first.map((e) => e.cid), all()));
  console.log(`wrote ${out}: ${count} events in ${groups} group(s), fork rate ${forkRate}, seed ${seed}`);
  return 0;
}

async function cmdVerify(p: Parsed): Promise<number> {
  const file = onePositional(p, 'CAR file');
  if (!existsSync(file)) throw new UsageError(`no such file "${file}"`);
  const report = await withVerifier(file, (verifier) => verifyCar(readCarFile(file), createSuiteResolver(), verifier));
  printReport('verified', file, report, p.flags.has('--json'));
  return report.valid ? 0 : 1;
}

async function cmdImport(p: Parsed): Promise<number> {
  const file = onePositional(p, 'CAR file');
  if (!existsSync(file)) throw new UsageError(`no such file "${file}"`);
  const dir = need(p, '--store');
  const report = await withVerifier(file, (verifier) => withStore(dir, (store) => importCar(store, readCarFile(file)), verifier));
  printReport('imported', file, report, p.flags.has('--json'));
  return report.valid ? 0 : 1;
}

async function cmdExport(p: Parsed): Promise<number> {
  const text = onePositional(p, 'GROUP id');
  let group: CID;
  try {
    group = parseCid(text);
  } catch {
    process.stderr.write(`weft dag export: "${text}" is not a CID\n`);
    return 1;
  }
  const dir = need(p, '--store');
  const out = need(p, '--out');
  if (!existsSync(dir)) throw new UsageError(`no store at "${dir}"`);
  return withStore(dir, async (store) => {
    const info = await store.getGroup(group);
    if (!info) {
      process.stderr.write(`weft dag export: the store holds no group ${group.toString()}\n`);
      return 1;
    }
    await writeCarFile(out, exportCar(store, [group]));
    console.log(`wrote ${out}: ${info.events} events of group ${group.toString()}`);
    return 0;
  });
}

async function cmdInspect(p: Parsed): Promise<number> {
  if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0] ?? ''}"`);
  const dir = need(p, '--store');
  if (!existsSync(dir)) throw new UsageError(`no store at "${dir}"`);
  return withStore(dir, async (store) => {
    const groups = [];
    for (const g of await store.listGroups()) {
      const heads = await store.getHeads(g.group);
      const forks = await store.getForks(g.group);
      groups.push({
        group: g.group.toString(),
        suite: g.suite,
        events: g.events,
        heads: heads.map(String),
        forks: forks.map((f) => ({ base: f.base.toString(), commits: f.commits.map(String) })),
      });
    }
    if (p.flags.has('--json')) {
      console.log(JSON.stringify({ groups, pending: store.pending.size }, null, 2));
      return 0;
    }
    if (groups.length === 0) console.log('no groups');
    for (const g of groups) {
      console.log(`group ${g.group}  suite ${g.suite}  ${g.events} events  ${g.heads.length} head(s)  ${g.forks.length} fork(s)`);
      for (const h of g.heads) console.log(`  head ${h}`);
      for (const f of g.forks) console.log(`  fork at ${f.base}: ${f.commits.join(', ')}`);
    }
    return 0;
  });
}

/** `weft dag ...`: generate, verify, import, export and inspect event DAGs. Returns the exit status. */
export async function runDagCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const commands: Record<string, (p: Parsed) => Promise<number>> = {
    generate: cmdGenerate,
    verify: cmdVerify,
    import: cmdImport,
    export: cmdExport,
    inspect: cmdInspect,
  };
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${usage}\n`);
    return sub === undefined ? 2 : 0;
  }
  const run = commands[sub];
  if (!run) {
    process.stderr.write(`weft dag: unknown subcommand "${sub}"\n${usage}\n`);
    return 2;
  }
  try {
    return await run(parseArgs(rest));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`weft dag ${sub}: ${e.message}\n${usage}\n`);
      return 2;
    }
    throw e;
  }
}
