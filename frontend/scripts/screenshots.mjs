#!/usr/bin/env node
// Screenshots of a real conversation with the offline twin, desktop and mobile, light and dark,
// into docs/screenshots/, then the owner view (owner-screenshots.mjs). Starts the Go server itself
// (see e2e/servers.mjs).
//
//   node scripts/screenshots.mjs            (needs `npm run build` and Go; TWIN_BIN to reuse a binary)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_DIR, startTwin, twinBinary } from "../e2e/servers.mjs";
import { ownerScreenshots } from "./owner-screenshots.mjs";

const outDir = join(REPO_DIR, "docs", "screenshots");
mkdirSync(outDir, { recursive: true });

const questions = [
  "What are you working on right now?",
  "What do you think about AI coding tools?",
];
const views = {
  desktop: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  mobile: {
    viewport: { width: 390, height: 780 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  },
};

const bin = twinBinary();
const twin = await startTwin({
  bin,
  name: "twin-shots",
  env: { OFFLINE_TOKEN_DELAY_MS: "0" },
});
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  // One conversation, then every view restores it from the server (as a reload would).
  const ctx = await browser.newContext(views.desktop);
  const page = await ctx.newPage();
  await page.goto(twin.url);
  await page.getByRole("heading", { level: 1 }).waitFor();
  await page.locator('[role="log"][aria-busy="false"]').waitFor({ state: "attached" });
  await page.getByRole("button", { name: questions[0] }).waitFor();
  await page.waitForTimeout(400); // let the entry animation settle
  await page.screenshot({ path: join(outDir, "chat-empty-desktop-light.png") });
  for (const q of questions) {
    await page.getByRole("textbox", { name: "Message" }).fill(q);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll('[data-role="assistant"][data-state="complete"]').length === n,
      questions.indexOf(q) + 1,
    );
  }
  const sessionId = await page.evaluate(() => localStorage.getItem("twin.session_id"));
  await ctx.close();

  for (const [view, opts] of Object.entries(views)) {
    for (const scheme of ["light", "dark"]) {
      const c = await browser.newContext({ ...opts, colorScheme: scheme });
      await c.addInitScript((id) => localStorage.setItem("twin.session_id", id), sessionId);
      const p = await c.newPage();
      await p.goto(twin.url);
      await p
        .locator('[data-role="assistant"]')
        .nth(questions.length - 1)
        .waitFor();
      await p
        .getByRole("textbox", { name: "Message" })
        .fill("Where can I read more about your projects?");
      await p.evaluate(
        () => document.activeElement instanceof HTMLElement && document.activeElement.blur(),
      );
      await p.waitForTimeout(300); // let the entry animation settle
      const file = join(outDir, `chat-${view}-${scheme}.png`);
      await p.screenshot({ path: file });
      console.log(file);
      await c.close();
    }
  }
  await ownerScreenshots(browser, bin, outDir);
} finally {
  await browser.close();
  await twin.stop();
}
