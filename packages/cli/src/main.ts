#!/usr/bin/env node
// The `weft` command: dispatches to one module per subcommand.

const usage = `usage: weft <command> [options]

commands:
  vectors [DIR] [--provider node|noble|all] [--json]   run the RFC 9420 test vectors
  dag <generate|verify|import|export|inspect> ...       work with event DAGs and CAR archives
  sim SCENARIO.json [--seed N] [--json] [--dag-svg F]   run a scenario in the deterministic simulator
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  vectors: async () => (await import('./commands/vectors.ts')).runVectorsCommand,
  dag: async () => (await import('./commands/dag.ts')).runDagCommand,
  sim: async () => (await import('./commands/sim.ts')).runSimCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`weft: unknown command "${name}"\n${usage}`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`weft: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
