import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { OWNER_TOKEN_KEY, type OwnerSummary } from "@/lib/api/owner";
import { apiError, server } from "@/test/server";
import { lastDays } from "./leads-chart";
import { Owner } from "./owner";
import { usd } from "./owner-dashboard";

const today = new Date().toISOString().slice(0, 10);

const summary: OwnerSummary = {
  leads: 3,
  leads_per_day: [{ day: today, count: 2 }],
  recent_leads: [
    {
      session_id: "0b7e4c1e-9a4f-4f43-8a5e-3f9d2b6c1a00",
      email: "bob@example.com",
      name: "Bob Stone",
      note: "About a consulting project",
      timestamp: `${today}T09:30:00Z`,
    },
  ],
  unanswered_questions: 4,
  top_unanswered: [{ text: "what is your favourite football team", count: 3 }],
  unanswered: [
    {
      id: "q-1",
      session_id: "0b7e4c1e-9a4f-4f43-8a5e-3f9d2b6c1a00",
      question: "what is your favourite football team",
      timestamp: `${today}T09:00:00Z`,
    },
  ],
  top_questions: [
    { text: "what are you working on", count: 7 },
    { text: "where do you live", count: 2 },
  ],
  thumbs_up: 3,
  thumbs_down: 1,
  thumbs_down_rate: 0.25,
  recent_feedback: [
    {
      session_id: "0b7e4c1e-9a4f-4f43-8a5e-3f9d2b6c1a00",
      message_id: "msg-2",
      rating: "down",
      reason: "It dodged the question",
      timestamp: `${today}T09:10:00Z`,
    },
  ],
  conversations: 8,
  cost_usd: 0.0364,
  cost_per_conversation_usd: 0.00455,
  cache_hit_share: 0.62,
  cost_since: "2026-11-27T06:00:00Z",
};

const empty = {
  leads: 0,
  leads_per_day: [],
  recent_leads: [],
  unanswered_questions: 0,
  top_unanswered: [],
  top_questions: [],
  thumbs_up: 0,
  thumbs_down: 0,
  thumbs_down_rate: 0,
  conversations: 0,
  cost_usd: 0,
  cost_per_conversation_usd: 0,
};

/** The cloud's behaviour: 404 not_found unless the bearer token is `secret`. Records the headers. */
function tokenGate(token = "secret") {
  const seen: (string | null)[] = [];
  server.use(
    http.get("*/api/owner/summary", ({ request }) => {
      const auth = request.headers.get("Authorization");
      seen.push(auth);
      return auth === `Bearer ${token}`
        ? HttpResponse.json(summary)
        : apiError(404, "not_found", "no such API endpoint");
    }),
  );
  return seen;
}

function tile(label: string): HTMLElement {
  const dt = screen.getByText(label, { selector: "dt" });
  return dt.parentElement as HTMLElement;
}

