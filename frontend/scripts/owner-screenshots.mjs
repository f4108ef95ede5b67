#!/usr/bin/env node
// Screenshots of the owner view (/owner/) into docs/screenshots/owner-desktop-light.png and
// owner-mobile-dark.png, from a real local run: a fresh Go server (offline responder), visitors
// chatting through the API (leads, unanswered questions, ratings with a reason), then the page in
// Chromium. Everything is produced live, so the chart shows today's leads only (the owner records
// keep running totals, ADR 0014: records written by hand with past dates are not counted).
//
//   node scripts/owner-screenshots.mjs      (needs `npm run build` and Go; TWIN_BIN to reuse a binary)
//   (scripts/screenshots.mjs runs it too)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_DIR, startTwin, twinBinary } from "../e2e/servers.mjs";

const visitors = [
  [
    "My name is Bob Stone",
    "I'd like to get in touch with you",
    "Sure, it's bob@example.com. It's about a consulting project for our data team.",
  ],
  ["What are you working on right now?", "What is your favourite football team?"],
  [
    "What are you working on right now?",
    "I'd like to get in touch with you",
    "Sure: carol@example.org. We're hiring for a staff engineer role.",
  ],
  [
    "What are you working on right now?",
    "Do you have any pets?",
    "What is your favourite football team?",
  ],
  ["What do you think about AI coding tools?", "Do you speak Japanese?"],
  ["What do you think about AI coding tools?"],
];

async function chat(url, sessionId, message) {
  const res = await fetch(`${url}/api/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message, session_id: sessionId, stream: false }),
  });
  if (!res.ok) throw new Error(`chat ${res.status}: ${await res.text()}`);
  return res.json();
}

async function rate(url, sessionId, messageId, rating, reason) {
  const res = await fetch(`${url}/api/feedback`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: sessionId, message_id: messageId, rating, reason }),
  });
  if (!res.ok) throw new Error(`feedback ${res.status}: ${await res.text()}`);
}

/** Takes the owner screenshots with `browser` against a fresh server built from `bin`. */
export async function ownerScreenshots(browser, bin, outDir) {
  const twin = await startTwin({
    bin,
    name: "twin-owner-shots",
    env: { OFFLINE_TOKEN_DELAY_MS: "0" },
  });
  try {
    const sessions = [];
    /** Each session's reply ids, in order. */
    const replies = [];
    for (const turns of visitors) {
      const id = crypto.randomUUID();
      sessions.push(id);
      const ids = [];
      for (const t of turns) ids.push((await chat(twin.url, id, t)).message_id);
      replies.push(ids);
    }
    // Three helpful replies, one not (with the visitor's reason).
    await rate(twin.url, sessions[1], replies[1][0], "up");
    await rate(twin.url, sessions[3], replies[3][0], "up");
    await rate(twin.url, sessions[4], replies[4][0], "up");
    await rate(twin.url, sessions[4], replies[4][1], "down", "I asked about Japanese, not my name");

    const shots = [
      ["owner-desktop-light.png", { viewport: { width: 1280, height: 800 } }, "light"],
      [
        "owner-mobile-dark.png",
        {
          viewport: { width: 390, height: 780 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
        },
        "dark",
      ],
    ];
    for (const [file, opts, colorScheme] of shots) {
      const ctx = await browser.newContext({ ...opts, colorScheme });
      const page = await ctx.newPage();
      await page.goto(`${twin.url}/owner/`);
      await page.getByRole("heading", { name: "Leads per day" }).waitFor();
      await page.waitForTimeout(200);
      const path = join(outDir, file);
      await page.screenshot({ path, fullPage: true });
      console.log(path);
      await ctx.close();
    }
  } finally {
    await twin.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outDir = join(REPO_DIR, "docs", "screenshots");
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    await ownerScreenshots(browser, twinBinary(), outDir);
  } finally {
    await browser.close();
  }
}
