/**
 * The transcript's state and every change to it, as one pure reducer. The chat hook
 * (`components/use-twin-chat.ts`) dispatches these actions; keeping them here, free of React and
 * the network, lets Vitest check each transition on its own.
 */
import type { HistoryMessage } from "@/lib/api/client";

/** A reply's rating by the visitor. */
export type Rating = "up" | "down";
/** What a click on a thumb asks for: a rating, or `none` to withdraw it. */
export type RatingChoice = Rating | "none";

/**
 * Where a message stands. `pending` and `streaming` are the reply in flight; `complete`,
 * `stopped` (the visitor pressed Stop), `interrupted` (the connection or the server broke off)
 * and `failed` (nothing came back) are the stored statuses the history API returns too.
 */
export type MessageState =
  | "pending"
  | "streaming"
  | "complete"
  | "stopped"
  | "interrupted"
  | "failed";

export interface ChatMessage {
  /** This page's key for the message (stable across re-renders, never sent). */
  id: string;
  /** The server's id of a reply (the stream's `messageId`), which ratings refer to. */
  serverId?: string;
  role: "user" | "assistant";
  content: string;
  state: MessageState;
  /** The visitor's rating of a reply, once recorded by the server. */
  rating?: Rating;
  /** When it was sent or stored (RFC 3339). */
  timestamp?: string;
}

export type Action =
  | { type: "restore"; messages: ChatMessage[] }
  | { type: "submit"; user: ChatMessage; reply: ChatMessage }
  | { type: "start"; id: string; serverId: string }
  | { type: "delta"; id: string; delta: string }
  | { type: "finish"; id: string; content: string; timestamp: string }
  | { type: "end"; id: string; state: "stopped" | "interrupted" | "failed" }
  | { type: "remove"; ids: string[] }
  | { type: "rate"; id: string; rating: Rating | undefined }
  | { type: "clear" };

function update(
  messages: ChatMessage[],
  id: string,
  patch: (m: ChatMessage) => ChatMessage,
): ChatMessage[] {
  return messages.map((m) => (m.id === id ? patch(m) : m));
}

/** Applies one action; returns the same array when nothing changed. */
export function messagesReducer(messages: ChatMessage[], action: Action): ChatMessage[] {
  switch (action.type) {
    case "restore":
      // Messages sent while the history was late stay after it.
      return [...action.messages, ...messages];
    case "submit":
      return [...messages, action.user, action.reply];
    case "start":
      return update(messages, action.id, (m) => ({ ...m, serverId: action.serverId }));
    case "delta":
      return update(messages, action.id, (m) => ({
        ...m,
        content: m.content + action.delta,
        state: "streaming",
      }));
    case "finish":
      return update(messages, action.id, (m) => ({
        ...m,
        content: action.content,
        state: "complete",
        timestamp: action.timestamp,
      }));
    case "end":
      return update(messages, action.id, (m) => ({ ...m, state: action.state }));
    case "remove": {
      const gone = new Set(action.ids);
      const kept = messages.filter((m) => !gone.has(m.id));
      return kept.length === messages.length ? messages : kept;
    }
    case "rate":
      return update(messages, action.id, (m) => ({ ...m, rating: action.rating }));
    case "clear":
      return messages.length === 0 ? messages : [];
  }
}

let counter = 0;
/** A page-local message key. */
export const localId = (): string => `m${++counter}`;

const STORED_STATES = new Set<MessageState>(["complete", "stopped", "interrupted", "failed"]);

/**
 * Stored messages as the transcript shows them, with the visitor's ratings (by server id).
 * Older stored messages have no status: they were complete.
 */
export function fromHistory(
  history: HistoryMessage[],
  ratings: Record<string, Rating> = {},
): ChatMessage[] {
  return history.map((m) => {
    const state = STORED_STATES.has(m.status as MessageState)
      ? (m.status as MessageState)
      : "complete";
    const msg: ChatMessage = {
      id: localId(),
      role: m.role,
      content: m.content,
      state,
      timestamp: m.timestamp,
    };
    if (m.id) {
      msg.serverId = m.id;
      const rating = ratings[m.id];
      if (rating) msg.rating = rating;
    }
    return msg;
  });
}

/** The last message the visitor sent, if any. */
export function lastUserMessage(messages: ChatMessage[]): ChatMessage | undefined {
  return messages.findLast((m) => m.role === "user");
}
