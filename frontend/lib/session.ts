/** What the browser keeps: the session id (a reload restores the conversation) and its ratings. */
import { isSessionId } from "./api/client";
import type { Rating, RatingChoice } from "./chat/messages";

export const SESSION_KEY = "twin.session_id";

/** A fresh canonical session id (crypto.randomUUID gives lowercase 8-4-4-4-12 hex). */
export function newSessionId(): string {
  return crypto.randomUUID();
}

/** The stored id, or null when none is stored, it is malformed, or storage is blocked. */
export function loadSessionId(): string | null {
  try {
    const id = window.localStorage.getItem(SESSION_KEY);
    return isSessionId(id) ? id : null;
  } catch {
    return null;
  }
}

export function saveSessionId(id: string): void {
  try {
    window.localStorage.setItem(SESSION_KEY, id);
  } catch {
    // Private mode or storage disabled: the conversation still works, it just won't survive reload.
  }
}

const RATINGS_KEY = "twin.ratings";

/**
 * The visitor's ratings in this browser, by session and reply id: the server keeps them for the
 * owner, this copy shows them again after a reload.
 */
export function loadRatings(sessionId: string): Record<string, Rating> {
  try {
    const all = JSON.parse(window.localStorage.getItem(RATINGS_KEY) ?? "{}") as Record<
      string,
      Record<string, unknown>
    >;
    const mine = all[sessionId] ?? {};
    return Object.fromEntries(
      Object.entries(mine).filter((e): e is [string, Rating] => e[1] === "up" || e[1] === "down"),
    );
  } catch {
    return {};
  }
}

/** Remembers (or, with "none", forgets) a rating. The ratings of one session only are kept. */
export function saveRating(sessionId: string, messageId: string, rating: RatingChoice): void {
  try {
    const mine = { ...loadRatings(sessionId) };
    if (rating === "none") delete mine[messageId];
    else mine[messageId] = rating;
    window.localStorage.setItem(RATINGS_KEY, JSON.stringify({ [sessionId]: mine }));
  } catch {
    // Storage blocked: the rating is recorded on the server, just not shown after a reload.
  }
}
