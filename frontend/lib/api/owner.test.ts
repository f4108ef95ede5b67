import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { server } from "@/test/server";
import { ChatError } from "./errors";
import { getOwnerSummary, normalizeSummary } from "./owner";

describe("owner summary client", () => {
  it("normalizes what the server sent: missing lists empty, junk dropped, rate clamped", () => {
    const s = normalizeSummary({
      leads: 2,
      leads_per_day: [{ day: "2026-11-27", count: 2 }, { day: "yesterday", count: 1 }, null],
      recent_leads: [{ email: "a@b.co", timestamp: "2026-11-27T06:00:00Z" }, { name: "no email" }],
      top_questions: [
        { text: "", count: 1 },
        { text: "hi", count: 1 },
      ],
      thumbs_down_rate: 7,
      cost_usd: "lots",
    });
    expect(s.leads_per_day).toEqual([{ day: "2026-11-27", count: 2 }]);
    expect(s.recent_leads).toEqual([
      {
        session_id: "",
        email: "a@b.co",
        name: undefined,
        note: undefined,
        timestamp: "2026-11-27T06:00:00Z",
      },
    ]);
    expect(s.top_questions).toEqual([{ text: "hi", count: 1 }]);
    expect(s.top_unanswered).toEqual([]);
    expect(s.thumbs_down_rate).toBe(1);
    expect(s.cost_usd).toBe(0);
    expect(s.cost_since).toBeUndefined();
  });

  it("sends the bearer token only when given, and calls any 404 not_found", async () => {
    const auth: (string | null)[] = [];
    server.use(
      http.get("https://api.example/api/owner/summary", ({ request }) => {
        auth.push(request.headers.get("Authorization"));
        // A proxy's page, not the API's envelope: still "closed to you".
        return new HttpResponse("<h1>Not Found</h1>", { status: 404 });
      }),
    );
    for (const token of [null, "t0k"]) {
      const err = await getOwnerSummary("https://api.example/", token).catch((e) => e);
      expect(err).toBeInstanceOf(ChatError);
      expect((err as ChatError).code).toBe("not_found");
    }
    expect(auth).toEqual([null, "Bearer t0k"]);
  });
});
