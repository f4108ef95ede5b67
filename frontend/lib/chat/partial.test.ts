import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closeOpenMarkdown } from "./partial";

describe("closeOpenMarkdown", () => {
  it.each([
    ["I like **bold", "I like **bold**"],
    ["I like *it", "I like *it*"],
    ["**bold and *both", "**bold and *both***"],
    ["use `go test", "use `go test`"],
    ["```go\nfunc main() {", "```go\nfunc main() {\n```"],
    ["done **here**.", "done **here**."],
    ["snake_case_name", "snake_case_name"],
    ["2 * 3 = 6", "2 * 3 = 6"],
    ["first **para**\n\nsecond *one", "first **para**\n\nsecond *one*"],
    ["escaped \\*star", "escaped \\*star"],
    ["", ""],
  ])("%j → %j", (input, want) => {
    expect(closeOpenMarkdown(input)).toBe(want);
  });

  it("only ever appends", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("*", "**", "_", "`", "```\n", "a", " ", "\n\n", "x\\"), {
          maxLength: 30,
        }),
        (parts) => {
          const text = parts.join("");
          expect(closeOpenMarkdown(text).startsWith(text)).toBe(true);
        },
      ),
    );
  });

  it("closes a well-formed reply cut anywhere inside a marked word", () => {
    const token = fc.tuple(fc.constantFrom("", "*", "**", "`"), fc.stringMatching(/^[a-z]{1,6}$/));
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), fc.nat(), (tokens, n) => {
        const words = tokens.map(([m, w]) => `${m}${w}${m}`);
        const text = words.join(" ");
        const cut = n % (text.length + 1);
        // The word the cut falls in, and how far into it.
        let start = 0;
        let k = 0;
        while (k < words.length - 1 && start + (words[k] as string).length < cut) {
          start += (words[k] as string).length + 1;
          k++;
        }
        const [m, w] = tokens[k] as [string, string];
        const into = cut - start;
        const want =
          into > m.length && into <= m.length + w.length
            ? m
            : into > m.length + w.length
              ? m.slice(into - m.length - w.length)
              : "";
        expect(closeOpenMarkdown(text.slice(0, cut))).toBe(text.slice(0, cut) + want);
      }),
    );
  });
});
