/** A restored conversation never shows before its renderer is loaded (no raw-markdown flash). */
import { act, renderHook, waitFor } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { SESSION_KEY } from "@/lib/session";
import { SESSION, server } from "@/test/server";
import { useRestoreSession, useSession } from "./use-restore-session";

describe("useRestoreSession", () => {
  it("hands the restored messages over only once the renderer has loaded", async () => {
    window.localStorage.setItem(SESSION_KEY, SESSION);
    let historyServed = false;
    server.use(
      http.get("*/api/chat/history/:id", () => {
        historyServed = true;
        return HttpResponse.json({
          session_id: SESSION,
          messages: [
            {
              role: "user",
              content: "hi",
              timestamp: "2026-12-04T10:00:00Z",
              id: "msg-a",
              status: "complete",
            },
            {
              role: "assistant",
              content: "**Hello**",
              timestamp: "2026-12-04T10:00:01Z",
              id: "msg-b",
              status: "complete",
            },
          ],
        });
      }),
    );
    let loaded: () => void = () => {};
    const preload = () => new Promise<void>((resolve) => (loaded = resolve));
    const onRestored = vi.fn();
    renderHook(() =>
      useRestoreSession({
        baseUrl: "",
        session: useSession(),
        onRestored,
        hasMessages: () => false,
        timeoutMs: 10_000,
        preload,
      }),
    );
    await waitFor(() => expect(historyServed).toBe(true));
    await new Promise((r) => setTimeout(r, 50)); // the history is in; the renderer is not
    expect(onRestored).not.toHaveBeenCalled();
    await act(async () => loaded());
    await waitFor(() => expect(onRestored).toHaveBeenCalledTimes(1));
    expect(onRestored.mock.calls[0]?.[0]).toHaveLength(2);
  });
});
