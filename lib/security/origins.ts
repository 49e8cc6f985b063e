/**
 * Origin allowlists: which browser origins may call the API (`SWITCHBOARD_CORS_ORIGINS`) and which
 * origins one API key may be used from (the origins after a key in `SWITCHBOARD_API_KEYS`). An
 * entry is an exact origin (`https://app.example.com`, `http://localhost:5173`) or a wildcard over
 * subdomains (`https://*.example.com`: `a.example.com` and `a.b.example.com`, never `example.com`
 * itself, same scheme and port). An `Origin` header is compared as browsers send it: the exact
 * serialised origin, so a path, userinfo or odd spelling never matches anything.
 */

export type OriginPattern = { kind: "exact"; origin: string } | { kind: "subdomains"; protocol: string; suffix: string; port: string };

export interface OriginList {
  patterns: OriginPattern[];
  /** Entries that are not an origin or a `scheme://*.host` pattern; they allow nothing. */
  invalid: string[];
}

const WILDCARD = /^(https?):\/\/\*\.(.+)$/i;

/** One entry, or null when it is not an origin a browser could send. */
export function parseOriginPattern(entry: string): OriginPattern | null {
  const wildcard = WILDCARD.exec(entry);
  // Parse the wildcard's host with a placeholder label, so the URL parser normalises the rest.
  const url = wildcard ? parseOrigin(`${wildcard[1]}://x.${wildcard[2]}`) : parseOrigin(entry);
  // A `*` anywhere but the first label is a typo, not a pattern (the URL parser lets it through).
  if (!url || url.hostname.includes("*")) return null;
  if (!wildcard) return { kind: "exact", origin: url.origin };
  const suffix = url.hostname.slice("x".length);
  return suffix.length > 1 ? { kind: "subdomains", protocol: url.protocol, suffix, port: url.port } : null;
}

function parseOrigin(text: string): URL | null {
  const url = URL.canParse(text) ? new URL(text) : null;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") return null;
  return url;
}

/** Parses a list separated by commas or whitespace. */
export function parseOriginList(source: string | undefined): OriginList {
  const list: OriginList = { patterns: [], invalid: [] };
  for (const entry of (source ?? "").split(/[\s,]+/).filter(Boolean)) {
    const pattern = parseOriginPattern(entry);
    if (pattern) list.patterns.push(pattern);
    else list.invalid.push(entry);
  }
  return list;
}

/** Whether a browser's `Origin` header value matches one of the patterns. `null` (opaque origins) never does. */
export function originAllowed(patterns: readonly OriginPattern[], origin: string): boolean {
  const url = URL.canParse(origin) ? new URL(origin) : null;
  // Only a canonical serialised origin counts: what a browser sends, nothing a proxy could bend.
  if (!url || url.origin !== origin) return false;
  return patterns.some((p) =>
    p.kind === "exact"
      ? p.origin === origin
      : url.protocol === p.protocol && url.port === p.port && url.hostname.endsWith(p.suffix) && url.hostname.length > p.suffix.length,
  );
}
