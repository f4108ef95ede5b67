export declare const FRONTEND_DIR: string;
export declare const REPO_DIR: string;
export declare const CHROMIUM_ARGS: string[];
export declare const CHROMIUM_PATH: string;
export declare function twinBinary(): string;
export declare function startTwin(opts: {
  bin: string;
  env?: Record<string, string>;
  name?: string;
  root?: string;
  port?: number;
}): Promise<{
  url: string;
  stop: () => Promise<void>;
  signal: (sig: NodeJS.Signals) => Promise<number | null>;
  memoryDir: string;
  dataDir: string;
  port: number;
}>;
