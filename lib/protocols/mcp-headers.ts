/**
 * The headers an MCP agent sends with every request to its server, from the Worker secret its
 * `headers_secret` names: a JSON object of headers, or a plain value sent as `Authorization`
 * (e.g. `Bearer ghp_…`). The entry holds only the name, so reads never show a credential. A secret
 * that is missing or malformed is the request's fault at PUT and the agent's at call time; the
 * caller picks the code.
 */

export type McpHeaders = { ok: true; headers: Record<string, string> } | { ok: false; detail: string };

export function mcpHeaders(secret: string | undefined, bindings: Readonly<Record<string, unknown>>): McpHeaders {
  if (secret === undefined) return { ok: true, headers: {} };
  const value = bindings[secret];
  if (typeof value !== "string" || value === "")
    return { ok: false, detail: `headers_secret: no Worker secret named ${secret} (wrangler secret put ${secret})` };
  if (!value.trimStart().startsWith("{")) return { ok: true, headers: { authorization: value } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, detail: `headers_secret: ${secret} starts with { but is not a JSON object of headers` };
  }
  const entries = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? Object.entries(parsed) : null;
  if (!entries || entries.some(([, v]) => typeof v !== "string"))
    return { ok: false, detail: `headers_secret: ${secret} must be a JSON object of string headers` };
  return { ok: true, headers: Object.fromEntries(entries) as Record<string, string> };
}
