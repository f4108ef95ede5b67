/** The owner view's ratings, open questions and conversation links (issue 17), and its mailto links (issue 12). */
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { normalizeSummary } from "@/lib/api/owner";
import { apiError, SESSION, server } from "@/test/server";
import { Owner } from "./owner";

const summary = normalizeSummary({
  leads: 1,
  recent_leads: [
    {
      session_id: SESSION,
      email: "x?bcc=attacker@evil.example",
      timestamp: "2026-12-04T09:00:00Z",
    },
  ],
  unanswered: [
    { id: "q-1", session_id: SESSION, question: "What is your blood type?", timestamp: "t" },
    { id: "q-2", session_id: SESSION, question: "Do you ski?", timestamp: "t" },
  ],
  thumbs_down: 1,
  recent_feedback: [
    {
      session_id: SESSION,
      message_id: "msg-2",
      rating: "down",
      reason: "It dodged the question",
      timestamp: "2026-12-04T09:10:00Z",
    },
  ],
});

afterEach(() => {
  window.location.hash = "";
});

describe("Owner activity", () => {
  it("encodes a visitor's address in the mailto link", async () => {
    server.use(http.get("*/api/owner/summary", () => HttpResponse.json(summary)));
    render(<Owner baseUrl="" />);
    const link = await screen.findByRole("link", { name: "x?bcc=attacker@evil.example" });
    expect(link).toHaveAttribute("href", "mailto:x%3Fbcc%3Dattacker%40evil.example");
  });

  it("shows each rating's reason and opens its conversation read-only, the reply marked", async () => {
    server.use(
      http.get("*/api/owner/summary", () => HttpResponse.json(summary)),
      http.get("*/api/chat/history/:id", () =>
        HttpResponse.json({
          session_id: SESSION,
          messages: [
            { role: "user", content: "Who are you?", timestamp: "2026-12-04T09:09:00Z", id: "u1" },
            {
              role: "assistant",
              content: "Someone.",
              timestamp: "2026-12-04T09:09:01Z",
              id: "msg-2",
              status: "complete",
            },
          ],
        }),
      ),
    );
    const user = userEvent.setup();
    render(<Owner baseUrl="" />);
    const ratings = await screen.findByRole("region", { name: "Recent ratings" });
    expect(ratings).toHaveTextContent("Bad reply");
    expect(ratings).toHaveTextContent("It dodged the question");
    const open = within(ratings).getByRole("link", { name: "Open conversation" });
    expect(open).toHaveAttribute("href", `#conversation=${SESSION}&message=msg-2`);
    await user.click(open);
    const view = await screen.findByRole("region", { name: "Conversation" });
    await within(view).findByText("Someone.");
    const marked = within(view).getByText("Someone.").closest("li");
    expect(marked).toHaveAttribute("aria-current", "true");
    expect(within(view).queryByRole("textbox")).not.toBeInTheDocument();
  });

  it("dismisses an answered question, and puts it back when the server refuses", async () => {
    const dismissed: string[] = [];
    let refuse = false;
    server.use(
      http.get("*/api/owner/summary", () => HttpResponse.json(summary)),
      http.post("*/api/owner/questions/:id/dismiss", ({ params }) => {
        if (refuse) return apiError(500, "internal");
        dismissed.push(String(params.id));
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const user = userEvent.setup();
    render(<Owner baseUrl="" />);
    const open = await screen.findByRole("region", { name: "Questions to answer" });
    await user.click(within(open).getByRole("button", { name: "Dismiss: Do you ski?" }));
    expect(within(open).queryByText("Do you ski?")).not.toBeInTheDocument();
    await waitFor(() => expect(dismissed).toEqual(["q-2"]));
    refuse = true;
    await user.click(
      within(open).getByRole("button", { name: "Dismiss: What is your blood type?" }),
    );
    expect(await screen.findByRole("alert")).toHaveTextContent("couldn't be dismissed");
    expect(within(open).getByText("What is your blood type?")).toBeInTheDocument();
  });

  it("keeps the figures shown when a refresh fails", async () => {
    let fail = false;
    server.use(
      http.get("*/api/owner/summary", () =>
        fail ? HttpResponse.error() : HttpResponse.json(summary),
      ),
    );
    const user = userEvent.setup();
    render(<Owner baseUrl="" />);
    await screen.findByRole("region", { name: "Recent ratings" });
    fail = true;
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      /Couldn't reach the twin's server.*The figures below are from/,
    );
    expect(screen.getByRole("region", { name: "Recent ratings" })).toHaveTextContent(
      "It dodged the question",
    );
  });
});
