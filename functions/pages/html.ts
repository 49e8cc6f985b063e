/**
 * The shell every HTML page shares: one self-contained document (no CDN, no build step), a strict
 * Content-Security-Policy whose per-response nonce is the only way a script or style runs, and an
 * HTML escaper for the few server-rendered values.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** Shared look: readable, dense tables, no external fonts. */
export const BASE_CSS = `
:root { color-scheme: light dark; --line: #8884; --muted: #888; --bad: #c0392b; --ok: #2e8b57; --warn: #d68910; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 1rem 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .5rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; } code, pre, .mono { font-family: ui-monospace, monospace; font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; }
button, input, select, textarea { font: inherit; } button { cursor: pointer; }
.muted { color: var(--muted); } .bad { color: var(--bad); } .ok { color: var(--ok); } .warn { color: var(--warn); }
header { display: flex; gap: 1rem; align-items: baseline; justify-content: space-between; }
`;

export function htmlPage(init: { title: string; body: string; css?: string; script?: string; status?: number; headers?: Record<string, string> }): Response {
  const nonce = newNonce();
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(init.title)}</title><link rel="icon" href="data:,">
<style nonce="${nonce}">${BASE_CSS}${init.css ?? ""}</style></head>
<body>${init.body}${init.script ? `<script nonce="${nonce}">${init.script}</script>` : ""}</body></html>`;
  return new Response(html, {
    status: init.status ?? 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      ...init.headers,
    },
  });
}
