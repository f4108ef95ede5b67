/**
 * Markdown for the twin's replies. Loaded lazily (react-markdown + remark-gfm weigh ≈44 KiB gzip),
 * so the first paint only pays for the chat shell. Safe by construction: no rehype-raw, so raw HTML
 * in a reply is never rendered as HTML, and react-markdown's default URL filter drops
 * `javascript:` and other unsafe link targets.
 */
import type { Components } from "react-markdown";
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";

const components: Components = {
  a: ({ node: _node, ...props }) => (
    <a {...props} target="_blank" rel="noopener noreferrer nofollow" />
  ),
  img: ({ node: _node, alt, src }) =>
    // Images in replies are shown as links: no third-party requests from the visitor's browser.
    typeof src === "string" ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow">
        {alt || src}
      </a>
    ) : null,
};

export default function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
