"use client";
/**
 * The chat page. This one client component owns the conversation state (messages, session, the
 * in-flight request, notices); its children get typed props. Network work is in `lib/api/client`.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { getHistory, getPersona, isSessionId, type Persona } from "@/lib/api/client";
import { ChatError, friendlyMessage } from "@/lib/api/errors";
import type { Rating, RetryPolicy } from "@/lib/api/send";
import { API_BASE_URL } from "@/lib/config";
import { loadSessionId, newSessionId, saveSessionId } from "@/lib/session";
import { Avatar } from "./avatar";
import { Composer, MAX_MESSAGE_CHARS } from "./composer";
import { AlertIcon, ArrowUpIcon, PlusIcon, SparkIcon } from "./icons";
import { type ChatMessage, Message, preloadMarkdown } from "./message";

export interface ChatProps {
  /** API origin; empty = same origin. Defaults to the build-time NEXT_PUBLIC_API_BASE_URL. */
  baseUrl?: string;
  /** Show "Still thinking…" when no token arrived after this long. */
  slowAfterMs?: number;
  /** Stop waiting (and say so) when nothing arrives for this long. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Let the visitor chat when restoring the stored history takes longer than this. */
  restoreTimeoutMs?: number;
}

type Status = "restoring" | "ready" | "submitted" | "streaming";

interface Notice {
  tone: "info" | "error";
  text: string;
  action?: "retry" | "new";
  /** When "Try again" may work (from Retry-After), in ms since the epoch. */
  retryAt?: number;
}

const RETRY_CODES = new Set([
  "network",
  "timeout",
  "stream_error",
  "rate_limited",
  "llm_unavailable",
  "internal",
  "bad_response",
]);

/** The streaming client is not first-load JS: it loads on idle, or at the latest on first send. */
const loadSend = () => import("@/lib/api/send");

let idCounter = 0;
const localId = () => `m${++idCounter}`;

