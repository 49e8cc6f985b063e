/** Command-line options of `npm run bench`. */

export interface Args {
  quick: boolean;
  list: boolean;
  /** Record a CPU profile of the Switchboard worker per scenario. */
  profile: boolean;
  /** Keep wrangler's local trace collector on in every worker, as plain `wrangler dev` has it. */
  devCollector: boolean;
  /** Scenario ids to run, or null for all. */
  only: string[] | null;
}

export function parseArgs(argv: string[], known: string[]): Args {
  const args: Args = { quick: false, list: false, profile: false, devCollector: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--quick") args.quick = true;
    else if (arg === "--list") args.list = true;
    else if (arg === "--profile") args.profile = true;
    else if (arg === "--dev-collector") args.devCollector = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      if (!value) throw new Error("--only needs a scenario id (see --list)");
      for (const id of value.split(",")) {
        if (!known.includes(id)) throw new Error(`unknown scenario "${id}"; known: ${known.join(", ")}`);
        args.only = [...(args.only ?? []), id];
      }
    } else throw new Error(`unknown option ${arg}; use --quick, --only <id>, --list, --profile, --dev-collector`);
  }
  return args;
}
