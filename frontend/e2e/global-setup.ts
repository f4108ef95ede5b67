/**
 * Starts the Go server twice for the e2e suite: one for normal use (the offline responder paced at
 * 40 ms a word so streaming and Stop are observable), one with RATE_LIMIT_PER_MINUTE=2 for the 429
 * path. Both are stopped after the run.
 */
import type { TestProject } from "vitest/node";
import { startTwin, twinBinary } from "./servers.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseURL: string;
    limitedURL: string;
  }
}

export default async function setup(project: TestProject) {
  const bin = twinBinary();
  const main = await startTwin({ bin, name: "twin-e2e", env: { OFFLINE_TOKEN_DELAY_MS: "40" } });
  const limited = await startTwin({
    bin,
    name: "twin-e2e-limited",
    env: { RATE_LIMIT_PER_MINUTE: "2" },
  }).catch(async (e) => {
    await main.stop();
    throw e;
  });
  project.provide("baseURL", main.url);
  project.provide("limitedURL", limited.url);
  return async () => {
    await Promise.all([main.stop(), limited.stop()]);
  };
}
