/**
 * What Switchboard's example agents compute (functions/agents/summarizer.ts, planner.ts, echo.ts),
 * written the same way, so each peer does exactly their work and nothing else. The peer scenario
 * compares every side's answer with Switchboard's before it measures, so a drift here fails the run.
 */

export interface Summary {
  summary: string;
  words: number;
}

export interface Plan {
  summary: Summary;
  steps: string[];
}

/** The body every route takes, as `POST /agents/:name/invoke` does. */
export interface Invoke {
  content: unknown;
}

export function textOf(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content);
}

/** summarizer: the first sentence and a word count. */
export function summarize(text: string): Summary {
  const first = text.split(/(?<=[.!?])\s/)[0] ?? "";
  const words = text.split(/\s+/).filter(Boolean).length;
  return { summary: first.trim(), words };
}

/** planner: asks the summarizer (each peer reaches it its own way), then one step per sentence. */
export async function plan(content: unknown, askSummarizer: (text: string) => Promise<Summary>): Promise<Plan> {
  const text = textOf(content);
  const summary = await askSummarizer(text);
  const steps = text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => `${i + 1}. ${s}`);
  return { summary, steps };
}
