import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { SESSION_KEY } from "@/lib/session";
import { fastRetry, heldStream, ready } from "@/test/chat";
import { apiError, persona, SESSION, server, sseFrames, streamResponse } from "@/test/server";
import { Chat } from "./chat";

describe("Chat", () => {
  it("shows the persona's name, greeting and starters with the accessible names", async () => {
    await ready();
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(persona.name);
    expect(screen.getByText(persona.greeting)).toBeInTheDocument();
    for (const q of persona.starters) expect(screen.getByRole("button", { name: q })).toBeVisible();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    const log = screen.getByRole("log");
    expect(log).toHaveAttribute("aria-live", "polite");
  });

  it("renders the reply progressively, with Stop while streaming", async () => {
    // Hold after the first delta: frames are start, text-start, delta 1, delta 2, ...
    const s = heldStream(["Hello", " there", "."], 3);
    const { user, input } = await ready();
    await user.type(input, "Who are you?");
    await user.click(screen.getByRole("button", { name: "Send" }));

    const log = screen.getByRole("log");
    await within(log).findByText("Who are you?");
    await within(log).findByText("Hello");
    expect(log).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("button", { name: "Stop" })).toBeVisible();
    expect(input).toHaveValue("");

    s.release();
    await within(log).findByText("Hello there.");
    expect(await screen.findByRole("button", { name: "Send" })).toBeInTheDocument();
    expect(log).toHaveAttribute("aria-busy", "false");
    expect(window.localStorage.getItem(SESSION_KEY)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("Stop aborts the request and keeps the partial reply", async () => {
    const s = heldStream(["Partial", " never"], 3);
    const { user, input } = await ready();
    await user.type(input, "Tell me a story");
    await user.keyboard("{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Partial");
    await user.click(screen.getByRole("button", { name: "Stop" }));
    await within(log).findByText("Stopped");
    expect(within(log).getByText("Partial")).toBeInTheDocument();
    expect(s.wasAborted()).toBe(true);
    expect(screen.getByRole("button", { name: "Send" })).toBeInTheDocument();
    s.release();
  });

  it("Esc stops, Enter sends, Shift+Enter adds a new line", async () => {
    const s = heldStream(["One"], 3);
    const { user, input } = await ready();
    await user.type(input, "line one{Shift>}{Enter}{/Shift}line two");
    expect(input).toHaveValue("line one\nline two");
    await user.keyboard("{Enter}");
    await within(screen.getByRole("log")).findByText("One");
    await user.keyboard("{Escape}");
    await within(screen.getByRole("log")).findByText("Stopped");
    s.release();
  });

  it("sends a starter question", async () => {
    const { user } = await ready();
    await user.click(screen.getByRole("button", { name: persona.starters[0] }));
    const log = screen.getByRole("log");
    await within(log).findByText(persona.starters[0] as string);
    await within(log).findByText("Hello, world.");
  });

  it("shows 'Still thinking…' when the first token is slow", async () => {
    const s = heldStream(["Finally"], 2);
    const user = userEvent.setup();
    render(<Chat baseUrl="" slowAfterMs={20} retry={fastRetry} />);
    const input = await screen.findByRole("textbox", { name: "Message" });
    await waitFor(() => expect(screen.getByRole("log")).toHaveAttribute("aria-busy", "false"));
    await user.type(input, "hard question{Enter}");
    await screen.findByText("Still thinking…");
    s.release();
    await within(screen.getByRole("log")).findByText("Finally");
    expect(screen.queryByText("Still thinking…")).not.toBeInTheDocument();
  });

  it("gives up with a timeout notice", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        streamResponse(sseFrames(["never"]), { gate: () => new Promise(() => {}) }),
      ),
    );
    const user = userEvent.setup();
    render(<Chat baseUrl="" timeoutMs={40} retry={fastRetry} />);
    const input = await screen.findByRole("textbox", { name: "Message" });
    await waitFor(() => expect(screen.getByRole("log")).toHaveAttribute("aria-busy", "false"));
    await user.type(input, "hello?{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("took too long");
  });

  it("retries before the first token and then answers", async () => {
    let calls = 0;
    server.use(
      http.post("*/api/chat/stream", () => {
        calls++;
        return calls < 3 ? HttpResponse.error() : streamResponse(sseFrames(["Back again."]));
      }),
    );
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    await within(screen.getByRole("log")).findByText("Back again.");
    expect(calls).toBe(3);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("explains a 429 with the retry time and offers to try again", async () => {
    let limited = true;
    server.use(
      http.post("*/api/chat/stream", () =>
        limited
          ? apiError(429, "rate_limited", "too many", { "Retry-After": "17" })
          : streamResponse(sseFrames(["Now it works."])),
      ),
    );
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Please try again in 17 seconds.");
    // The button waits out Retry-After.
    const again = within(alert).getByRole("button", { name: "Try again" });
    expect(again).toBeDisabled();
    expect(again).toHaveTextContent("Try again in 17s");
    limited = false;
    vi.setSystemTime(Date.now() + 18_000);
    await waitFor(() => expect(again).toBeEnabled(), { timeout: 2500 });
    vi.useRealTimers();
    expect(vi.getMockedSystemTime()).toBeNull();
    await user.click(again);
    await within(screen.getByRole("log")).findByText("Now it works.");
    expect(within(screen.getByRole("log")).getAllByText("hi")).toHaveLength(1);
  });

  it("explains a 503 from the model", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        apiError(503, "llm_unavailable", "down", { "Retry-After": "120" }),
      ),
    );
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "my language model is unavailable. Please try again in about 2 minutes.",
    );
  });

  it("offers a new conversation when the session is full", async () => {
    server.use(http.post("*/api/chat/stream", () => apiError(409, "session_full")));
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    const alert = await screen.findByRole("alert");
    const before = window.localStorage.getItem(SESSION_KEY);
    await user.click(within(alert).getByRole("button", { name: "Start over" }));
    expect(window.localStorage.getItem(SESSION_KEY)).not.toBe(before);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("restores the stored session's history on load", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    let asked = "";
    server.use(
      http.get("*/api/chat/history/:id", ({ params }) => {
        asked = String(params.id);
        return HttpResponse.json({
          session_id: SESSION,
          messages: [
            { role: "user", content: "What is my name?", timestamp: "t1" },
            { role: "assistant", content: "Your name is **Grace**.", timestamp: "t2" },
          ],
        });
      }),
    );
    render(<Chat baseUrl="" />);
    const log = screen.getByRole("log");
    await within(log).findByText("What is my name?");
    expect(await within(log).findByText("Grace")).toHaveProperty("tagName", "STRONG");
    expect(asked).toBe(SESSION);
    expect(window.localStorage.getItem(SESSION_KEY)).toBe(SESSION);
  });

  it("starts a new session cleanly when the stored one is unknown", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    await ready(); // the default handler answers 404 session_not_found
    await waitFor(() => expect(window.localStorage.getItem(SESSION_KEY)).not.toBe(SESSION));
    expect(window.localStorage.getItem(SESSION_KEY)).toMatch(/^[0-9a-f-]{36}$/);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("ignores a malformed stored id and sends a fresh canonical one", async () => {
    window.localStorage.setItem(SESSION_KEY, "not-a-uuid");
    let sent: unknown;
    server.use(
      http.post("*/api/chat/stream", async ({ request }) => {
        sent = ((await request.json()) as { session_id: string }).session_id;
        return streamResponse(sseFrames(["ok"], String(sent)), { sessionId: String(sent) });
      }),
    );
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    await within(screen.getByRole("log")).findByText("ok");
    expect(sent).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(window.localStorage.getItem(SESSION_KEY)).toBe(sent);
  });

  it("New conversation clears the transcript and switches session", async () => {
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    await within(screen.getByRole("log")).findByText("Hello, world.");
    const before = window.localStorage.getItem(SESSION_KEY);
    await user.click(screen.getByRole("button", { name: "New conversation" }));
    expect(within(screen.getByRole("log")).queryByText("Hello, world.")).not.toBeInTheDocument();
    expect(window.localStorage.getItem(SESSION_KEY)).not.toBe(before);
  });

  it("renders markdown safely: no raw HTML, no javascript: links", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        streamResponse(
          sseFrames([
            "Some **bold** and <img src=x onerror=alert(1)> ",
            "[bad](javascript:alert(1)) [good](https://example.com)",
          ]),
        ),
      ),
    );
    const { user, input, view } = await ready();
    await user.type(input, "markdown please{Enter}");
    const log = screen.getByRole("log");
    expect(await within(log).findByText("bold")).toHaveProperty("tagName", "STRONG");
    expect(view.container.querySelector("img")).toBeNull();
    expect(within(log).getByRole("link", { name: "good" })).toHaveAttribute(
      "rel",
      "noopener noreferrer nofollow",
    );
    expect(
      within(log).queryByRole("link", { name: "bad" })?.getAttribute("href") ?? "",
    ).not.toMatch(/javascript/i);
  });

  it("falls back to JSON when the streaming endpoint is missing", async () => {
    server.use(http.post("*/api/chat/stream", () => new HttpResponse(null, { status: 404 })));
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    await within(screen.getByRole("log")).findByText("Hello, world.");
  });

  it("copies a reply", async () => {
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Hello, world.");
    await user.click(within(log).getByRole("button", { name: "Copy reply" }));
    await expect(navigator.clipboard.readText()).resolves.toBe("Hello, world.");
  });

  it("lets the visitor chat when the history is slow, and keeps both", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    server.use(
      http.get("*/api/chat/history/:id", async () => {
        await held;
        return HttpResponse.json({
          session_id: SESSION,
          messages: [
            { role: "user", content: "from before", timestamp: "t1" },
            { role: "assistant", content: "an old answer", timestamp: "t2" },
          ],
        });
      }),
    );
    const user = userEvent.setup();
    render(<Chat baseUrl="" restoreTimeoutMs={30} />);
    const input = screen.getByRole("textbox", { name: "Message" });
    await user.type(input, "hi");
    // Send waits for the restore to give up (30 ms here), then works.
    await waitFor(() => expect(screen.getByRole("button", { name: "Send" })).toBeEnabled());
    await user.keyboard("{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Hello, world.");
    release();
    await within(log).findByText("an old answer");
    const texts = Array.from(log.querySelectorAll("[data-role]")).map((el) => el.textContent);
    expect(texts[0]).toContain("from before");
    expect(texts[texts.length - 1]).toContain("Hello, world.");
  });

  it("still works when the persona cannot be loaded", async () => {
    server.use(http.get("*/api/persona", () => apiError(500, "persona_unavailable")));
    const user = userEvent.setup();
    render(<Chat baseUrl="" />);
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Digital Twin");
    expect(screen.getByRole("heading", { name: "Hello there" })).toBeInTheDocument();
    const input = screen.getByRole("textbox", { name: "Message" });
    expect(input).toHaveAttribute("placeholder", "Message the twin…");
    await user.type(input, "hi{Enter}");
    await within(screen.getByRole("log")).findByText("Hello, world.");
  });

  it("drops a late history when a new conversation was started meanwhile", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let served = false;
    server.use(
      http.get("*/api/chat/history/:id", async () => {
        await held;
        served = true;
        return HttpResponse.json({
          session_id: SESSION,
          messages: [{ role: "assistant", content: "stale answer", timestamp: "t" }],
        });
      }),
    );
    const user = userEvent.setup();
    render(<Chat baseUrl="" restoreTimeoutMs={20} />);
    const input = screen.getByRole("textbox", { name: "Message" });
    await user.type(input, "hi");
    await waitFor(() => expect(screen.getByRole("button", { name: "Send" })).toBeEnabled());
    await user.keyboard("{Enter}");
    await within(screen.getByRole("log")).findByText("Hello, world.");
    await user.click(screen.getByRole("button", { name: "New conversation" }));
    release();
    await waitFor(() => expect(served).toBe(true));
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByText("stale answer")).not.toBeInTheDocument();
    expect(window.localStorage.getItem(SESSION_KEY)).not.toBe(SESSION);
  });

  it("New conversation mid-reply stops it and the next question works", async () => {
    const s = heldStream(["Old", " reply"], 3);
    const { user, input } = await ready();
    await user.type(input, "first{Enter}");
    await within(screen.getByRole("log")).findByText("Old");
    await user.click(screen.getByRole("button", { name: "New conversation" }));
    expect(s.wasAborted()).toBe(true);
    expect(screen.getByRole("button", { name: "Send" })).toBeInTheDocument();
    server.use(http.post("*/api/chat/stream", () => streamResponse(sseFrames(["Fresh."]))));
    await user.type(input, "second{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Fresh.");
    expect(within(log).queryByText("first")).not.toBeInTheDocument();
    expect(log).toHaveAttribute("aria-busy", "false");
    s.release();
  });
});
