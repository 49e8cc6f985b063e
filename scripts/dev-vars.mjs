// Runs before `npm run dev`. Creates .dev.vars from .dev.vars.example on the first run, so the
// README's dev key works on a fresh clone; an existing .dev.vars is never touched. Then warns about
// each name in .dev.vars that wrangler.toml's `[secrets] required` does not list: wrangler loads
// only the listed names from that file and drops the others without a word.
import { copyFileSync, existsSync, readFileSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (dev admin key: sk_dev_admin)");
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/g;
const required = readFileSync("wrangler.toml", "utf8").match(/^\[secrets\][^[]*?required\s*=\s*\[([^\]]*)\]/m)?.[1] ?? "";
const declared = new Set(required.match(NAME));
const devScript = JSON.parse(readFileSync("package.json", "utf8")).scripts?.dev ?? "";
const passed = new Set([...devScript.matchAll(/--var\s+([A-Za-z_][A-Za-z0-9_]*):/g)].map((m) => m[1]));
const lines = readFileSync(".dev.vars", "utf8").split("\n");
const names = lines.map((line) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1]).filter(Boolean);
for (const name of names) {
  if (declared.has(name)) continue;
  const instead = passed.has(name)
    ? "`npm run dev` already passes it as a --var (package.json's dev script), so the line can go"
    : `list it there if it is a secret (deploys then require it too), or pass it with \`npm run dev -- --var ${name}:value\``;
  console.warn(`.dev.vars sets ${name}, which wrangler will not load (wrangler.toml's [secrets] required does not list it): ${instead}.`);
}
