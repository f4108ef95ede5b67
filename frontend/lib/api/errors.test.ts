import { describe, expect, it } from "vitest";
import {
  ChatError,
  errorFromResponse,
  friendlyMessage,
  isRetryable,
  parseRetryAfter,
} from "./errors";

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    const now = Date.parse("2026-11-27T05:00:00Z");
    expect(parseRetryAfter("Fri, 27 Nov 2026 05:00:10 GMT", now)).toBe(10);
  });
});

describe("errorFromResponse", () => {
  it("reads the backend envelope and Retry-After", async () => {
    const res = new Response(
      JSON.stringify({
        error: { code: "rate_limited", message: "slow down", correlation_id: "c1" },
      }),
      { status: 429, headers: { "Retry-After": "12", "Content-Type": "application/json" } },
    );
    const err = await errorFromResponse(res);
    expect(err).toBeInstanceOf(ChatError);
    expect(err.code).toBe("rate_limited");
    expect(err.retryAfter).toBe(12);
    expect(err.correlationId).toBe("c1");
    expect(err.opts.fromServer).toBe(true);
    expect(friendlyMessage(err)).toBe(
      "You're sending messages faster than I can answer. Please try again in 12 seconds.",
    );
  });

  it("falls back to the status when the body is not the envelope", async () => {
    const err = await errorFromResponse(new Response("<html>bad gateway</html>", { status: 502 }));
    expect(err.code).toBe("internal");
    expect(err.opts.fromServer).toBe(false);
    expect(isRetryable(err)).toBe(true);
  });

  it("says when the model is unavailable and for how long", async () => {
    const err = new ChatError("llm_unavailable", "x", { status: 503, retryAfter: 120 });
    expect(friendlyMessage(err)).toContain("in about 2 minutes");
    expect(isRetryable(new ChatError("rate_limited", "x", { status: 429 }))).toBe(false);
  });
});
