#!/usr/bin/env node
// Screenshots of the embeddable widget on a host site of another origin, into docs/screenshots/:
// the launcher, the open dialog after a streamed reply (desktop), and the full-screen dialog on a
// phone. Starts the Go server and the host site itself (e2e/servers.mjs, e2e/host-site.mjs).
//
//   node scripts/widget-screenshots.mjs     (needs `npm run build` and Go; TWIN_BIN to reuse a binary)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serveHostSite } from "../e2e/host-site.mjs";
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_DIR, startTwin, twinBinary } from "../e2e/servers.mjs";

const outDir = join(REPO_DIR, "docs", "screenshots");
mkdirSync(outDir, { recursive: true });

let twinURL = "";
const host = await serveHostSite(() => twinURL);
const twin = await startTwin({
  bin: twinBinary(),
  name: "twin-widget-shots",
  env: { OFFLINE_TOKEN_DELAY_MS: "0", EMBED_ALLOWED_ORIGINS: host.origin },
});
twinURL = twin.url;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${host.origin}/`);
  const launcher = page.getByRole("button", { name: /^Chat with / });
  await launcher.waitFor();
  await page.screenshot({ path: join(outDir, "widget-launcher-desktop.png") });
  await launcher.click();
  const frame = page.frameLocator("iframe");
  await frame.getByRole("textbox", { name: "Message" }).fill("What are you working on right now?");
  await frame.getByRole("button", { name: "Send", exact: true }).click();
  await frame.locator('[data-role="assistant"][data-state="complete"]').waitFor();
  await frame.getByRole("button", { name: "Send", exact: true }).waitFor();
  await page.waitForTimeout(400); // let the entry animation settle
  await page.screenshot({ path: join(outDir, "widget-open-desktop.png") });

  const phone = await browser.newContext({
    viewport: { width: 390, height: 780 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const mobile = await phone.newPage();
  await mobile.goto(`${host.origin}/?open=true`);
  const inside = mobile.frameLocator("iframe");
  await inside.getByRole("textbox", { name: "Message" }).fill("How do you like to work?");
  await inside.getByRole("button", { name: "Send", exact: true }).click();
  await inside.locator('[data-role="assistant"][data-state="complete"]').waitFor();
  await mobile.waitForTimeout(400);
  await mobile.screenshot({ path: join(outDir, "widget-open-mobile.png") });
  console.log(`widget screenshots in ${outDir}`);
} finally {
  await browser.close();
  await twin.stop();
  host.close();
}
