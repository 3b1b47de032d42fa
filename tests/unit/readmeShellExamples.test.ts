import { describe, expect, it } from "vitest";
import { readmeShellExamples } from "../support/readmeShellExamples.ts";

describe("readmeShellExamples", () => {
  it("reads each ```sh block with its line, norun fence and expect marker, indentation removed", () => {
    const markdown = [
      "# Title",
      "```sh norun",
      "npm install",
      "```",
      "",
      "- item:",
      "",
      "  ```sh",
      "  npm run audit -- verify",
      "    # indented more",
      "  ```",
      "",
      "  <!-- expect: audit chain verifies -->",
      "```json",
      "{}",
      "```",
      "```sh",
      "echo unmarked",
      "```",
      "text",
      "<!-- expect: too late -->",
    ].join("\n");
    expect(readmeShellExamples(markdown)).toEqual([
      { line: 2, code: "npm install", norun: true },
      { line: 8, code: "npm run audit -- verify\n  # indented more", norun: false, expect: "audit chain verifies" },
      { line: 17, code: "echo unmarked", norun: false },
    ]);
  });

  it("refuses a block that is never closed", () => {
    expect(() => readmeShellExamples("```sh\necho x\n")).toThrow(/line 1/);
  });
});
