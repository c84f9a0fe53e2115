/** The README runner's reading of markdown: blocks, languages, skips, files and stated output. */
import { describe, expect, it } from "vitest";
import { containsInOrder, expectations, extractBlocks, ReadmeError } from "./extract.js";

const fence = "```";

describe("extractBlocks", () => {
  it("reads fenced blocks in order, with section, line, runner and file", () => {
    const md = [
      "# Title",
      "",
      "## Calling it",
      "",
      `${fence}sh`,
      "echo hi   # → hi",
      fence,
      "",
      "### From Node",
      "",
      `${fence}js`,
      "// example.mjs: node example.mjs",
      "console.log(1); // → 1",
      fence,
      "",
      `${fence}python`,
      "# kms_grpc.py",
      "print(2)  # → 2",
      fence,
      "",
      `${fence}json`,
      '{"a": 1}',
      fence,
    ].join("\n");
    const blocks = extractBlocks(md);
    expect(blocks.map((b) => [b.index, b.line, b.section, b.lang, b.runner, b.file])).toEqual([
      [1, 5, "Calling it", "sh", "shell", undefined],
      [2, 11, "From Node", "js", "node", "example.mjs"],
      [3, 16, "From Node", "python", "python", "kms_grpc.py"],
      [4, 21, "From Node", "json", undefined, undefined],
    ]);
    expect(blocks.map((b) => b.expects)).toEqual([[["hi"]], [["1"]], [["2"]], []]);
  });

  it("takes a skip, with its reason, from the comment directly above a fence", () => {
    const md = `intro\n<!-- readme: skip (starts the service) -->\n${fence}sh\nnpm start\n${fence}\n\n${fence}sh\necho run\n${fence}\n`;
    const [skipped, run] = extractBlocks(md);
    expect(skipped?.skip).toBe("starts the service");
    expect(run?.skip).toBeUndefined();
  });

  it("refuses a block without a language, an unknown one, a skip without a reason, and a stray directive", () => {
    expect(() => extractBlocks(`## S\n\n${fence}\nplain\n${fence}\n`)).toThrow(/README.md:3: block 1 \(S\) has no language tag/);
    expect(() => extractBlocks(`${fence}cobol\nx\n${fence}\n`)).toThrow(ReadmeError);
    expect(() => extractBlocks(`<!-- readme: skip -->\n${fence}sh\nx\n${fence}\n`)).toThrow(/unknown directive/);
    expect(() => extractBlocks(`<!-- readme: skip (why) -->\n\nsome text\n\n${fence}sh\nx\n${fence}\n`)).toThrow(/directly above a fence/);
    expect(() => extractBlocks(`<!-- readme: skip (why) -->\n${fence}text\nx\n${fence}\n`)).toThrow(/never runs/);
  });

  it("wants a JavaScript or Python block to name its file", () => {
    expect(() => extractBlocks(`${fence}js\nconsole.log(1)\n${fence}\n`)).toThrow(/must name its file/);
    expect(() => extractBlocks(`${fence}python\nprint(1)\n${fence}\n`)).toThrow(/must name its file/);
  });
});

describe("stated output", () => {
  it("splits on … and reads only the comment after the arrow", () => {
    expect(expectations("shell", 'kms keys list || echo "exit $?"   # → kms: UnauthorizedOperation: … exit 1')).toEqual([["kms: UnauthorizedOperation:", "exit 1"]]);
    expect(expectations("shell", "#   → hello, device")).toEqual([["hello, device"]]);
    expect(expectations("shell", "echo '# not an arrow'")).toEqual([]);
    expect(expectations("node", "x(); // → [ 'v1', 'v2' ]")).toEqual([["[ 'v1', 'v2' ]"]]);
  });

  it("matches fragments in order, whitespace aside", () => {
    expect(containsInOrder('{\n  "principal": {\n    "name": "billing"', ['"principal": {"name": "billing"'])).toBe(true);
    expect(containsInOrder("kms: UnauthorizedOperation: no\nexit 1\n", ["UnauthorizedOperation", "exit 1"])).toBe(true);
    expect(containsInOrder("exit 1\nkms: UnauthorizedOperation\n", ["UnauthorizedOperation", "exit 1"])).toBe(false);
    expect(containsInOrder("hello", ["goodbye"])).toBe(false);
  });
});
