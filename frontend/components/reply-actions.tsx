"use client";
/**
 * The buttons under a reply: copy, thumbs up/down (pressed again: withdrawn), "Regenerate" on the
 * newest reply, and after a thumbs-down an optional reason. Loaded lazily with the markdown
 * renderer (a reply must have arrived before any of this is needed), so it is not first-load JS.
 */
import { type FormEvent, useState } from "react";
import type { ChatMessage, RatingChoice } from "@/lib/chat/messages";
import { CheckIcon, CopyIcon, ThumbDownIcon, ThumbUpIcon } from "./icons";

export const actionClass =
  "inline-flex size-8 pointer-coarse:size-11 items-center justify-center gap-1 rounded-lg text-zinc-600 transition hover:bg-zinc-200/70 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-zinc-900 aria-pressed:text-zinc-900 aria-pressed:bg-zinc-200/70 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100 dark:focus-visible:outline-zinc-100 dark:aria-pressed:bg-zinc-800 dark:aria-pressed:text-zinc-100";

export interface ReplyActionsProps {
  message: ChatMessage;
  onRate?: (id: string, rating: RatingChoice, reason?: string) => void;
  /** Present on the newest reply only. */
  onRegenerate?: () => void;
}

export default function ReplyActions({ message, onRate, onRegenerate }: ReplyActionsProps) {
  const [copied, setCopied] = useState(false);
  const [asking, setAsking] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(message.content);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard blocked (permissions, insecure origin): nothing to do.
    }
  };
  const toggle = (rating: "up" | "down") => {
    const next = message.rating === rating ? "none" : rating;
    onRate?.(message.id, next);
    setAsking(next === "down");
  };
  const complete = message.state === "complete";
  return (
    <>
      <div className="mt-1 flex items-center gap-0.5">
        {complete && (
          <button
            type="button"
            className={actionClass}
            onClick={copy}
            aria-label="Copy reply"
            title="Copy"
          >
            {copied ? <CheckIcon /> : <CopyIcon />}
          </button>
        )}
        {complete && onRate && message.serverId && (
          <>
            <button
              type="button"
              className={actionClass}
              aria-label="Good reply"
              title={message.rating === "up" ? "Withdraw rating" : "Good reply"}
              aria-pressed={message.rating === "up"}
              onClick={() => toggle("up")}
            >
              <ThumbUpIcon />
            </button>
            <button
              type="button"
              className={actionClass}
              aria-label="Bad reply"
              title={message.rating === "down" ? "Withdraw rating" : "Bad reply"}
              aria-pressed={message.rating === "down"}
              onClick={() => toggle("down")}
            >
              <ThumbDownIcon />
            </button>
          </>
        )}
        {onRegenerate && (
          <button
            type="button"
            className={`${actionClass} w-auto px-2 text-xs font-medium`}
            onClick={onRegenerate}
          >
            Regenerate
          </button>
        )}
        <span className="sr-only" role="status">
          {copied ? "Copied" : ""}
        </span>
      </div>
      {asking && message.rating === "down" && (
        <ReasonForm
          onSubmit={(reason) => {
            setAsking(false);
            if (reason) onRate?.(message.id, "down", reason);
          }}
        />
      )}
    </>
  );
}

/** "What was wrong?" — optional: Skip, or Esc, closes it; the thumbs-down stands either way. */
function ReasonForm({ onSubmit }: { onSubmit: (reason: string) => void }) {
  const [reason, setReason] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(reason.trim());
  };
  return (
    <form
      onSubmit={submit}
      aria-label="Why was this reply bad?"
      className="twin-in mt-1 flex flex-wrap items-center gap-2"
    >
      <input
        // biome-ignore lint/a11y/noAutofocus: opened by the visitor's own click, to type at once
        autoFocus
        aria-label="What was wrong? (optional)"
        placeholder="What was wrong? (optional)"
        maxLength={500}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onSubmit("");
          }
        }}
        className="h-11 min-w-0 flex-1 rounded-xl border border-zinc-300 bg-white px-3 text-sm outline-none focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-zinc-900 dark:border-zinc-700 dark:bg-zinc-950 dark:focus-visible:outline-zinc-100"
      />
      <button type="submit" className={`${actionClass} w-auto px-3 text-sm font-medium`}>
        Send feedback
      </button>
      <button
        type="button"
        onClick={() => onSubmit("")}
        className={`${actionClass} w-auto px-3 text-sm`}
      >
        Skip
      </button>
    </form>
  );
}
