/**
 * Everything that happens after the visitor first sends: the chat turn (streaming with a JSON
 * fallback and retries before the first token) and reply ratings. Imported dynamically by the chat
 * page (see `client.ts`), so eventsource-parser and this code are not first-load JS.
 */
import type { RatingChoice } from "@/lib/chat/messages";
import { apiUrl, buildChatRequest, callApi } from "./client";
import { ChatError, errorFromResponse, isAbort, isRetryable } from "./errors";
import { readStream } from "./stream";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  /** A longer server-requested wait (Retry-After) is not waited out: the visitor is told instead. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 600, maxDelayMs: 5000 };

export interface SendOptions {
  baseUrl: string;
  message: string;
  sessionId: string | null;
  signal?: AbortSignal;
  /** Use the streaming endpoint (default). Set false once streaming proved unavailable. */
  stream?: boolean;
  retry?: RetryPolicy;
  /** Give up when no token arrived this long after sending, or the stream stalls this long. */
  timeoutMs?: number;
  onStart?: (info: { sessionId?: string; messageId?: string }) => void;
  onDelta: (delta: string) => void;
  onRetry?: (info: { attempt: number; delayMs: number; error: ChatError }) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface SendResult {
  text: string;
  sessionId: string | null;
  transport: "stream" | "json";
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const TIMEOUT = Symbol("timeout");

/**
 * Sends one chat turn and reports the reply token by token through `onDelta`.
 *
 * - Streams from `/api/chat/stream`; when that endpoint is missing (404/405/501 without the API's
 *   error envelope) or answers with JSON, it uses the buffered `/api/chat` JSON endpoint instead.
 * - Retries with exponential backoff and jitter on network errors and 5xx, but only while no token
 *   has arrived: once text is on screen a retry would duplicate or contradict it.
 * - Aborting `signal` cancels the fetch and the body read (which cancels the model call server-side)
 *   and rejects with an AbortError; the caller keeps whatever text it already rendered.
 */
export async function sendChat(opts: SendOptions): Promise<SendResult> {
  const policy = opts.retry ?? DEFAULT_RETRY;
  const wait = opts.sleep ?? sleep;
  const random = opts.random ?? Math.random;
  let gotToken = false;
  let stream = opts.stream ?? true;

  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(opts, stream, () => {
        gotToken = true;
      });
    } catch (e) {
      if (e instanceof StreamUnavailable) {
        stream = false;
        attempt--; // switching transport is not a retry
        continue;
      }
      if (opts.signal?.aborted || isAbort(e)) throw e;
      const err = e instanceof ChatError ? e : new ChatError("network", String(e));
      if (gotToken || !isRetryable(err) || attempt >= policy.retries) throw err;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      let delayMs = Math.round(backoff * (0.5 + random() / 2));
      if (err.retryAfter !== undefined) {
        if (err.retryAfter * 1000 > policy.maxDelayMs) throw err;
        delayMs = Math.max(delayMs, err.retryAfter * 1000);
      }
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      await wait(delayMs, opts.signal);
    }
  }
}

class StreamUnavailable extends Error {}