export function Chat({
  baseUrl = API_BASE_URL,
  slowAfterMs = 6000,
  timeoutMs = 60_000,
  retry,
  restoreTimeoutMs = 8000,
}: ChatProps) {
  const [persona, setPersona] = useState<Persona | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [status, setStatus] = useState<Status>("restoring");
  const [draft, setDraft] = useState("");
  const [slow, setSlow] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);

  const sessionRef = useRef<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const streamOk = useRef(true);
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const stickToBottom = useRef(true);
  const [awayFromBottom, setAwayFromBottom] = useState(false);
  const messagesRef = useRef(messages);
  useEffect(() => {
    messagesRef.current = messages;
  }, [messages]);

  const busy = status === "submitted" || status === "streaming";
  // The persona may not name anyone (or fail to load): the page then says "Digital Twin".
  const name = persona?.name || "Digital Twin";
  const firstName = persona?.name ? persona.name.split(/\s+/)[0] : undefined;

  const startNewSession = useCallback(() => {
    const id = newSessionId();
    sessionRef.current = id;
    saveSessionId(id);
  }, []);

  // Load the persona and restore the stored session's history.
  useEffect(() => {
    const ctl = new AbortController();
    getPersona(baseUrl, ctl.signal)
      .then(setPersona)
      .catch(() => {
        if (!ctl.signal.aborted) setPersona({ name: "", greeting: "", starters: [] });
      });

    const stored = loadSessionId();
    if (!stored) {
      startNewSession();
      setStatus("ready");
    } else {
      sessionRef.current = stored;
      // A slow history request must not hold the composer hostage: after a while, chat anyway.
      const giveUp = setTimeout(
        () => setStatus((s) => (s === "restoring" ? "ready" : s)),
        restoreTimeoutMs,
      );
      ctl.signal.addEventListener("abort", () => clearTimeout(giveUp));
      getHistory(baseUrl, stored, ctl.signal)
        .then((history) => {
          // "New conversation" while this was in flight: the old history no longer belongs here.
          if (sessionRef.current !== stored) return;
          const restored = history.map(
            (m): ChatMessage => ({
              id: localId(),
              role: m.role,
              content: m.content,
              state: "done",
            }),
          );
          // Messages sent while the history was late stay after it.
          setMessages((current) => [...restored, ...current]);
        })
        .catch((e: unknown) => {
          if (ctl.signal.aborted || sessionRef.current !== stored) return;
          // An unknown or malformed session starts a fresh one, quietly: nothing was lost that
          // the visitor could see. Other failures keep the id so a later reload can restore it,
          // and so does a message sent meanwhile (it created the session under this id).
          if (
            e instanceof ChatError &&
            (e.code === "session_not_found" || e.code === "invalid_session_id") &&
            messagesRef.current.length === 0
          ) {
            startNewSession();
          }
        })
        .finally(() => {
          clearTimeout(giveUp);
          if (!ctl.signal.aborted) setStatus((st) => (st === "restoring" ? "ready" : st));
        });
    }
    return () => ctl.abort();
  }, [baseUrl, startNewSession, restoreTimeoutMs]);

  // Warm the streaming client once the page is idle, so the first Send doesn't wait for it.
  useEffect(() => {
    const warm = () => void loadSend();
    if (typeof window.requestIdleCallback === "function") {
      const id = window.requestIdleCallback(warm, { timeout: 2000 });
      return () => window.cancelIdleCallback(id);
    }
    const t = setTimeout(warm, 200);
    return () => clearTimeout(t);
  }, []);

  useEffect(() => {
    if (persona?.name) document.title = `${persona.name} · Digital Twin`;
  }, [persona?.name]);

  // Keep the newest text in view unless the visitor scrolled up to read.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run on every transcript change
  useEffect(() => {
    const el = scrollRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, slow, notice]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    setAwayFromBottom(!stickToBottom.current);
  };

  const scrollToLatest = () => {
    const el = scrollRef.current;
    stickToBottom.current = true;
    setAwayFromBottom(false);
    el?.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
  };

  // On a desktop the message box takes the focus once the page is ready (not on touch screens,
  // where it would open the keyboard over the greeting).
  useEffect(() => {
    if (status === "ready" && window.matchMedia?.("(pointer: fine)").matches) {
      if (document.activeElement === document.body)
        inputRef.current?.focus({ preventScroll: true });
    }
  }, [status]);

  const stop = useCallback(() => abortRef.current?.abort(), []);

  // Esc stops a reply from anywhere on the page, not only from the message box.
  useEffect(() => {
    if (!busy) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") stop();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy, stop]);

  const send = useCallback(
    async (text: string) => {
      const message = text.trim();
      if (!message || abortRef.current || status === "restoring") return;
      if (message.length > MAX_MESSAGE_CHARS) {
        setNotice({ tone: "error", text: friendlyMessage(new ChatError("message_too_long", "")) });
        return;
      }
      if (!isSessionId(sessionRef.current)) startNewSession();

      const userMsg: ChatMessage = { id: localId(), role: "user", content: message, state: "done" };
      const reply: ChatMessage = {
        id: localId(),
        role: "assistant",
        content: "",
        state: "pending",
      };
      const update = (patch: (m: ChatMessage) => ChatMessage) =>
        setMessages((ms) => ms.map((m) => (m.id === reply.id ? patch(m) : m)));

      setMessages((ms) => [...ms, userMsg, reply]);
      setDraft("");
      setNotice(null);
      setSlow(false);
      setStatus("submitted");
      stickToBottom.current = true;
      preloadMarkdown();

      const ctl = new AbortController();
      abortRef.current = ctl;
      const slowTimer = setTimeout(() => setSlow(true), slowAfterMs);
      let received = false;

      try {
        const { sendChat } = await loadSend();
        const res = await sendChat({
          baseUrl,
          message,
          sessionId: sessionRef.current,
          signal: ctl.signal,
          stream: streamOk.current,
          timeoutMs,
          retry,
          onStart: ({ sessionId }) => {
            if (isSessionId(sessionId) && sessionId !== sessionRef.current) {
              sessionRef.current = sessionId;
              saveSessionId(sessionId);
            }
          },
          onDelta: (delta) => {
            if (!received) {
              received = true;
              clearTimeout(slowTimer);
              setSlow(false);
              setNotice(null);
              setStatus("streaming");
            }
            update((m) => ({ ...m, content: m.content + delta, state: "streaming" }));
          },
          onRetry: () => setNotice({ tone: "info", text: "Connection trouble — trying again…" }),
        });
        if (res.transport === "json") streamOk.current = false;
        update((m) => ({ ...m, content: res.text, state: "done" }));
        setNotice(null);
      } catch (e) {
        if (ctl.signal.aborted) {
          update((m) => ({ ...m, state: "stopped" }));
          setNotice(null);
        } else {
          const err = e instanceof ChatError ? e : new ChatError("internal", String(e));
          if (received) {
            update((m) => ({ ...m, state: "failed" }));
          } else {
            setMessages((ms) => ms.filter((m) => m.id !== reply.id));
          }
          if (err.code === "session_not_found" || err.code === "invalid_session_id") {
            startNewSession();
          }
          if (err.code === "message_too_long" || err.code === "invalid_request") {
            setMessages((ms) => ms.filter((m) => m.id !== userMsg.id));
            setDraft(message);
          }
          setNotice({
            tone: "error",
            text: friendlyMessage(err),
            retryAt: err.retryAfter ? Date.now() + err.retryAfter * 1000 : undefined,
            action:
              err.code === "session_full"
                ? "new"
                : RETRY_CODES.has(err.code) && !received
                  ? "retry"
                  : undefined,
          });
        }
      } finally {
        clearTimeout(slowTimer);
        // Only the turn in flight owns the composer: a turn cut short by "New conversation" must
        // not reset a newer one.
        if (abortRef.current === ctl) {
          abortRef.current = null;
          setSlow(false);
          setStatus("ready");
          // Back to the message box for the next question, but not on touch screens, where
          // focusing would pop the keyboard over the reply just received.
          if (window.matchMedia?.("(pointer: fine)").matches) {
            inputRef.current?.focus({ preventScroll: true });
          }
        }
      }
    },
    [baseUrl, retry, slowAfterMs, startNewSession, status, timeoutMs],
  );

  // A rating is shown at once and undone if the server refuses it.
  const rate = useCallback(
    async (id: string, rating: Rating) => {
      const sessionId = sessionRef.current;
      const list = messagesRef.current;
      const pos = list.findIndex((m) => m.id === id);
      const target = list[pos];
      if (!isSessionId(sessionId) || !target) return;
      const ordinal = list
        .slice(0, pos)
        .filter((m) => m.role === "assistant" && m.content === target.content).length;
      const setRating = (r: Rating | undefined) =>
        setMessages((ms) => ms.map((m) => (m.id === id ? { ...m, rating: r } : m)));
      setRating(rating);
      try {
        const { sendFeedback, storedIndexOf } = await loadSend();
        const history = await getHistory(baseUrl, sessionId);
        const messageIndex = storedIndexOf(history, target.content, ordinal);
        if (messageIndex === undefined) throw new ChatError("bad_response", "reply not stored");
        await sendFeedback(baseUrl, { sessionId, messageIndex, rating });
      } catch (e) {
        setRating(target.rating);
        const err = e instanceof ChatError ? e : new ChatError("internal", String(e));
        setNotice({
          tone: "error",
          text:
            err.code === "rate_limited" || err.code === "network"
              ? friendlyMessage(err)
              : "Your rating couldn't be saved. Please try again.",
        });
      }
    },
    [baseUrl],
  );

  const retryLast = () => {
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    if (!lastUser) return;
    setMessages((ms) => ms.filter((m) => m.id !== lastUser.id));
    void send(lastUser.content);
  };

  const newConversation = () => {
    abortRef.current?.abort();
    abortRef.current = null;
    setStatus((st) => (st === "restoring" ? st : "ready"));
    setSlow(false);
    startNewSession();
    setMessages([]);
    setNotice(null);
    setDraft("");
    streamOk.current = true;
    inputRef.current?.focus();
  };

  const empty = messages.length === 0;

  return (
    <div className="flex h-dvh flex-col">
      <header className="sticky top-0 z-10 border-b border-zinc-200/80 bg-zinc-50/80 backdrop-blur dark:border-zinc-800/80 dark:bg-zinc-950/80">
        <div className="mx-auto flex h-14 max-w-3xl items-center gap-3 px-4">
          <Avatar name={name} size="md" />
          <div className="min-w-0 flex-1">
            <h1 className="truncate text-[15px] font-semibold leading-tight">
              {persona ? (
                name
              ) : (
                <span className="text-zinc-600 dark:text-zinc-400">Digital Twin</span>
              )}
            </h1>
            <p className="truncate text-xs text-zinc-600 dark:text-zinc-400">
              AI twin · answers from my own notes
            </p>
          </div>
          <button
            type="button"
            onClick={newConversation}
            disabled={empty && !busy}
            className="inline-flex h-9 items-center gap-1.5 rounded-full border border-zinc-300 bg-white px-3 text-sm font-medium text-zinc-800 shadow-sm transition hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:cursor-not-allowed disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
          >
            <PlusIcon />
            <span className="sr-only sm:not-sr-only">New conversation</span>
          </button>
        </div>
      </header>

      <main ref={scrollRef} onScroll={onScroll} className="flex-1 overflow-y-auto">
        <div className="mx-auto flex min-h-full max-w-3xl flex-col px-4 pb-4">
          {empty && (
            <EmptyState
              persona={persona}
              disabled={status === "restoring"}
              onPick={(q) => void send(q)}
            />
          )}
          <div
            role="log"
            aria-live="polite"
            aria-label={`Conversation with ${name}`}
            aria-busy={busy || status === "restoring"}
            className={empty ? "sr-only" : "flex flex-col gap-5 pt-6"}
          >
            {messages.map((m) => (
              <Message
                key={m.id}
                message={m}
                name={name}
                slow={slow && m.state === "pending"}
                onRate={rate}
              />
            ))}
          </div>
        </div>
      </main>

      <section
        aria-label="Write a message"
        className="bg-gradient-to-t from-zinc-50 from-60% to-transparent pb-[max(env(safe-area-inset-bottom),0.75rem)] dark:from-zinc-950"
      >
        <div className="relative mx-auto max-w-3xl px-4">
          {awayFromBottom && !empty && (
            <button
              type="button"
              onClick={scrollToLatest}
              aria-label="Scroll to the latest message"
              className="twin-in absolute -top-12 left-1/2 inline-flex size-9 -translate-x-1/2 items-center justify-center rounded-full border border-zinc-200 bg-white text-zinc-700 shadow-md transition hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
            >
              <ArrowUpIcon className="rotate-180" />
            </button>
          )}
          {notice && <NoticeBar notice={notice} onRetry={retryLast} onNew={newConversation} />}
          <Composer
            value={draft}
            onChange={setDraft}
            onSend={() => void send(draft)}
            onStop={stop}
            busy={busy}
            disabled={status === "restoring"}
            placeholder={`Message ${firstName ?? "the twin"}…`}
            inputRef={inputRef}
          />
        </div>
      </section>
    </div>
  );
}

function EmptyState({
  persona,
  disabled,
  onPick,
}: {
  persona: Persona | null;
  disabled: boolean;
  onPick: (q: string) => void;
}) {
  return (
    // Top-aligned, with the greeting's space reserved: the prerendered heading and paragraph are the
    // largest paint, and the persona's text replaces theirs in place when it arrives (no layout shift,
    // no late LCP); the starters appear below, moving nothing.
    <section aria-labelledby="greeting" className="pt-[12vh] pb-10 sm:pt-[18vh]">
      <p className="mb-3 inline-flex items-center gap-1.5 text-sm font-medium text-zinc-600 dark:text-zinc-400">
        <SparkIcon /> Digital twin
      </p>
      <h2 id="greeting" className="text-2xl font-semibold tracking-tight sm:text-3xl">
        {persona?.name ? `Chat with ${persona.name.split(/\s+/)[0]}` : "Hello there"}
      </h2>
      <p className="mt-2 min-h-[5.25rem] max-w-2xl text-lg text-zinc-600 sm:min-h-14 dark:text-zinc-400">
        {persona?.greeting || "Ask me about my work, my background, or what I think."}
      </p>
      {persona && persona.starters.length > 0 && (
        <ul className="mt-8 grid gap-2 sm:grid-cols-2" aria-label="Suggested questions">
          {persona.starters.slice(0, 4).map((q) => (
            <li key={q}>
              <button
                type="button"
                disabled={disabled}
                onClick={() => onPick(q)}
                className="twin-in h-full w-full rounded-2xl border border-zinc-200 bg-white px-4 py-3 text-left text-sm text-zinc-800 shadow-sm transition hover:border-zinc-300 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:opacity-60 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:border-zinc-700 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
              >
                {q}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function NoticeBar({
  notice,
  onRetry,
  onNew,
}: {
  notice: Notice;
  onRetry: () => void;
  onNew: () => void;
}) {
  const error = notice.tone === "error";
  // "Try again" waits out Retry-After, counting down in its visible label only (the alert's text
  // stays put, so screen readers are not re-told every second).
  const [now, setNow] = useState(() => Date.now());
  const wait = notice.retryAt ? Math.ceil((notice.retryAt - now) / 1000) : 0;
  useEffect(() => {
    if (wait <= 0) return;
    const t = setTimeout(() => setNow(Date.now()), 1000);
    return () => clearTimeout(t);
  }, [wait]);
  return (
    <div
      role={error ? "alert" : "status"}
      className={`twin-in mb-2 flex items-center gap-3 rounded-2xl border px-4 py-2.5 text-sm ${
        error
          ? "border-red-200 bg-red-50 text-red-900 dark:border-red-900/60 dark:bg-red-950/60 dark:text-red-100"
          : "border-zinc-200 bg-white text-zinc-700 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-300"
      }`}
    >
      <AlertIcon className="shrink-0" />
      <p className="flex-1">{notice.text}</p>
      {notice.action === "retry" && (
        <button
          type="button"
          onClick={onRetry}
          disabled={wait > 0}
          aria-label="Try again"
          className="shrink-0 rounded-full px-3 py-1 font-medium underline underline-offset-2 hover:bg-red-100 disabled:cursor-not-allowed disabled:no-underline disabled:opacity-70 dark:hover:bg-red-900/50"
        >
          <span aria-hidden="true">{wait > 0 ? `Try again in ${wait}s` : "Try again"}</span>
        </button>
      )}
      {notice.action === "new" && (
        <button
          type="button"
          onClick={onNew}
          className="shrink-0 rounded-full px-3 py-1 font-medium underline underline-offset-2 hover:bg-red-100 dark:hover:bg-red-900/50"
        >
          Start over
        </button>
      )}
    </div>
  );
}
