#!/usr/bin/env node
// Lighthouse 12.2.3 (mobile preset: simulated slow 4G and 4x CPU slowdown) on the exported chat page
// served by the Go server, with Debian's Chromium. Fails unless the median accessibility is 1.0 and
// the median performance at least 0.9. Lighthouse is fetched by npx on demand, not a dev dependency:
// it is large and only this benchmark needs it.
//
// --gzip puts a gzip-compressing proxy in front of the Go server, as CloudFront (Compress: true)
// serves the site in AWS; app/cmd/twin itself gzips text assets too.
//
// --path /owner/ measures another exported page (default: the chat page, /).
//
//   node scripts/lighthouse.mjs [--runs 3] [--gzip] [--path /owner/]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CHROMIUM_PATH, startTwin, twinBinary } from "../e2e/servers.mjs";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 3;
const gzip = args.includes("--gzip");
const path = args.includes("--path") ? (args[args.indexOf("--path") + 1] ?? "/") : "/";

function run(cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: "inherit", env });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

/** A proxy that gzips text responses, like a CDN edge in front of the origin. */
function gzipProxy(origin) {
  const server = createServer(async (req, res) => {
    const upstream = await fetch(origin + req.url, {
      method: req.method,
      headers: { accept: req.headers.accept ?? "*/*" },
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const headers = Object.fromEntries(upstream.headers);
    delete headers["content-length"];
    delete headers["content-encoding"];
    const compressible = /javascript|css|html|json|svg|text\/plain/.test(
      headers["content-type"] ?? "",
    );
    if (compressible && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
      const z = gzipSync(body, { level: 6 });
      res.writeHead(upstream.status, {
        ...headers,
        "content-encoding": "gzip",
        "content-length": z.length,
        vary: "Accept-Encoding",
      });
      res.end(z);
    } else {
      res.writeHead(upstream.status, { ...headers, "content-length": body.length });
      res.end(body);
    }
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    ),
  );
}
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
const proxy = gzip ? await gzipProxy(twin.url) : null;
const target = proxy ? proxy.url : twin.url;
console.log(
  `Lighthouse 12.2.3 mobile on ${target}${path} (${gzip ? "gzip proxy, as CloudFront" : "Go server as is"})`,
);
const dir = mkdtempSync(join(tmpdir(), "lighthouse-"));
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `run${i}.json`);
    // Async, not execFileSync: the gzip proxy runs in this process and must keep serving.
    await run(
      "npx",
      [
        "-y",
        "lighthouse@12.2.3",
        `${target}${path}`,
        "--only-categories=performance,accessibility",
        "--output=json",
        `--output-path=${out}`,
        `--chrome-flags=${flags}`,
        "--quiet",
      ],
      { ...process.env, CHROME_PATH: CHROMIUM_PATH },
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
  proxy?.close();
  await twin.stop();
}
const med = (k) =>
  [...results.map((r) => r[k])].sort((x, y) => x - y)[Math.floor(results.length / 2)];
console.log(
  `median of ${runs}: performance ${med("performance")} accessibility ${med("accessibility")} LCP ${med("lcp").toFixed(0)} ms TBT ${med("tbt").toFixed(0)} ms CLS ${med("cls").toFixed(3)}`,
);
process.exit(med("accessibility") === 1 && med("performance") >= 0.9 ? 0 : 1);
