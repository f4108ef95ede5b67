/**
 * The owner view end to end against the real Go server: a visitor leaves an email and asks
 * something the twin can't answer, and /owner/ counts one lead and one unanswered question. Then
 * a cloud-like server (ENVIRONMENT=staging, the owner token in a fake Secrets Manager speaking
 * the real JSON protocol): the view asks for the token, refuses a wrong one, opens with the
 * right one. axe-core on each state. Each server here is fresh, so the counts are exact.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, type BrowserContextOptions, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatPage } from "./chat-page";
import { OwnerPage } from "./owner-page";
import { CHROMIUM_ARGS, CHROMIUM_PATH, startTwin, twinBinary } from "./servers.mjs";

const OWNER_TOKEN = "owner-e2e-token-7f3a";
const phone: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
  colorScheme: "dark",
};

let browser: Browser;
let local: Awaited<ReturnType<typeof startTwin>>;
let cloud: Awaited<ReturnType<typeof startTwin>>;
let secrets: Server;
const secretCalls: string[] = [];

/** A fake Secrets Manager: GetSecretValue answers with the owner token. */
async function fakeSecretsManager(): Promise<string> {
  secrets = createServer((req, res) => {
    secretCalls.push(String(req.headers["x-amz-target"]));
    req.resume();
    req.on("end", () => {
      res.setHeader("Content-Type", "application/x-amz-json-1.1");
      res.end(
        JSON.stringify({
          ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:twin/owner-token-AbCdEf",
          Name: "twin/owner-token",
          SecretString: OWNER_TOKEN,
          VersionId: "v1",
        }),
      );
    });
  });
  await new Promise<void>((r) => secrets.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const bin = twinBinary();
  const endpoint = await fakeSecretsManager();
  [local, cloud] = await Promise.all([
    startTwin({ bin, name: "twin-e2e-owner", env: { OFFLINE_TOKEN_DELAY_MS: "0" } }),
    startTwin({
      bin,
      name: "twin-e2e-owner-cloud",
      env: {
        ENVIRONMENT: "staging",
        OWNER_TOKEN_SECRET_ID: "twin/owner-token",
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    }),
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([local?.stop(), cloud?.stop()]);
  await new Promise((r) => secrets?.close(r));
});

describe("owner view on the Go server", () => {
  it("counts a visitor's lead and unanswered question", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const chat = new ChatPage(await context.newPage());
    await chat.goto(local.url);
    // (The offline responder reads a bare "I'd like to get in touch" as a statement about the
    // visitor; "with you" makes it a contact request.)
    await chat.ask("I'd like to get in touch with you");
    await chat.waitForReply();
    await chat.ask("sure, bob@example.com");
    await chat.waitForReply();
    expect(await chat.lastReplyText()).toContain("saved your email");
    await chat.ask("What is your favourite football team?");
    await chat.waitForReply();
    expect(await chat.lastReplyText()).toContain("noted your question");
    // A thumbs-down with a reason on that reply.
    await chat.lastReply().getByRole("button", { name: "Bad reply" }).click();
    await chat
      .lastReply()
      .getByRole("textbox", { name: "What was wrong? (optional)" })
      .fill("I wanted a team name");
    const rated = chat.page.waitForResponse(
      (r) =>
        r.url().endsWith("/api/feedback") && r.request().postData()?.includes("reason") === true,
    );
    await chat.lastReply().getByRole("button", { name: "Send feedback" }).click();
    expect((await rated).ok()).toBe(true);

    // Not linked from the chat: visitors never see it.
    expect(await chat.page.locator('a[href*="owner"]').count()).toBe(0);

    const owner = new OwnerPage(chat.page);
    await owner.goto(local.url);
    await owner.summaryShown();
    expect(await owner.kpi("Leads")).toBe("1");
    expect(await owner.kpi("Unanswered questions")).toBe("1");
    expect(await owner.kpi("Conversations")).toBe("1");
    expect(
      await owner.recentLeads.getByRole("link", { name: "bob@example.com" }).getAttribute("href"),
    ).toBe("mailto:bob%40example.com");
    expect(await owner.unanswered.textContent()).toContain("what is your favourite football team");

    // The rating shows its reason and links to the conversation, read-only, the reply marked.
    const ratings = chat.page.getByRole("region", { name: "Recent ratings" });
    expect(await ratings.textContent()).toContain("I wanted a team name");
    await ratings.getByRole("link", { name: "Open conversation" }).click();
    const conversation = chat.page.getByRole("region", { name: "Conversation" });
    await conversation.locator('li[aria-current="true"]').waitFor();
    expect(await conversation.locator('li[aria-current="true"]').textContent()).toContain(
      "noted your question",
    );
    expect(await owner.axe()).toEqual([]);

    // The open question can be dismissed once answered; a reload confirms the server kept it.
    const questions = chat.page.getByRole("region", { name: "Questions to answer" });
    const dismissed = chat.page.waitForResponse((r) => r.url().includes("/dismiss"));
    await questions
      .getByRole("button", { name: /^Dismiss: / })
      .first()
      .click();
    expect((await dismissed).status()).toBe(204);
    await chat.page.reload();
    await owner.summaryShown();
    expect(await questions.getByRole("button", { name: /^Dismiss: / }).count()).toBe(0);
    // Today's bar and its table row say 1.
    const today = await chat.page
      .getByRole("table", { name: /Leads per day/ })
      .locator("tbody tr")
      .last()
      .textContent();
    expect(today).toMatch(/1$/);
    expect(await owner.token.count()).toBe(0);
    expect(await chat.page.locator('meta[name="robots"]').getAttribute("content")).toMatch(
      /noindex/,
    );
    expect(await chat.page.title()).toBe("Owner view · Digital Twin");
    expect(await owner.axe()).toEqual([]);

    await owner.page.getByRole("link", { name: /Back to the chat/ }).click();
    await chat.page.waitForURL(`${local.url}/`);
    await context.close();
  });

  it("works on a phone in dark mode, without axe violations or sideways scrolling", async () => {
    const context = await browser.newContext(phone);
    const owner = new OwnerPage(await context.newPage());
    await owner.goto(local.url);
    await owner.summaryShown();
    expect(await owner.axe()).toEqual([]);
    const overflow = await owner.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await context.close();
  });

  it("asks for the owner token in the cloud, refuses a wrong one and opens with the right one", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const owner = new OwnerPage(await context.newPage());
    const auth: (string | undefined)[] = [];
    owner.page.on("request", (r) => {
      if (r.url().endsWith("/api/owner/summary")) auth.push(r.headers().authorization);
    });
    await owner.goto(cloud.url);
    await owner.token.waitFor();
    expect(await owner.token.getAttribute("type")).toBe("password");
    expect(await owner.axe()).toEqual([]);

    await owner.unlock("not-the-token");
    await owner.tokenProblem.waitFor();
    expect(await owner.tokenProblem.textContent()).toContain(
      "That token didn't open the owner view",
    );
    expect(await owner.axe()).toEqual([]);

    await owner.token.fill(OWNER_TOKEN);
    await owner.open.click();
    await owner.summaryShown();
    expect(await owner.kpi("Leads")).toBe("0");
    expect(auth).toEqual([undefined, "Bearer not-the-token", `Bearer ${OWNER_TOKEN}`]);
    expect(secretCalls).toContain("secretsmanager.GetSecretValue");

    // Kept for this tab only: a reload opens the view again without asking.
    expect(
      await owner.page.evaluate(() => [
        sessionStorage.getItem("twin.owner_token"),
        localStorage.length,
      ]),
    ).toEqual([OWNER_TOKEN, 0]);
    await owner.page.reload();
    await owner.summaryShown();
    expect(await owner.token.count()).toBe(0);
    await context.close();
  });
});
