/**
 * Typed errors of the chat API. The codes mirror the backend's closed set (app/twin); the client adds
 * a few of its own for failures that never reach the server (network, timeout, a broken stream).
 */

/** Error codes the backend sends in `{"error": {"code", ...}}`. */
export const SERVER_ERROR_CODES = [
  "invalid_request",
  "invalid_session_id",
  "message_too_long",
  "session_not_found",
  "session_full",
  "rate_limited",
  "persona_unavailable",
  "llm_unavailable",
  "internal",
  // Extension (decision 0001): a request that matches no API route.
  "not_found",
  "method_not_allowed",
  // The owner view of a local twin asked from another machine or through another host name.
  "forbidden",
] as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** Codes the client raises itself. */
export type ClientErrorCode =
  | "network" // fetch failed: offline, DNS, CORS, connection reset
  | "timeout" // no answer in time
  | "stream_error" // the server reported an error mid-stream (`{"type":"error"}`)
  | "bad_response"; // a response we could not understand

export type ChatErrorCode = ServerErrorCode | ClientErrorCode;

export function isServerErrorCode(code: unknown): code is ServerErrorCode {
  return typeof code === "string" && (SERVER_ERROR_CODES as readonly string[]).includes(code);
}

/** An API failure with a code the UI can switch on and, for 429/503, when to try again. */
export class ChatError extends Error {
  override readonly name = "ChatError";
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    readonly opts: {
      status?: number;
      /** Seconds until a retry may succeed (from `Retry-After`). */
      retryAfter?: number;
      correlationId?: string;
      /** True when the body was the backend's own `{"error": ...}` envelope. */
      fromServer?: boolean;
    } = {},
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.opts.status;
  }
  get retryAfter(): number | undefined {
    return this.opts.retryAfter;
  }
  get correlationId(): string | undefined {
    return this.opts.correlationId;
  }
}

/** Parses a `Retry-After` header: delta-seconds or an HTTP date. Returns whole seconds ≥ 0. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value == null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

const FALLBACK_BY_STATUS: Record<number, ServerErrorCode> = {
  400: "invalid_request",
  403: "forbidden",
  404: "session_not_found",
  409: "session_full",
  413: "message_too_long",
  429: "rate_limited",
  503: "llm_unavailable",
};

/** Turns a non-2xx response into a ChatError, reading the backend's error envelope when present. */
export async function errorFromResponse(res: Response): Promise<ChatError> {
  const retryAfter = parseRetryAfter(res.headers.get("Retry-After"));
  let code: ChatErrorCode =
    FALLBACK_BY_STATUS[res.status] ?? (res.status >= 500 ? "internal" : "bad_response");
  let message = `HTTP ${res.status}`;
  let correlationId = res.headers.get("X-Correlation-Id") ?? undefined;
  let fromServer = false;
  try {
    const body: unknown = await res.json();
    const err = (
      body as { error?: { code?: unknown; message?: unknown; correlation_id?: unknown } }
    )?.error;
    if (err && isServerErrorCode(err.code)) {
      code = err.code;
      fromServer = true;
    }
    if (err && typeof err.message === "string") message = err.message;
    if (err && typeof err.correlation_id === "string") correlationId = err.correlation_id;
  } catch {
    // Not our JSON envelope (a proxy's HTML page, say): keep the status-derived code.
  }
  return new ChatError(code, message, {
    status: res.status,
    retryAfter,
    correlationId,
    fromServer,
  });
}

/** Whether the failure is worth an automatic retry (only ever before the first token). */
export function isRetryable(err: ChatError): boolean {
  if (err.code === "network") return true;
  if (err.code === "llm_unavailable" || err.code === "internal") return true;
  return err.status === 502 || err.status === 504;
}

function inSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return "in a moment";
  if (seconds <= 1) return "in a second";
  if (seconds < 90) return `in ${seconds} seconds`;
  return `in about ${Math.round(seconds / 60)} minutes`;
}

/** A short, friendly sentence for the visitor. Never shows internals. */
export function friendlyMessage(err: ChatError): string {
  switch (err.code) {
    case "rate_limited":
      return `You're sending messages faster than I can answer. Please try again ${inSeconds(err.retryAfter)}.`;
    case "llm_unavailable":
      return `I can't answer right now — my language model is unavailable. Please try again ${inSeconds(err.retryAfter)}.`;
    case "message_too_long":
      return "That message is too long. Please shorten it and send it again.";
    case "session_full":
      return "This conversation has reached its length limit. Start a new conversation to keep talking.";
    case "invalid_request":
      return "I couldn't read that message. Please check it and try again.";
    case "invalid_session_id":
    case "session_not_found":
      return "This conversation could not be found. A new one has been started.";
    case "persona_unavailable":
      return "I'm not available right now. Please try again later.";
    case "network":
      return "I couldn't reach the server. Check your connection and try again.";
    case "timeout":
      return "That took too long, so I stopped waiting. Please try again.";
    case "stream_error":
      return "Something went wrong while I was answering. Please try again.";
    default:
      return "Something went wrong on my side. Please try again.";
  }
}

/** Whether `e` is the rejection of an aborted fetch or read. */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}
