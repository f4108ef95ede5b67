import { defineConfig } from "vitest/config";

// Browser end-to-end tests: playwright-core driving Debian's Chromium against the real Go server.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    globalSetup: ["./e2e/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
