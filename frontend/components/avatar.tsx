/** The twin's avatar: the owner's initials on a neutral disc. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? "";
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "";
  return (first + last).toUpperCase() || "DT";
}

export function Avatar({ name, size = "sm" }: { name: string; size?: "sm" | "md" }) {
  const box = size === "md" ? "size-9 text-sm" : "size-7 text-[11px]";
  return (
    <span
      aria-hidden="true"
      className={`${box} inline-flex shrink-0 select-none items-center justify-center rounded-full bg-zinc-900 font-semibold text-white ring-1 ring-zinc-900/10 dark:bg-zinc-100 dark:text-zinc-900`}
    >
      {initials(name)}
    </span>
  );
}
