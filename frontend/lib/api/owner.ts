/**
 * The owner view's client: `GET /api/owner/summary` (app/httpapi/owner.go). Open on a local twin;
 * elsewhere it needs `Authorization: Bearer <owner token>`, and every refusal is a plain 404
 * `not_found`, so "locked" and "wrong token" look the same on the wire. Only the /owner page
 * imports this module: none of it reaches the chat page's first load.
 */
import { apiUrl } from "./client";
import { ChatError, errorFromResponse, isAbort } from "./errors";

export interface DayCount {
  /** YYYY-MM-DD, UTC. */
  day: string;
  count: number;
}

export interface TextCount {
  text: string;
  count: number;
}

export interface Lead {
  session_id: string;
  email: string;
  name?: string;
  note?: string;
  timestamp: string;
}

/** A visitor's rating of one reply (the latest per reply), with the reason they gave. */
export interface FeedbackItem {
  session_id: string;
  message_id: string;
  rating: "up" | "down";
  reason: string;
  timestamp: string;
}

/** A question the twin could not answer, until the owner dismisses it. */
export interface UnansweredItem {
  id: string;
  session_id: string;
  question: string;
  timestamp: string;
}

/** The aggregates of `GET /api/owner/summary`, normalized (missing lists are empty). */
export interface OwnerSummary {
  leads: number;
  leads_per_day: DayCount[];
  recent_leads: Lead[];
  unanswered_questions: number;
  top_unanswered: TextCount[];
  /** Newest first, at most 50, not dismissed. */
  unanswered: UnansweredItem[];
  top_questions: TextCount[];
  thumbs_up: number;
  thumbs_down: number;
  /** 0..1 */
  thumbs_down_rate: number;
  /** Newest first, at most 50. */
  recent_feedback: FeedbackItem[];
  conversations: number;
  cost_usd: number;
  cost_per_conversation_usd: number;
  /** 0..1: the share of input tokens read from the model's prompt cache (billed at a fraction). */
  cache_hit_share: number;
  /** RFC 3339: when the running server started counting conversations and cost. */
  cost_since?: string;
}

/** Where the owner token is kept: this tab only, gone when it closes. */
export const OWNER_TOKEN_KEY = "twin.owner_token";

export function loadOwnerToken(): string | null {
  try {
    return window.sessionStorage.getItem(OWNER_TOKEN_KEY) || null;
  } catch {
    return null;
  }
}

export function saveOwnerToken(token: string | null): void {
  try {
    if (token) window.sessionStorage.setItem(OWNER_TOKEN_KEY, token);
    else window.sessionStorage.removeItem(OWNER_TOKEN_KEY);
  } catch {
    // Storage blocked: the token works for this page view only.
  }
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === "object")
    : [];

function counts(v: unknown): TextCount[] {
  return list(v)
    .map((c) => ({ text: str(c.text), count: num(c.count) }))
    .filter((c) => c.text !== "");
}

/** Turns whatever the server sent into a complete summary; unknown fields are ignored. */
export function normalizeSummary(body: unknown): OwnerSummary {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const rate = num(b.thumbs_down_rate);
  return {
    leads: num(b.leads),
    leads_per_day: list(b.leads_per_day)
      .map((d) => ({ day: str(d.day), count: num(d.count) }))
      .filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d.day)),
    recent_leads: list(b.recent_leads)
      .map((l) => ({
        session_id: str(l.session_id),
        email: str(l.email),
        name: str(l.name) || undefined,
        note: str(l.note) || undefined,
        timestamp: str(l.timestamp),
      }))
      .filter((l) => l.email !== ""),
    unanswered_questions: num(b.unanswered_questions),
    top_unanswered: counts(b.top_unanswered),
    unanswered: list(b.unanswered)
      .map((q) => ({
        id: str(q.id),
        session_id: str(q.session_id),
        question: str(q.question),
        timestamp: str(q.timestamp),
      }))
      .filter((q) => q.id !== "" && q.question !== ""),
    top_questions: counts(b.top_questions),
    thumbs_up: num(b.thumbs_up),
    thumbs_down: num(b.thumbs_down),
    thumbs_down_rate: Math.min(1, Math.max(0, rate)),
    recent_feedback: list(b.recent_feedback)
      .filter((f) => (f.rating === "up" || f.rating === "down") && str(f.message_id) !== "")
      .map((f) => ({
        session_id: str(f.session_id),
        message_id: str(f.message_id),
        rating: f.rating as "up" | "down",
        reason: str(f.reason),
        timestamp: str(f.timestamp),
      })),
    conversations: num(b.conversations),
    cost_usd: num(b.cost_usd),
    cost_per_conversation_usd: num(b.cost_per_conversation_usd),
    cache_hit_share: Math.min(1, Math.max(0, num(b.cache_hit_share))),
    cost_since: str(b.cost_since) || undefined,
  };
}

/** One owner request: the bearer token when given; any 404 means "not for you" (`not_found`). */
async function ownerFetch(
  url: string,
  token: string | null,
  init: RequestInit,
  doFetch: typeof fetch,
): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await doFetch(url, { ...init, headers, credentials: "omit", cache: "no-store" });
  } catch (e) {
    if (init.signal?.aborted || isAbort(e)) throw e;
    throw new ChatError("network", e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    // The status fallback would call a 404 session_not_found.
    if (res.status === 404) throw new ChatError("not_found", err.message, err.opts);
    throw err;
  }
  return res;
}

/**
 * Loads the owner summary, with the bearer token when one is given. Rejects with a ChatError:
 * `not_found` (404) when the view is closed to this request (no token, or a wrong one),
 * `network`, `rate_limited`, `internal`, `bad_response`.
 */
export async function getOwnerSummary(
  baseUrl: string,
  token: string | null,
  signal?: AbortSignal,
  doFetch = globalThis.fetch,
): Promise<OwnerSummary> {
  const res = await ownerFetch(apiUrl(baseUrl, "/api/owner/summary"), token, { signal }, doFetch);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ChatError("bad_response", "the summary was not JSON");
  }
  return normalizeSummary(body);
}

/** Dismisses an unanswered question (`POST /api/owner/questions/{id}/dismiss`, 204). */
export async function dismissQuestion(
  baseUrl: string,
  token: string | null,
  id: string,
  doFetch = globalThis.fetch,
): Promise<void> {
  const url = apiUrl(baseUrl, `/api/owner/questions/${encodeURIComponent(id)}/dismiss`);
  await ownerFetch(url, token, { method: "POST" }, doFetch);
}
