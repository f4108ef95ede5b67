import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Unit and component tests (jsdom + msw). The browser end-to-end tests have their own config.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  resolve: { alias: { "@": fileURLToPath(new URL(".", import.meta.url)) } },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./test/setup.ts"],
    include: ["**/*.test.{ts,tsx}"],
    exclude: ["node_modules/**", "e2e/**", ".next/**", "out/**"],
    pool: "threads",
    maxWorkers: 2,
  },
});
