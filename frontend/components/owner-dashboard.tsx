/**
 * The owner view's dashboard: KPI tiles, leads per day, the question lists and recent leads, from
 * one `OwnerSummary`. Presentational: `owner.tsx` loads the summary and owns the state.
 */
import type { OwnerSummary, TextCount } from "@/lib/api/owner";
import { LeadsChart } from "./leads-chart";
import { RecentFeedback, UnansweredList } from "./owner-activity";

export const cardClass =
  "rounded-2xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900";

const whenFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
export const when = (ts: string | undefined) => {
  const d = ts ? new Date(ts) : null;
  return d && !Number.isNaN(d.getTime()) ? whenFormat.format(d) : "";
};

const shortFormat = new Intl.DateTimeFormat("en", {
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
const shortWhen = (ts: string) => {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? "" : shortFormat.format(d);
};

/** US dollars with enough digits that a fraction of a cent still shows. */
export function usd(x: number): string {
  if (x === 0) return "$0.00";
  const digits = x >= 1 ? 2 : x >= 0.01 ? 3 : 4;
  return `$${x.toFixed(digits)}`;
}

export function Dashboard({
  summary: s,
  onDismiss,
}: {
  summary: OwnerSummary;
  onDismiss: (id: string) => void;
}) {
  const ratings = s.thumbs_up + s.thumbs_down;
  const since = s.cost_since ? shortWhen(s.cost_since) : "";
  return (
    <div className="flex flex-col gap-6">
      <section aria-labelledby="kpis">
        <h2 id="kpis" className="sr-only">
          Key figures
        </h2>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
          <Kpi label="Leads" value={String(s.leads)} hint="visitors who left an email" />
          <Kpi
            label="Unanswered questions"
            value={String(s.unanswered_questions)}
            hint="the twin couldn't answer"
          />
          <Kpi
            label="Thumbs-down rate"
            value={ratings ? `${Math.round(s.thumbs_down_rate * 100)}%` : "–"}
            hint={ratings ? `${s.thumbs_down} of ${ratings} ratings` : "no ratings yet"}
          />
          <Kpi
            label="Conversations"
            value={String(s.conversations)}
            hint={since ? `since ${since}` : "since the server started"}
          />
          <Kpi
            wide
            label="Cost per conversation"
            value={s.conversations ? usd(s.cost_per_conversation_usd) : "–"}
            hint={
              s.conversations
                ? `${usd(s.cost_usd)} in total · ${Math.round(s.cache_hit_share * 100)}% of input from the prompt cache`
                : `${usd(s.cost_usd)} in total`
            }
          />
        </dl>
      </section>

      <section aria-labelledby="per-day" className={`${cardClass} p-5`}>
        <div className="mb-4 flex items-baseline justify-between gap-3">
          <h2 id="per-day" className="font-semibold">
            Leads per day
          </h2>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">last 14 days</p>
        </div>
        <LeadsChart perDay={s.leads_per_day} />
      </section>

      <div className="grid items-start gap-6 lg:grid-cols-2">
        <CountList
          id="unanswered"
          title="Top unanswered questions"
          items={s.top_unanswered}
          empty="Nothing yet. Questions the twin couldn't answer from your notes appear here: add the answers to me.txt."
        />
        <CountList
          id="asked"
          title="What visitors ask most"
          items={s.top_questions}
          empty="No visitor questions yet."
        />
      </div>

      <div className="grid items-start gap-6 lg:grid-cols-2">
        <UnansweredList items={s.unanswered} onDismiss={onDismiss} />
        <RecentFeedback items={s.recent_feedback} />
      </div>

      <section aria-labelledby="recent" className={`${cardClass} p-5`}>
        <h2 id="recent" className="mb-3 font-semibold">
          Recent leads
        </h2>
        {s.recent_leads.length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            No leads yet. When a visitor asks to get in touch and leaves an email, it shows here.
          </p>
        ) : (
          <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
            {s.recent_leads.map((l) => (
              <li
                key={`${l.session_id}-${l.timestamp}-${l.email}`}
                className="py-3 first:pt-0 last:pb-0"
              >
                <div className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5">
                  <a
                    // Encoded: visitor text must not add headers (?bcc=, &body=) to the owner's reply.
                    href={`mailto:${encodeURIComponent(l.email)}`}
                    className="break-all font-medium text-emerald-700 underline decoration-emerald-700/30 underline-offset-2 hover:decoration-current dark:text-emerald-300 dark:decoration-emerald-300/40"
                  >
                    {l.email}
                  </a>
                  {l.name && <span className="text-sm">{l.name}</span>}
                  <time
                    dateTime={l.timestamp}
                    className="ml-auto text-xs tabular-nums text-zinc-600 dark:text-zinc-400"
                  >
                    {when(l.timestamp)}
                  </time>
                </div>
                {l.note && (
                  <p className="mt-1 text-sm text-zinc-700 dark:text-zinc-300">{l.note}</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        Leads, questions and ratings count every stored record. Conversations and cost count what
        this server has seen since it started.
      </p>
    </div>
  );
}

function Kpi({
  label,
  value,
  hint,
  wide,
}: {
  label: string;
  value: string;
  hint: string;
  /** Spans both columns on a phone (the fifth tile would sit alone). */
  wide?: boolean;
}) {
  return (
    <div
      className={`${cardClass} flex flex-col px-4 py-3 ${wide ? "col-span-2 sm:col-span-1" : ""}`}
    >
      <dt className="text-xs font-medium text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums tracking-tight">{value}</dd>
      <dd className="mt-0.5 text-xs text-zinc-600 dark:text-zinc-400">{hint}</dd>
    </div>
  );
}

function CountList({
  id,
  title,
  items,
  empty,
}: {
  id: string;
  title: string;
  items: TextCount[];
  empty: string;
}) {
  const max = Math.max(1, ...items.map((i) => i.count));
  return (
    <section aria-labelledby={id} className={`${cardClass} p-5`}>
      <h2 id={id} className="mb-3 font-semibold">
        {title}
      </h2>
      {items.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">{empty}</p>
      ) : (
        <ol className="flex flex-col gap-2.5">
          {items.map((q) => (
            <li key={q.text} className="text-sm">
              <div className="flex items-start gap-3">
                <span className="min-w-0 flex-1 break-words">{q.text}</span>
                <span className="shrink-0 rounded-full bg-zinc-100 px-2 py-0.5 text-xs font-medium tabular-nums text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
                  <span aria-hidden="true">×{q.count}</span>
                  <span className="sr-only">
                    , {q.count} {q.count === 1 ? "time" : "times"}
                  </span>
                </span>
              </div>
              <div
                aria-hidden="true"
                className="mt-1 h-1 rounded-full bg-zinc-100 dark:bg-zinc-800"
              >
                <div
                  className="h-1 rounded-full bg-zinc-400 dark:bg-zinc-500"
                  style={{ width: `${(q.count / max) * 100}%` }}
                />
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
