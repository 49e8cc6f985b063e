/** Bearer headers for the principals vitest.config.ts configures. */
export const KEYS = {
  admin: "sk_test_admin",
  planner: "sk_test_planner",
  summarizer: "sk_test_summarizer",
  outsider: "sk_test_outsider",
} as const;

export function auth(who: keyof typeof KEYS): Record<string, string> {
  return { authorization: `Bearer ${KEYS[who]}`, "content-type": "application/json" };
}
