/** Shared steps of the chat page's component tests: a rendered, restored page and a held stream. */
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http } from "msw";
import { expect } from "vitest";
import { Chat, type ChatProps } from "@/components/chat";
import { server, sseFrames, streamResponse } from "./server";

export const fastRetry = { retries: 2, baseDelayMs: 1, maxDelayMs: 50 };

/** A stream that stops before frame `at` until `release()` is called. */
export function heldStream(deltas: string[], at: number) {
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let aborted = false;
  server.use(
    http.post("*/api/chat/stream", ({ request }) => {
      request.signal.addEventListener("abort", () => {
        aborted = true;
      });
      return streamResponse(sseFrames(deltas), {
        gate: (i) => (i === at ? held : Promise.resolve()),
      });
    }),
  );
  return { release: () => release(), wasAborted: () => aborted };
}

export async function ready(props: ChatProps = {}) {
  const user = userEvent.setup();
  const view = render(<Chat baseUrl="" retry={fastRetry} {...props} />);
  await screen.findByRole("heading", { name: "Chat with Ada" });
  const input = screen.getByRole("textbox", { name: "Message" });
  // The transcript is busy while the stored history is restored.
  await waitFor(() => expect(screen.getByRole("log")).toHaveAttribute("aria-busy", "false"));
  return { user, view, input };
}
