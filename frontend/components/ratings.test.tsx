/** Ratings: by the reply's stored id, kept across a reload, withdrawn by a second press, with a reason. */
import { render, screen, waitFor, within } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { SESSION_KEY } from "@/lib/session";
import { ready } from "@/test/chat";
import { apiError, server } from "@/test/server";
import { Chat } from "./chat";

describe("Ratings", () => {
  it("records a thumbs-up by the reply's id, keeps it across a reload and withdraws it", async () => {
    const feedback: unknown[] = [];
    server.use(
      http.post("*/api/feedback", async ({ request }) => {
        feedback.push(await request.json());
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user, input, view } = await ready();
    await user.type(input, "hi{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Hello, world.");
    const up = await within(log).findByRole("button", { name: "Good reply" });
    expect(up).toHaveAttribute("aria-pressed", "false");
    await user.click(up);
    expect(up).toHaveAttribute("aria-pressed", "true");
    const session = window.localStorage.getItem(SESSION_KEY);
    await waitFor(() =>
      expect(feedback).toEqual([{ session_id: session, message_id: "msg-1", rating: "up" }]),
    );

    // After a reload the stored reply (with its id) shows the rating again.
    server.use(
      http.get("*/api/chat/history/:id", () =>
        HttpResponse.json({
          session_id: session,
          messages: [
            { role: "user", content: "hi", timestamp: "2026-12-04T10:00:00Z" },
            {
              role: "assistant",
              content: "Hello, world.",
              timestamp: "2026-12-04T10:00:01Z",
              id: "msg-1",
              status: "complete",
            },
          ],
        }),
      ),
    );
    view.unmount();
    render(<Chat baseUrl="" />);
    const again = await within(screen.getByRole("log")).findByRole("button", {
      name: "Good reply",
    });
    expect(again).toHaveAttribute("aria-pressed", "true");
    await user.click(again);
    expect(again).toHaveAttribute("aria-pressed", "false");
    await waitFor(() =>
      expect(feedback.at(-1)).toEqual({ session_id: session, message_id: "msg-1", rating: "none" }),
    );
  });

  it("asks an optional reason after a thumbs-down", async () => {
    const feedback: unknown[] = [];
    server.use(
      http.post("*/api/feedback", async ({ request }) => {
        feedback.push(await request.json());
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    const log = screen.getByRole("log");
    await user.click(await within(log).findByRole("button", { name: "Bad reply" }));
    const reason = await within(log).findByRole("textbox", { name: "What was wrong? (optional)" });
    await user.type(reason, "Not what I asked");
    await user.click(within(log).getByRole("button", { name: "Send feedback" }));
    await waitFor(() => expect(feedback).toHaveLength(2));
    expect(feedback[1]).toMatchObject({ rating: "down", reason: "Not what I asked" });
    expect(within(log).queryByRole("textbox")).not.toBeInTheDocument();
    expect(within(log).getByRole("button", { name: "Bad reply" })).toHaveAttribute(
      "aria-pressed",
      "true",
    );
  });

  it("undoes a rating the server refuses", async () => {
    server.use(http.post("*/api/feedback", () => apiError(400, "invalid_request")));
    const { user, input } = await ready();
    await user.type(input, "hi{Enter}");
    const log = screen.getByRole("log");
    await within(log).findByText("Hello, world.");
    const down = within(log).getByRole("button", { name: "Bad reply" });
    await user.click(down);
    expect(await screen.findByRole("alert")).toHaveTextContent("rating couldn't be saved");
    expect(down).toHaveAttribute("aria-pressed", "false");
  });
});
