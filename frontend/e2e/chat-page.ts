/** Page object for the chat page: everything by role and accessible name. */
import type { Locator, Page } from "playwright-core";
import { type AxeViolation, axe } from "./axe";

export class ChatPage {
  readonly input: Locator;
  readonly send: Locator;
  readonly stop: Locator;
  readonly log: Locator;
  readonly replies: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.input = page.getByRole("textbox", { name: "Message" });
    this.send = page.getByRole("button", { name: "Send", exact: true });
    this.stop = page.getByRole("button", { name: "Stop", exact: true });
    this.log = page.getByRole("log");
    this.replies = this.log.locator('[data-role="assistant"]');
    // Scoped: Next's route announcer is an (empty) role="alert" element too.
    this.alert = page.getByRole("region", { name: "Write a message" }).getByRole("alert");
  }

  async goto(url: string) {
    await this.page.goto(url);
    await this.page.getByRole("heading", { level: 1 }).waitFor();
    // The transcript is busy until the stored history is restored (or known to be gone).
    await this.page.locator('[role="log"][aria-busy="false"]').waitFor({ state: "attached" });
  }

  async ask(text: string) {
    await this.input.fill(text);
    await this.send.click();
  }

  lastReply(): Locator {
    return this.replies.last();
  }

  /** The newest reply's text alone (no avatar, no screen-reader heading, no buttons). */
  async lastReplyText(): Promise<string> {
    return ((await this.lastReply().locator('[data-part="text"]').textContent()) ?? "").trim();
  }

  /** Waits until the newest reply finished (the Send button is back and the reply is done). */
  async waitForReply() {
    await this.lastReply().and(this.page.locator('[data-state="complete"]')).waitFor();
    await this.send.waitFor();
  }

  /** Runs axe-core in the page; returns the violations (WCAG 2.1 A/AA and best practices). */
  axe(): Promise<AxeViolation[]> {
    return axe(this.page);
  }
}
