/**
 * End to end against the real Go server (offline responder): send, watch the reply stream, stop,
 * reload and see the history, a 429, and axe-core on the page in light and dark mode.
 */
import { createHash } from "node:crypto";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ChatPage } from "./chat-page";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./servers.mjs";

const baseURL = inject("baseURL");
const limitedURL = inject("limitedURL");
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

async function open(
  url = baseURL,
  opts: { colorScheme?: "light" | "dark"; mobile?: boolean } = {},
): Promise<ChatPage> {
  const context = await browser.newContext({
    colorScheme: opts.colorScheme ?? "light",
    ...(opts.mobile
      ? {
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
          deviceScaleFactor: 2,
        }
      : { viewport: { width: 1280, height: 800 } }),
  });
  const chat = new ChatPage(await context.newPage());
  await chat.goto(url);
  return chat;
}

describe("chat page on the Go server", () => {
  it("shows the persona with the accessible names and no axe violations", async () => {
    const chat = await open();
    const persona = (await (await fetch(`${baseURL}/api/persona`)).json()) as {
      name: string;
      starters: string[];
    };
    await expect(chat.page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      persona.name,
    );
    expect(await chat.input.isVisible()).toBe(true);
    expect(await chat.send.isVisible()).toBe(true);
    expect(await chat.log.getAttribute("aria-live")).toBe("polite");
    for (const q of persona.starters.slice(0, 4)) {
      expect(await chat.page.getByRole("button", { name: q }).isVisible()).toBe(true);
    }
    expect(await chat.axe()).toEqual([]);
    await chat.page.context().close();
  });

  it("sends a message and renders the reply as it streams", async () => {
    const chat = await open();
    const request = chat.page.waitForRequest((r) => r.url().endsWith("/api/chat/stream"));
    await chat.ask("What are you working on right now?");
    // The body's SHA-256 rides along, as CloudFront's signed path to the function URL needs.
    const sent = await request;
    expect(sent.headers()["x-amz-content-sha256"]).toBe(
      createHash("sha256")
        .update(sent.postData() ?? "", "utf8")
        .digest("hex"),
    );
    await chat.stop.waitFor();
    expect(await chat.log.getAttribute("aria-busy")).toBe("true");
    // Catch the reply part-way: some text, not yet done.
    await chat.page.waitForFunction(() => {
      const el = document.querySelector(
        '[data-role="assistant"][data-state="streaming"] [data-part="text"]',
      );
      return (el?.textContent ?? "").trim().split(/\s+/).length >= 3;
    });
    const partial = await chat.lastReplyText();
    await chat.waitForReply();
    const final = await chat.lastReplyText();
    expect(final.length).toBeGreaterThan(partial.length);
    expect(final.startsWith(partial)).toBe(true);
    expect(await chat.log.getAttribute("aria-busy")).toBe("false");

    // What streamed is what the server stored.
    const id = await chat.page.evaluate(() => localStorage.getItem("twin.session_id"));
    const history = (await (await fetch(`${baseURL}/api/chat/history/${id}`)).json()) as {
      messages: { role: string; content: string }[];
    };
    expect(history.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    const squash = (t: string) => t.replace(/\s+/g, " ").trim();
    expect(squash(final)).toBe(squash(history.messages[1]?.content ?? ""));
    expect(await chat.axe()).toEqual([]);

    // Thumbs up reaches the owner's summary (open on a local twin).
    const summary = async () =>
      ((await (await fetch(`${baseURL}/api/owner/summary`)).json()) as { thumbs_up: number })
        .thumbs_up;
    const before = await summary();
    const up = chat.lastReply().getByRole("button", { name: "Good reply" });
    const recorded = chat.page.waitForResponse((r) => r.url().endsWith("/api/feedback"));
    await up.click();
    expect((await recorded).status()).toBe(204);
    expect(await up.getAttribute("aria-pressed")).toBe("true");
    expect(await summary()).toBe(before + 1);
    await chat.page.context().close();
  });

  it("Stop aborts the reply and keeps what arrived", async () => {
    const chat = await open();
    await chat.ask("Tell me about your career, your projects and what you think about software.");
    await chat.page.waitForFunction(() => {
      const el = document.querySelector(
        '[data-role="assistant"][data-state="streaming"] [data-part="text"]',
      );
      return (el?.textContent ?? "").trim().split(/\s+/).length >= 2;
    });
    await chat.stop.click();
    await chat.log.getByText("Stopped", { exact: true }).waitFor();
    await chat.send.waitFor();
    const stopped = await chat.lastReplyText();
    await chat.page.waitForTimeout(400); // ten more words' worth of time at 40 ms a word
    expect(await chat.lastReplyText()).toBe(stopped);
    expect(await chat.lastReply().getAttribute("data-state")).toBe("stopped");
    await chat.page.context().close();
  });

  it("Enter sends and Esc stops", async () => {
    const chat = await open();
    await chat.input.fill("How did you get into software?");
    await chat.input.press("Enter");
    await chat.stop.waitFor();
    await chat.page.waitForFunction(
      () => !!document.querySelector('[data-role="assistant"][data-state="streaming"]'),
    );
    await chat.page.keyboard.press("Escape");
    await chat.log.getByText("Stopped", { exact: true }).waitFor();
    await chat.page.context().close();
  });

  it("keeps the conversation across a reload", async () => {
    const chat = await open();
    await chat.ask("My favourite colour is teal. What is my favourite colour?");
    await chat.waitForReply();
    const reply = await chat.lastReplyText();
    const id = await chat.page.evaluate(() => localStorage.getItem("twin.session_id"));

    await chat.page.reload();
    await chat.log.getByText("My favourite colour is teal. What is my favourite colour?").waitFor();
    expect(await chat.lastReplyText()).toBe(reply);
    expect(await chat.page.evaluate(() => localStorage.getItem("twin.session_id"))).toBe(id);

    // New conversation: an empty transcript and a different session id.
    await chat.page.getByRole("button", { name: "New conversation" }).click();
    expect(await chat.replies.count()).toBe(0);
    expect(await chat.page.evaluate(() => localStorage.getItem("twin.session_id"))).not.toBe(id);
    await chat.page.context().close();
  });

  it("starts cleanly when the stored session is unknown", async () => {
    const chat = await open();
    const unknown = "00000000-0000-4000-8000-000000000000";
    await chat.page.evaluate((id) => localStorage.setItem("twin.session_id", id), unknown);
    await chat.goto(baseURL);
    expect(await chat.replies.count()).toBe(0);
    expect(await chat.alert.count()).toBe(0);
    expect(await chat.page.evaluate(() => localStorage.getItem("twin.session_id"))).not.toBe(
      unknown,
    );
    await chat.ask("Hello?");
    await chat.waitForReply();
    await chat.page.context().close();
  });

  it("explains a 429 with the time to wait", async () => {
    // RATE_LIMIT_PER_MINUTE=2: the persona request and one message use the budget up.
    const chat = await open(limitedURL);
    await chat.ask("Hello!");
    await chat.waitForReply();
    await chat.ask("Hello again!");
    await chat.alert.waitFor();
    expect(await chat.alert.textContent()).toMatch(
      /sending messages faster than I can answer\. Please try again in \d+ seconds\./,
    );
    expect(await chat.alert.getByRole("button", { name: "Try again" }).isVisible()).toBe(true);
    await chat.page.context().close();
  });

  it("works on a phone in dark mode, without axe violations or sideways scrolling", async () => {
    const chat = await open(baseURL, { colorScheme: "dark", mobile: true });
    expect(await chat.axe()).toEqual([]);
    await chat.ask("What do you think about AI coding tools?");
    await chat.waitForReply();
    expect(await chat.axe()).toEqual([]);
    const overflow = await chat.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await chat.page.context().close();
  });

  it("answers unknown paths with the export's 404 page", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${baseURL}/no-such-page/`);
    expect(res?.status()).toBe(404);
    await page.getByRole("heading", { name: "This page doesn't exist." }).waitFor();
    expect(await page.getByRole("link", { name: "Back to the chat" }).getAttribute("href")).toBe(
      "/",
    );
    await context.close();
  });
});
