"use client";
/**
 * The visitor's session: its id (kept in localStorage) and, on load, the stored conversation
 * restored from `GET /api/chat/history/{id}`.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { getHistory, isSessionId } from "@/lib/api/client";
import { ChatError } from "@/lib/api/errors";
import { type ChatMessage, fromHistory } from "@/lib/chat/messages";
import { loadSessionId, newSessionId, saveSessionId } from "@/lib/session";

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
}

/**
 * Restores the stored session once, on mount. Returns whether the restore is still running: a
 * slow history request must not hold the composer hostage, so after `timeoutMs` it reports done.
 */
export function useRestoreSession({
  baseUrl,
  session,
  onRestored,
  hasMessages,
  timeoutMs,
}: RestoreOptions): boolean {
  const [restoring, setRestoring] = useState(true);
  // The callbacks may change identity every render; the restore runs once per session/baseUrl.
  const cb = useRef({ onRestored, hasMessages });
  cb.current = { onRestored, hasMessages };

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
    const giveUp = setTimeout(() => setRestoring(false), timeoutMs);
    getHistory(baseUrl, stored, ctl.signal)
      .then((history) => {
        // "New conversation" while this was in flight: the old history no longer belongs here.
        if (session.current() !== stored) return;
        cb.current.onRestored(fromHistory(history));
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted || session.current() !== stored) return;
        // An unknown or malformed session starts a fresh one, quietly: nothing was lost that
        // the visitor could see. Other failures keep the id so a later reload can restore it,
        // and so does a message sent meanwhile (it created the session under this id).
        if (
          e instanceof ChatError &&
          (e.code === "session_not_found" || e.code === "invalid_session_id") &&
          !cb.current.hasMessages()
        ) {
          session.startNew();
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
  }, [baseUrl, session, timeoutMs]);

  return restoring;
}
