/**
 * Redacts strings that look like credentials before text is kept anywhere a person or a log
 * pipeline reads it (the message log's previews and details). A pattern list, not a proof: it
 * catches the key shapes this system and its usual neighbours use.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{6,}/gi, "Bearer [redacted]"],
  [/\bwhsec_[A-Za-z0-9+/=_-]{6,}/g, "whsec_[redacted]"],
  [/\b(sk|pk|rk)_(?:live_|test_|dev_)?[A-Za-z0-9_]{6,}/g, "$1_[redacted]"],
  [/\bgh[pousr]_[A-Za-z0-9]{16,}/g, "gh_[redacted]"],
  [/\bxox[abpr]-[A-Za-z0-9-]{10,}/g, "xox-[redacted]"],
  [/\bAKIA[0-9A-Z]{16}\b/g, "AKIA[redacted]"],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, "[redacted-jwt]"],
  [/("?(?:authorization|api[_-]?key|secret|password|signing_secret)"?\s*[:=]\s*")[^"]{4,}(")/gi, "$1[redacted]$2"],
];

/**
 * Text in which none of the patterns can match: each needs one of these words, so most text (every
 * preview of every logged message) is scanned once instead of once per pattern.
 */
const NONE_CAN_MATCH = /bearer|whsec_|[spr]k_|gh[pousr]_|xox[abpr]-|akia|eyj|authorization|api[_-]?key|secret|password/i;

export function redactText(text: string): string;
export function redactText(text: string | null): string | null;
export function redactText(text: string | null): string | null {
  if (text === null) return null;
  if (!NONE_CAN_MATCH.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
