"use client";
/** The notice above the message box: an error with its way forward, or a passing status. */
import { useCountdown } from "./composer";
import { AlertIcon } from "./icons";
import type { Notice } from "./use-twin-chat";

export function NoticeBar({
  notice,
  onRetry,
  onNew,
  onUndo,
}: {
  notice: Notice;
  onRetry: () => void;
  onNew: () => void;
  onUndo: () => void;
}) {
  const error = notice.tone === "error";
  // "Try again" waits out Retry-After, counting down in its visible label only (the alert's text
  // stays put, so screen readers are not re-told every second).
  const wait = useCountdown(notice.retryAt);
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
          className="shrink-0 rounded-full px-3 py-1 font-medium pointer-coarse:min-h-11 underline underline-offset-2 hover:bg-red-100 disabled:cursor-not-allowed disabled:no-underline disabled:opacity-70 dark:hover:bg-red-900/50"
        >
          <span aria-hidden="true">{wait > 0 ? `Try again in ${wait}s` : "Try again"}</span>
        </button>
      )}
      {notice.action === "undo" && (
        <button
          type="button"
          onClick={onUndo}
          className="shrink-0 rounded-full px-3 py-1 font-medium pointer-coarse:min-h-11 underline underline-offset-2 hover:bg-zinc-100 dark:hover:bg-zinc-800"
        >
          Undo
        </button>
      )}
      {notice.action === "new" && (
        <button
          type="button"
          onClick={onNew}
          className="shrink-0 rounded-full px-3 py-1 font-medium pointer-coarse:min-h-11 underline underline-offset-2 hover:bg-red-100 dark:hover:bg-red-900/50"
        >
          Start over
        </button>
      )}
    </div>
  );
}
