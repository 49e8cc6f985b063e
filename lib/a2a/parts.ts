/**
 * Message content ↔ A2A parts. Switchboard content is any JSON value; A2A carries text parts and
 * data parts. A string travels as one text part, anything else as one data part, and several
 * incoming parts become an array of their values.
 */
import type { Part } from "@a2a-js/sdk";

export function contentToParts(content: unknown): Part[] {
  if (typeof content === "string") return [{ content: { $case: "text", value: content }, mediaType: "text/plain", filename: "", metadata: {} }];
  return [{ content: { $case: "data", value: content ?? null }, mediaType: "application/json", filename: "", metadata: {} }];
}

function partValue(part: Part): unknown {
  const content = part.content;
  switch (content?.$case) {
    case "text":
    case "url":
      return content.value;
    case "data":
      return content.value ?? null;
    case "raw":
      // Bytes are not JSON; pass them on base64-encoded with their media type.
      return { media_type: part.mediaType, filename: part.filename, base64: bytesToBase64(content.value) };
    default:
      return null;
  }
}

/** The content Switchboard hands the agent for these parts. */
export function partsToContent(parts: readonly Part[]): unknown {
  if (parts.length === 1 && parts[0]) return partValue(parts[0]);
  return parts.map(partValue);
}

/** Text for humans (status messages), whatever the parts hold. */
export function partsToText(parts: readonly Part[]): string {
  const value = partsToContent(parts);
  return typeof value === "string" ? value : JSON.stringify(value);
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
