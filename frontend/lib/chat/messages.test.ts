import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChatMessage, fromHistory, lastUserMessage, messagesReducer } from "./messages";

const user: ChatMessage = { id: "u1", role: "user", content: "hi", state: "complete" };
const reply: ChatMessage = { id: "r1", role: "assistant", content: "", state: "pending" };
const submitted = messagesReducer([], { type: "submit", user, reply });

describe("messagesReducer", () => {
  it("streams deltas into the reply, which shows exactly their concatenation", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 20 }), (deltas) => {
        let ms = submitted;
        for (const delta of deltas) ms = messagesReducer(ms, { type: "delta", id: "r1", delta });
        expect(ms[1]?.content).toBe(deltas.join(""));
        expect(ms[1]?.state).toBe(deltas.length ? "streaming" : "pending");
        expect(ms[0]).toBe(user);
      }),
    );
  });

  it("keeps the server's message id, finishes, stops and rates only the addressed message", () => {
    let ms = messagesReducer(submitted, { type: "start", id: "r1", serverId: "msg-9" });
    ms = messagesReducer(ms, { type: "finish", id: "r1", content: "Hello.", timestamp: "t" });
    expect(ms[1]).toMatchObject({ serverId: "msg-9", content: "Hello.", state: "complete" });
    ms = messagesReducer(ms, { type: "rate", id: "r1", rating: "down" });
    expect(ms[1]?.rating).toBe("down");
    expect(messagesReducer(ms, { type: "end", id: "r1", state: "stopped" })[1]?.state).toBe(
      "stopped",
    );
    expect(ms[0]).toBe(user);
  });

  it("puts a late history before what was sent meanwhile", () => {
    const old = fromHistory([
      { role: "user", content: "before", timestamp: "t1" },
      { role: "assistant", content: "an answer", timestamp: "t2" },
    ]);
    const ms = messagesReducer(submitted, { type: "restore", messages: old });
    expect(ms.map((m) => m.content)).toEqual(["before", "an answer", "hi", ""]);
    expect(ms[1]?.state).toBe("complete");
  });

  it("removes by id and returns the same array when nothing matched", () => {
    expect(messagesReducer(submitted, { type: "remove", ids: ["nope"] })).toBe(submitted);
    expect(messagesReducer(submitted, { type: "remove", ids: ["r1"] })).toEqual([user]);
    expect(messagesReducer(submitted, { type: "clear" })).toEqual([]);
    expect(lastUserMessage(submitted)).toBe(user);
  });
});
