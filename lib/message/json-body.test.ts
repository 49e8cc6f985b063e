import { describe, expect, it } from "vitest";
import { readJsonBody, readTextBody } from "./json-body";

const bytes = (...b: number[]) => new Uint8Array(b);

/** A request whose body declares its length (as every HTTP/1.1 body with Content-Length does). */
function declared(body: Uint8Array | string, length = typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength): Request {
  return new Request("http://x.test/", { method: "POST", body, headers: { "content-length": String(length) } });
}

/** A request whose body is a stream of chunks, with no declared length (chunked transfer). */
function streamed(...chunks: Uint8Array[]): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Request("http://x.test/", { method: "POST", body, duplex: "half" } as RequestInit);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe("reading a body within its limits", () => {
  it("reads the same text whether the length is declared or the body is streamed", async () => {
    const text = '{"content":"héllo"}';
    const encoded = new TextEncoder().encode(text);
    expect(await readTextBody(declared(text), 64)).toBe(text);
    expect(await readTextBody(streamed(encoded.slice(0, 5), encoded.slice(5)), 64)).toBe(text);
    expect(await readJsonBody(declared(text), 64)).toEqual({ content: "héllo" });
  });

  it("refuses invalid UTF-8 on both paths, and a decoder reused after a failure still decodes", async () => {
    expect(await codeOf(readTextBody(declared(bytes(0x7b, 0xff, 0xfe, 0x7d)), 64))).toBe("invalid_request");
    expect(await codeOf(readTextBody(streamed(bytes(0x7b, 0xff), bytes(0xfe, 0x7d)), 64))).toBe("invalid_request");
    // A sequence cut off by the failed decode must not leak into the next one.
    expect(await codeOf(readTextBody(declared(bytes(0xe2, 0x82)), 64))).toBe("invalid_request");
    expect(await readTextBody(declared("ok"), 64)).toBe("ok");
  });

  it("refuses a body over the limit: by its declared length, by what arrives, and when a declared length lies", async () => {
    expect(await codeOf(readTextBody(declared("x".repeat(65)), 64))).toBe("payload_too_large");
    expect(await codeOf(readTextBody(streamed(new Uint8Array(40), new Uint8Array(40)), 64))).toBe("payload_too_large");
    // Only an in-process Request can carry a length smaller than its body; the read is still checked.
    expect(await codeOf(readTextBody(declared("x".repeat(100), 10), 64))).toBe("payload_too_large");
    expect(await readTextBody(declared("x".repeat(64)), 64)).toBe("x".repeat(64));
  });
});
