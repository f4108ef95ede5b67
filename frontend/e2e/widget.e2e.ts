/**
 * The embeddable widget in Chromium: a host page on another origin (another port) loads
 * /widget.js from the real Go server; the launcher opens a dialog framing the embed page, a reply
 * streams in it, Esc closes it, the conversation is kept across reopening and host page loads,
 * axe-core finds nothing inside or outside, and a host page not in EMBED_ALLOWED_ORIGINS cannot
 * frame the chat.
 */
import { type Browser, chromium, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axe } from "./axe";
import { serveHostSite } from "./host-site.mjs";
import { CHROMIUM_ARGS, CHROMIUM_PATH, startTwin, twinBinary } from "./servers.mjs";

let browser: Browser;
let twin: Awaited<ReturnType<typeof startTwin>>;
let allowed: string; // a host page origin in EMBED_ALLOWED_ORIGINS
let other: string; // one that is not
const hosts: { origin: string; close: () => void }[] = [];
let name = "";

let twinURL = ""; // read per request: the host origins go in the twin's config before it starts

beforeAll(async () => {
  const [a, b] = [await serveHostSite(() => twinURL), await serveHostSite(() => twinURL)];
  hosts.push(a, b);
  [allowed, other] = [a.origin, b.origin];
  twin = await startTwin({
    bin: twinBinary(),
    name: "twin-widget",
    env: { OFFLINE_TOKEN_DELAY_MS: "40", EMBED_ALLOWED_ORIGINS: allowed },
  });
  twinURL = twin.url;
  name = ((await (await fetch(`${twin.url}/api/persona`)).json()) as { name: string }).name;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await twin?.stop();
  for (const s of hosts) s.close();
});

async function newPage(mobile = false): Promise<Page> {
  const context = await browser.newContext(
    mobile
      ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 } },
  );
  return context.newPage();
}

/** The embed page's frame once it has loaded in the dialog. */
async function embedFrame(page: Page): Promise<Frame> {
  await page.frameLocator("iframe").getByRole("textbox", { name: "Message" }).waitFor();
  const frame = page.frames().find((f) => f.url().endsWith("/embed/"));
  if (!frame) throw new Error("no embed frame");
  return frame;
}

/** Whether el has the focus (looking through the widget's shadow root). */
const focused = (page: Page, role: "launcher" | "frame") =>
  page.evaluate((r) => {
    const root = document.querySelector("[data-twin-widget]")?.shadowRoot;
    const el = r === "launcher" ? root?.querySelector("button") : root?.querySelector("iframe");
    return document.activeElement?.hasAttribute("data-twin-widget") && root?.activeElement === el;
  }, role);

