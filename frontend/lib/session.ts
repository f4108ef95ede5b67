/** The visitor's session id, kept in localStorage so a reload restores the conversation. */
import { isSessionId } from "./api/client";

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
