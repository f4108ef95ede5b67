"use client";
/**
 * One message of the transcript: the visitor's on the right, the twin's on the left with its
 * avatar. Every status shows: a reply stopped, interrupted or failed never looks complete, and a
 * message that was not sent says so with its own "Retry". The time shows on hover, focus or a
 * long press.
 */
import { Component, lazy, memo, type ReactNode, Suspense, useRef, useState } from "react";
import type { ChatMessage, RatingChoice } from "@/lib/chat/messages";
import { Avatar } from "./avatar";

const Markdown = lazy(() => import("./markdown"));
const ReplyActions = lazy(() => import("./reply-actions"));

/**
 * Falls back to plain text when a lazy chunk cannot load (offline, or a deploy replaced the
 * hashed chunks under an open page): a reply must never take the page down.
 */
class PlainOnError extends Component<{ text: string; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? (
      <p className="whitespace-pre-wrap">{this.props.text}</p>
    ) : (
      this.props.children
    );
  }
}

function Thinking({ slow }: { slow: boolean }) {
  return (
    <span className="inline-flex items-center gap-2 text-zinc-600 dark:text-zinc-400">
      <span className="inline-flex gap-1" aria-hidden="true">
        <span className="twin-dot size-1.5 rounded-full bg-current" />
        <span className="twin-dot size-1.5 rounded-full bg-current [animation-delay:0.15s]" />
        <span className="twin-dot size-1.5 rounded-full bg-current [animation-delay:0.3s]" />
      </span>
      <span className={slow ? "text-sm" : "sr-only"}>{slow ? "Still thinking…" : "Thinking…"}</span>
    </span>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The message's time: shown while the message is hovered or focused, or after a long press. */
function useStamp(timestamp: string | undefined) {
  const [shown, setShown] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const date = timestamp ? new Date(timestamp) : undefined;
  const valid = date && !Number.isNaN(date.getTime());
  const cancel = () => clearTimeout(timer.current);
  const handlers = {
    onPointerDown: (e: { pointerType: string }) => {
      if (e.pointerType !== "touch") return;
      cancel();
      timer.current = setTimeout(() => setShown((s) => !s), 500);
    },
    onPointerUp: cancel,
    onPointerCancel: cancel,
    onPointerLeave: cancel,
  };
  const stamp = valid ? (
    <time
      dateTime={timestamp}
      className={`text-xs text-zinc-600 tabular-nums dark:text-zinc-400 ${
        shown ? "" : "sr-only group-hover:not-sr-only group-focus-within:not-sr-only"
      }`}
    >
      {timeFormat.format(date)}
    </time>
  ) : null;
  return { handlers, stamp };
}

const linkButton =
  "inline-flex min-h-8 pointer-coarse:min-h-11 pointer-coarse:min-w-11 items-center justify-center rounded-lg px-2 font-medium underline underline-offset-2 hover:bg-zinc-200/70 focus-visible:outline-2 focus-visible:outline-zinc-900 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100";

const STATE_LABEL: Partial<Record<ChatMessage["state"], string>> = {
  stopped: "Stopped",
  interrupted: "Interrupted",
  failed: "Failed",
};

export interface MessageProps {
  message: ChatMessage;
  name: string;
  slow?: boolean;
  onRate?: (id: string, rating: RatingChoice, reason?: string) => void;
  /** A failed question: send it again. */
  onRetry?: (id: string) => void;
  /** The newest question: take it back into the message box. */
  onEdit?: () => void;
  /** The newest reply: ask again. */
  onRegenerate?: () => void;
}

export const Message = memo(function Message({
  message,
  name,
  slow = false,
  onRate,
  onRetry,
  onEdit,
  onRegenerate,
}: MessageProps) {
  const { handlers, stamp } = useStamp(message.timestamp);
  const { content, state } = message;

  if (message.role === "user") {
    const failed = state === "failed";
    return (
      <div
        className="twin-in group flex flex-col items-end gap-1"
        data-role="user"
        data-state={state}
        {...handlers}
      >
        <h2 className="sr-only">You said:</h2>
        <div
          className={`max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-md px-4 py-2.5 text-[15px] leading-relaxed shadow-sm sm:max-w-[75%] ${
            failed
              ? "border border-dashed border-red-400 bg-red-50 text-red-950 dark:border-red-700 dark:bg-red-950/50 dark:text-red-100"
              : "bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900"
          }`}
        >
          {content}
        </div>
        <div className="flex items-center gap-1 text-xs text-zinc-600 dark:text-zinc-400">
          {stamp}
          {failed && <span className="text-red-700 dark:text-red-400">Not sent</span>}
          {failed && onRetry && (
            <button type="button" className={linkButton} onClick={() => onRetry(message.id)}>
              Retry
            </button>
          )}
          {!failed && onEdit && (
            <button
              type="button"
              className={`${linkButton} no-underline`}
              onClick={onEdit}
              aria-label="Edit message"
            >
              Edit
            </button>
          )}
        </div>
      </div>
    );
  }

  const label = STATE_LABEL[state];
  const settled = state !== "pending" && state !== "streaming";
  return (
    <div
      className="twin-in group flex items-start gap-3"
      data-role="assistant"
      data-state={state}
      {...handlers}
    >
      <span className="max-[479px]:hidden">
        <Avatar name={name} />
      </span>
      <div className="min-w-0 max-w-full flex-1 sm:max-w-[80%] sm:flex-none">
        <h2 className="sr-only">{name} said:</h2>
        <div className="break-words rounded-2xl rounded-tl-md border border-zinc-200 bg-white px-4 py-2.5 text-[15px] leading-relaxed shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
          {state === "pending" ? (
            <Thinking slow={slow} />
          ) : content === "" ? (
            <span className="italic text-zinc-600 dark:text-zinc-400">No answer.</span>
          ) : (
            <div data-part="text" className={state === "streaming" ? "twin-caret" : undefined}>
              <PlainOnError text={content}>
                <Suspense fallback={<p className="whitespace-pre-wrap">{content}</p>}>
                  <Markdown text={content} partial={state !== "complete"} />
                </Suspense>
              </PlainOnError>
            </div>
          )}
        </div>
        {(label || stamp) && (
          <p className="mt-1 flex gap-2 pl-1 text-xs text-zinc-600 dark:text-zinc-400">
            {label && (
              <span className={state === "stopped" ? undefined : "text-red-700 dark:text-red-400"}>
                {label}
              </span>
            )}
            {stamp}
          </p>
        )}
        {settled && (state === "complete" || onRegenerate) && (
          <PlainOnError text="">
            <Suspense fallback={<div className="mt-1 h-8 pointer-coarse:h-11" />}>
              <ReplyActions message={message} onRate={onRate} onRegenerate={onRegenerate} />
            </Suspense>
          </PlainOnError>
        )}
      </div>
    </div>
  );
});
