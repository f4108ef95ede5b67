"use client";
/**
 * The owner view (/owner): leads, unanswered questions, feedback and cost from
 * `GET /api/owner/summary`. Open on a local twin; in the cloud the API answers 404 until the
 * owner's token comes along as a bearer token, so the page asks for it then and keeps it in
 * sessionStorage (this tab only). Its own route and chunk: nothing here reaches the chat page.
 */
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { ChatError } from "@/lib/api/errors";
import {
  dismissQuestion,
  getOwnerSummary,
  loadOwnerToken,
  type OwnerSummary,
  saveOwnerToken,
} from "@/lib/api/owner";
import { API_BASE_URL } from "@/lib/config";
import { AlertIcon, Svg } from "./icons";
import { ConversationView, useConversationHash } from "./owner-activity";
import { cardClass, Dashboard } from "./owner-dashboard";

const timeFormat = new Intl.DateTimeFormat("en", { timeStyle: "short" });

type View =
  | { kind: "loading" }
  | { kind: "locked"; problem?: string }
  | {
      kind: "ready";
      summary: OwnerSummary;
      token: string | null;
      /** When these figures were loaded (a failed refresh keeps them, saying how old they are). */
      loadedAt: number;
      /** Why the last refresh failed, if it did. */
      stale?: string;
    }
  | { kind: "error"; message: string };

const WRONG_TOKEN = "That token didn't open the owner view. Check it and try again.";

function problemText(e: unknown): string {
  const code = e instanceof ChatError ? e.code : "internal";
  switch (code) {
    case "network":
      return "Couldn't reach the twin's server. Check the connection and try again.";
    case "rate_limited":
      return "Too many requests just now. Wait a minute and try again.";
    case "bad_response":
      return "The server's answer couldn't be read. Please try again.";
    case "forbidden":
      return "A local twin shows its owner view only on the machine it runs on: open it there, at http://localhost.";
    default:
      return "The summary couldn't be loaded: something went wrong on the server. Please try again.";
  }
}

