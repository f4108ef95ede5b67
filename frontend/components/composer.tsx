"use client";
/**
 * The message box. Enter sends, Shift+Enter adds a line, Esc stops a reply in progress. While a
 * reply streams, Stop appears beside Send (never where Send was just pressed, so a double click
 * cannot stop the reply it started). Text over the limit is kept and flagged, never cut, and
 * Send waits out a server's Retry-After.
 */
import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useEffect,
  useId,
  useState,
} from "react";
import { ArrowUpIcon, StopIcon } from "./icons";

export const MAX_MESSAGE_CHARS = 4000;

export interface ComposerProps {
  value: string;
  onChange: (value: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  disabled?: boolean;
  /** Sending is refused until then (ms since the epoch, from Retry-After). */
  waitUntil?: number;
  placeholder: string;
  inputRef: RefObject<HTMLTextAreaElement | null>;
}

/** Whole seconds left until `until`, ticking once a second while above zero. */
export function useCountdown(until: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  const left = until ? Math.ceil((until - now) / 1000) : 0;
  useEffect(() => {
    if (!until) return;
    setNow(Date.now());
  }, [until]);
  useEffect(() => {
    if (left <= 0) return;
    const t = setTimeout(() => setNow(Date.now()), 1000);
    return () => clearTimeout(t);
  }, [left]);
  return Math.max(0, left);
}

const roundButton =
  "inline-flex size-11 shrink-0 items-center justify-center rounded-full transition focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:focus-visible:outline-zinc-100";

export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  busy,
  disabled = false,
  waitUntil,
  placeholder,
  inputRef,
}: ComposerProps) {
  const hintId = useId();
  const wait = useCountdown(waitUntil);
  const over = value.length - MAX_MESSAGE_CHARS;
  const canSend = !busy && !disabled && wait === 0 && over <= 0 && value.trim() !== "";
  const remaining = MAX_MESSAGE_CHARS - value.length;

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (canSend) onSend();
    } else if (e.key === "Escape" && busy) {
      e.preventDefault();
      onStop();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (canSend) onSend();
  };

  return (
    <form onSubmit={onSubmit} className="relative">
      <div className="flex items-end gap-2 rounded-3xl border border-zinc-300 bg-white p-2 pl-4 shadow-sm transition focus-within:border-zinc-900 focus-within:ring-2 focus-within:ring-zinc-900 has-[[aria-invalid=true]]:border-red-600 dark:border-zinc-700 dark:bg-zinc-900 dark:focus-within:border-zinc-100 dark:focus-within:ring-zinc-100">
        <textarea
          ref={inputRef}
          aria-label="Message"
          aria-describedby={hintId}
          aria-invalid={over > 0 ? true : undefined}
          name="message"
          rows={1}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
          enterKeyHint="send"
          autoComplete="off"
          className="max-h-48 min-h-11 flex-1 resize-none bg-transparent py-2.5 text-base leading-6 outline-none [field-sizing:content] placeholder:text-zinc-500 dark:placeholder:text-zinc-400"
        />
        {busy && (
          <button
            type="button"
            onClick={onStop}
            aria-label="Stop"
            title="Stop (Esc)"
            className={`${roundButton} border border-zinc-300 bg-white text-zinc-900 hover:bg-zinc-100 dark:border-zinc-600 dark:bg-zinc-800 dark:text-zinc-100 dark:hover:bg-zinc-700`}
          >
            <StopIcon />
          </button>
        )}
        <button
          type="submit"
          aria-label="Send"
          title="Send (Enter)"
          disabled={!canSend}
          className={`${roundButton} bg-zinc-900 text-white hover:bg-zinc-700 disabled:cursor-not-allowed disabled:bg-zinc-300 disabled:text-zinc-600 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300 dark:disabled:bg-zinc-800 dark:disabled:text-zinc-400`}
        >
          <ArrowUpIcon />
        </button>
      </div>
      <p
        id={hintId}
        className="mt-2 flex justify-between gap-2 px-2 text-xs text-zinc-600 dark:text-zinc-400"
      >
        <span className="hidden sm:inline">
          <kbd className="font-sans">Enter</kbd> to send · <kbd className="font-sans">Shift</kbd>+
          <kbd className="font-sans">Enter</kbd> for a new line ·{" "}
          <kbd className="font-sans">Esc</kbd> to stop
        </span>
        <span className="sm:hidden">An AI twin: it can be wrong.</span>
        {wait > 0 ? (
          <span>You can send again in {wait}s</span>
        ) : over > 0 ? (
          <span className="font-medium text-red-700 dark:text-red-400">
            {over} {over === 1 ? "character" : "characters"} over the {MAX_MESSAGE_CHARS} limit:
            shorten it to send
          </span>
        ) : (
          remaining < 500 && (
            <span className={remaining < 100 ? "text-red-700 dark:text-red-400" : undefined}>
              {remaining} characters left
            </span>
          )
        )}
      </p>
    </form>
  );
}
