/**
 * Display of a reply cut off mid-way (still streaming, stopped, interrupted). Its text may end
 * inside `**bold**`, `*emphasis*`, `` `code` `` or a fenced block; rendered as it is, the open
 * marker shows as a stray `*` or backtick. `closeOpenMarkdown` appends the closing markers for
 * display only: the stored text stays exactly what the visitor was shown.
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The text with any emphasis, inline code or code fence left open at its end closed. */
export function closeOpenMarkdown(text: string): string {
  const lines = text.split("\n");
  let fence: string | undefined;
  // The first line of the paragraph the text ends in (none when it ends in or after a fence).
  let para: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const m = FENCE.exec(line);
    if (fence) {
      if (m?.[1] && m[1][0] === fence[0] && m[1].length >= fence.length) fence = undefined;
      para = undefined;
    } else if (m?.[1]) {
      fence = m[1];
      para = undefined;
    } else if (line.trim() === "") {
      // A blank line closes every paragraph before it.
      para = undefined;
    } else {
      para ??= i;
    }
  }
  if (fence) return `${text}\n${fence}`;
  return para === undefined ? text : text + closers(lines.slice(para).join("\n"));
}

/** The markers that close what `para` leaves open, innermost first. */
function closers(para: string): string {
  const open: string[] = [];
  let i = 0;
  while (i < para.length) {
    const c = para[i] as string;
    if (c === "\\") {
      // A trailing backslash would escape the first closer: leave such a text as it is.
      if (i + 1 >= para.length) return "";
      i += 2;
      continue;
    }
    if (c === "`") {
      let run = 1;
      while (para[i + run] === "`") run++;
      const tick = "`".repeat(run);
      const end = para.indexOf(tick, i + run);
      if (end < 0) {
        // An open code span (nothing in it yet: nothing to close).
        const rest = [...open].reverse().join("");
        return i + run < para.length ? tick + rest : rest;
      }
      i = end + run;
      continue;
    }
    if (c === "*" || c === "_") {
      let run = 1;
      while (para[i + run] === c) run++;
      const marker = c.repeat(Math.min(run, 3));
      // A marker closes the same marker when that is open, else opens before a non-space.
      const at = open.lastIndexOf(marker);
      const top = open[open.length - 1] ?? "";
      if (at >= 0) open.splice(at, 1);
      else if (i + run === para.length && top.startsWith(marker)) {
        // The text stops inside a closing marker (`**bold*`): finish that one.
        open[open.length - 1] = top.slice(run);
      } else if (para[i + run] !== undefined && !/\s/.test(para[i + run] as string)) {
        // `_` inside a word is not emphasis.
        if (c === "*" || i === 0 || /[\s\p{P}]/u.test(para[i - 1] as string)) open.push(marker);
      }
      i += run;
      continue;
    }
    i++;
  }
  return [...open].reverse().join("");
}
