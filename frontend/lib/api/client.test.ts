import { createHash } from "node:crypto";
import fc from "fast-check";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { apiError, SESSION, server, sseFrames, streamResponse } from "@/test/server";
import { apiUrl, buildChatRequest, getHistory, getPersona, isSessionId } from "./client";
import { ChatError } from "./errors";
import { isSameOrigin, sendChat, sha256Hex } from "./send";

const noSleep = () => Promise.resolve();

describe("buildChatRequest", () => {
  it("targets the streaming endpoint and sends the contract's body", () => {
    const { url, init } = buildChatRequest("", { message: "hi", sessionId: SESSION, stream: true });
    expect(url).toBe("/api/chat/stream");
    expect(init.method).toBe("POST");
    expect(init.headers.Accept).toBe("text/event-stream");
    expect(JSON.parse(init.body)).toEqual({ message: "hi", session_id: SESSION, stream: true });
    const json = buildChatRequest("", { message: "hi", sessionId: null, stream: false });
    expect(json.url).toBe("/api/chat");
    expect(JSON.parse(json.init.body).session_id).toBeNull();
  });

  it("joins base URLs with and without trailing slashes or path prefixes", () => {
    expect(apiUrl("https://twin.example.com/", "/api/persona")).toBe(
      "https://twin.example.com/api/persona",
    );
    expect(apiUrl("https://example.com/twin//", "api/persona")).toBe(
      "https://example.com/twin/api/persona",
    );
  });

  // Seed property 4: local and production builds send the same request apart from the origin.
  it("builds the same request for local and production base URLs, origin aside", () => {
    const origin = fc.oneof(
      fc.constant(""),
      fc.constantFrom("http://localhost:8000", "http://127.0.0.1:3000/"),
      fc.webUrl({ withQueryParameters: false, withFragments: false }).map((u) => new URL(u).origin),
    );
    fc.assert(
      fc.property(
        origin,
        origin,
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.option(fc.uuid({ version: 4 }), { nil: null }),
        fc.boolean(),
        (local, prod, message, sessionId, stream) => {
          const a = buildChatRequest(local, { message, sessionId, stream });
          const b = buildChatRequest(prod, { message, sessionId, stream });
          const path = (u: string) => new URL(u, "http://same-origin.invalid").pathname;
          expect(path(a.url)).toBe(path(b.url));
          expect(a.url.startsWith(local.replace(/\/+$/, ""))).toBe(true);
          expect(b.url.startsWith(prod.replace(/\/+$/, ""))).toBe(true);
          expect(a.init).toEqual(b.init);
        },
      ),
    );
    // A hundred runs take ~1 s alone, several on a loaded CI machine: no time limit is asserted.
  }, 30_000);
});

describe("isSessionId", () => {
  it("accepts only canonical lowercase UUIDs", () => {
    expect(isSessionId(SESSION)).toBe(true);
    expect(isSessionId(SESSION.toUpperCase())).toBe(false);
    expect(isSessionId("nope")).toBe(false);
    expect(isSessionId(null)).toBe(false);
    fc.assert(fc.property(fc.uuid(), (id) => isSessionId(id)));
  });
});

