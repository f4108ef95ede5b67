export declare function serveHostSite(
  twinURL: () => string,
): Promise<{ origin: string; close: () => void }>;
