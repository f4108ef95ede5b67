"use client";
/**
 * The chat page inside the widget's iframe: the same `Chat` (same accessible names, streaming,
 * greeting, starters, "New conversation", the session in this origin's storage), plus two
 * messages to the host page's loader: `twin:ready` once the page runs (the launcher stops saying
 * the chat is unavailable) and `twin:close` on Esc, which the loader cannot see while the focus
 * is in here. Esc first stops a streaming reply or closes a confirmation, as on the chat page.
 */
import { useEffect } from "react";
import { Chat } from "./chat";

/** Whether Esc already has a job on the page: stopping a reply, or closing a confirmation. */
function escHasAJob(): boolean {
  return document.querySelector('button[aria-label="Stop"], [role="alertdialog"]') !== null;
}

export function EmbedChat() {
  useEffect(() => {
    if (window.parent === window) return;
    // The messages carry no data, so any host may receive them ("*"): the loader checks that
    // they come from this origin and this frame.
    const post = (type: string) => window.parent.postMessage({ type }, "*");
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !e.defaultPrevented && !escHasAJob()) post("twin:close");
    };
    window.addEventListener("keydown", onKey);
    post("twin:ready");
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return <Chat />;
}
