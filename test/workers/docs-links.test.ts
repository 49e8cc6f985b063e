/**
 * The README and docs/ point only at files that exist in this repository: every relative link,
 * every `#anchor` into a markdown page, and every repository path written in backticks. A file
 * moved or renamed without its docs fails here, and so does a link out of the repository.
 */
import { describe, expect, it } from "vitest";

/** Every file of the repository a doc may name; loaded lazily, only the names are used. */
const FILES = [
  // import.meta.glob never lists the file that calls it.
  "test/workers/docs-links.test.ts",
  ...Object.keys(
    import.meta.glob(["/{functions,durable-objects,lib,test,bench,examples,scripts,docs,.ci}/**", "/*.{md,ts,toml,json,mjs}", "/.dev.vars.example"]),
  ).map((path) => path.slice(1)),
];
const DOCS = import.meta.glob<string>(["/README.md", "/docs/*.md", "/bench/README.md"], { query: "?raw", import: "default", eager: true });

/** `a/b/c.ts` → `a`, `a/b`. */
function foldersOf(file: string): string[] {
  const parts = file.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}
const FOLDERS = new Set(FILES.flatMap(foldersOf));
const exists = (path: string) => FILES.includes(path) || FOLDERS.has(path.replace(/\/$/, ""));

function withoutCode(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, "");
}

/** GitHub's anchor for a heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  return new Set([...withoutCode(markdown).matchAll(/^#{1,6} (.*)$/gm)].map(([, heading]) => anchorOf(heading as string)));
}

/** `a/b/../c` → `a/c`. */
function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return out.join("/");
}

const pages = Object.entries(DOCS).map(([path, text]) => ({ page: path.slice(1), text }));

describe("docs links", () => {
  it("reads the README, docs/ and bench/README.md", () => {
    expect(pages.map((p) => p.page)).toEqual(expect.arrayContaining(["README.md", "docs/api.md", "bench/README.md"]));
  });

  it("keeps the README a ten-minute read: at most 400 lines, the reference lives in docs/", () => {
    expect((DOCS["/README.md"] ?? "").trimEnd().split("\n").length).toBeLessThanOrEqual(400);
  });

  it.each(pages)("$page links only to files and headings that exist", ({ page, text }) => {
    const dir = page.split("/").slice(0, -1).join("/");
    const broken: string[] = [];
    for (const [, link] of withoutCode(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(link as string)) continue;
      const [path, anchor] = (link as string).split("#") as [string, string | undefined];
      const target = path ? normalise(`${dir}/${path}`) : page;
      if (!exists(target)) broken.push(`${link}: no file ${target}`);
      else if (anchor && target.endsWith(".md") && !anchorsOf(DOCS[`/${target}`] ?? "").has(anchor)) broken.push(`${link}: no heading #${anchor} in ${target}`);
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)("$page names only repository paths that exist", ({ page, text }) => {
    const named = [...text.matchAll(/`((?:functions|durable-objects|lib|test|bench|examples|scripts|docs)\/[\w./-]*)`/g)].map(([, path]) => path as string);
    expect(
      named.filter((path) => !exists(path.replace(/[.,:;]$/, ""))),
      `${page} names paths that are not in the repository`,
    ).toEqual([]);
  });
});
