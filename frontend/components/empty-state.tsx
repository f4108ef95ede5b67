/** The first-visit screen: the persona's greeting and starter questions. */
import type { Persona } from "@/lib/api/client";
import { SparkIcon } from "./icons";

export function EmptyState({
  persona,
  disabled,
  onPick,
}: {
  persona: Persona | null;
  disabled: boolean;
  onPick: (q: string) => void;
}) {
  return (
    // Top-aligned, with the greeting's space reserved: the prerendered heading and paragraph are the
    // largest paint, and the persona's text replaces theirs in place when it arrives (no layout shift,
    // no late LCP); the starters appear below, moving nothing.
    <section aria-labelledby="greeting" className="pt-[12vh] pb-10 sm:pt-[18vh]">
      <p className="mb-3 inline-flex items-center gap-1.5 text-sm font-medium text-zinc-600 dark:text-zinc-400">
        <SparkIcon /> Digital twin
      </p>
      <h2 id="greeting" className="text-2xl font-semibold tracking-tight sm:text-3xl">
        {persona?.name ? `Chat with ${persona.name.split(/\s+/)[0]}` : "Hello there"}
      </h2>
      <p className="mt-2 min-h-[5.25rem] max-w-2xl text-lg text-zinc-600 sm:min-h-14 dark:text-zinc-400">
        {persona?.greeting || "Ask me about my work, my background, or what I think."}
      </p>
      {persona && persona.starters.length > 0 && (
        <ul className="mt-8 grid gap-2 sm:grid-cols-2" aria-label="Suggested questions">
          {persona.starters.slice(0, 4).map((q) => (
            <li key={q}>
              <button
                type="button"
                disabled={disabled}
                onClick={() => onPick(q)}
                className="twin-in h-full w-full rounded-2xl border border-zinc-200 bg-white px-4 py-3 text-left text-sm text-zinc-800 shadow-sm transition hover:border-zinc-300 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:opacity-60 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-200 dark:hover:border-zinc-700 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100"
              >
                {q}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The stored conversation could not be loaded: say so, and offer the ways forward. */
export function RestoreFailed({
  message,
  onRetry,
  onNew,
}: {
  message: string;
  onRetry: () => void;
  onNew: () => void;
}) {
  const button =
    "h-11 rounded-xl px-4 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:focus-visible:outline-zinc-100";
  return (
    <section
      role="alert"
      className="mt-[12vh] rounded-2xl border border-red-200 bg-red-50 p-5 text-red-950 dark:border-red-900/60 dark:bg-red-950/60 dark:text-red-100"
    >
      <h2 className="font-semibold">Your conversation couldn't be loaded</h2>
      <p className="mt-1 text-sm">
        {message} It is still stored: try again, or start a new conversation.
      </p>
      <div className="mt-4 flex flex-wrap gap-2">
        <button
          type="button"
          onClick={onRetry}
          className={`${button} bg-zinc-900 text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900`}
        >
          Try again
        </button>
        <button
          type="button"
          onClick={onNew}
          className={`${button} border border-red-300 hover:bg-red-100 dark:border-red-800 dark:hover:bg-red-900/50`}
        >
          Start a new conversation
        </button>
      </div>
    </section>
  );
}
