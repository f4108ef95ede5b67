"use client";
/**
 * The chat page: the header, the transcript and the message box, composed from hooks —
 * `useTwinChat` (the conversation), `useRestoreSession` (the stored session on load) and
 * `useStickToBottom` (autoscroll). Children get typed props; network work is in `lib/api`.
 */
import { Suspense, useCallback, useEffect, useRef, useState } from "react";
import { getPersona, type Persona } from "@/lib/api/client";
import { friendlyMessage } from "@/lib/api/errors";
import type { RetryPolicy } from "@/lib/api/send";
import { API_BASE_URL } from "@/lib/config";
import { Avatar } from "./avatar";
import { Composer } from "./composer";
import { EmptyState, RestoreFailed } from "./empty-state";
import { ArrowUpIcon, PlusIcon, TrashIcon } from "./icons";
import { ConfirmDelete, Message, preloadReply } from "./lazy";
import { NoticeBar } from "./notice-bar";
import { useRestoreSession, useSession } from "./use-restore-session";
import { useStickToBottom } from "./use-stick-to-bottom";
import { useTwinChat } from "./use-twin-chat";

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

/** A second click or tap on Send within this long is the same intent, not a new message. */
const DOUBLE_SEND_MS = 600;

const pillClass =
  "inline-flex h-9 min-w-9 pointer-coarse:h-11 pointer-coarse:min-w-11 items-center justify-center gap-1.5 rounded-full border border-zinc-300 bg-white px-3 text-sm font-medium text-zinc-800 shadow-sm transition hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:cursor-not-allowed disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100";

/** Focus the message box on a desktop only: on touch screens it would pop the keyboard up. */
function focusOnDesktop(el: HTMLTextAreaElement | null) {
  if (window.matchMedia?.("(pointer: fine)").matches) el?.focus({ preventScroll: true });
}

/** The persona for the header and greeting; an empty one when it cannot be loaded. */
function usePersona(baseUrl: string): Persona | null {
  const [persona, setPersona] = useState<Persona | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    getPersona(baseUrl, ctl.signal)
      .then(setPersona)
      .catch(() => {
        if (!ctl.signal.aborted) setPersona({ name: "", greeting: "", starters: [] });
      });
    return () => ctl.abort();
  }, [baseUrl]);
  useEffect(() => {
    if (persona?.name) document.title = `${persona.name} · Digital Twin`;
  }, [persona?.name]);
  return persona;
}

