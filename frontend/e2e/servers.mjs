// Starts and stops the real Go server (app/cmd/twin) for end-to-end tests, screenshots and
// benchmarks: a free port, a temporary MEMORY_DIR, the exported UI from frontend/out, the offline
// responder. Plain ESM so both the Vitest e2e suite and the node scripts can use it.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const FRONTEND_DIR = resolve(new URL("..", import.meta.url).pathname);
export const REPO_DIR = resolve(FRONTEND_DIR, "..");

/** Chromium flags for this closed network (see docs/benchmarks.md and STACK notes). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export const CHROMIUM_PATH = process.env.CHROME_PATH || "/usr/bin/chromium";

/** Builds the Go server binary (cached by go build) unless TWIN_BIN names one. */
export function twinBinary() {
  if (process.env.TWIN_BIN) return resolve(process.env.TWIN_BIN);
  const bin = join(REPO_DIR, "build", "twin");
  execFileSync("go", ["build", "-o", bin, "./app/cmd/twin"], { cwd: REPO_DIR, stdio: "inherit" });
  return bin;
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts one server and waits for /api/health. `root` and `port` let a test restart a server
 * on the same data and address (the caller then owns `root`; `stop` leaves it).
 * @param {{ bin: string, env?: Record<string, string>, name?: string, root?: string, port?: number }} opts
 * @returns {Promise<{ url: string, stop: () => Promise<void>, signal: (sig: NodeJS.Signals) => Promise<number | null>, memoryDir: string, dataDir: string, port: number }>}
 */
export async function startTwin({ bin, env = {}, name = "twin", root: given, port: fixed }) {
  const out = join(FRONTEND_DIR, "out", "index.html");
  if (!existsSync(out)) throw new Error(`${out} is missing: run \`npm run build\` first`);
  const port = fixed ?? (await freePort());
  // Everything the server writes (sessions, leads, questions, feedback) under a private DATA_DIR,
  // so no two runs share records.
  const root = given ?? mkdtempSync(join(tmpdir(), `${name}-`));
  const memoryDir = join(root, "sessions");
  mkdirSync(memoryDir, { recursive: true });
  let log = "";
  const child = spawn(bin, [], {
    cwd: REPO_DIR,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      ENVIRONMENT: "local",
      PORT: String(port),
      DATA_DIR: root,
      FRONTEND_DIR: join(FRONTEND_DIR, "out"),
      PERSONA_FILE: join(REPO_DIR, "me.txt"),
      LLM_PROVIDER: "offline",
      LOG_LEVEL: "warn",
      OTEL_TRACES_EXPORTER: "none",
      RATE_LIMIT_PER_MINUTE: "1000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (b) => {
    log = (log + b.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((r) => child.once("exit", r));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not become healthy in 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  /** Sends `sig` and waits for the exit; resolves with the exit code. */
  const signal = async (sig) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(sig);
      const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(t);
    }
    return child.exitCode;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    }
    if (!given) rmSync(root, { recursive: true, force: true });
  };
  return { url, stop, signal, memoryDir, dataDir: root, port };
}
