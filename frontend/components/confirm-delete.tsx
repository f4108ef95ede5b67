"use client";
/**
 * "Delete conversation" asks first: a small modal dialog, Cancel focused, Tab kept inside it,
 * Esc cancels.
 */
import { useEffect, useId, useRef } from "react";

export function ConfirmDelete({
  onConfirm,
  onCancel,
}: {
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const titleId = useId();
  const cancelRef = useRef<HTMLButtonElement | null>(null);
  const deleteRef = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    cancelRef.current?.focus();
    return () => opener?.focus?.();
  }, []);
  return (
    <div className="fixed inset-0 z-20 flex items-end justify-center bg-zinc-950/40 p-4 sm:items-center">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={`${titleId}-text`}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onCancel();
          } else if (e.key === "Tab") {
            // Two buttons: Tab from the last goes to the first and Shift+Tab the other way round.
            const [first, last] = [cancelRef.current, deleteRef.current];
            const edge = e.shiftKey ? first : last;
            if (
              document.activeElement === edge ||
              !e.currentTarget.contains(document.activeElement)
            ) {
              e.preventDefault();
              (e.shiftKey ? last : first)?.focus();
            }
          }
        }}
        className="twin-in w-full max-w-sm rounded-2xl border border-zinc-200 bg-white p-5 shadow-lg dark:border-zinc-800 dark:bg-zinc-900"
      >
        <h2 id={titleId} className="text-base font-semibold">
          Delete this conversation?
        </h2>
        <p id={`${titleId}-text`} className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          It is removed from the server for good and can't be brought back.
        </p>
        <div className="mt-5 flex justify-end gap-2">
          <button
            ref={cancelRef}
            type="button"
            onClick={onCancel}
            className="h-11 rounded-xl border border-zinc-300 px-4 text-sm font-medium hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:border-zinc-700 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
          >
            Cancel
          </button>
          <button
            ref={deleteRef}
            type="button"
            onClick={onConfirm}
            className="h-11 rounded-xl bg-red-700 px-4 text-sm font-medium text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700"
          >
            Delete
          </button>
        </div>
      </div>
    </div>
  );
}
