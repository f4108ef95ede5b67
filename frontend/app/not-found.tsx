// A plain link, not next/link: this boundary ships with every page, and the router is not needed
// to go home from a dead end.
export default function NotFound() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-xl flex-col justify-center gap-4 px-6">
      <p className="text-sm font-medium text-zinc-600 dark:text-zinc-400">404</p>
      <h1 className="text-2xl font-semibold tracking-tight">This page doesn't exist.</h1>
      <p className="text-zinc-600 dark:text-zinc-400">The conversation lives on the home page.</p>
      <a
        href="/"
        className="w-fit rounded-full bg-zinc-900 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
      >
        Back to the chat
      </a>
    </main>
  );
}
