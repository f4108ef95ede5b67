"use client";
/**
 * The visitor's session: its id (kept in localStorage) and, on load, the stored conversation
 * restored from `GET /api/chat/history/{id}`.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { getHistory, isSessionId } from "@/lib/api/client";
import { ChatError } from "@/lib/api/errors";
import { type ChatMessage, fromHistory } from "@/lib/chat/messages";
import { loadRatings, loadSessionId, newSessionId, saveSessionId } from "@/lib/session";

/** The current session id, shared by the hooks that read or change it. */
export interface Session {
  /** The id in use, or null before the first is chosen. */
  current(): string | null;
  /** Starts a fresh session and stores its id. */
  startNew(): string;
  /** Follows the server's id for this conversation (when it differs). */
  adopt(id: string | undefined): void;
}

export function useSession(): Session {
  const ref = useRef<string | null>(null);
  return useMemo(
    () => ({
      current: () => ref.current,
      startNew: () => {
        const id = newSessionId();
        ref.current = id;
        saveSessionId(id);
        return id;
      },
      adopt: (id) => {
        if (isSessionId(id) && id !== ref.current) {
          ref.current = id;
          saveSessionId(id);
        }
      },
    }),
    [],
  );
}

export interface RestoreOptions {
  baseUrl: string;
  session: Session;
  /** Receives the stored messages (to put before anything sent meanwhile). */
  onRestored: (messages: ChatMessage[]) => void;
  /** Whether the visitor has sent something in this page view already. */
  hasMessages: () => boolean;
  /** Let the visitor chat when restoring takes longer than this. */
  timeoutMs: number;
  /** Loads what restored messages render with, so they never show as raw markdown first. */
  preload?: () => Promise<unknown>;
}

export interface Restore {
  /** The restore is still running (and has not yet taken `timeoutMs`). */
  restoring: boolean;
  /** The stored conversation exists but could not be loaded: sending would continue it blind. */
  failed: ChatError | null;
  /** Tries the restore again. */
  retry: () => void;
  /** Forgets the failure (the visitor started a new conversation instead). */
  dismiss: () => void;
}

/**
 * Restores the stored session on mount (and on `retry`). A slow history request must not hold the
 * composer hostage, so after `timeoutMs` it reports done. A failed one is reported, not hidden:
 * the page says so and offers to try again, never the blank first-visit screen.
 */
export function useRestoreSession({
  baseUrl,
  session,
  onRestored,
  hasMessages,
  timeoutMs,
  preload,
}: RestoreOptions): Restore {
  const [restoring, setRestoring] = useState(true);
  const [failed, setFailed] = useState<ChatError | null>(null);
  const [attempt, setAttempt] = useState(0);
  // The callbacks may change identity every render; the restore runs once per attempt.
  const cb = useRef({ onRestored, hasMessages, preload });
  cb.current = { onRestored, hasMessages, preload };

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger
  useEffect(() => {
    const ctl = new AbortController();
    const stored = loadSessionId();
    if (!stored) {
      session.startNew();
      setRestoring(false);
      return () => ctl.abort();
    }
    session.adopt(stored);
    setRestoring(true);
    setFailed(null);
    const giveUp = setTimeout(() => setRestoring(false), timeoutMs);
    Promise.all([getHistory(baseUrl, stored, ctl.signal), cb.current.preload?.().catch(() => {})])
      .then(([history]) => {
        // "New conversation" while this was in flight: the old history no longer belongs here.
        if (session.current() !== stored) return;
        cb.current.onRestored(fromHistory(history, loadRatings(stored)));
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted || session.current() !== stored) return;
        const err = e instanceof ChatError ? e : new ChatError("internal", String(e));
        if (err.code === "session_not_found" || err.code === "invalid_session_id") {
          // Unknown or malformed: nothing the visitor could see was lost, so start afresh
          // quietly — unless a message sent meanwhile created the session under this id.
          if (!cb.current.hasMessages()) session.startNew();
        } else if (!cb.current.hasMessages()) {
          setFailed(err);
        }
      })
      .finally(() => {
        clearTimeout(giveUp);
        if (!ctl.signal.aborted) setRestoring(false);
      });
    return () => {
      clearTimeout(giveUp);
      ctl.abort();
    };
  }, [baseUrl, session, timeoutMs, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const dismiss = useCallback(() => setFailed(null), []);
  return { restoring, failed, retry, dismiss };
}