describe("Owner", () => {
  it("renders the summary: KPI tiles, chart alternative, lists and recent leads", async () => {
    server.use(http.get("*/api/owner/summary", () => HttpResponse.json(summary)));
    render(<Owner baseUrl="" />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading");
    await screen.findByRole("heading", { name: "Leads per day" });

    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Owner view");
    expect(tile("Leads")).toHaveTextContent("3");
    expect(tile("Unanswered questions")).toHaveTextContent("4");
    expect(tile("Thumbs-down rate")).toHaveTextContent("25%");
    expect(tile("Thumbs-down rate")).toHaveTextContent("1 of 4 ratings");
    expect(tile("Conversations")).toHaveTextContent("8");
    expect(tile("Cost per conversation")).toHaveTextContent("$0.0046");
    expect(tile("Cost per conversation")).toHaveTextContent("62% of input from the prompt cache");

    // The bars are hidden from assistive technology; a table carries the numbers.
    const table = screen.getByRole("table", { name: /Leads per day/ });
    expect(within(table).getAllByRole("row")).toHaveLength(15);
    expect(within(table).getByRole("caption")).toHaveTextContent("2 in total");
    expect(screen.getByTestId("leads-bars")).toHaveAttribute("aria-hidden", "true");

    const unanswered = screen.getByRole("region", { name: "Top unanswered questions" });
    expect(within(unanswered).getByRole("listitem")).toHaveTextContent(
      "what is your favourite football team×3, 3 times",
    );
    const asked = screen.getByRole("region", { name: "What visitors ask most" });
    expect(
      within(asked)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["what are you working on×7, 7 times", "where do you live×2, 2 times"]);

    const recent = screen.getByRole("region", { name: "Recent leads" });
    expect(within(recent).getByRole("link", { name: "bob@example.com" })).toHaveAttribute(
      "href",
      "mailto:bob%40example.com",
    );
    expect(recent).toHaveTextContent("Bob Stone");
    expect(recent).toHaveTextContent("About a consulting project");
    expect(within(recent).getByText((_, el) => el?.tagName === "TIME")).toHaveAttribute(
      "datetime",
      `${today}T09:30:00Z`,
    );
    expect(screen.getByRole("link", { name: /Back to the chat/ })).toHaveAttribute("href", "/");
    expect(screen.queryByLabelText("Owner token")).not.toBeInTheDocument();
  });

  it("shows a helpful empty state", async () => {
    server.use(http.get("*/api/owner/summary", () => HttpResponse.json(empty)));
    render(<Owner baseUrl="" />);
    await screen.findByRole("heading", { name: "Recent leads" });
    expect(tile("Leads")).toHaveTextContent("0");
    expect(tile("Thumbs-down rate")).toHaveTextContent("no ratings yet");
    expect(tile("Cost per conversation")).toHaveTextContent("$0.00 in total");
    expect(screen.getByText("No leads in the last 14 days")).toBeInTheDocument();
    expect(screen.getByText(/No leads yet/)).toBeInTheDocument();
    expect(screen.getByText("No visitor questions yet.")).toBeInTheDocument();
    expect(
      screen.getByText(/Nothing yet\. Questions the twin couldn't answer/),
    ).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("asks for the owner token on a 404 and retries with it as a bearer token", async () => {
    const seen = tokenGate();
    const user = userEvent.setup();
    render(<Owner baseUrl="" />);
    const field = await screen.findByLabelText("Owner token");
    expect(field).toHaveAttribute("type", "password");
    // Locked is not an error: no token was tried yet.
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(seen).toEqual([null]);

    await user.type(field, "secret");
    await user.click(screen.getByRole("button", { name: "Open the owner view" }));
    await screen.findByRole("heading", { name: "Leads per day" });
    expect(seen).toEqual([null, "Bearer secret"]);
    expect(window.sessionStorage.getItem(OWNER_TOKEN_KEY)).toBe("secret");
    expect(window.localStorage.length).toBe(0);

    // Refresh keeps using the token.
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(seen).toEqual([null, "Bearer secret", "Bearer secret"]));
  });

  it("reuses the token kept in this tab after the open request is refused", async () => {
    const seen = tokenGate();
    window.sessionStorage.setItem(OWNER_TOKEN_KEY, "secret");
    render(<Owner baseUrl="" />);
    await screen.findByRole("heading", { name: "Leads per day" });
    expect(seen).toEqual([null, "Bearer secret"]);
  });

  it("says clearly when the token is wrong, and forgets it", async () => {
    const seen = tokenGate();
    const user = userEvent.setup();
    render(<Owner baseUrl="" />);
    await user.type(await screen.findByLabelText("Owner token"), "nope");
    await user.click(screen.getByRole("button", { name: "Open the owner view" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "That token didn't open the owner view. Check it and try again.",
    );
    expect(screen.getByLabelText("Owner token")).toHaveAttribute("aria-invalid", "true");
    expect(seen).toEqual([null, "Bearer nope"]);
    expect(window.sessionStorage.getItem(OWNER_TOKEN_KEY)).toBeNull();

    // A right one then opens it.
    await user.clear(screen.getByLabelText("Owner token"));
    await user.type(screen.getByLabelText("Owner token"), "secret");
    await user.click(screen.getByRole("button", { name: "Open the owner view" }));
    await screen.findByRole("heading", { name: "Leads per day" });
  });

  it("reports a network error with Try again", async () => {
    let calls = 0;
    server.use(
      http.get("*/api/owner/summary", () => {
        calls++;
        return calls === 1 ? HttpResponse.error() : HttpResponse.json(summary);
      }),
    );
    const user = userEvent.setup();
    render(<Owner baseUrl="" />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Couldn't reach the twin's server");
    expect(screen.queryByLabelText("Owner token")).not.toBeInTheDocument();
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    await screen.findByRole("heading", { name: "Leads per day" });
  });

  it("reports a server error without internals", async () => {
    server.use(
      http.get("*/api/owner/summary", () =>
        apiError(500, "internal", "read leads/x: disk on fire"),
      ),
    );
    render(<Owner baseUrl="" />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("something went wrong on the server");
    expect(alert).not.toHaveTextContent("disk on fire");
  });

  it("says where a local twin's owner view opens when asked from another machine (403)", async () => {
    server.use(
      http.get("*/api/owner/summary", () =>
        apiError(403, "forbidden", "the owner view of a local twin answers only on this machine"),
      ),
    );
    render(<Owner baseUrl="" />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("only on the machine it runs on");
    expect(screen.queryByLabelText("Owner token")).not.toBeInTheDocument();
  });
});

describe("owner helpers", () => {
  it("fills the days without leads with zero, oldest first, ending today (UTC)", () => {
    const days = lastDays(
      [
        { day: "2026-11-25", count: 2 },
        { day: "2026-11-01", count: 9 },
      ],
      3,
      new Date("2026-11-27T23:59:00Z"),
    );
    expect(days).toEqual([
      { day: "2026-11-25", count: 2 },
      { day: "2026-11-26", count: 0 },
      { day: "2026-11-27", count: 0 },
    ]);
  });

  it("formats small costs so cents' fractions still show", () => {
    expect(usd(0)).toBe("$0.00");
    expect(usd(0.00455)).toBe("$0.0046");
    expect(usd(0.042)).toBe("$0.042");
    expect(usd(12.5)).toBe("$12.50");
  });
});
