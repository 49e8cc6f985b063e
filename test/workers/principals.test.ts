/**
 * Where a principal's reach ended later than it should have: a reply pushed into an agent the
 * sender may not message, an agent taking a principal's name, and remote URLs (with the tokens in
 * them) shown to every key.
 */
import { describe, expect, it } from "vitest";
import { api, received, settled, testServer, uniqueName } from "../support/api";

describe("reply_to an agent", () => {
  it("needs the sender to be allowed to message that agent (audit: anyone could push replies into any agent)", async () => {
    const guarded = uniqueName("inbox");
    const put = await api("PUT", `/agents/${guarded}`, { body: { kind: "http", url: `${testServer()}/ok/${guarded}`, acl: { allow: ["planner"] } } });
    expect(put.status).toBe(200);
    const denied = await api("POST", "/agents/echo/messages", { as: "outsider", body: { content: "spoofed", reply_to: guarded } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: "forbidden", detail: expect.stringContaining("reply_to") });
    // Allowed senders and admin still may.
    const allowed = await api("POST", "/agents/echo/messages", { as: "planner", body: { content: "fine", reply_to: guarded } });
    expect(allowed.status).toBe(202);
    expect((await settled(allowed.body.request_id)).status).toBe("replied");
    expect((await api("POST", "/agents/echo/messages", { body: { content: "admin", reply_to: guarded } })).status).toBe(202);
  });
});

describe("reserved names", () => {
  it.each(["admin", "webhook"])("refuses an agent named %s (audit: it shared the admin's idempotency scope)", async (name) => {
    const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("reserved");
    expect((await api("GET", `/agents/${name}`)).status).toBe(400);
  });
});

describe("remote URLs in the registry", () => {
  it("are shown whole to admin and the agent itself, and as their origin to every other key", async () => {
    const name = uniqueName("tokened");
    const url = `${testServer()}/ok/${name}?token=s3cr3t-query-token`;
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url } })).status).toBe(200);
    const origin = new URL(url).origin;
    const entryOf = (body: { agents: Array<{ name: string; url?: string }> }) => body.agents.find((a) => a.name === name);

    expect(entryOf((await api("GET", "/agents")).body)?.url).toBe(url);
    expect((await api("GET", `/agents/${name}`)).body.url).toBe(url);
    for (const as of ["planner", "outsider"] as const) {
      const list = await api("GET", "/agents", { as });
      const one = await api("GET", `/agents/${name}`, { as });
      expect(entryOf(list.body)?.url, as).toBe(`${origin}/…`);
      expect(one.body.url, as).toBe(`${origin}/…`);
      expect(JSON.stringify(list.body) + JSON.stringify(one.body)).not.toContain("s3cr3t-query-token");
    }
    // Redaction is for reading only: calls still reach the whole URL.
    expect((await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: 1 } })).status).toBe(200);
    expect(await received(name)).toHaveLength(1);
  });
});
