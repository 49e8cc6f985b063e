/**
 * The agent the README and docs/agents.md teach with is a real file, and so is its test: the docs
 * show them verbatim, so what a newcomer copies is what `npm test` runs.
 */
import { describe, expect, it } from "vitest";
import agentsDoc from "../../docs/agents.md?raw";
import greeterSource from "../../functions/agents/greeter.ts?raw";
import readme from "../../README.md?raw";
import greeterTest from "./greeter.test.ts?raw";

/** The fenced TypeScript blocks of a markdown file. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map(([, code]) => code as string);
}

const greeterBlock = `// functions/agents/greeter.ts\n${greeterSource}`;

describe("docs examples", () => {
  it("the README and docs/agents.md show functions/agents/greeter.ts as it is", () => {
    expect(tsBlocks(readme)).toContain(greeterBlock);
    expect(tsBlocks(agentsDoc)).toContain(greeterBlock);
  });

  it("docs/agents.md shows test/workers/greeter.test.ts as it is", () => {
    expect(tsBlocks(agentsDoc)).toContain(greeterTest);
  });

  it("the README's test excerpt is a test of test/workers/greeter.test.ts", () => {
    const excerpt = tsBlocks(readme).find((code) => code.startsWith("it("));
    expect(excerpt).toBeDefined();
    const indented = (excerpt as string).replace(/^(?=.)/gm, "  ");
    expect(greeterTest).toContain(indented);
  });
});
