import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sseFrames } from "@/test/server";
import { createStreamParser, decodeEvent, readStream, type StreamEvent } from "./stream";

function bodyOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const ev of readStream(body)) out.push(ev);
  return out;
}

/** Splits `bytes` at the given cut points (any byte offsets, so UTF-8 sequences get split too). */
function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.slice(prev, p));
    prev = p;
  }
  return parts;
}

describe("decodeEvent", () => {
  it("maps the UI message stream vocabulary", () => {
    expect(
      decodeEvent('{"type":"start","messageId":"m","messageMetadata":{"session_id":"s"}}'),
    ).toEqual({ type: "start", messageId: "m", sessionId: "s" });
    expect(decodeEvent('{"type":"text-delta","id":"t","delta":"hi"}')).toEqual({
      type: "text-delta",
      id: "t",
      delta: "hi",
    });
    expect(decodeEvent('{"type":"error","errorText":"boom"}')).toEqual({
      type: "error",
      errorText: "boom",
    });
    expect(decodeEvent("[DONE]")).toEqual({ type: "done" });
  });

  it("passes unknown and malformed events through without throwing", () => {
    expect(decodeEvent('{"type":"start-step"}').type).toBe("unknown");
    expect(decodeEvent("{not json").type).toBe("unknown");
    expect(decodeEvent("42").type).toBe("unknown");
  });
});

describe("readStream", () => {
  it("reads a whole reply and stops at [DONE]", async () => {
    const frames = [...sseFrames(["Hel", "lo"]), 'data: {"type":"text-delta","delta":"late"}\n\n'];
    const events = await collect(bodyOf([new TextEncoder().encode(frames.join(""))]));
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "finish",
      "done",
    ]);
  });

  it("handles CRLF line endings, comments and a last event without a blank line", async () => {
    const text =
      ': keep-alive\r\ndata: {"type":"text-delta","id":"a","delta":"x"}\r\n\r\ndata: [DONE]';
    const events = await collect(bodyOf([new TextEncoder().encode(text)]));
    expect(events).toEqual([{ type: "text-delta", id: "a", delta: "x" }, { type: "done" }]);
  });

  // Property: however the bytes are split into chunks, the parser yields the same events.
  it("yields the same events however the bytes are split", async () => {
    const delta = fc.string({ unit: "grapheme", maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(delta, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        async (deltas, cuts, crlf) => {
          let text = sseFrames(deltas).join("");
          if (crlf) text = text.replaceAll("\n", "\r\n");
          const bytes = new TextEncoder().encode(text);
          const whole = await collect(bodyOf([bytes]));
          const split = await collect(bodyOf(splitAt(bytes, cuts)));
          expect(split).toEqual(whole);
          const got = split.flatMap((e) => (e.type === "text-delta" ? [e.delta] : [])).join("");
          expect(got).toBe(deltas.join(""));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the push parser agrees with itself for any split of the text", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), fc.array(fc.nat()), (deltas, cuts) => {
        const text = sseFrames(deltas).join("");
        const run = (pieces: string[]) => {
          const out: StreamEvent[] = [];
          const p = createStreamParser((e) => out.push(e));
          for (const piece of pieces) p.feed(piece);
          p.end();
          return out;
        };
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const pieces: string[] = [];
        let prev = 0;
        for (const q of [...points, text.length]) {
          pieces.push(text.slice(prev, q));
          prev = q;
        }
        expect(run(pieces)).toEqual(run([text]));
      }),
    );
  });
});
