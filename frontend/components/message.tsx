"use client";
/** One message of the transcript: the visitor's on the right, the twin's on the left with its avatar. */
import { lazy, memo, Suspense } from "react";
import { Avatar } from "./avatar";

const Markdown = lazy(() => import("./markdown"));

/** Starts loading the markdown renderer early (on first send) so the first reply doesn't wait. */
export function preloadMarkdown(): void {
  void import("./markdown");
}

export type MessageState = "done" | "pending" | "streaming" | "stopped" | "failed";

export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  state: MessageState;
}

function Thinking({ slow }: { slow: boolean }) {
  return (
    <span className="inline-flex items-center gap-2 text-zinc-600 dark:text-zinc-400">
      <span className="inline-flex gap-1" aria-hidden="true">
        <span className="twin-dot size-1.5 rounded-full bg-current" />
        <span className="twin-dot size-1.5 rounded-full bg-current [animation-delay:0.15s]" />
        <span className="twin-dot size-1.5 rounded-full bg-current [animation-delay:0.3s]" />
      </span>
      <span className={slow ? "text-sm" : "sr-only"}>{slow ? "Still thinking…" : "Thinking…"}</span>
    </span>
  );
}

export const Message = memo(function Message({
  message,
  name,
  slow = false,
}: {
  message: ChatMessage;
  name: string;
  slow?: boolean;
}) {
  if (message.role === "user") {
    return (
      <div className="twin-in flex justify-end" data-role="user">
        <h2 className="sr-only">You said:</h2>
        <div className="max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-md bg-zinc-900 px-4 py-2.5 text-[15px] leading-relaxed text-white shadow-sm sm:max-w-[75%] dark:bg-zinc-100 dark:text-zinc-900">
          {message.content}
        </div>
      </div>
    );
  }

  const { content, state } = message;
  return (
    <div className="twin-in flex items-start gap-3" data-role="assistant" data-state={state}>
      <Avatar name={name} />
      <div className="min-w-0 max-w-[85%] sm:max-w-[80%]">
        <h2 className="sr-only">{name} said:</h2>
        <div className="break-words rounded-2xl rounded-tl-md border border-zinc-200 bg-white px-4 py-2.5 text-[15px] leading-relaxed shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
          {state === "pending" ? (
            <Thinking slow={slow} />
          ) : content === "" ? (
            <span className="italic text-zinc-600 dark:text-zinc-400">No answer.</span>
          ) : (
            <div className={state === "streaming" ? "twin-caret" : undefined}>
              <Suspense fallback={<p className="whitespace-pre-wrap">{content}</p>}>
                <Markdown text={content} />
              </Suspense>
            </div>
          )}
        </div>
        {state === "stopped" && (
          <p className="mt-1 pl-1 text-xs text-zinc-600 dark:text-zinc-400">Stopped</p>
        )}
        {state === "failed" && (
          <p className="mt-1 pl-1 text-xs text-red-700 dark:text-red-400">Interrupted</p>
        )}
      </div>
    </div>
  );
});
