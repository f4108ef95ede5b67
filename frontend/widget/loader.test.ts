/**
 * The widget's loader (app/httpapi/widget.js, served as GET /widget.js) in jsdom: the shipped
 * file itself, with the name filled in as the Go server does. Chromium runs it for real in
 * e2e/widget.e2e.ts; here the options, the messages it accepts, the down states and the budget.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { HttpResponse, http } from "msw";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { server } from "@/test/server";

const TWIN = "https://twin.example";
const source = readFileSync(
  resolve(dirname(fileURLToPath(import.meta.url)), "../../app/httpapi/widget.js"),
  "utf8",
);

type Global = typeof window & { TwinWidget?: { open(): void; close(): void } };
const win = window as Global;

beforeAll(() => {
  // jsdom has <dialog> without showModal/close: what the loader relies on (Chromium runs the rest).
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    if (!this.open) return;
    this.removeAttribute("open");
    this.dispatchEvent(new Event("close"));
  };
});

afterEach(() => {
  for (const el of document.querySelectorAll("[data-twin-widget], script")) el.remove();
  delete win.TwinWidget;
  vi.useRealTimers();
});

/** Adds the snippet and runs the loader as the browser would after parsing the page. */
function load(data: Record<string, string> = {}, name = "Ada Lovelace") {
  server.use(http.get(`${TWIN}/api/health`, () => HttpResponse.json({ status: "healthy" })));
  const script = document.createElement("script");
  script.src = `${TWIN}/widget.js`;
  script.defer = true;
  Object.assign(script.dataset, data);
  document.body.appendChild(script);
  new Function(source.replace('"__TWIN_NAME__"', JSON.stringify(name)))();
  const root = document.querySelector("[data-twin-widget]")?.shadowRoot;
  if (!root) throw new Error("no widget");
  const launcher = root.querySelector("button") as HTMLButtonElement;
  const dialog = root.querySelector("dialog") as HTMLDialogElement;
  return { root, launcher, dialog, frame: () => root.querySelector("iframe") };
}

function fromFrame(frame: HTMLIFrameElement | null, type: string, origin = TWIN) {
  window.dispatchEvent(
    new MessageEvent("message", { data: { type }, origin, source: frame?.contentWindow }),
  );
}

describe("widget loader", () => {
  it("adds a launcher named after the persona and one global", () => {
    const before = new Set(Object.keys(window));
    const { launcher, dialog } = load();
    expect(launcher.textContent).toContain("Chat with Ada Lovelace");
    expect(launcher.getAttribute("aria-haspopup")).toBe("dialog");
    expect(launcher.getAttribute("aria-expanded")).toBe("false");
    expect(dialog.open).toBe(false);
    expect(Object.keys(window).filter((k) => !before.has(k))).toEqual(["TwinWidget"]);
    // Out of the page's flow: fixed, no size.
    const host = document.querySelector<HTMLElement>("[data-twin-widget]");
    expect(host?.style.position).toBe("fixed");
    expect(host?.style.width).toBe("0px");
  });

  it("takes the label, the side and open-on-load from data- attributes", () => {
    const { root, launcher, dialog } = load({ label: "Ask me", position: "left", open: "true" });
    expect(launcher.textContent).toContain("Ask me");
    expect(root.querySelector("style")?.textContent).toContain(
      ".l{position:fixed;bottom:20px;left:20px",
    );
    expect(dialog.open).toBe(true);
  });

  it("says 'the twin' when the server had no name", () => {
    expect(load({}, "").launcher.textContent).toContain("Chat with the twin");
  });

  it("opens a dialog framing the embed page, and closes on the frame's Esc and on Close chat", () => {
    const { root, launcher, dialog, frame } = load();
    launcher.click();
    expect(dialog.open).toBe(true);
    expect(dialog.getAttribute("aria-labelledby")).toBe("t");
    expect(root.getElementById("t")?.textContent).toBe("Chat with Ada Lovelace");
    expect(frame()?.src).toBe(`${TWIN}/embed/`);
    expect(frame()?.title).toBe("Chat with Ada Lovelace");
    expect(launcher.getAttribute("aria-expanded")).toBe("true");
    expect(root.activeElement).toBe(frame());

    fromFrame(frame(), "twin:close", "https://evil.example"); // another origin: ignored
    expect(dialog.open).toBe(true);
    fromFrame(frame(), "twin:close");
    expect(dialog.open).toBe(false);
    expect(root.activeElement).toBe(launcher);
    expect(launcher.getAttribute("aria-expanded")).toBe("false");

    const kept = frame();
    win.TwinWidget?.open();
    expect(frame()).toBe(kept); // the same frame, so the same conversation
    (root.querySelector('[aria-label="Close chat"]') as HTMLButtonElement).click();
    expect(dialog.open).toBe(false);
    expect(root.activeElement).toBe(launcher);
  });

  it("runs once when the snippet is on the page twice", () => {
    load();
    new Function(source)();
    expect(document.querySelectorAll("[data-twin-widget]")).toHaveLength(1);
  });

  it("says the chat is unavailable when the embed page does not answer, until it does", () => {
    vi.useFakeTimers();
    const { root, launcher, frame } = load({ timeoutMs: "3000" });
    launcher.click();
    const status = root.querySelector('[role="status"]') as HTMLElement;
    expect(status.hidden).toBe(true);
    vi.advanceTimersByTime(3000);
    expect(status.hidden).toBe(false);
    expect(status.textContent).toBe(
      "Chat with Ada Lovelace is unavailable right now. Please try again later.",
    );
    expect(launcher.hasAttribute("data-down")).toBe(true); // shows " (offline)" in its name
    fromFrame(frame(), "twin:ready");
    expect(status.hidden).toBe(true);
    expect(launcher.hasAttribute("data-down")).toBe(false);
    expect(frame()?.hidden).toBe(false);
  });

  it("says so on the launcher when the twin cannot be reached at all", async () => {
    const { launcher } = load();
    server.use(http.get(`${TWIN}/api/health`, () => HttpResponse.error()));
    // The probe started during load with the healthy handler; load again with the failing one.
    for (const el of document.querySelectorAll("[data-twin-widget], script")) el.remove();
    delete win.TwinWidget;
    const script = document.createElement("script");
    script.src = `${TWIN}/widget.js`;
    document.body.appendChild(script);
    new Function(source)();
    const again = document.querySelector("[data-twin-widget]")?.shadowRoot?.querySelector("button");
    await vi.waitFor(() => expect(again?.hasAttribute("data-down")).toBe(true));
    expect(launcher.isConnected).toBe(false);
  });

  it("on a phone, sizes the dialog to the viewport the keyboard leaves", () => {
    const viewport = Object.assign(new EventTarget(), { height: 800, offsetTop: 0 });
    Object.defineProperty(window, "visualViewport", { value: viewport, configurable: true });
    vi.stubGlobal("matchMedia", (q: string) => ({ matches: q === "(max-width:639px)" }));
    try {
      const { launcher, dialog } = load();
      launcher.click();
      expect(dialog.style.height).toBe("800px");
      Object.assign(viewport, { height: 420, offsetTop: 12 }); // the keyboard came up
      viewport.dispatchEvent(new Event("resize"));
      expect([dialog.style.height, dialog.style.top]).toEqual(["420px", "12px"]);
    } finally {
      vi.unstubAllGlobals();
      Reflect.deleteProperty(window, "visualViewport");
    }
  });

  it("stays within 5 KiB gzipped", () => {
    expect(gzipSync(source, { level: 9 }).length).toBeLessThanOrEqual(5 * 1024);
  });
});
