/**
 * SSRF guard for every outbound URL: remote agents, A2A cards, reply_to and observer URLs. Checked
 * at registration and again before every request and every redirect hop.
 *
 * Only https to public addresses is allowed. The WHATWG URL parser already canonicalises the
 * decimal, octal and hex spellings of IPv4 (`http://2130706433/` has host `127.0.0.1`), so we check
 * the canonical host. Dev mode (`SWITCHBOARD_DEV=1`) relaxes exactly two things: `http:` and
 * loopback hosts. Names that resolve to private addresses cannot be checked from a Worker (there is
 * no DNS API); on Cloudflare, fetch() itself refuses private ranges.
 */
export interface UrlCheck {
  ok: boolean;
  reason?: string;
}

const BLOCKED_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /^metadata(\.google\.internal)?$/, /^instance-data$/];

export function checkOutboundUrl(raw: string, options: { dev: boolean }): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not a valid URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "URLs with credentials are not allowed" };
  if (url.protocol !== "https:" && !(options.dev && url.protocol === "http:")) {
    return { ok: false, reason: options.dev ? "only http and https URLs are allowed" : "only https URLs are allowed" };
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const loopback = isLoopback(host);
  if (loopback) return options.dev ? { ok: true } : { ok: false, reason: "loopback addresses are not allowed" };
  if (BLOCKED_NAMES.some((re) => re.test(host))) return { ok: false, reason: `host ${host} is internal` };
  const v4 = parseIPv4(host);
  if (v4) return blockedIPv4(v4) ? { ok: false, reason: `address ${host} is private or reserved` } : { ok: true };
  if (host.startsWith("[")) {
    return blockedIPv6(host.slice(1, -1)) ? { ok: false, reason: `address ${host} is private or reserved` } : { ok: true };
  }
  return { ok: true };
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = parseIPv4(host);
  if (v4) return v4[0] === 127;
  if (host.startsWith("[")) {
    const v6 = host.slice(1, -1);
    if (v6 === "::1") return true;
    const mapped = mappedIPv4(v6);
    return mapped !== null && mapped[0] === 127;
  }
  return false;
}

function parseIPv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

function blockedIPv4([a = 0, b = 0, c = 0]: number[]): boolean {
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224 // multicast, reserved, broadcast
  );
}

/** The IPv4 inside an IPv4-mapped or IPv4-compatible IPv6 address (`::ffff:7f00:1`, `::ffff:127.0.0.1`). */
function mappedIPv4(v6: string): number[] | null {
  const dotted = /^(?:::ffff:|::)(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (dotted?.[1]) return parseIPv4(dotted[1]);
  const hex = /^(?:::ffff:|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!hex?.[1] || !hex[2]) return null;
  const hi = Number.parseInt(hex[1], 16);
  const lo = Number.parseInt(hex[2], 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

function blockedIPv6(v6: string): boolean {
  if (v6 === "::" || v6 === "::1") return true;
  const mapped = mappedIPv4(v6);
  if (mapped) return true; // no legitimate agent needs an IPv4-mapped literal
  const first = Number.parseInt(v6.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    v6.startsWith("64:ff9b:") || // NAT64 can reach IPv4 private space
    v6.startsWith("2001:db8:") // documentation
  );
}
