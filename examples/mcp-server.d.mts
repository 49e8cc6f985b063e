// Types of examples/mcp-server.mjs, for the tests that serve its tools (test/support/mcp-server.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

export function exampleMcpServer(more?: (server: McpServer) => void): McpServer;
export function serveMcpRequest(server: McpServer, req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void>;
