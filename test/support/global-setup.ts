import type { TestProject } from "vitest/node";
import { startTestServer } from "./test-server";

declare module "vitest" {
  export interface ProvidedContext {
    testServerPort: number;
  }
}

export default async function setup(project: TestProject) {
  const { server, port } = await startTestServer();
  project.provide("testServerPort", port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
