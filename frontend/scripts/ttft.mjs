#!/usr/bin/env node
// Time from Send to the first rendered token, in Chromium against the Go server with the offline
// responder (its default pacing; the first word is never delayed). Each run starts a new
// conversation, clicks Send, and records in the page: the click (capture listener) and the first
// animation frame after the first reply text reached the DOM (a MutationObserver, then rAF, which
// runs just before that text is painted). Also reports the server's own time to the first
// text-delta byte from Node, to separate network + server from the page's share.
//
//   node scripts/ttft.mjs [--runs 30]
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH, startTwin, twinBinary } from "../e2e/servers.mjs";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 30;
const question = "What are you working on right now?";

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) =>
  `median ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)} ms (n=${xs.length})`;

const twin = await startTwin({ bin: twinBinary(), name: "twin-ttft" });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  // Server side: POST to the first text-delta, from Node.
  const server = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = await fetch(`${twin.url}/api/chat/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: question, session_id: crypto.randomUUID() }),
    });
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      if (buf.includes('"text-delta"')) {
        server.push(performance.now() - t0);
        break;
      }
    }
    await reader.cancel();
  }

  const page = await (await browser.newContext()).newPage();
  await page.goto(twin.url);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.locator('[role="log"][aria-busy="false"]').waitFor({ state: "attached" });
  await page.waitForTimeout(500); // the send path loads on idle
  const ui = [];
  for (let i = 0; i < runs; i++) {
    await page.getByRole("textbox", { name: "Message" }).fill(question);
    const measured = page.evaluate(
      () =>
        new Promise((resolve) => {
          const send = document.querySelector('button[aria-label="Send"]');
          let t0 = 0;
          send.addEventListener(
            "click",
            () => {
              t0 = performance.now();
            },
            { capture: true, once: true },
          );
          const obs = new MutationObserver(() => {
            const el = document.querySelector('[data-role="assistant"][data-state="streaming"]');
            if (el && el.textContent.trim() !== "") {
              obs.disconnect();
              requestAnimationFrame(() => resolve(performance.now() - t0));
            }
          });
          obs.observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
            attributes: true,
          });
        }),
    );
    await page.getByRole("button", { name: "Send", exact: true }).click();
    ui.push(await measured);
    await page.waitForFunction(() => !!document.querySelector('button[aria-label="Send"]'));
    await page.getByRole("button", { name: "New conversation" }).click();
  }
  console.log(`server POST -> first text-delta byte (Node fetch): ${fmt(server)}`);
  console.log(`page   Send click -> first token rendered (Chromium): ${fmt(ui)}`);
} finally {
  await browser.close();
  await twin.stop();
}
