"use client";
/**
 * The chat's state and actions, shaped like the AI SDK's `useChat` (messages, status,
 * sendMessage, stop, regenerate) so a later switch to it is mechanical. The transcript changes
 * through the pure reducer in `lib/chat/messages.ts`; the network through `lib/api/send.ts`,
 * which loads on idle (or at the latest on first send) so it is not first-load JS.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { isSessionId } from "@/lib/api/client";
import { ChatError, friendlyMessage } from "@/lib/api/errors";
import type { RetryPolicy } from "@/lib/api/send";
import {
  type ChatMessage,
  lastUserMessage,
  localId,
  messagesReducer,
  type RatingChoice,
} from "@/lib/chat/messages";
import { saveRating } from "@/lib/session";
import { MAX_MESSAGE_CHARS } from "./composer";
import { preloadReply } from "./lazy";
import type { Session } from "./use-restore-session";

/** As in the AI SDK: `submitted` until the first token, then `streaming`, then `ready` again. */
export type ChatStatus = "ready" | "submitted" | "streaming";

export interface Notice {
  tone: "info" | "error";
  text: string;
  action?: "retry" | "new" | "undo";
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

const loadSend = () => import("@/lib/api/send");

export interface TwinChatOptions {
  baseUrl: string;
  session: Session;
  /** Show "Still thinking…" when no token arrived after this long. */
  slowAfterMs: number;
  /** Stop waiting (and say so) when nothing arrives for this long. */
  timeoutMs: number;
  retryPolicy?: RetryPolicy;
  /** A message the server could not take goes back into the message box. */
  onReturnDraft: (text: string) => void;
  /** Called when a turn ends (to put the focus back in the message box). */
  onSettled: () => void;
}

export function useTwinChat({
  baseUrl,
  session,
  slowAfterMs,
  timeoutMs,
  retryPolicy,
  onReturnDraft,
  onSettled,
}: TwinChatOptions) {
  const [messages, dispatch] = useReducer(messagesReducer, []);
  const [status, setStatus] = useState<ChatStatus>("ready");
  const [slow, setSlow] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const streamOk = useRef(true);
  // "New conversation" can be undone until the next message: the old session id and transcript.
  const undoRef = useRef<{ sessionId: string | null; messages: ChatMessage[] } | null>(null);
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  const callbacks = useRef({ onReturnDraft, onSettled });
  callbacks.current = { onReturnDraft, onSettled };

  // Warm the streaming client and the message view once the page is idle, so the first Send
  // doesn't wait for them.
  useEffect(() => {
    const warm = () => {
      void loadSend();
      void import("./message");
    };
    if (typeof window.requestIdleCallback === "function") {
      const id = window.requestIdleCallback(warm, { timeout: 2000 });
      return () => window.cancelIdleCallback(id);
    }
    const t = setTimeout(warm, 200);
    return () => clearTimeout(t);
  }, []);

  const stop = useCallback(() => abortRef.current?.abort(), []);

  const sendMessage = useCallback(
    async ({ text }: { text: string }) => {
      const message = text.trim();
      if (!message || abortRef.current) return;
      if (message.length > MAX_MESSAGE_CHARS) {
        setNotice({ tone: "error", text: friendlyMessage(new ChatError("message_too_long", "")) });
        callbacks.current.onReturnDraft(message);
        return;
      }
      if (!isSessionId(session.current())) session.startNew();

      const user: ChatMessage = {
        id: localId(),
        role: "user",
        content: message,
        state: "complete",
      };
      const reply: ChatMessage = {
        id: localId(),
        role: "assistant",
        content: "",
        state: "pending",
      };
      dispatch({ type: "submit", user, reply });
      undoRef.current = null;
      setNotice(null);
      setSlow(false);
      setStatus("submitted");
      void preloadReply();

      const ctl = new AbortController();
      abortRef.current = ctl;
      const slowTimer = setTimeout(() => setSlow(true), slowAfterMs);
      let received = false;

      try {
        const { sendChat } = await loadSend();
        const res = await sendChat({
          baseUrl,
          message,
          sessionId: session.current(),
          signal: ctl.signal,
          stream: streamOk.current,
          timeoutMs,
          retry: retryPolicy,
          onStart: ({ sessionId, messageId }) => {
            session.adopt(sessionId);
            if (messageId) dispatch({ type: "start", id: reply.id, serverId: messageId });
          },
          onDelta: (delta) => {
            if (!received) {
              received = true;
              clearTimeout(slowTimer);
              setSlow(false);
              setNotice(null);
              setStatus("streaming");
            }
            dispatch({ type: "delta", id: reply.id, delta });
          },
          onRetry: ({ error }) =>
            setNotice({
              tone: "info",
              // Blame the connection only when it was the connection.
              text:
                error.code === "network"
                  ? "Connection trouble — trying again…"
                  : "No answer yet — trying again…",
            }),
        });
        if (res.transport === "json") streamOk.current = false;
        dispatch({
          type: "finish",
          id: reply.id,
          content: res.text,
          timestamp: new Date().toISOString(),
        });
        setNotice(null);
      } catch (e) {
        if (ctl.signal.aborted) {
          dispatch({ type: "end", id: reply.id, state: "stopped" });
          setNotice(null);
        } else {
          const err = e instanceof ChatError ? e : new ChatError("internal", String(e));
          if (received) {
            dispatch({ type: "end", id: reply.id, state: "interrupted" });
          } else {
            // Nothing came back: the question itself is marked, with its own "Retry".
            dispatch({ type: "remove", ids: [reply.id] });
            dispatch({ type: "end", id: user.id, state: "failed" });
          }
          if (err.code === "session_not_found" || err.code === "invalid_session_id") {
            session.startNew();
          }
          if (err.code === "message_too_long" || err.code === "invalid_request") {
            dispatch({ type: "remove", ids: [user.id] });
            callbacks.current.onReturnDraft(message);
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
        // Only the turn in flight owns the status: a turn cut short by "New conversation" must
        // not reset a newer one.
        if (abortRef.current === ctl) {
          abortRef.current = null;
          setSlow(false);
          setStatus("ready");
          callbacks.current.onSettled();
        }
      }
    },
    [baseUrl, retryPolicy, session, slowAfterMs, timeoutMs],
  );

  /** Sends the visitor's last message again, in place of what followed it. */
  const regenerate = useCallback(async () => {
    const list = messagesRef.current;
    const last = lastUserMessage(list);
    if (!last || abortRef.current) return;
    dispatch({ type: "remove", ids: list.slice(list.indexOf(last)).map((m) => m.id) });
    await sendMessage({ text: last.content });
  }, [sendMessage]);

  /** Sends a message that failed again (it moves to the end of the conversation). */
  const retry = useCallback(
    async (id: string) => {
      const failed = messagesRef.current.find((m) => m.id === id && m.state === "failed");
      if (!failed || abortRef.current) return;
      dispatch({ type: "remove", ids: [id] });
      await sendMessage({ text: failed.content });
    },
    [sendMessage],
  );

  /** Takes the visitor's last message (and what followed) back into the message box. */
  const edit = useCallback(() => {
    const list = messagesRef.current;
    const last = lastUserMessage(list);
    if (!last || abortRef.current) return;
    dispatch({ type: "remove", ids: list.slice(list.indexOf(last)).map((m) => m.id) });
    setNotice(null);
    callbacks.current.onReturnDraft(last.content);
  }, []);

  // A rating is shown at once (and kept for reloads), and undone if the server refuses it.
  const rate = useCallback(
    async (id: string, choice: RatingChoice, reason?: string) => {
      const sessionId = session.current();
      const target = messagesRef.current.find((m) => m.id === id);
      const messageId = target?.serverId;
      if (!isSessionId(sessionId) || !target || !messageId) return;
      const show = (r: RatingChoice | undefined) => {
        dispatch({ type: "rate", id, rating: r === "none" ? undefined : r });
        saveRating(sessionId, messageId, r ?? "none");
      };
      show(choice);
      try {
        const { sendFeedback } = await loadSend();
        await sendFeedback(baseUrl, { sessionId, messageId, rating: choice, reason });
      } catch (e) {
        show(target.rating);
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
    [baseUrl, session],
  );

  /** Drops the transcript (and any reply in flight) for a new session; `undoable` offers Undo. */
  const reset = useCallback(
    ({ undoable = false }: { undoable?: boolean } = {}) => {
      abortRef.current?.abort();
      abortRef.current = null;
      undoRef.current =
        undoable && messagesRef.current.length > 0
          ? { sessionId: session.current(), messages: messagesRef.current }
          : null;
      setStatus("ready");
      setSlow(false);
      session.startNew();
      dispatch({ type: "clear" });
      setNotice(
        undoRef.current
          ? { tone: "info", text: "Started a new conversation.", action: "undo" }
          : null,
      );
      streamOk.current = true;
    },
    [session],
  );

  const undoReset = useCallback(() => {
    const saved = undoRef.current;
    undoRef.current = null;
    if (!saved || messagesRef.current.length > 0) return;
    if (saved.sessionId) session.adopt(saved.sessionId);
    dispatch({ type: "restore", messages: saved.messages });
    setNotice(null);
  }, [session]);

  /** Deletes the stored conversation, then starts a new one (no undo: it is gone). */
  const deleteConversation = useCallback(async () => {
    const sessionId = session.current();
    abortRef.current?.abort();
    try {
      if (isSessionId(sessionId)) {
        const { deleteHistory } = await loadSend();
        await deleteHistory(baseUrl, sessionId);
      }
      reset();
      setNotice({ tone: "info", text: "Conversation deleted." });
    } catch (e) {
      const err = e instanceof ChatError ? e : new ChatError("internal", String(e));
      setNotice({
        tone: "error",
        text:
          err.code === "network" || err.code === "rate_limited"
            ? friendlyMessage(err)
            : "The conversation couldn't be deleted. Please try again.",
      });
    }
  }, [baseUrl, reset, session]);

  const restore = useCallback((restored: ChatMessage[]) => {
    dispatch({ type: "restore", messages: restored });
  }, []);

  return {
    messages,
    status,
    slow,
    notice,
    sendMessage,
    stop,
    regenerate,
    retry,
    edit,
    rate,
    reset,
    undoReset,
    deleteConversation,
    restore,
    /** Whether the visitor has anything in this page view (read at call time, not render time). */
    hasMessages: useCallback(() => messagesRef.current.length > 0, []),
  };
}
