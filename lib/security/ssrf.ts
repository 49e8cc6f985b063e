/**
 * SSRF guard for every outbound URL: remote agents, A2A cards, reply_to and observer URLs. Checked
 * at registration and again before every request and every redirect hop.
 *
 * Only https to public addresses is allowed. The WHATWG URL parser canonicalises the decimal,
 * octal and hex spellings of IPv4 (`http://2130706433/`, `http://0x7f.1/` → `127.0.0.1`) and
 * every IPv6 spelling to its compressed hex form, so we classify the canonical host: IPv4 by
 * range, IPv6 by range and by the IPv4 it embeds (mapped, compatible, translated, NAT64, 6to4,
 * Teredo). Dev mode (`SWITCHBOARD_DEV=1`) relaxes exactly two things: `http:` and loopback.
 * Names that resolve to private addresses cannot be checked from a Worker (there is no DNS API);
 * on Cloudflare, fetch() itself cannot reach private networks.
 */
export interface UrlCheck {
  ok: boolean;
  reason?: string;
}

const INTERNAL_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /\.intranet$/, /\.home\.arpa$/, /^metadata$/, /^instance-data$/];

/** Whether `raw` may be fetched. `dev` allows http and loopback, nothing else. */
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
  // Every trailing dot: `localhost..` is still localhost to a resolver.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "") return { ok: false, reason: "URL has no host" };
  const kind = classifyHost(host);
  if (kind === "public") return { ok: true };
  if (kind === "loopback" && options.dev) return { ok: true };
  return {
    ok: false,
    reason: `host ${host} is ${kind === "loopback" ? "a loopback address" : kind === "internal" ? "an internal name" : "a private or reserved address"}`,
  };
}

export type HostKind = "public" | "loopback" | "private" | "internal";

/** Classifies a canonical hostname (as `URL.hostname` gives it, IPv6 in brackets). */
export function classifyHost(host: string): HostKind {
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  if (host.startsWith("[")) {
    const groups = parseIPv6(host.slice(1, -1));
    return groups ? classifyIPv6(groups) : "private";
  }
  const v4 = parseIPv4(host);
  if (v4) return classifyIPv4(v4);
  // A name that looks numeric but did not canonicalise is refused rather than guessed at.
  if (/^[\d.]+$/.test(host) || /^0x/i.test(host)) return "private";
  return INTERNAL_NAMES.some((re) => re.test(host)) ? "internal" : "public";
}

function parseIPv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

function classifyIPv4([a = 0, b = 0, c = 0]: number[]): HostKind {
  if (a === 127) return "loopback";
  const reserved =
    a === 0 || // "this" network
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 192 && b === 88 && c === 99) || // 6to4 relay anycast
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224; // multicast, reserved, broadcast
  return reserved ? "private" : "public";
}

/** Eight 16-bit groups, or null. Accepts `::` compression and a dotted IPv4 tail. */
export function parseIPv6(text: string): number[] | null {
  const zoneless = text.split("%")[0] ?? "";
  let body = zoneless;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted?.[1] && dotted[2]) {
    const v4 = parseIPv4(dotted[2]);
    if (!v4) return null;
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    body = dotted[1].endsWith("::") ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) => (part ? part.split(":") : []);
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const explicit = [...head, ...rest].length + tail.length;
  if (halves.length === 1 && explicit !== 8) return null;
  if (halves.length === 2 && explicit > 7) return null;
  const zeros = new Array<number>(8 - explicit).fill(0);
  const hex = (g: string) => Number.parseInt(g, 16);
  return [...head.map(hex), ...(halves.length === 2 ? zeros : []), ...rest.map(hex), ...tail];
}

function classifyIPv6(g: number[]): HostKind {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const v4 = (hi: number, lo: number) => classifyIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  if (zeroPrefix && g4 === 0 && g5 === 0 && g6 === 0) return g7 === 1 ? "loopback" : "private"; // ::1, ::
  // Any IPv6 form that carries an IPv4 address is judged by that address, and never public:
  // no legitimate agent needs an IPv4 literal wrapped in IPv6.
  if (zeroPrefix && g4 === 0 && (g5 === 0xffff || g5 === 0)) return v4(g6, g7) === "loopback" ? "loopback" : "private"; // mapped, compatible
  if (zeroPrefix && g4 === 0xffff && g5 === 0) return v4(g6, g7) === "loopback" ? "loopback" : "private"; // IPv4-translated
  if (g0 === 0x64 && g1 === 0xff9b) return "private"; // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
  if (g0 === 0x2002) return "private"; // 6to4 embeds an IPv4
  if (g0 === 0x2001 && g1 === 0) return "private"; // Teredo
  if (g0 === 0x2001 && g1 === 0xdb8) return "private"; // documentation
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "private"; // discard-only 100::/64
  if ((g0 & 0xfe00) === 0xfc00) return "private"; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return "private"; // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return "private"; // multicast
  return "public";
}