describe("sendChat", () => {
  it("streams deltas in order and reports the session", async () => {
    const deltas: string[] = [];
    const onStart = vi.fn();
    const res = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onStart,
      onDelta: (d) => deltas.push(d),
    });
    expect(deltas).toEqual(["Hello", ", ", "world."]);
    expect(res).toEqual({ text: "Hello, world.", sessionId: SESSION, transport: "stream" });
    expect(onStart).toHaveBeenCalledWith({ sessionId: SESSION, messageId: "msg-1" });
  });

  // The API: the concatenated deltas are the reply. Whatever the deltas and however the bytes
  // arrive, the client reports each delta once, in order, and returns their concatenation.
  it("returns exactly the concatenated deltas for any reply and any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        async (deltas, chunk) => {
          const bytes = new TextEncoder().encode(sseFrames(deltas).join(""));
          server.use(
            http.post("*/api/chat/stream", () => {
              const body = new ReadableStream<Uint8Array>({
                start(c) {
                  for (let i = 0; i < bytes.length; i += chunk)
                    c.enqueue(bytes.slice(i, i + chunk));
                  c.close();
                },
              });
              return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
            }),
          );
          const seen: string[] = [];
          const res = await sendChat({
            baseUrl: "",
            message: "hi",
            sessionId: SESSION,
            onDelta: (d) => seen.push(d),
          });
          expect(seen).toEqual(deltas);
          expect(res.text).toBe(deltas.join(""));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("posts the message to /api/chat/stream", async () => {
    let body: unknown;
    server.use(
      http.post("*/api/chat/stream", async ({ request }) => {
        body = await request.json();
        return streamResponse(sseFrames(["ok"]));
      }),
    );
    await sendChat({ baseUrl: "", message: "what?", sessionId: SESSION, onDelta: () => {} });
    expect(body).toEqual({ message: "what?", session_id: SESSION, stream: true });
  });

  it("signs the streamed body's SHA-256 for CloudFront, on the page's own origin only", async () => {
    const seen: { hash: string | null; body: string }[] = [];
    server.use(
      http.post("*/api/chat/stream", async ({ request }) => {
        seen.push({
          hash: request.headers.get("x-amz-content-sha256"),
          body: await request.text(),
        });
        return streamResponse(sseFrames(["ok"]));
      }),
    );
    await sendChat({ baseUrl: "", message: "héllo ✓", sessionId: SESSION, onDelta: () => {} });
    await sendChat({
      baseUrl: "https://api.elsewhere.example",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
    });
    const [same, cross] = seen;
    expect(same?.hash).toBe(
      createHash("sha256")
        .update(same?.body ?? "", "utf8")
        .digest("hex"),
    );
    expect(cross?.hash).toBeNull();
  });

  it("tells same-origin URLs from others", async () => {
    expect(isSameOrigin("/api/chat/stream")).toBe(true);
    expect(isSameOrigin(`${location.origin}/api/chat/stream`)).toBe(true);
    expect(isSameOrigin("https://api.elsewhere.example/api/chat/stream")).toBe(false);
    expect(isSameOrigin("//api.elsewhere.example/api/chat/stream")).toBe(false);
    expect(await sha256Hex("")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("falls back to the JSON endpoint when streaming is unavailable", async () => {
    server.use(
      http.post("*/api/chat/stream", () => new HttpResponse("Not Found", { status: 404 })),
    );
    const deltas: string[] = [];
    const res = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: (d) => deltas.push(d),
    });
    expect(res.transport).toBe("json");
    expect(deltas).toEqual(["Hello, world."]);
  });

  it("falls back to JSON when the API itself has no streaming route", async () => {
    server.use(
      http.post("*/api/chat/stream", () => apiError(404, "not_found", "no such API endpoint")),
    );
    const res = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
    });
    expect(res.transport).toBe("json");
  });

  it("accepts a buffered JSON answer from the streaming endpoint", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        HttpResponse.json({ response: "buffered", session_id: SESSION, timestamp: "t" }),
      ),
    );
    const res = await sendChat({ baseUrl: "", message: "hi", sessionId: null, onDelta: () => {} });
    expect(res).toEqual({ text: "buffered", sessionId: SESSION, transport: "json" });
  });

  it("retries with backoff before the first token", async () => {
    let calls = 0;
    server.use(
      http.post("*/api/chat/stream", () => {
        calls++;
        if (calls === 1) return HttpResponse.error();
        if (calls === 2) return apiError(503, "llm_unavailable", "down", { "Retry-After": "1" });
        return streamResponse(sseFrames(["third time"]));
      }),
    );
    const delays: number[] = [];
    const res = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
      sleep: noSleep,
      random: () => 1,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    expect(res.text).toBe("third time");
    expect(calls).toBe(3);
    expect(delays).toEqual([600, 1200]);
  });

  it("does not retry once a token has arrived", async () => {
    let calls = 0;
    server.use(
      http.post("*/api/chat/stream", () => {
        calls++;
        // A first token, then the connection drops without finish.
        return streamResponse(sseFrames(["partial"]).slice(0, 3));
      }),
    );
    const deltas: string[] = [];
    const err = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: (d) => deltas.push(d),
      sleep: noSleep,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err.code).toBe("stream_error");
    expect(deltas).toEqual(["partial"]);
    expect(calls).toBe(1);
  });

  it("does not retry 429 and exposes Retry-After", async () => {
    let calls = 0;
    server.use(
      http.post("*/api/chat/stream", () => {
        calls++;
        return apiError(429, "rate_limited", "slow", { "Retry-After": "42" });
      }),
    );
    const err = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
      sleep: noSleep,
    }).catch((e) => e);
    expect(err.code).toBe("rate_limited");
    expect(err.retryAfter).toBe(42);
    expect(calls).toBe(1);
  });

  it("gives up on a long Retry-After instead of waiting it out", async () => {
    let calls = 0;
    server.use(
      http.post("*/api/chat/stream", () => {
        calls++;
        return apiError(503, "llm_unavailable", "down", { "Retry-After": "30" });
      }),
    );
    const err = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
      sleep: noSleep,
    }).catch((e) => e);
    expect(err.code).toBe("llm_unavailable");
    expect(err.retryAfter).toBe(30);
    expect(calls).toBe(1);
  });

  it("surfaces an error event from the stream", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        streamResponse([
          ...sseFrames(["so far"]).slice(0, 3),
          'data: {"type":"error","errorText":"model failed"}\n\n',
        ]),
      ),
    );
    const err = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
    }).catch((e) => e);
    expect(err.code).toBe("stream_error");
  });

  it("aborts mid-stream: rejects with AbortError and cancels the body", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let requestAborted: Promise<void> = Promise.resolve();
    server.use(
      http.post("*/api/chat/stream", ({ request }) => {
        // The fetch's abort reaches the server side as the request's signal: that is what lets the
        // Go server cancel the model call.
        requestAborted = new Promise((r) => request.signal.addEventListener("abort", () => r()));
        return streamResponse(sseFrames(["one", "two"]), {
          gate: (i) => (i === 3 ? held : Promise.resolve()),
        });
      }),
    );
    const ctl = new AbortController();
    const deltas: string[] = [];
    const p = sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      signal: ctl.signal,
      onDelta: (d) => {
        deltas.push(d);
        ctl.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    release();
    await requestAborted;
    expect(deltas).toEqual(["one"]);
  });

  it("times out when nothing arrives", async () => {
    server.use(
      http.post("*/api/chat/stream", () =>
        streamResponse(sseFrames(["never"]), { gate: () => new Promise(() => {}) }),
      ),
    );
    const err = await sendChat({
      baseUrl: "",
      message: "hi",
      sessionId: SESSION,
      onDelta: () => {},
      timeoutMs: 50,
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
    }).catch((e) => e);
    expect(err.code).toBe("timeout");
  });
});

