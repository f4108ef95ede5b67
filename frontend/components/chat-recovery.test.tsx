/** The chat page when something goes wrong, and the visitor's ways forward (issue 17). */
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { SESSION_KEY } from "@/lib/session";
import { heldStream, ready } from "@/test/chat";
import { apiError, SESSION, server, sseFrames, streamResponse } from "@/test/server";
import { Chat } from "./chat";
import { MAX_MESSAGE_CHARS } from "./composer";

const history = (messages: unknown[]) =>
  http.get("*/api/chat/history/:id", () => HttpResponse.json({ session_id: SESSION, messages }));

describe("Chat recovery", () => {
  it("a double click on Send sends once and never stops the reply", async () => {
    const s = heldStream(["Still", " here"], 3);
    let posts = 0;
    server.events.on("request:start", ({ request }) => {
      if (request.method === "POST") posts++;
    });
    const { user, input } = await ready();
    await user.type(input, "hello");
    await user.dblClick(screen.getByRole("button", { name: "Send" }));
    const log = screen.getByRole("log");
    await within(log).findByText("Still");
    expect(posts).toBe(1);
    expect(within(log).queryByText("Stopped")).not.toBeInTheDocument();
    // Stop sits beside Send, not in its place.
    expect(screen.getByRole("button", { name: "Stop" })).toBeVisible();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    s.release();
    await within(log).findByText("Still here");
    server.events.removeAllListeners();
  });

  it("marks a message that was not sent, and retries it on its own", async () => {
    let down = true;
    server.use(
      http.post("*/api/chat/stream", () =>
        down ? HttpResponse.error() : streamResponse(sseFrames(["Back."])),
      ),
    );
    const { user, input } = await ready();
    await user.type(input, "are you there?{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Not sent");
    const question = within(log).getByText("are you there?").closest("[data-role]");
    expect(question).toHaveAttribute("data-state", "failed");
    down = false;
    await user.click(within(log).getByRole("button", { name: "Retry" }));
    await within(log).findByText("Back.");
    expect(within(log).getAllByText("are you there?")).toHaveLength(1);
    expect(within(log).queryByText("Not sent")).not.toBeInTheDocument();
  });

  it("keeps over-limit text and flags it instead of cutting it", async () => {
    const { user, input } = await ready();
    const long = "x".repeat(MAX_MESSAGE_CHARS + 5);
    await user.click(input);
    await user.paste(long);
    expect(input).toHaveValue(long);
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText(/5 characters over the 4000 limit/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });

  it("waits out a Retry-After before the box sends again", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        apiError(429, "rate_limited", "slow down", { "Retry-After": "30" }),
      ),
    );
    const { user, input } = await ready();
    await user.type(input, "one{Enter}");
    await screen.findByRole("alert");
    await user.type(input, "two");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(screen.getByText(/You can send again in \d+s/)).toBeInTheDocument();
  });

  it("says so when the history cannot be loaded, and retries", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    let broken = true;
    server.use(
      http.get("*/api/chat/history/:id", () =>
        broken
          ? apiError(500, "internal")
          : HttpResponse.json({
              session_id: SESSION,
              messages: [{ role: "user", content: "from before", timestamp: "t" }],
            }),
      ),
    );
    const user = userEvent.setup();
    render(<Chat baseUrl="" />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Your conversation couldn't be loaded");
    expect(screen.queryByRole("heading", { name: "Chat with Ada" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(window.localStorage.getItem(SESSION_KEY)).toBe(SESSION);
    broken = false;
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    await within(screen.getByRole("log")).findByText("from before");
  });

  it("shows stored statuses: a stopped reply is marked and has no thumbs", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    server.use(
      history([
        { role: "user", content: "tell me", timestamp: "2026-12-04T10:00:00Z" },
        {
          role: "assistant",
          content: "It was **very",
          timestamp: "2026-12-04T10:00:02Z",
          id: "msg-7",
          status: "stopped",
        },
      ]),
    );
    render(<Chat baseUrl="" />);
    const log = screen.getByRole("log");
    const reply = (await within(log).findByText("Stopped")).closest("[data-role]") as HTMLElement;
    expect(reply).toHaveAttribute("data-state", "stopped");
    expect(within(reply).queryByRole("button", { name: "Good reply" })).not.toBeInTheDocument();
    // Cut inside bold: rendered bold, no stray asterisks.
    expect(await within(reply).findByText("very")).toHaveProperty("tagName", "STRONG");
    expect(reply.textContent).not.toContain("*");
    expect(within(reply).getByRole("button", { name: "Regenerate" })).toBeVisible();
  });

  it("edits the last message and regenerates the last reply", async () => {
    const { user, input } = await ready();
    await user.type(input, "first try{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Hello, world.");
    await user.click(within(log).getByRole("button", { name: "Edit message" }));
    expect(input).toHaveValue("first try");
    expect(within(log).queryByText("first try")).not.toBeInTheDocument();
    await user.clear(input);
    await user.type(input, "second try{Enter}");
    await within(log).findByText("Hello, world.");
    server.use(http.post("*/api/chat/stream", () => streamResponse(sseFrames(["Another."]))));
    await user.click(within(log).getByRole("button", { name: "Regenerate" }));
    await within(log).findByText("Another.");
    expect(within(log).queryByText("Hello, world.")).not.toBeInTheDocument();
    expect(within(log).getAllByText("second try")).toHaveLength(1);
  });

  it("New conversation can be undone", async () => {
    const { user, input } = await ready();
    await user.type(input, "keep me{Enter}");
    await within(screen.getByRole("log")).findByText("Hello, world.");
    const before = window.localStorage.getItem(SESSION_KEY);
    await user.click(screen.getByRole("button", { name: "New conversation" }));
    expect(window.localStorage.getItem(SESSION_KEY)).not.toBe(before);
    await user.click(await screen.findByRole("button", { name: "Undo" }));
    await within(screen.getByRole("log")).findByText("keep me");
    expect(window.localStorage.getItem(SESSION_KEY)).toBe(before);
  });

  it("deletes the conversation after a confirmation", async () => {
    let deleted = "";
    server.use(
      http.delete("*/api/chat/history/:id", ({ params }) => {
        deleted = String(params.id);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user, input } = await ready();
    await user.type(input, "forget me{Enter}");
    await within(screen.getByRole("log")).findByText("Hello, world.");
    const id = window.localStorage.getItem(SESSION_KEY);
    await user.click(screen.getByRole("button", { name: "Delete conversation" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Delete this conversation?" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(deleted).toBe("");
    await user.click(screen.getByRole("button", { name: "Delete conversation" }));
    await user.click(
      within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Delete" }),
    );
    await screen.findByText("Conversation deleted.");
    expect(deleted).toBe(id);
    expect(within(screen.getByRole("log")).queryByText("forget me")).not.toBeInTheDocument();
    expect(window.localStorage.getItem(SESSION_KEY)).not.toBe(id);
  });

  it("labels code blocks with their language and copies them", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        streamResponse(sseFrames(["Try:\n\n```go\nfmt.Println(1)\n```\n"])),
      ),
    );
    const { user, input } = await ready();
    await user.type(input, "code?{Enter}");
    const log = screen.getByRole("log");
    const copy = await within(log).findByRole("button", { name: "Copy go code" });
    expect(within(log).getByText("go")).toBeInTheDocument();
    await user.click(copy);
    await expect(navigator.clipboard.readText()).resolves.toBe("fmt.Println(1)\n");
  });
});
