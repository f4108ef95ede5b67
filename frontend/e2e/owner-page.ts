/** Page object for the owner view (/owner/): by role and accessible name. */
import type { Locator, Page } from "playwright-core";
import { type AxeViolation, axe } from "./axe";

export class OwnerPage {
  readonly token: Locator;
  readonly open: Locator;
  readonly tokenProblem: Locator;
  readonly recentLeads: Locator;
  readonly unanswered: Locator;

  constructor(readonly page: Page) {
    this.token = page.getByLabel("Owner token");
    this.open = page.getByRole("button", { name: "Open the owner view" });
    this.tokenProblem = page.locator("#owner-token-problem");
    this.recentLeads = page.getByRole("region", { name: "Recent leads" });
    this.unanswered = page.getByRole("region", { name: "Top unanswered questions" });
  }

  async goto(baseURL: string) {
    await this.page.goto(`${baseURL}/owner/`);
    await this.page.getByRole("heading", { level: 1, name: "Owner view" }).waitFor();
    // Settled: the summary, the token form or an error (scoped: Next's route announcer is an
    // empty role="alert" too).
    await this.page
      .getByRole("heading", { name: "Leads per day" })
      .or(this.token)
      .or(this.page.getByRole("main").getByRole("alert"))
      .first()
      .waitFor();
  }

  /** Waits for the dashboard. */
  async summaryShown() {
    await this.page.getByRole("heading", { name: "Leads per day" }).waitFor();
  }

  /** The figure of a KPI tile, by its label. */
  async kpi(label: string): Promise<string> {
    const tile = this.page.locator("dl > div").filter({
      has: this.page.locator("dt", { hasText: new RegExp(`^${label}$`) }),
    });
    return ((await tile.locator("dd").first().textContent()) ?? "").trim();
  }

  async unlock(token: string) {
    await this.token.fill(token);
    await this.open.click();
  }

  axe(): Promise<AxeViolation[]> {
    return axe(this.page);
  }
}