describe("getHistory and getPersona", () => {
  it("restores messages and rejects unknown sessions with session_not_found", async () => {
    await expect(getHistory("", SESSION)).rejects.toMatchObject({ code: "session_not_found" });
    server.use(
      http.get("*/api/chat/history/:id", ({ params }) =>
        HttpResponse.json({
          session_id: params.id,
          messages: [
            { role: "user", content: "hi", timestamp: "t1" },
            {
              role: "assistant",
              content: "hello",
              timestamp: "t2",
              id: "msg-1",
              status: "stopped",
            },
            { role: "system", content: "hidden", timestamp: "t3" },
            { role: "assistant", content: "odd", id: 7, status: null },
          ],
        }),
      ),
    );
    const msgs = await getHistory("", SESSION);
    expect(msgs).toEqual([
      { role: "user", content: "hi", timestamp: "t1" },
      { role: "assistant", content: "hello", timestamp: "t2", id: "msg-1", status: "stopped" },
      { role: "assistant", content: "odd", timestamp: "" },
    ]);
  });

  it("reads the persona with safe defaults", async () => {
    expect((await getPersona("")).name).toBe("Ada Lovelace");
    server.use(http.get("*/api/persona", () => HttpResponse.json({ starters: [1, "ok", ""] })));
    expect(await getPersona("")).toEqual({ name: "", greeting: "", starters: ["ok"] });
  });
});
