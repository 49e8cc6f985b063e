/**
 * Registering a remote MCP server (`PUT /agents/:name` with `kind: "mcp"`, and
 * `POST /agents/:name/refresh`): its tools are listed now, so a bad URL or credentials fail the
 * request rather than the first call. A server that answers but is wrong for us (not MCP, refused
 * credentials, a redirect) is the request's fault: 400 naming `url`. One that is down or too slow
 * is not: 502 `agent_error`, worth trying again.
 */
import { SwitchboardError } from "../message/errors";
import type { McpRemote } from "../registry/entry";
import { DEFAULT_MAX_REPLY_BYTES } from "./bounded-body";
import { mcpHeaders } from "./mcp-headers";
import { listMcpTools } from "./remote-mcp";

/** How long registration waits for the server's tool list. @default 10000 */
export const LIST_TIMEOUT_MS = 10_000;

export async function listServerTools(agent: string, url: string, headersSecret: string | undefined, bindings: object, dev: boolean): Promise<McpRemote> {
  const secret = mcpHeaders(headersSecret, bindings as Record<string, unknown>);
  if (!secret.ok) throw new SwitchboardError("invalid_request", secret.detail);
  const { headers } = secret;
  try {
    return await listMcpTools(url, `MCP server ${new URL(url).host}`, {
      dev,
      headers,
      maxBytes: DEFAULT_MAX_REPLY_BYTES,
      signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
      timeoutMs: LIST_TIMEOUT_MS,
    });
  } catch (error) {
    const failure = error instanceof SwitchboardError ? error : null;
    const detail = failure?.message ?? (error instanceof Error && error.name === "TimeoutError" ? `no answer in ${LIST_TIMEOUT_MS} ms` : String(error));
    if (failure && !failure.transient && failure.code !== "timeout") {
      throw new SwitchboardError("invalid_request", `url: could not list the tools of ${agent}: ${detail}`);
    }
    throw new SwitchboardError("agent_error", `url: could not list the tools of ${agent} now: ${detail}; try again`, { transient: true });
  }
}
