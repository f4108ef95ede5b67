/**
 * The chat page's parts that are not needed for its first paint (the transcript is empty then):
 * loaded on idle, on first send or with a restored history, never as first-load JS.
 */
import { lazy } from "react";

export const Message = lazy(() => import("./message").then((m) => ({ default: m.Message })));
export const ConfirmDelete = lazy(() =>
  import("./confirm-delete").then((m) => ({ default: m.ConfirmDelete })),
);

/** Loads everything a message renders with. */
export function preloadReply(): Promise<unknown> {
  return Promise.all([import("./message"), import("./markdown"), import("./reply-actions")]);
}
