/**
 * A small reader for the AI SDK *UI message stream* v1 (see README.md): server-sent events whose data is
 * one JSON object per event, ended by `data: [DONE]`. Built on eventsource-parser so the SSE framing
 * (partial lines, CRLF, comments, multi-line data) is handled by a tested library; this file only
 * knows the event vocabulary. Unknown event types are passed through as `unknown` and ignored by the
 * client, so newer servers (reasoning parts, tool calls, steps) don't break older pages.
 */
import { createParser } from "eventsource-parser";

/** The events this client understands; anything else arrives as `unknown`. */
export type StreamEvent =
  | { type: "start"; messageId?: string; sessionId?: string }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  | { type: "finish" }
  | { type: "error"; errorText: string }
  | { type: "done" }
  | { type: "unknown"; raw: unknown };

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Maps one SSE `data:` payload to a StreamEvent. Malformed JSON is reported, not thrown. */
export function decodeEvent(data: string): StreamEvent {
  if (data === "[DONE]") return { type: "done" };
  let obj: unknown;
  try {
    obj = JSON.parse(data);
  } catch {
    return { type: "unknown", raw: data };
  }
  if (typeof obj !== "object" || obj === null) return { type: "unknown", raw: obj };
  const o = obj as Record<string, unknown>;
  switch (o.type) {
    case "start": {
      const meta = o.messageMetadata as Record<string, unknown> | undefined;
      const ev: StreamEvent = { type: "start" };
      const messageId = str(o.messageId);
      const sessionId = str(meta?.session_id);
      if (messageId !== undefined) ev.messageId = messageId;
      if (sessionId !== undefined) ev.sessionId = sessionId;
      return ev;
    }
    case "text-start":
      return { type: "text-start", id: str(o.id) ?? "" };
    case "text-delta":
      return { type: "text-delta", id: str(o.id) ?? "", delta: str(o.delta) ?? "" };
    case "text-end":
      return { type: "text-end", id: str(o.id) ?? "" };
    case "finish":
      return { type: "finish" };
    case "error":
      return { type: "error", errorText: str(o.errorText) ?? "stream error" };
    default:
      return { type: "unknown", raw: obj };
  }
}

/**
 * A push parser: feed it decoded text in any pieces, get StreamEvents in order. `end()` flushes an
 * unterminated last event (a server that closes without the final blank line).
 */
export function createStreamParser(onEvent: (ev: StreamEvent) => void): {
  feed(text: string): void;
  end(): void;
} {
  const parser = createParser({
    onEvent: (msg) => onEvent(decodeEvent(msg.data)),
  });
  return {
    feed: (text) => parser.feed(text),
    end: () => {
      // A blank line dispatches any pending event; after a proper end it is a no-op.
      parser.feed("\n\n");
      parser.reset();
    },
  };
}

/**
 * Reads a response body as StreamEvents. Bytes are decoded with a streaming TextDecoder, so a
 * multi-byte character split across chunks comes out whole. Stops after `[DONE]`. When `signal`
 * aborts, the body is cancelled and the generator throws the signal's reason (a fetch's own abort
 * does not always reach a body that is already being read, e.g. under mocks or some proxies).
 */
export async function* readStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const decoder = new TextDecoder();
  const queue: StreamEvent[] = [];
  const parser = createStreamParser((ev) => queue.push(ev));
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) {
        parser.feed(decoder.decode());
        parser.end();
      } else {
        parser.feed(decoder.decode(value, { stream: true }));
      }
      while (queue.length > 0) {
        const ev = queue.shift() as StreamEvent;
        yield ev;
        if (ev.type === "done") return;
      }
      if (done) return;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // On early exit (abort, [DONE], consumer break) release the connection: cancelling the reader
    // is what tells the server the visitor went away, so it can cancel the model call.
    reader.cancel().catch(() => {});
  }
}
