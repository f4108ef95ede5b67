/**
 * Markdown for the twin's replies. Loaded lazily (react-markdown + remark-gfm weigh ≈44 KiB gzip),
 * so the first paint only pays for the chat shell. Safe by construction: no rehype-raw, so raw HTML
 * in a reply is never rendered as HTML, and react-markdown's default URL filter drops
 * `javascript:` and other unsafe link targets. Code blocks carry their language and a copy button.
 */
import { type ReactNode, useRef, useState } from "react";
import type { Components } from "react-markdown";
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { closeOpenMarkdown } from "@/lib/chat/partial";
import { CheckIcon, CopyIcon } from "./icons";

/** A fenced code block: its language (when the fence names one) and a copy button above it. */
function CodeBlock({ lang, children }: { lang?: string; children: ReactNode }) {
  const ref = useRef<HTMLPreElement | null>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(ref.current?.textContent ?? "");
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard blocked (permissions, insecure origin): the text can still be selected.
    }
  };
  return (
    <figure className="code-block">
      <figcaption>
        <span>{lang ?? "code"}</span>
        <button type="button" onClick={copy} aria-label={lang ? `Copy ${lang} code` : "Copy code"}>
          {copied ? <CheckIcon /> : <CopyIcon />}
          <span aria-live="polite">{copied ? "Copied" : "Copy"}</span>
        </button>
      </figcaption>
      <pre ref={ref}>{children}</pre>
    </figure>
  );
}

function languageOf(children: ReactNode): string | undefined {
  const first = Array.isArray(children) ? children[0] : children;
  const className =
    first && typeof first === "object" && "props" in first
      ? (first.props as { className?: unknown }).className
      : undefined;
  const m = typeof className === "string" ? /language-([\w+#.-]+)/.exec(className) : null;
  return m?.[1];
}

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
  pre: ({ node: _node, children }) => <CodeBlock lang={languageOf(children)}>{children}</CodeBlock>,
};

/** Renders `text`; a `partial` reply (cut off or still arriving) has open markers closed first. */
export default function Markdown({ text, partial = false }: { text: string; partial?: boolean }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml components={components}>
        {partial ? closeOpenMarkdown(text) : text}
      </ReactMarkdown>
    </div>
  );
}
