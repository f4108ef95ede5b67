import type { NextConfig } from "next";

// A static export: `app/cmd/twin` serves `out/` locally and CloudFront serves it from S3 in AWS.
const nextConfig: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
