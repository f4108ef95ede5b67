/**
 * Build-time configuration. `NEXT_PUBLIC_API_BASE_URL` is inlined by `next build`; empty (the
 * default) means the API lives on the page's own origin, as with `app/cmd/twin` and CloudFront.
 * `make dev` sets it to http://localhost:8000 so `next dev` on :3000 talks to the Go server.
 */
export const API_BASE_URL: string = process.env.NEXT_PUBLIC_API_BASE_URL ?? "";