export function Owner({ baseUrl = API_BASE_URL }: { baseUrl?: string }) {
  const [view, setView] = useState<View>({ kind: "loading" });
  const [busy, setBusy] = useState(false);
  const ctlRef = useRef<AbortController | null>(null);

  /** Loads with `token` (none: try the open local view, then a token kept from earlier). */
  const load = useCallback(
    async (token: string | null, opts: { typed?: boolean } = {}) => {
      ctlRef.current?.abort();
      const ctl = new AbortController();
      ctlRef.current = ctl;
      setBusy(true);
      const attempt = async (t: string | null) => {
        const summary = await getOwnerSummary(baseUrl, t, ctl.signal);
        if (t) saveOwnerToken(t);
        setView({ kind: "ready", summary, token: t, loadedAt: Date.now() });
      };
      try {
        try {
          await attempt(token);
        } catch (e) {
          const kept = loadOwnerToken();
          if (e instanceof ChatError && e.code === "not_found" && !token && kept) {
            await attempt(kept);
          } else {
            throw e;
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        if (e instanceof ChatError && e.code === "not_found") {
          // Closed to this request: ask for the token. A token that failed is forgotten.
          const tried = token ?? loadOwnerToken();
          saveOwnerToken(null);
          setView({ kind: "locked", problem: opts.typed || tried ? WRONG_TOKEN : undefined });
        } else {
          setView((v) =>
            v.kind === "locked"
              ? { kind: "locked", problem: problemText(e) }
              : v.kind === "ready"
                ? { ...v, stale: problemText(e) }
                : { kind: "error", message: problemText(e) },
          );
        }
      } finally {
        if (ctlRef.current === ctl) {
          ctlRef.current = null;
          setBusy(false);
        }
      }
    },
    [baseUrl],
  );

  useEffect(() => {
    void load(null);
    return () => ctlRef.current?.abort();
  }, [load]);

  const token = view.kind === "ready" ? view.token : null;
  const open = useConversationHash();

  // Dismissed at once; put back (with the reason) if the server refuses.
  const dismiss = async (id: string) => {
    if (view.kind !== "ready") return;
    const before = view.summary;
    const patch = (summary: OwnerSummary, stale?: string) =>
      setView((v) => (v.kind === "ready" ? { ...v, summary, stale } : v));
    patch({ ...before, unanswered: before.unanswered.filter((q) => q.id !== id) });
    try {
      await dismissQuestion(baseUrl, token, id);
    } catch (e) {
      patch(before, `The question couldn't be dismissed. ${problemText(e)}`);
    }
  };

  return (
    <div className="min-h-dvh">
      <header className="sticky top-0 z-10 border-b border-zinc-200/80 bg-zinc-50/80 backdrop-blur dark:border-zinc-800/80 dark:bg-zinc-950/80">
        <div className="mx-auto flex h-14 max-w-5xl items-center gap-3 px-4">
          <div className="min-w-0 flex-1">
            <h1 className="truncate text-[15px] font-semibold leading-tight">Owner view</h1>
            <p className="truncate text-xs text-zinc-600 dark:text-zinc-400">
              Leads, questions and feedback from your twin's visitors
            </p>
          </div>
          {view.kind === "ready" && (
            <button
              type="button"
              onClick={() => void load(token)}
              disabled={busy}
              aria-label={busy ? "Refreshing" : "Refresh"}
              className={pillClass}
            >
              <RefreshIcon className={busy ? "animate-spin" : undefined} />
              <span aria-hidden="true" className="hidden sm:inline">
                {busy ? "Refreshing…" : "Refresh"}
              </span>
            </button>
          )}
          <a href="/" aria-label="Back to the chat" className={pillClass}>
            <span aria-hidden="true">←</span>
            <span className="sm:hidden">Chat</span>
            <span className="hidden sm:inline">Back to the chat</span>
          </a>
        </div>
      </header>

      <main className="mx-auto max-w-5xl px-4 pt-6 pb-[max(env(safe-area-inset-bottom),2.5rem)]">
        {view.kind === "loading" && (
          <p role="status" className="py-16 text-center text-sm text-zinc-600 dark:text-zinc-400">
            Loading the summary…
          </p>
        )}
        {view.kind === "locked" && (
          <TokenForm
            problem={view.problem}
            busy={busy}
            onSubmit={(t) => void load(t, { typed: true })}
          />
        )}
        {view.kind === "error" && (
          <div
            role="alert"
            className="flex items-center gap-3 rounded-2xl border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-900/60 dark:bg-red-950/60 dark:text-red-100"
          >
            <AlertIcon className="shrink-0" />
            <p className="flex-1">{view.message}</p>
            <button
              type="button"
              onClick={() => void load(loadOwnerToken())}
              disabled={busy}
              className="shrink-0 rounded-full px-3 py-1 font-medium underline underline-offset-2 hover:bg-red-100 disabled:opacity-70 dark:hover:bg-red-900/50"
            >
              Try again
            </button>
          </div>
        )}
        {view.kind === "ready" && view.stale && (
          <p
            role="alert"
            className="mb-4 flex items-center gap-3 rounded-2xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100"
          >
            <AlertIcon className="shrink-0" />
            {view.stale} The figures below are from {timeFormat.format(view.loadedAt)}.
          </p>
        )}
        {view.kind === "ready" && open && (
          <div className="mb-6">
            <ConversationView baseUrl={baseUrl} {...open} />
          </div>
        )}
        {view.kind === "ready" && <Dashboard summary={view.summary} onDismiss={dismiss} />}
      </main>
    </div>
  );
}

const pillClass =
  "inline-flex h-9 shrink-0 items-center gap-1.5 rounded-full border border-zinc-300 bg-white px-3 text-sm font-medium text-zinc-800 shadow-sm transition-colors hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:cursor-not-allowed disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800 dark:focus-visible:outline-zinc-100";

function TokenForm({
  problem,
  busy,
  onSubmit,
}: {
  problem?: string;
  busy: boolean;
  onSubmit: (token: string) => void;
}) {
  const [value, setValue] = useState("");
  const inputRef = useRef<HTMLInputElement | null>(null);
  // A refused token: back to the field, its text selected, ready to be corrected.
  useEffect(() => {
    if (problem) inputRef.current?.select();
  }, [problem]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = value.trim();
    if (t) onSubmit(t);
  };
  return (
    <section aria-labelledby="unlock" className={`${cardClass} mx-auto mt-[8vh] max-w-md p-6`}>
      <h2 id="unlock" className="text-lg font-semibold tracking-tight">
        Sign in as the owner
      </h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        This twin's owner view needs the owner token (the secret named by{" "}
        <code className="font-mono text-[0.85em]">OWNER_TOKEN_SECRET_ID</code>). It is kept in this
        tab only.
      </p>
      <form onSubmit={submit} className="mt-5 flex flex-col gap-3">
        <label htmlFor="owner-token" className="text-sm font-medium">
          Owner token
        </label>
        <input
          ref={inputRef}
          id="owner-token"
          type="password"
          autoComplete="current-password"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? "owner-token-problem" : undefined}
          className="h-11 rounded-xl border border-zinc-300 bg-white px-3 font-mono text-sm outline-none transition focus:border-zinc-500 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-zinc-900 aria-invalid:border-red-400 dark:border-zinc-700 dark:bg-zinc-950 dark:focus:border-zinc-500 dark:focus-visible:outline-zinc-100"
        />
        {problem && (
          <p
            id="owner-token-problem"
            role="alert"
            className="flex items-center gap-2 text-sm text-red-700 dark:text-red-300"
          >
            <AlertIcon className="shrink-0" />
            {problem}
          </p>
        )}
        <button
          type="submit"
          disabled={busy || value.trim() === ""}
          className="h-11 rounded-xl bg-zinc-900 px-4 text-sm font-medium text-white transition-colors hover:bg-zinc-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:cursor-not-allowed disabled:opacity-50 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300 dark:focus-visible:outline-zinc-100"
        >
          {busy ? "Opening…" : "Open the owner view"}
        </button>
      </form>
    </section>
  );
}

/** Circular arrow for Refresh (here, not in icons.tsx, so the chat page's chunk doesn't carry it). */
function RefreshIcon({ className }: { className?: string }) {
  return (
    <Svg className={className}>
      <path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7" />
    </Svg>
  );
}