describe("widget on a host page of another origin", () => {
  it("adds one global and a launcher, with no layout shift and no axe violations", async () => {
    const page = await newPage();
    await page.goto(`${allowed}/plain`);
    const before = await page.evaluate(() => Object.keys(window));
    await page.goto(`${allowed}/`);
    const launcher = page.getByRole("button", { name: `Chat with ${name}` });
    await launcher.waitFor();
    const added = await page.evaluate(
      (b) => Object.keys(window).filter((k) => !b.includes(k)),
      before,
    );
    expect(added).toEqual(["TwinWidget"]);
    const shift = await page.evaluate(
      () =>
        new Promise<number>((r) => {
          let sum = 0;
          new PerformanceObserver((l) => {
            for (const e of l.getEntries()) sum += (e as unknown as { value: number }).value;
          }).observe({ type: "layout-shift", buffered: true });
          requestAnimationFrame(() => requestAnimationFrame(() => r(sum)));
        }),
    );
    expect(shift).toBe(0);
    expect(await launcher.getAttribute("aria-expanded")).toBe("false");
    expect(await axe(page)).toEqual([]);
    await page.context().close();
  });

  it("opens, streams a reply, closes on Esc, and keeps the conversation across reopen and reload", async () => {
    const page = await newPage();
    await page.goto(`${allowed}/`);
    const launcher = page.getByRole("button", { name: `Chat with ${name}` });
    await launcher.click();
    const dialog = page.getByRole("dialog", { name: `Chat with ${name}` });
    await dialog.waitFor();
    let frame = await embedFrame(page);
    expect(await focused(page, "frame")).toBe(true);
    expect(await axe(frame)).toEqual([]);
    expect(await axe(page)).toEqual([]);

    const question = "What are you working on right now?";
    await frame.getByRole("textbox", { name: "Message" }).fill(question);
    await frame.getByRole("button", { name: "Send", exact: true }).click();
    await frame.getByRole("button", { name: "Stop", exact: true }).waitFor();
    await frame.waitForFunction(() => {
      const el = document.querySelector(
        '[data-role="assistant"][data-state="streaming"] [data-part="text"]',
      );
      return (el?.textContent ?? "").trim().split(/\s+/).length >= 3;
    });
    const reply = frame.locator('[data-role="assistant"][data-state="complete"]');
    await reply.waitFor({ timeout: 20_000 });
    const text = ((await reply.locator('[data-part="text"]').textContent()) ?? "").trim();
    expect(text.length).toBeGreaterThan(20);

    // Esc from inside the frame closes the dialog and gives the focus back to the launcher.
    await frame.getByRole("textbox", { name: "Message" }).press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await focused(page, "launcher")).toBe(true);
    expect(await launcher.getAttribute("aria-expanded")).toBe("false");

    // Reopened: the same conversation, and "Close chat" closes it too.
    await launcher.click();
    expect(await frame.getByRole("log").getByText(question).isVisible()).toBe(true);
    await page.getByRole("button", { name: "Close chat" }).click();
    await dialog.waitFor({ state: "hidden" });

    // A new page load of the host site finds the conversation in the twin origin's storage.
    await page.reload();
    await launcher.click();
    frame = await embedFrame(page);
    await frame.getByRole("log").getByText(question).waitFor();
    expect(await frame.getByRole("log").getByText(text.slice(0, 40)).count()).toBeGreaterThan(0);
    // "New conversation" inside starts afresh.
    await frame.getByRole("button", { name: "New conversation" }).click();
    await frame.getByRole("log").getByText(question).waitFor({ state: "detached" });
    await page.context().close();
  });

  it("keeps the focus in the dialog while it is open", async () => {
    const page = await newPage();
    await page.goto(`${allowed}/`);
    await page.getByRole("button", { name: `Chat with ${name}` }).click();
    await embedFrame(page);
    const where = () =>
      page.evaluate(() => {
        const a = document.activeElement;
        if (!a?.hasAttribute("data-twin-widget")) return a?.tagName ?? "none";
        return a.shadowRoot?.activeElement?.tagName === "IFRAME" ? "chat" : "close";
      });
    const seen = new Set<string>();
    for (const key of [...Array(14).fill("Tab"), ...Array(14).fill("Shift+Tab")]) {
      await page.keyboard.press(key);
      seen.add(await where());
    }
    // Round and round between the chat and "Close chat": never the host page or the browser.
    expect([...seen].sort()).toEqual(["chat", "close"]);
    // Esc on the host page's side of the dialog (the browser's own cancel) closes it too.
    await page.getByRole("button", { name: "Close chat" }).focus();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    expect(await focused(page, "launcher")).toBe(true);
    await page.context().close();
  });

  it("takes its options from data- attributes and fills a phone screen", async () => {
    const page = await newPage(true);
    await page.goto(`${allowed}/?position=left&open=true&label=${encodeURIComponent("Ask me")}`);
    const dialog = page.getByRole("dialog", { name: `Chat with ${name}` });
    await dialog.waitFor();
    await embedFrame(page);
    const box = await dialog.boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 390, height: 844 });
    await page.getByRole("button", { name: "Close chat" }).click();
    const launcher = page.getByRole("button", { name: "Ask me" });
    const lbox = await launcher.boundingBox();
    expect(lbox && lbox.x < 195).toBe(true);
    await page.context().close();
  });

  it("says so on the launcher and in the dialog when the twin is down", async () => {
    const page = await newPage();
    // The loader came from the twin (or the browser's cache); then nothing answers.
    await page.route(`${twinURL}/api/**`, (r) => r.abort());
    await page.route(`${twinURL}/embed/**`, (r) => r.abort());
    await page.goto(`${allowed}/?timeout-ms=1500`);
    const launcher = page.getByRole("button", { name: `Chat with ${name}` });
    const offline = page.getByRole("button", { name: `Chat with ${name} (offline)`, exact: true });
    await offline.waitFor();
    await launcher.click();
    await page.getByText(`Chat with ${name} is unavailable right now`).waitFor();
    expect(await axe(page)).toEqual([]);
    // Back up: the next open tries again and the chat appears.
    await page.unrouteAll();
    await page.getByRole("button", { name: "Close chat" }).click();
    await launcher.click();
    await embedFrame(page);
    await page.getByText(`Chat with ${name} is unavailable right now`).waitFor({ state: "hidden" });
    expect(await offline.count()).toBe(0);
    expect(await page.getByRole("button", { name: `Chat with ${name}`, exact: true }).count()).toBe(
      1,
    );
    await page.context().close();
  });

  it("cannot be framed by a host page outside EMBED_ALLOWED_ORIGINS", async () => {
    const res = await fetch(`${twin.url}/embed/`);
    expect(res.headers.get("content-security-policy")).toBe(`frame-ancestors ${allowed}`);
    const page = await newPage();
    await page.goto(`${other}/?timeout-ms=1500`);
    await page.getByRole("button", { name: `Chat with ${name}` }).click();
    await page.getByText(`Chat with ${name} is unavailable right now`).waitFor();
    expect(
      await page.frameLocator("iframe").getByRole("textbox", { name: "Message" }).count(),
    ).toBe(0);
    await page.context().close();
  });
});
