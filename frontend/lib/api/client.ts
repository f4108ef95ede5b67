/**
 * The chat API client, first-load half: URLs, request building, history and persona. The streaming
 * half (`send.ts`, with the SSE parser) is loaded on idle after the page is interactive, which keeps
 * it out of the first-load JS. Framework-free, so it is unit-tested without React.
 */
import { ChatError, errorFromResponse, isAbort } from "./errors";

/** One stored message as `GET /api/chat/history/{id}` returns it. */
export interface HistoryMessage {
  role: "user" | "assistant";
  content: string;
  timestamp: string;
  /** A reply's id (the stream's `messageId`); absent in older stored sessions. */
  id?: string;
  /** `complete`, `stopped`, `interrupted` or `failed`; absent in older stored sessions. */
  status?: string;
}

/** What `GET /api/persona` returns: the header, greeting and starter questions. */
export interface Persona {
  name: string;
  greeting: string;
  starters: string[];
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` is a canonical lowercase UUID, the only session id form the API accepts. */
export function isSessionId(id: unknown): id is string {
  return typeof id === "string" && UUID_RE.test(id);
}

/**
 * Joins the build-time base URL and an API path. An empty base means same origin (the default:
 * the Go server and CloudFront both serve the page and the API from one origin).
 */
export function apiUrl(baseUrl: string, path: string): string {
  const base = baseUrl.trim().replace(/\/+$/, "");
  return `${base}${path.startsWith("/") ? path : `/${path}`}`;
}

export interface ChatRequestInput {
  message: string;
  sessionId: string | null;
  stream: boolean;
}

/** Builds the fetch arguments for a chat turn. Pure: the same input gives the same request. */
export function buildChatRequest(
  baseUrl: string,
  { message, sessionId, stream }: ChatRequestInput,
): { url: string; init: RequestInit & { headers: Record<string, string>; body: string } } {
  return {
    url: apiUrl(baseUrl, stream ? "/api/chat/stream" : "/api/chat"),
    init: {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: stream ? "text/event-stream" : "application/json",
      },
      body: JSON.stringify({ message, session_id: sessionId, stream }),
      // No cookies: the API is anonymous and a cross-origin base must not need credentials.
      credentials: "omit",
      cache: "no-store",
    },
  };
}

/**
 * Calls the API with what every request shares (JSON accepted, no cookies, no cache). Not reaching
 * it is a `network` ChatError; an abort stays an abort.
 */
export async function callApi(
  url: string,
  init: RequestInit = {},
  doFetch = globalThis.fetch,
): Promise<Response> {
  try {
    return await doFetch(url, {
      ...init,
      headers: {
        Accept: "application/json",
        ...(init.headers as Record<string, string> | undefined),
      },
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    if (init.signal?.aborted || isAbort(e)) throw e;
    throw new ChatError("network", e instanceof Error ? e.message : String(e));
  }
}

async function getJSON<T>(
  url: string,
  signal?: AbortSignal,
  doFetch = globalThis.fetch,
): Promise<T> {
  const res = await callApi(url, { signal }, doFetch);
  if (!res.ok) throw await errorFromResponse(res);
  try {
    return (await res.json()) as T;
  } catch {
    throw new ChatError("bad_response", "the reply was not JSON");
  }
}

/** Loads a session's messages. Rejects with `session_not_found` (404) or `invalid_session_id` (400). */
export async function getHistory(
  baseUrl: string,
  sessionId: string,
  signal?: AbortSignal,
): Promise<HistoryMessage[]> {
  const body = await getJSON<{ messages?: unknown }>(
    apiUrl(baseUrl, `/api/chat/history/${encodeURIComponent(sessionId)}`),
    signal,
  );
  if (!Array.isArray(body.messages)) return [];
  const out: HistoryMessage[] = [];
  for (const m of body.messages as Record<string, unknown>[]) {
    if (typeof m !== "object" || m === null) continue;
    if ((m.role !== "user" && m.role !== "assistant") || typeof m.content !== "string") continue;
    const msg: HistoryMessage = {
      role: m.role,
      content: m.content,
      timestamp: typeof m.timestamp === "string" ? m.timestamp : "",
    };
    if (typeof m.id === "string" && m.id !== "") msg.id = m.id;
    if (typeof m.status === "string") msg.status = m.status;
    out.push(msg);
  }
  return out;
}

/** Loads the owner's name, greeting and starter questions. */
export async function getPersona(baseUrl: string, signal?: AbortSignal): Promise<Persona> {
  const body = await getJSON<Partial<Persona>>(apiUrl(baseUrl, "/api/persona"), signal);
  return {
    name: typeof body.name === "string" ? body.name.trim() : "",
    greeting: typeof body.greeting === "string" ? body.greeting : "",
    starters: Array.isArray(body.starters)
      ? body.starters.filter((s): s is string => typeof s === "string" && s.trim() !== "")
      : [],
  };
}
