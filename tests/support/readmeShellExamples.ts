/**
 * The shell examples of a Markdown file: every ```sh block, with its line,
 * whether it is fenced ```sh norun, and the output fragment named by an
 * `<!-- expect: TEXT -->` line right after it (blank lines allowed between).
 */
export interface ShellExample {
  /** 1-based line of the opening fence. */
  line: number;
  /** The block's text, its common indentation removed. */
  code: string;
  norun: boolean;
  /** What its output must contain. */
  expect?: string;
}

const OPEN = /^(\s*)```sh(\s+norun)?\s*$/;
const CLOSE = /^\s*```\s*$/;
const EXPECT = /^\s*<!--\s*expect:\s*(.*?)\s*-->\s*$/;

export function readmeShellExamples(markdown: string): ShellExample[] {
  const lines = markdown.split("\n");
  const examples: ShellExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !CLOSE.test(lines[i]!); i++) body.push(lines[i]!.slice(Math.min(indent, lines[i]!.length - lines[i]!.trimStart().length)));
    if (i >= lines.length) throw new Error(`line ${start + 1}: a \`\`\`sh block is never closed`);
    let next = i + 1;
    while (next < lines.length && lines[next]!.trim() === "") next++;
    const marker = next < lines.length ? EXPECT.exec(lines[next]!) : null;
    examples.push({ line: start + 1, code: body.join("\n"), norun: Boolean(open[2]), ...(marker ? { expect: marker[1]! } : {}) });
  }
  return examples;
}
