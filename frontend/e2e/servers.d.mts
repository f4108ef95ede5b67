export declare const FRONTEND_DIR: string;
export declare const REPO_DIR: string;
export declare const CHROMIUM_ARGS: string[];
export declare const CHROMIUM_PATH: string;
export declare function twinBinary(): string;
export declare function startTwin(opts: {
  bin: string;
  env?: Record<string, string>;
  name?: string;
}): Promise<{ url: string; stop: () => Promise<void>; memoryDir: string; dataDir: string }>;
