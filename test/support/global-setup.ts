import type { TestProject } from "vitest/node";
import { startModelServer } from "./model-server";
import { startA2aServer } from "./a2a-server";
import { startMcpServer } from "./mcp-server";
import { startTestServer } from "./test-server";

declare module "vitest" {
  export interface ProvidedContext {
    testServerPort: number;
    modelServerPort: number;
    a2aServerPort: number;
    mcpServerPort: number;
  }
}

export default async function setup(project: TestProject) {
  const { server, port } = await startTestServer();
  project.provide("testServerPort", port);
  const model = await startModelServer();
  project.provide("modelServerPort", model.port);
  const a2a = await startA2aServer();
  project.provide("a2aServerPort", a2a.port);
  const mcp = await startMcpServer();
  project.provide("mcpServerPort", mcp.port);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => model.server.close(() => resolve()));
    await new Promise<void>((resolve) => a2a.server.close(() => resolve()));
    mcp.server.closeAllConnections();
    await new Promise<void>((resolve) => mcp.server.close(() => resolve()));
  };
}
