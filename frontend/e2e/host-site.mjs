// A host site for the embeddable widget: another origin (its own port on 127.0.0.1) whose page
// carries the snippet, its data- options taken from the query string (/?position=left&open=true),
// and /plain the same site without it. Used by e2e/widget.e2e.ts and scripts/widget-screenshots.mjs.
import { createServer } from "node:http";

/** @param {string} twinURL @param {URLSearchParams} query */
function page(twinURL, query) {
  const attrs = [...query].map(([k, v]) => ` data-${k}="${v.replace(/"/g, "&quot;")}"`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A host site</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:Georgia,serif;margin:0 auto;max-width:40rem;padding:2rem;line-height:1.6">
<main><h1>Notes from the workshop</h1><p>${"A paragraph of the host site, which knows nothing about the twin. ".repeat(12)}</p>
<p>${"The widget must not move this text, restyle it or add globals beyond its own. ".repeat(8)}</p>
<button type="button">A host button</button></main>
<script src="${twinURL}/widget.js"${attrs} defer></script></body></html>`;
}

const plain = "<!doctype html><html lang='en'><title>plain</title><p>no widget</p></html>";

/**
 * Starts a host site; `twinURL()` is read per request, so the site's origin can go into the twin's
 * EMBED_ALLOWED_ORIGINS before the twin starts.
 * @param {() => string} twinURL
 * @returns {Promise<{ origin: string, close: () => void }>}
 */
export async function serveHostSite(twinURL) {
  const srv = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://host");
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.end(url.pathname === "/plain" ? plain : page(twinURL(), url.searchParams));
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", () => r(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
  return { origin: `http://127.0.0.1:${port}`, close: () => srv.close() };
}
