import { describe, expect, it } from "vitest";
import { failure } from "../../lib/message/errors";
import { failureResponse } from "./problem";

describe("failureResponse", () => {
  it("answers a refused enqueue (unavailable) as 503 problem+json with Retry-After, so the caller retries", async () => {
    const res = failureResponse(failure("unavailable", "could not enqueue the message for echo; retry shortly", { retry_after: 1 }));
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ status: 503, code: "unavailable", detail: expect.stringContaining("retry shortly") });
  });
});
