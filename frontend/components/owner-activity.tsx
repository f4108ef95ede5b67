"use client";
/**
 * The owner view's per-item lists: the latest ratings (with the visitor's reason) and the
 * questions the twin could not answer (dismissable once answered), each linking to its
 * conversation, and that conversation itself, read-only, from the history API.
 */
import { useEffect, useState } from "react";
import { getHistory, type HistoryMessage } from "@/lib/api/client";
import type { FeedbackItem, UnansweredItem } from "@/lib/api/owner";
import { ThumbDownIcon, ThumbUpIcon } from "./icons";
import { cardClass, when } from "./owner-dashboard";

/** The owner page's address of a conversation (and of one reply in it). */
export function conversationHref(sessionId: string, messageId?: string): string {
  const q = new URLSearchParams({ conversation: sessionId });
  if (messageId) q.set("message", messageId);
  return `#${q.toString()}`;
}

/** Reads `#conversation=…&message=…`. */
export function parseConversationHash(
  hash: string,
): { sessionId: string; messageId?: string } | null {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const sessionId = q.get("conversation");
  if (!sessionId) return null;
  return { sessionId, messageId: q.get("message") ?? undefined };
}

/** The conversation the page's address names (`#conversation=…`), following its changes. */
export function useConversationHash() {
  const [hash, setHash] = useState("");
  useEffect(() => {
    const read = () => setHash(window.location.hash);
    read();
    window.addEventListener("hashchange", read);
    return () => window.removeEventListener("hashchange", read);
  }, []);
  return parseConversationHash(hash);
}

const linkClass =
  "inline-flex min-h-8 items-center rounded font-medium text-emerald-700 underline decoration-emerald-700/30 underline-offset-2 hover:decoration-current pointer-coarse:min-h-11 dark:text-emerald-300 dark:decoration-emerald-300/40";
const muted = "text-xs tabular-nums text-zinc-600 dark:text-zinc-400";

export function RecentFeedback({ items }: { items: FeedbackItem[] }) {
  return (
    <section aria-labelledby="ratings" className={`${cardClass} p-5`}>
      <h2 id="ratings" className="mb-3 font-semibold">
        Recent ratings
      </h2>
      {items.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          No ratings yet. Visitors' thumbs up and down on replies, and their reasons, show here.
        </p>
      ) : (
        <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
          {items.map((f) => (
            <li key={`${f.session_id}-${f.message_id}`} className="py-2.5 first:pt-0 last:pb-0">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
                <span className="inline-flex items-center gap-1.5 font-medium">
                  {f.rating === "up" ? <ThumbUpIcon /> : <ThumbDownIcon />}
                  {f.rating === "up" ? "Good reply" : "Bad reply"}
                </span>
                <a href={conversationHref(f.session_id, f.message_id)} className={linkClass}>
                  Open conversation
                </a>
                <time dateTime={f.timestamp} className={`ml-auto ${muted}`}>
                  {when(f.timestamp)}
                </time>
              </div>
              {f.reason && (
                <blockquote className="mt-1 border-l-2 border-zinc-300 pl-2 text-sm text-zinc-700 dark:border-zinc-700 dark:text-zinc-300">
                  {f.reason}
                </blockquote>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function UnansweredList({
  items,
  onDismiss,
}: {
  items: UnansweredItem[];
  onDismiss: (id: string) => void;
}) {
  return (
    <section aria-labelledby="open-questions" className={`${cardClass} p-5`}>
      <h2 id="open-questions" className="mb-3 font-semibold">
        Questions to answer
      </h2>
      {items.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          None open. Dismiss a question here once your notes answer it.
        </p>
      ) : (
        <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
          {items.map((q) => (
            <li key={q.id} className="py-2.5 first:pt-0 last:pb-0">
              <p className="break-words text-sm">{q.question}</p>
              <div className="mt-1 flex flex-wrap items-center gap-x-3 text-sm">
                <a href={conversationHref(q.session_id)} className={linkClass}>
                  Open conversation
                </a>
                <button
                  type="button"
                  onClick={() => onDismiss(q.id)}
                  aria-label={`Dismiss: ${q.question}`}
                  className="inline-flex min-h-8 items-center rounded-lg px-2 font-medium hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-zinc-900 pointer-coarse:min-h-11 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
                >
                  Dismiss
                </button>
                <time dateTime={q.timestamp} className={`ml-auto ${muted}`}>
                  {when(q.timestamp)}
                </time>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type Loaded =
  | { kind: "loading" }
  | { kind: "error" }
  | { kind: "ready"; messages: HistoryMessage[] };

/** A conversation, read-only, with the rated reply marked. */
export function ConversationView({
  baseUrl,
  sessionId,
  messageId,
}: {
  baseUrl: string;
  sessionId: string;
  messageId?: string;
}) {
  const [state, setState] = useState<Loaded>({ kind: "loading" });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ kind: "loading" });
    getHistory(baseUrl, sessionId, ctl.signal)
      .then((messages) => setState({ kind: "ready", messages }))
      .catch(() => {
        if (!ctl.signal.aborted) setState({ kind: "error" });
      });
    return () => ctl.abort();
  }, [baseUrl, sessionId]);
  return (
    <section aria-labelledby="conversation" className={`${cardClass} p-5`}>
      <div className="mb-3 flex items-baseline justify-between gap-3">
        <h2 id="conversation" className="font-semibold">
          Conversation
        </h2>
        <a href="#kpis" className={linkClass}>
          Close
        </a>
      </div>
      {state.kind === "loading" && <p className={muted}>Loading the conversation…</p>}
      {state.kind === "error" && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          This conversation couldn't be loaded (it may have been deleted by the visitor).
        </p>
      )}
      {state.kind === "ready" && (
        <ol aria-label="Messages" className="flex flex-col gap-3">
          {state.messages.map((m, i) => {
            const marked = messageId !== undefined && m.id === messageId;
            return (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: a read-only list in stored order
                key={i}
                aria-current={marked ? "true" : undefined}
                className={`rounded-xl px-3 py-2 text-sm ${
                  m.role === "user"
                    ? "bg-zinc-100 dark:bg-zinc-800"
                    : "border border-zinc-200 dark:border-zinc-800"
                } ${marked ? "ring-2 ring-amber-500" : ""}`}
              >
                <p className={`${muted} mb-0.5`}>
                  {m.role === "user" ? "Visitor" : "Twin"} · {when(m.timestamp)}
                  {m.status && m.status !== "complete" ? ` · ${m.status}` : ""}
                  {marked ? " · the rated reply" : ""}
                </p>
                <p className="whitespace-pre-wrap break-words">{m.content}</p>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
