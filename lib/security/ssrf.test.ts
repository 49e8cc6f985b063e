import { describe, expect, it } from "vitest";
import { checkOutboundUrl, parseIPv6 } from "./ssrf";

/** Refused in production AND in dev mode: dev relaxes only loopback and http. */
const ALWAYS_REFUSED = [
  // private, link-local, CGNAT, "this" network, multicast, broadcast
  "https://10.0.0.1/",
  "https://10.255.255.255/",
  "https://172.16.0.1/",
  "https://172.31.255.1/",
  "https://192.168.1.1/",
  "https://100.64.0.1/",
  "https://100.127.255.254/",
  "https://0.0.0.0/",
  "https://0/",
  "https://224.0.0.1/",
  "https://255.255.255.255/",
  "https://192.0.2.10/",
  // cloud metadata
  "https://169.254.169.254/latest/meta-data/",
  "http://169.254.169.254/latest/meta-data/",
  "https://169.254.1.1/",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://metadata.google.internal./",
  "https://metadata.google.internal../",
  "https://printer.local.../",
  "https://METADATA.GOOGLE.INTERNAL/",
  "https://metadata/",
  "https://instance-data/",
  "https://printer.local/",
  "https://router.home.arpa/",
  // numeric spellings of private addresses
  "https://167772161/", // 10.0.0.1 decimal
  "https://0xa9.0xfe.0xa9.0xfe/", // 169.254.169.254 hex
  "https://0251.0376.0251.0376/", // 169.254.169.254 octal
  "https://2852039166/", // 169.254.169.254 decimal
  "https://0xa9fea9fe/",
  "https://192.168.1/", // short form
  // IPv6: unspecified, ULA, link-local, site-local, multicast, documentation
  "https://[::]/",
  "https://[fc00::1]/",
  "https://[fd12:3456:789a::1]/",
  "https://[fe80::1]/",
  "https://[febf::1]/",
  "https://[fec0::1]/",
  "https://[ff02::1]/",
  "https://[2001:db8::1]/",
  // IPv4 wrapped in IPv6: mapped (dotted and hex), compatible, translated, NAT64, 6to4, Teredo
  "https://[::ffff:10.0.0.1]/",
  "https://[::ffff:a00:1]/",
  "https://[::ffff:169.254.169.254]/",
  "https://[::ffff:a9fe:a9fe]/",
  "https://[0:0:0:0:0:ffff:a9fe:a9fe]/",
  "https://[::a9fe:a9fe]/",
  "https://[::ffff:0:a9fe:a9fe]/",
  "https://[64:ff9b::a9fe:a9fe]/",
  "https://[64:ff9b::8.8.8.8]/", // even public: NAT64 reaches IPv4 space we cannot judge
  "https://[2002:a9fe:a9fe::1]/",
  "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
  // userinfo tricks
  "https://user:pass@example.com/",
  "https://example.com@169.254.169.254/",
  "https://example.com:443@10.0.0.1/",
  "https://admin@example.com/",
  // not http(s) at all
  "ftp://example.com/",
  "file:///etc/passwd",
  "gopher://example.com:70/",
  "data:text/plain,hi",
  "javascript:alert(1)",
  "ws://example.com/",
  "not a url",
  "",
];

/** Loopback in every spelling: refused in production, allowed in dev mode. */
const LOOPBACK = [
  "https://127.0.0.1/",
  "https://127.1.2.3/",
  "https://localhost/",
  "https://LOCALHOST./",
  "https://localhost../", // audit: only one trailing dot was stripped
  "https://localhost.../",
  "https://api.localhost../",
  "https://127.0.0.1../",
  "https://api.localhost/",
  "https://2130706433/", // decimal
  "https://0x7f.1/", // hex, short form
  "https://0x7f000001/",
  "https://017700000001/", // octal
  "https://0177.0.0.1/",
  "https://127.1/",
  "https://[::1]/",
  "https://[0:0:0:0:0:0:0:1]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:7f00:1]/",
  "https://[::127.0.0.1]/",
];

const PUBLIC_HTTPS = [
  "https://example.com/agent",
  "https://api.example.com:8443/a?b=c",
  "https://8.8.8.8/",
  "https://[2606:4700:4700::1111]/",
  "https://100.63.255.255/", // just below CGNAT
  "https://172.32.0.1/", // just above 172.16/12
  "https://xn--bcher-kva.example/",
];

describe("SSRF guard", () => {
  it.each(ALWAYS_REFUSED)("refuses %s in production and in dev mode", (url) => {
    expect(checkOutboundUrl(url, { dev: false }).ok).toBe(false);
    expect(checkOutboundUrl(url, { dev: true }).ok).toBe(false);
  });

  it.each(LOOPBACK)("refuses loopback %s in production, allows it in dev mode", (url) => {
    expect(checkOutboundUrl(url, { dev: false })).toMatchObject({ ok: false, reason: expect.stringMatching(/loopback/) });
    expect(checkOutboundUrl(url, { dev: true }).ok).toBe(true);
    expect(checkOutboundUrl(url.replace("https:", "http:"), { dev: true }).ok).toBe(true);
  });

  it.each(PUBLIC_HTTPS)("allows public https %s", (url) => {
    expect(checkOutboundUrl(url, { dev: false })).toEqual({ ok: true });
  });

  it("allows http only in dev mode", () => {
    expect(checkOutboundUrl("http://example.com/", { dev: false })).toMatchObject({ ok: false, reason: "only https URLs are allowed" });
    expect(checkOutboundUrl("http://example.com/", { dev: true }).ok).toBe(true);
  });

  it("parses IPv6 in every spelling", () => {
    expect(parseIPv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIPv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6("1::")).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6("1:2:3")).toBeNull();
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("12345::")).toBeNull();
  });
});
