/**
 * msw handlers that speak the real wire protocol of the API (README.md): the UI message stream as SSE bytes,
 * the JSON error envelope, history and persona. Tests override them per case with `server.use`.
 */
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";

export const SESSION = "0b7e4c1e-9a4f-4f43-8a5e-3f9d2b6c1a00";

export const persona = {
  name: "Ada Lovelace",
  greeting: "Hi, I'm Ada. Ask me about engines and poetry.",
  starters: ["What are you working on?", "What is the Analytical Engine?"],
};

/** SSE frames of one streamed reply, as the Go server writes them. */
export function sseFrames(deltas: string[], sessionId = SESSION): string[] {
  const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  return [
    ev({ type: "start", messageId: "msg-1", messageMetadata: { session_id: sessionId } }),
    ev({ type: "text-start", id: "t1" }),
    ...deltas.map((delta) => ev({ type: "text-delta", id: "t1", delta })),
    ev({ type: "text-end", id: "t1" }),
    ev({ type: "finish" }),
    "data: [DONE]\n\n",
  ];
}

/**
 * A streaming response body. `gate` (when given) is awaited before each frame, so a test can hold
 * the stream mid-way. (A client abort shows up as the handler's `request.signal`.)
 */
export function streamResponse(
  frames: string[],
  opts: { gate?: (i: number) => Promise<void>; sessionId?: string } = {},
): Response {
  const enc = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i >= frames.length) {
        controller.close();
        return;
      }
      await opts.gate?.(i);
      controller.enqueue(enc.encode(frames[i++]));
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "x-vercel-ai-ui-message-stream": "v1",
      "X-Session-Id": opts.sessionId ?? SESSION,
    },
  });
}

export function apiError(
  status: number,
  code: string,
  message = code,
  headers: Record<string, string> = {},
): Response {
  return HttpResponse.json(
    { error: { code, message, correlation_id: "corr-1" } },
    { status, headers },
  );
}

export const handlers = [
  http.get("*/api/persona", () => HttpResponse.json(persona)),
  http.get("*/api/chat/history/:id", () => apiError(404, "session_not_found")),
  http.post("*/api/chat/stream", () => streamResponse(sseFrames(["Hello", ", ", "world."]))),
  http.post("*/api/chat", () =>
    HttpResponse.json({
      response: "Hello, world.",
      session_id: SESSION,
      timestamp: "2026-11-27T05:00:00Z",
    }),
  ),
];

export const server = setupServer(...handlers);
