#!/usr/bin/env node
/**
 * The import rules of docs/architecture.md, checked over every TypeScript file of the three layers
 * (type-only imports included, because a type cycle is still a cycle a reader must follow):
 *
 *   1. layers point one way: `lib/` imports only `lib/`; `durable-objects/` imports `lib/` (and
 *      itself); `functions/` may import both.
 *   2. no cycle between files.
 *   3. no cycle between folders (a folder is a file's directory, e.g. `lib/agents`), so every
 *      feature folder sits above or below each other one: lib/message at the bottom, lib/agents
 *      at the top (`--graph` prints the order).
 *
 * A small script rather than a dependency-graph tool: the rules are three, and the tools parse
 * TypeScript through the compiler's JavaScript API, which the native TypeScript 7 no longer ships.
 * Exit 1 with one line per broken rule. `--graph` prints the folder graph instead.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const LAYERS = ["lib", "durable-objects", "functions"];
/** What each layer may import besides itself. */
const ALLOWED = { lib: [], "durable-objects": ["lib"], functions: ["lib", "durable-objects"] };

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (path.endsWith(".ts") && !path.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Import specifiers of a file: static imports and re-exports (type-only too) and dynamic imports. */
export function specifiersOf(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found = [];
  const patterns = [
    /(?:^|[;\n])\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g,
    /(?:^|[;\n])\s*import\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith(".")) return null;
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return null;
}

const layerOf = (file) => LAYERS.find((layer) => file === layer || file.startsWith(`${layer}/`));
const isTest = (file) => file.endsWith(".test.ts");

/** Strongly connected components with more than one node (or a self-loop): the cycles. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const found = [];
  const visit = (node) => {
    state.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!state.has(next)) {
        visit(next);
        state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
      } else if (state.get(next).onStack) state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
    }
    if (state.get(node).low === state.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        state.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const files = LAYERS.flatMap((layer) => walk(join(ROOT, layer)));
const fileGraph = new Map();
const folderGraph = new Map();
const problems = [];
for (const absolute of files) {
  const file = relative(ROOT, absolute);
  const edges = new Set();
  for (const specifier of specifiersOf(readFileSync(absolute, "utf8"))) {
    const target = resolveImport(absolute, specifier);
    if (!target) continue;
    const to = relative(ROOT, target);
    const from = layerOf(file);
    const toLayer = layerOf(to);
    if (from && toLayer !== from && !ALLOWED[from].includes(toLayer))
      problems.push(`layer: ${file} imports ${to} (${from}/ may import ${[from, ...ALLOWED[from]].join(", ")} only)`);
    if (!isTest(file) && toLayer) edges.add(to);
  }
  if (isTest(file)) continue;
  fileGraph.set(file, edges);
  const folder = dirname(file);
  const folders = folderGraph.get(folder) ?? new Set();
  for (const to of edges) if (dirname(to) !== folder) folders.add(dirname(to));
  folderGraph.set(folder, folders);
}
for (const cycle of cycles(fileGraph)) problems.push(`file cycle (${cycle.length} files): ${cycle.join(", ")}`);
for (const cycle of cycles(folderGraph)) problems.push(`folder cycle: ${cycle.join(", ")}`);

if (process.argv.includes("--graph")) {
  for (const [folder, targets] of [...folderGraph].sort()) console.log(`${folder} → ${[...targets].sort().join(", ") || "(nothing)"}`);
} else if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
} else {
  console.log(`imports: ${fileGraph.size} files, ${folderGraph.size} folders, layers one way, no cycles`);
}
