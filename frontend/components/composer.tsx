"use client";
/**
 * The message box. Enter sends, Shift+Enter adds a line, Esc stops a reply in progress. While a reply
 * streams the Send button becomes Stop (same place, so a thumb finds it).
 */
import { type FormEvent, type KeyboardEvent, type RefObject, useId } from "react";
import { ArrowUpIcon, StopIcon } from "./icons";

export const MAX_MESSAGE_CHARS = 4000;

export interface ComposerProps {
  value: string;
  onChange: (value: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  disabled?: boolean;
  placeholder: string;
  inputRef: RefObject<HTMLTextAreaElement | null>;
}

export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  busy,
  disabled = false,
  placeholder,
  inputRef,
}: ComposerProps) {
  const hintId = useId();
  const canSend = !busy && !disabled && value.trim() !== "";
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
    if (busy) onStop();
    else if (canSend) onSend();
  };

  return (
    <form onSubmit={onSubmit} className="relative">
      <div className="flex items-end gap-2 rounded-3xl border border-zinc-300 bg-white p-2 pl-4 shadow-sm transition focus-within:border-zinc-400 focus-within:ring-4 focus-within:ring-zinc-900/5 dark:border-zinc-700 dark:bg-zinc-900 dark:focus-within:border-zinc-500 dark:focus-within:ring-white/5">
        <textarea
          ref={inputRef}
          aria-label="Message"
          aria-describedby={hintId}
          name="message"
          rows={1}
          value={value}
          maxLength={MAX_MESSAGE_CHARS}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
          enterKeyHint="send"
          autoComplete="off"
          className="max-h-48 min-h-10 flex-1 resize-none bg-transparent py-2 text-base leading-6 outline-none [field-sizing:content] placeholder:text-zinc-500 dark:placeholder:text-zinc-400"
        />
        {busy ? (
          <button
            type="button"
            onClick={onStop}
            aria-label="Stop"
            title="Stop (Esc)"
            className="inline-flex size-10 shrink-0 items-center justify-center rounded-full bg-zinc-900 text-white transition hover:bg-zinc-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300 dark:focus-visible:outline-zinc-100"
          >
            <StopIcon />
          </button>
        ) : (
          <button
            type="submit"
            aria-label="Send"
            title="Send (Enter)"
            disabled={!canSend}
            className="inline-flex size-10 shrink-0 items-center justify-center rounded-full bg-zinc-900 text-white transition hover:bg-zinc-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:cursor-not-allowed disabled:bg-zinc-300 disabled:text-zinc-600 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300 dark:focus-visible:outline-zinc-100 dark:disabled:bg-zinc-800 dark:disabled:text-zinc-400"
          >
            <ArrowUpIcon />
          </button>
        )}
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
        {remaining < 500 && (
          <span className={remaining < 100 ? "text-red-700 dark:text-red-400" : undefined}>
            {remaining} characters left
          </span>
        )}
      </p>
    </form>
  );
}
