#!/usr/bin/env node
// First-load JS of the exported chat page: the sum of the gzip sizes (level 9, as Next's old build
// report and the `gzip-size` package measure) of every script out/index.html loads on a modern
// browser: <script src> and <link rel="preload" as="script">, deduplicated; `noModule` polyfills are
// skipped because modern browsers never fetch them. Lazily imported chunks (the markdown renderer)
// are not first-load and are reported separately. Exits 1 over the budget.
//
//   node scripts/budget.mjs [--budget-kib 140] [--json]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const budgetKiB = Number(args[args.indexOf("--budget-kib") + 1]) || 140;
const outDir = new URL("../out/", import.meta.url).pathname;
const html = readFileSync(join(outDir, "index.html"), "utf8");

const first = new Set();
for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
  if (/\bnoModule\b/i.test(tag)) continue;
  const src = tag.match(/\ssrc="([^"]+)"/)?.[1];
  if (src) first.add(src);
}
for (const tag of html.match(/<link\b[^>]*>/g) ?? []) {
  if (/rel="(preload|modulepreload)"/.test(tag) && /as="script"|modulepreload/.test(tag)) {
    const href = tag.match(/\shref="([^"]+)"/)?.[1];
    if (href) first.add(href);
  }
}

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const br = (buf) =>
  brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kib = (n) => (n / 1024).toFixed(1);

const rows = [];
for (const src of first) {
  const path = join(outDir, decodeURIComponent(src.split("?")[0]).replace(/^\//, ""));
  const buf = readFileSync(path);
  rows.push({ src, raw: buf.length, gzip: gz(buf), brotli: br(buf) });
}
const total = rows.reduce(
  (a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip, brotli: a.brotli + r.brotli }),
  {
    raw: 0,
    gzip: 0,
    brotli: 0,
  },
);

// Everything else under chunks/ is loaded later (on demand) or never on a modern browser.
const chunkDir = join(outDir, "_next/static/chunks");
const firstNames = new Set([...first].map((s) => s.split("/").pop()));
const lazy = readdirSync(chunkDir)
  .filter((f) => f.endsWith(".js") && !firstNames.has(f))
  .map((f) => ({ file: f, gzip: gz(readFileSync(join(chunkDir, f))) }));
const css = (html.match(/<link[^>]*rel="stylesheet"[^>]*>/g) ?? []).map((t) => {
  const href = t.match(/href="([^"]+)"/)?.[1] ?? "";
  return { href, gzip: gz(readFileSync(join(outDir, href.replace(/^\//, "")))) };
});

const ok = total.gzip <= budgetKiB * 1024;
if (args.includes("--json")) {
  console.log(
    JSON.stringify({ budgetKiB, ok, total, rows, lazy, css, html: gz(Buffer.from(html)) }, null, 2),
  );
} else {
  for (const r of rows)
    console.log(`${kib(r.gzip).padStart(7)} KiB gz  ${kib(r.brotli).padStart(7)} KiB br  ${r.src}`);
  console.log(
    `${kib(total.gzip).padStart(7)} KiB gz  ${kib(total.brotli).padStart(7)} KiB br  first-load JS (${rows.length} scripts, ${kib(total.raw)} KiB raw); budget ${budgetKiB} KiB gz: ${ok ? "OK" : "OVER"}`,
  );
  for (const l of lazy) console.log(`  lazy/other: ${l.file} ${kib(l.gzip)} KiB gz`);
  for (const c of css) console.log(`  css: ${c.href} ${kib(c.gzip)} KiB gz`);
  console.log(`  html: index.html ${kib(gz(Buffer.from(html)))} KiB gz`);
}
process.exit(ok ? 0 : 1);
