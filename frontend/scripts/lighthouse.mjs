#!/usr/bin/env node
// Lighthouse 12.2.3 (mobile preset: simulated slow 4G and 4x CPU slowdown) on the exported chat page
// served by the Go server, with Debian's Chromium. Fails unless accessibility is 1.0 and
// performance at least 0.9. Lighthouse is fetched by npx on demand, not a dev dependency: it is
// large and only this benchmark needs it.
//
//   node scripts/lighthouse.mjs [--runs 3]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM_PATH, startTwin, twinBinary } from "../e2e/servers.mjs";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 3;
const flags = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
].join(" ");

const twin = await startTwin({ bin: twinBinary(), name: "twin-lighthouse" });
const dir = mkdtempSync(join(tmpdir(), "lighthouse-"));
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `run${i}.json`);
    execFileSync(
      "npx",
      [
        "-y",
        "lighthouse@12.2.3",
        `${twin.url}/`,
        "--only-categories=performance,accessibility",
        "--output=json",
        `--output-path=${out}`,
        `--chrome-flags=${flags}`,
        "--quiet",
      ],
      { stdio: "inherit", env: { ...process.env, CHROME_PATH: CHROMIUM_PATH } },
    );
    const lhr = JSON.parse(readFileSync(out, "utf8"));
    const a = lhr.audits;
    const r = {
      performance: lhr.categories.performance.score,
      accessibility: lhr.categories.accessibility.score,
      fcp: a["first-contentful-paint"].numericValue,
      lcp: a["largest-contentful-paint"].numericValue,
      tbt: a["total-blocking-time"].numericValue,
      cls: a["cumulative-layout-shift"].numericValue,
      si: a["speed-index"].numericValue,
    };
    results.push(r);
    const failed = Object.values(lhr.categories.accessibility.auditRefs)
      .map((ref) => a[ref.id])
      .filter((au) => au.score !== null && au.score < 1)
      .map((au) => au.id);
    console.log(
      `run ${i + 1}: performance ${r.performance} accessibility ${r.accessibility}  FCP ${r.fcp.toFixed(0)} ms  LCP ${r.lcp.toFixed(0)} ms  TBT ${r.tbt.toFixed(0)} ms  CLS ${r.cls.toFixed(3)}  SI ${r.si.toFixed(0)} ms${failed.length ? `  a11y failing: ${failed.join(", ")}` : ""}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await twin.stop();
}
const med = (k) =>
  [...results.map((r) => r[k])].sort((x, y) => x - y)[Math.floor(results.length / 2)];
console.log(
  `median of ${runs}: performance ${med("performance")} accessibility ${med("accessibility")} LCP ${med("lcp").toFixed(0)} ms TBT ${med("tbt").toFixed(0)} ms CLS ${med("cls").toFixed(3)}`,
);
process.exit(med("accessibility") === 1 && med("performance") >= 0.9 ? 0 : 1);
