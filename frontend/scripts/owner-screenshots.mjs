#!/usr/bin/env node
// Screenshots of the owner view (/owner/) into docs/screenshots/owner-desktop-light.png and
// owner-mobile-dark.png, from a real local run: a fresh Go server (offline responder), visitors
// chatting through the API (leads, unanswered questions, ratings), then the page in Chromium.
// The only thing not produced live is the history of earlier days for the chart: a few lead records
// in the server's own format (leads/<session>/<time>.json, as app/owner writes them) dated over
// the past two weeks, since a server cannot be made to record leads in the past.
//
//   node scripts/owner-screenshots.mjs      (needs `npm run build` and Go; TWIN_BIN to reuse a binary)
//   (scripts/screenshots.mjs runs it too)
import { mkdirSync, writeFileSync } from "node:fs";
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

const earlier = [
  [12, "dana@example.net", "Dana Whitfield", "Speaking at our meetup in March"],
  [9, "eli@example.com", "", "Podcast interview"],
  [9, "farah@example.org", "Farah", ""],
  [6, "gus@example.com", "", "Question about the Go talk"],
  [4, "hana@example.net", "Hana Ito", "Advisory role at a seed-stage startup"],
  [4, "ivan@example.com", "", ""],
  [4, "jo@example.org", "Jo", "Collaboration on the open-source tool"],
  [2, "kim@example.com", "Kim Park", "Guest lecture"],
  [1, "lee@example.net", "", "Coffee chat next time you're in Berlin"],
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

async function rate(url, sessionId, messageIndex, rating) {
  const res = await fetch(`${url}/api/feedback`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ session_id: sessionId, message_index: messageIndex, rating }),
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
    for (const turns of visitors) {
      const id = crypto.randomUUID();
      sessions.push(id);
      for (const t of turns) await chat(twin.url, id, t);
    }
    // Replies are the odd message indexes: three helpful, one not.
    await rate(twin.url, sessions[1], 1, "up");
    await rate(twin.url, sessions[3], 1, "up");
    await rate(twin.url, sessions[4], 1, "up");
    await rate(twin.url, sessions[4], 3, "down");

    const now = Date.now();
    earlier.forEach(([daysAgo, email, name, note], i) => {
      const session = crypto.randomUUID();
      const at = new Date(now - daysAgo * 86_400_000 - (i % 3) * 3_600_000);
      const dir = join(twin.dataDir, "leads", session);
      mkdirSync(dir, { recursive: true });
      const lead = { session_id: session, email, timestamp: at.toISOString() };
      if (name) lead.name = name;
      if (note) lead.note = note;
      writeFileSync(
        join(dir, `${at.toISOString().replace(/[:.]/g, "")}.json`),
        JSON.stringify(lead),
      );
    });

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
