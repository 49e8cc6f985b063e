/**
 * docs/api.md is the HTTP contract in the repo and /openapi.json is generated from the routes the
 * app registers: they must list the same routes, the app must serve no route the OpenAPI document
 * leaves out, and the error table must list every error code with its status. A route or code added
 * without its documentation fails here until docs/api.md has it.
 */
import { describe, expect, it } from "vitest";
import apiDoc from "../../docs/api.md?raw";
import { app } from "../../functions/app";
import { ERROR_STATUS } from "../../lib/message/errors";
import { api } from "../support/api";

const METHODS = new Set(["GET", "PUT", "POST", "DELETE", "PATCH"]);

/** `/agents/:name` in docs and Hono is `/agents/{name}` in OpenAPI. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");

/** One heading per route: `### \`METHOD /path\``. */
function documentedRoutes(): string[] {
  return [...apiDoc.matchAll(/^#{2,4} `([A-Z]+) (\/[^`\s]*)`\s*$/gm)].map(([, method, path]) => `${method} ${openApiPath(path as string)}`);
}

async function openApiRoutes(): Promise<string[]> {
  const res = await api("GET", "/openapi.json");
  expect(res.status).toBe(200);
  return Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item)
      .map((method) => method.toUpperCase())
      .filter((method) => METHODS.has(method))
      .map((method) => `${method} ${path}`),
  );
}

function servedRoutes(): string[] {
  return [...new Set(app.routes.filter((r) => METHODS.has(r.method)).map((r) => `${r.method} ${openApiPath(r.path)}`))];
}

/** Rows of the error table: `| 404 | \`agent_not_found\` | …`. */
function documentedCodes(): Record<string, number> {
  return Object.fromEntries([...apiDoc.matchAll(/^\| (\d{3}) +\| `([a-z_]+)` +\|/gm)].map(([, status, code]) => [code, Number(status)]));
}

const missingFrom = (have: string[], want: string[]) => want.filter((x) => !have.includes(x)).sort();

describe("docs/api.md and /openapi.json", () => {
  it("documents every route of the OpenAPI document", async () => {
    const undocumented = missingFrom(documentedRoutes(), await openApiRoutes());
    expect(undocumented, "add a ### `METHOD /path` section for each of these to docs/api.md").toEqual([]);
  });

  it("documents only routes the OpenAPI document has", async () => {
    const unknown = missingFrom(await openApiRoutes(), documentedRoutes());
    expect(unknown, "docs/api.md documents these, /openapi.json does not have them").toEqual([]);
  });

  it("documents each route once", () => {
    const routes = documentedRoutes();
    expect(routes.filter((r, i) => routes.indexOf(r) !== i)).toEqual([]);
  });

  it("leaves no route the app serves out of the OpenAPI document", async () => {
    expect(servedRoutes()).toContain("GET /health");
    const unregistered = missingFrom(await openApiRoutes(), servedRoutes());
    expect(unregistered, "register these with route() in functions/http/route.ts, so they are in /openapi.json").toEqual([]);
  });

  it("lists every error code with its status, and no other", () => {
    expect(documentedCodes(), "docs/api.md's error table must match ERROR_STATUS in lib/message/errors.ts").toEqual(ERROR_STATUS);
  });
});