export function Chat({
  baseUrl = API_BASE_URL,
  slowAfterMs = 6000,
  timeoutMs = 60_000,
  retry,
  restoreTimeoutMs = 8000,
}: ChatProps) {
  const persona = usePersona(baseUrl);
  const [draft, setDraft] = useState("");
  const [confirming, setConfirming] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  const lastSend = useRef({ at: 0, text: "" });
  const session = useSession();
  const chat = useTwinChat({
    baseUrl,
    session,
    slowAfterMs,
    timeoutMs,
    retryPolicy: retry,
    onReturnDraft: (text) => {
      setDraft(text);
      inputRef.current?.focus();
    },
    onSettled: () => focusOnDesktop(inputRef.current),
  });
  const { messages, status, slow, notice, stop, sendMessage } = chat;
  const restore = useRestoreSession({
    baseUrl,
    session,
    onRestored: chat.restore,
    hasMessages: chat.hasMessages,
    timeoutMs: restoreTimeoutMs,
    preload: preloadReply,
  });
  const { restoring } = restore;
  const { scrollRef, onScroll, awayFromBottom, scrollToLatest, stick } = useStickToBottom();

  const busy = status !== "ready";
  const blocked = restoring || restore.failed !== null;
  // The persona may not name anyone (or fail to load): the page then says "Digital Twin".
  const name = persona?.name || "Digital Twin";
  const firstName = persona?.name ? persona.name.split(/\s+/)[0] : undefined;

  // On a desktop the message box takes the focus once the page is ready.
  useEffect(() => {
    if (!restoring && document.activeElement === document.body) focusOnDesktop(inputRef.current);
  }, [restoring]);

  // Esc stops a reply from anywhere on the page, not only from the message box.
  useEffect(() => {
    if (!busy) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") stop();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy, stop]);

  /** Runs a turn-starting action when the page can take one. */
  const start = useCallback(
    (action: () => void) => {
      if (blocked || busy) return;
      stick();
      action();
    },
    [blocked, busy, stick],
  );

  const send = useCallback(
    (text: string) => {
      // The same text again within a moment is a double click or tap, not a new turn.
      const now = Date.now();
      const last = lastSend.current;
      if (!text.trim() || (text === last.text && now - last.at < DOUBLE_SEND_MS)) return;
      start(() => {
        lastSend.current = { at: now, text };
        setDraft("");
        void sendMessage({ text });
      });
    },
    [start, sendMessage],
  );

  const newConversation = () => {
    chat.reset({ undoable: true });
    lastSend.current = { at: 0, text: "" };
    setDraft("");
    inputRef.current?.focus();
  };

  const lastFailed = messages.findLast((m) => m.role === "user" && m.state === "failed");
  const lastUser = messages.findLast((m) => m.role === "user");
  const lastReply = messages.at(-1)?.role === "assistant" ? messages.at(-1) : undefined;
  const empty = messages.length === 0;
  const onRetry = useCallback(
    (id: string) => start(() => void chat.retry(id)),
    [start, chat.retry],
  );
  const onRegenerate = useCallback(
    () => start(() => void chat.regenerate()),
    [start, chat.regenerate],
  );

  return (
    <div className="flex h-dvh flex-col">
      <header className="sticky top-0 z-10 border-b border-zinc-200/80 bg-zinc-50/80 backdrop-blur dark:border-zinc-800/80 dark:bg-zinc-950/80">
        <div className="mx-auto flex h-14 max-w-3xl items-center gap-2 px-4 pointer-coarse:h-16">
          <Avatar name={name} size="md" />
          <div className="min-w-0 flex-1 pl-1">
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
          {!empty && (
            <button
              type="button"
              onClick={() => setConfirming(true)}
              aria-label="Delete conversation"
              title="Delete conversation"
              className={pillClass}
            >
              <TrashIcon />
            </button>
          )}
          <button
            type="button"
            onClick={newConversation}
            disabled={empty && !busy}
            className={pillClass}
          >
            <PlusIcon />
            <span className="sr-only sm:not-sr-only">New conversation</span>
          </button>
        </div>
      </header>

      <main ref={scrollRef} onScroll={onScroll} className="flex-1 overflow-y-auto">
        <div className="mx-auto flex min-h-full max-w-3xl flex-col px-4 pb-4 max-[479px]:px-3">
          {empty && restore.failed && (
            <RestoreFailed
              message={friendlyMessage(restore.failed)}
              onRetry={restore.retry}
              onNew={() => {
                chat.reset();
                restore.dismiss();
              }}
            />
          )}
          {empty && !restore.failed && (
            <EmptyState persona={persona} disabled={blocked} onPick={send} />
          )}
          <div
            role="log"
            aria-live="polite"
            aria-label={`Conversation with ${name}`}
            aria-busy={busy || restoring}
            className={empty ? "sr-only" : "flex flex-col gap-5 pt-6"}
          >
            <Suspense>
              {messages.map((m) => (
                <Message
                  key={m.id}
                  message={m}
                  name={name}
                  slow={slow && m.state === "pending"}
                  onRate={chat.rate}
                  onRetry={busy ? undefined : onRetry}
                  onEdit={!busy && m === lastUser && m.state !== "failed" ? chat.edit : undefined}
                  onRegenerate={!busy && m === lastReply ? onRegenerate : undefined}
                />
              ))}
            </Suspense>
          </div>
        </div>
      </main>

      <section
        aria-label="Write a message"
        className="bg-gradient-to-t from-zinc-50 from-60% to-transparent pb-[max(env(safe-area-inset-bottom),0.75rem)] dark:from-zinc-950"
      >
        <div className="relative mx-auto max-w-3xl px-4 max-[479px]:px-3">
          {awayFromBottom && !empty && (
            <button
              type="button"
              onClick={scrollToLatest}
              aria-label="Scroll to the latest message"
              className="twin-in absolute -top-14 left-1/2 inline-flex size-11 -translate-x-1/2 items-center justify-center rounded-full border border-zinc-200 bg-white text-zinc-700 shadow-md transition hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
            >
              <ArrowUpIcon className="rotate-180" />
            </button>
          )}
          {notice && (
            <NoticeBar
              notice={notice}
              onRetry={() => (lastFailed ? onRetry(lastFailed.id) : onRegenerate())}
              onNew={newConversation}
              onUndo={chat.undoReset}
            />
          )}
          <Composer
            value={draft}
            onChange={setDraft}
            onSend={() => send(draft)}
            onStop={stop}
            busy={busy}
            disabled={blocked}
            waitUntil={notice?.retryAt}
            placeholder={`Message ${firstName ?? "the twin"}…`}
            inputRef={inputRef}
          />
        </div>
      </section>
      {confirming && (
        <Suspense>
          <ConfirmDelete
            onCancel={() => setConfirming(false)}
            onConfirm={() => {
              setConfirming(false);
              void chat.deleteConversation();
            }}
          />
        </Suspense>
      )}
    </div>
  );
}
