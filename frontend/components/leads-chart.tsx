/**
 * Leads per day as CSS bars (no chart library). The bars are decoration for sighted readers; a
 * visually hidden table carries the same numbers for screen readers.
 */
import type { DayCount } from "@/lib/api/owner";

const DAY_MS = 86_400_000;

/** The last `days` UTC days up to `now`, oldest first, with zero for a day without leads. */
export function lastDays(perDay: DayCount[], days: number, now: Date = new Date()): DayCount[] {
  const byDay = new Map(perDay.map((d) => [d.day, d.count]));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10);
    return { day, count: byDay.get(day) ?? 0 };
  });
}

const dayLabel = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });
const weekday = new Intl.DateTimeFormat("en", { weekday: "short", timeZone: "UTC" });
const asDate = (day: string) => new Date(`${day}T00:00:00Z`);

export function LeadsChart({
  perDay,
  days = 14,
  now,
}: {
  perDay: DayCount[];
  days?: number;
  now?: Date;
}) {
  const series = lastDays(perDay, days, now);
  const max = Math.max(1, ...series.map((d) => d.count));
  const total = series.reduce((n, d) => n + d.count, 0);
  const first = series[0]?.day ?? "";
  const last = series[series.length - 1]?.day ?? "";
  const range =
    first && last ? `${dayLabel.format(asDate(first))} – ${dayLabel.format(asDate(last))}` : "";

  return (
    <div>
      {/* The wrapper is what's visually hidden: a table ignores the 1px width and would widen the page. */}
      <div className="sr-only">
        <table>
          <caption>
            Leads per day, {range} (UTC): {total} in total
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Leads</th>
            </tr>
          </thead>
          <tbody>
            {series.map((d) => (
              <tr key={d.day}>
                <th scope="row">{dayLabel.format(asDate(d.day))}</th>
                <td>{d.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div aria-hidden="true" data-testid="leads-bars" className="relative">
        {total === 0 && (
          <p className="absolute inset-x-0 top-10 text-center text-sm text-zinc-600 dark:text-zinc-400">
            No leads in the last {days} days
          </p>
        )}
        <div className="flex h-40 items-end gap-1 border-b border-zinc-200 sm:gap-2 dark:border-zinc-800">
          {series.map((d) => (
            <div
              key={d.day}
              className="group flex h-full min-w-0 flex-1 flex-col items-center justify-end"
              title={`${dayLabel.format(asDate(d.day))}: ${d.count} lead${d.count === 1 ? "" : "s"}`}
            >
              {d.count > 0 && (
                <span className="mb-1 text-[11px] font-medium tabular-nums text-zinc-700 dark:text-zinc-300">
                  {d.count}
                </span>
              )}
              <div
                className={`w-full max-w-8 rounded-t-md transition-colors ${
                  d.count > 0
                    ? "bg-emerald-500 group-hover:bg-emerald-600 dark:bg-emerald-400 dark:group-hover:bg-emerald-300"
                    : "bg-zinc-200 dark:bg-zinc-800"
                }`}
                style={{ height: d.count > 0 ? `${Math.max(6, (d.count / max) * 100)}%` : "2px" }}
              />
            </div>
          ))}
        </div>
        <div className="mt-1.5 flex gap-1 sm:gap-2">
          {series.map((d, i) => (
            <span
              key={d.day}
              className={`min-w-0 flex-1 text-center text-[10px] tabular-nums text-zinc-600 sm:text-[11px] dark:text-zinc-400 ${
                // On a phone every other label, newest always shown.
                (series.length - 1 - i) % 2 === 1 ? "invisible sm:visible" : ""
              }`}
            >
              {asDate(d.day).getUTCDate()}
            </span>
          ))}
        </div>
        <div className="mt-1 flex justify-between text-[11px] text-zinc-600 dark:text-zinc-400">
          <span>
            {weekday.format(asDate(first))} {dayLabel.format(asDate(first))}
          </span>
          <span>Today (UTC)</span>
        </div>
      </div>
    </div>
  );
}