/** Hex SHA-256 of a string; undefined where Web Crypto is unavailable (an insecure http origin). */
export async function sha256Hex(text: string): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = await subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `url` (relative, or absolute) points at the page's own origin. */
export function isSameOrigin(url: string): boolean {
  if (!/^[a-z][a-z\d+.-]*:|^\/\//i.test(url)) return true;
  try {
    return typeof location !== "undefined" && new URL(url).origin === location.origin;
  } catch {
    return false;
  }
}

async function attemptOnce(
  opts: SendOptions,
  stream: boolean,
  markToken: () => void,
): Promise<SendResult> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const { url, init } = buildChatRequest(opts.baseUrl, {
    message: opts.message,
    sessionId: opts.sessionId,
    stream,
  });
  if (stream && isSameOrigin(url)) {
    // In AWS, CloudFront signs the streaming request to the Lambda function URL (origin access
    // control) and Lambda accepts no unsigned payloads: the viewer must send the body's SHA-256.
    // The Go server ignores it. Same-origin only: the function URL is reached only through the
    // site's own distribution, and a cross-origin API would need the header in its CORS list.
    const hash = await sha256Hex(init.body);
    if (hash) init.headers["x-amz-content-sha256"] = hash;
  }

  // One controller per attempt, aborted by the caller's signal or by the inactivity timer.
  const ctl = new AbortController();
  const onOuterAbort = () => ctl.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ctl.abort(opts.signal.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (!opts.timeoutMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(TIMEOUT), opts.timeoutMs);
  };
  const timedOut = () => ctl.signal.reason === TIMEOUT;

  try {
    arm();
    let res: Response;
    try {
      res = await doFetch(url, { ...init, signal: ctl.signal });
    } catch (e) {
      if (timedOut()) throw new ChatError("timeout", "no response in time");
      if (opts.signal?.aborted || isAbort(e)) throw e;
      throw new ChatError("network", e instanceof Error ? e.message : String(e));
    }

    if (!res.ok) {
      const err = await errorFromResponse(res);
      // No streaming route here (a proxy's 404, or the API's own not_found/method_not_allowed):
      // use the JSON endpoint. A 404 that is about the session is a real error.
      const noRoute =
        !err.opts.fromServer || err.code === "not_found" || err.code === "method_not_allowed";
      if (stream && [404, 405, 501].includes(res.status) && noRoute) {
        throw new StreamUnavailable();
      }
      throw err;
    }

    const headerSession = res.headers.get("X-Session-Id");
    const contentType = res.headers.get("Content-Type") ?? "";
    if (!contentType.includes("text/event-stream") || res.body === null) {
      // Buffered JSON: the reply arrives whole, shown as one delta.
      let body: { response?: unknown; session_id?: unknown; message_id?: unknown };
      try {
        body = await res.json();
      } catch (e) {
        if (timedOut()) throw new ChatError("timeout", "no response in time");
        if (opts.signal?.aborted || isAbort(e)) throw e;
        throw new ChatError("bad_response", "the reply was not JSON");
      }
      if (typeof body.response !== "string") {
        throw new ChatError("bad_response", "the reply had no text");
      }
      const sessionId =
        typeof body.session_id === "string" ? body.session_id : (headerSession ?? opts.sessionId);
      opts.onStart?.({
        sessionId: sessionId ?? undefined,
        messageId: typeof body.message_id === "string" ? body.message_id : undefined,
      });
      markToken();
      opts.onDelta(body.response);
      return { text: body.response, sessionId, transport: "json" };
    }

    let text = "";
    let sessionId = headerSession ?? opts.sessionId;
    let finished = false;
    try {
      for await (const ev of readStream(res.body, ctl.signal)) {
        arm();
        if (ev.type === "start") {
          if (ev.sessionId) sessionId = ev.sessionId;
          opts.onStart?.({ sessionId: sessionId ?? undefined, messageId: ev.messageId });
        } else if (ev.type === "text-delta") {
          if (ev.delta === "") continue;
          markToken();
          text += ev.delta;
          opts.onDelta(ev.delta);
        } else if (ev.type === "error") {
          throw new ChatError("stream_error", ev.errorText);
        } else if (ev.type === "finish" || ev.type === "done") {
          finished = true;
        }
      }
    } catch (e) {
      if (e instanceof ChatError) throw e;
      if (timedOut()) throw new ChatError("timeout", "the stream stalled");
      if (opts.signal?.aborted || isAbort(e)) throw e;
      throw new ChatError(text ? "stream_error" : "network", "the connection dropped");
    }
    if (!finished) {
      // Closed without `finish`/[DONE]: a dropped connection, not a complete answer.
      throw new ChatError(text ? "stream_error" : "network", "the stream ended early");
    }
    return { text, sessionId, transport: "stream" };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/**
 * Records a visitor's rating of the reply `messageId` (`none` withdraws it; the latest counts),
 * with an optional reason.
 */
export async function sendFeedback(
  baseUrl: string,
  body: { sessionId: string; messageId: string; rating: RatingChoice; reason?: string },
  signal?: AbortSignal,
): Promise<void> {
  const res = await callApi(apiUrl(baseUrl, "/api/feedback"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      session_id: body.sessionId,
      message_id: body.messageId,
      rating: body.rating,
      ...(body.reason ? { reason: body.reason } : {}),
    }),
    signal,
  });
  if (!res.ok) throw await errorFromResponse(res);
}

/**
 * Deletes the stored conversation (`DELETE /api/chat/history/{id}`). One that is already gone
 * (404) counts as deleted.
 */
export async function deleteHistory(
  baseUrl: string,
  sessionId: string,
  signal?: AbortSignal,
): Promise<void> {
  const res = await callApi(apiUrl(baseUrl, `/api/chat/history/${encodeURIComponent(sessionId)}`), {
    method: "DELETE",
    signal,
  });
  if (!res.ok && res.status !== 404) throw await errorFromResponse(res);
}
