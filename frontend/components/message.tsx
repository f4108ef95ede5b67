"use client";
/** One message of the transcript: the visitor's on the right, the twin's on the left with its avatar. */
import { Component, lazy, memo, type ReactNode, Suspense, useState } from "react";
import type { ChatMessage, Rating } from "@/lib/chat/messages";
import { Avatar } from "./avatar";
import { CheckIcon, CopyIcon, ThumbDownIcon, ThumbUpIcon } from "./icons";

const Markdown = lazy(() => import("./markdown"));

/**
 * Falls back to plain text when the markdown chunk cannot load (offline, or a deploy replaced the
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

/** Starts loading the markdown renderer early (on first send) so the first reply doesn't wait. */
export function preloadMarkdown(): void {
  void import("./markdown");
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

const actionClass =
  "inline-flex size-8 items-center justify-center rounded-lg text-zinc-600 transition hover:bg-zinc-200/70 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-zinc-900 aria-pressed:text-zinc-900 aria-pressed:bg-zinc-200/70 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100 dark:focus-visible:outline-zinc-100 dark:aria-pressed:bg-zinc-800 dark:aria-pressed:text-zinc-100";

/** Copy, and thumbs up/down recorded through POST /api/feedback. */
function ReplyActions({
  message,
  onRate,
}: {
  message: ChatMessage;
  onRate?: (id: string, rating: Rating) => void;
}) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(message.content);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard blocked (permissions, insecure origin): nothing to do.
    }
  };
  return (
    <div className="mt-1 flex items-center gap-0.5">
      <button
        type="button"
        className={actionClass}
        onClick={copy}
        aria-label="Copy reply"
        title="Copy"
      >
        {copied ? <CheckIcon /> : <CopyIcon />}
      </button>
      {onRate && (
        <>
          <button
            type="button"
            className={actionClass}
            aria-label="Good reply"
            title="Good reply"
            aria-pressed={message.rating === "up"}
            onClick={() => onRate(message.id, "up")}
          >
            <ThumbUpIcon />
          </button>
          <button
            type="button"
            className={actionClass}
            aria-label="Bad reply"
            title="Bad reply"
            aria-pressed={message.rating === "down"}
            onClick={() => onRate(message.id, "down")}
          >
            <ThumbDownIcon />
          </button>
        </>
      )}
      <span className="sr-only" role="status">
        {copied ? "Copied" : ""}
      </span>
    </div>
  );
}

export const Message = memo(function Message({
  message,
  name,
  slow = false,
  onRate,
}: {
  message: ChatMessage;
  name: string;
  slow?: boolean;
  onRate?: (id: string, rating: Rating) => void;
}) {
  if (message.role === "user") {
    return (
      <div className="twin-in flex justify-end" data-role="user">
        <h2 className="sr-only">You said:</h2>
        <div className="max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-md bg-zinc-900 px-4 py-2.5 text-[15px] leading-relaxed text-white shadow-sm sm:max-w-[75%] dark:bg-zinc-100 dark:text-zinc-900">
          {message.content}
        </div>
      </div>
    );
  }

  const { content, state } = message;
  return (
    <div className="twin-in flex items-start gap-3" data-role="assistant" data-state={state}>
      <Avatar name={name} />
      <div className="min-w-0 max-w-[85%] sm:max-w-[80%]">
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
                  <Markdown text={content} />
                </Suspense>
              </PlainOnError>
            </div>
          )}
        </div>
        {state === "stopped" && (
          <p className="mt-1 pl-1 text-xs text-zinc-600 dark:text-zinc-400">Stopped</p>
        )}
        {state === "interrupted" && (
          <p className="mt-1 pl-1 text-xs text-red-700 dark:text-red-400">Interrupted</p>
        )}
        {state === "complete" && content !== "" && (
          <ReplyActions message={message} onRate={onRate} />
        )}
      </div>
    </div>
  );
});
