// docs/guide/security-cases.md maps every case of the security bar (A1…J6) to the tests that
// cover it. The bar itself lives outside the repository, so its case ids are copied here: the
// page must list exactly these, and every test it names must still exist under that title.
import { existsSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../_tmp.ts";

/** The case ids of the security bar, in its order. Change deliberately, with the bar. */
const CASE_IDS = [
  "A1", "A3", "A4", "A5", "A6",
  "B1", "B2", "B4", "B5", "B6",
  "C1", "C2", "C5", "C6",
  "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10",
  "E1", "E2", "E3", "E4", "E5",
  "F1", "F2", "F3", "F4",
  "G1", "G2", "G3", "G4", "G5",
  "H1", "H2", "H3", "H4",
  "I1", "I2", "I3", "I5", "I6",
  "J1", "J2", "J3", "J6",
];
const STATUSES = ["covered", "partly", "open"];
const PAGE = "docs/guide/security-cases.md";

describe(PAGE, () => {
  const rows = readRows(readFileSync(join(repoRoot, PAGE), "utf8"));

  it("has one row per case id of the security bar, in the bar's order", () => {
    expect(rows.map((r) => r.id)).toEqual(CASE_IDS);
  });

  it("gives every case a status; covered cases name a test, the others say what is missing", () => {
    for (const row of rows) {
      expect(STATUSES, row.id).toContain(row.status);
      if (row.status === "covered") expect(row.tests.length, `${row.id} is covered by which test?`).toBeGreaterThan(0);
      else expect(row.notes.length, `${row.id} is ${row.status}: say what is missing`).toBeGreaterThan(20);
      if (row.tests.length === 0) expect(row.status, `${row.id} names no test`).toBe("open");
    }
  });

  it("names test files that exist, and every quoted title is still in its file", () => {
    const missing: string[] = [];
    for (const row of rows) {
      for (const { file, titles } of row.tests) {
        expect(file, row.id).toMatch(/^(test|examples)\/.+\.test\.ts$/);
        const path = join(repoRoot, file);
        if (!existsSync(path)) {
          missing.push(`${row.id}: ${file} does not exist`);
          continue;
        }
        const source = readFileSync(path, "utf8");
        for (const title of titles) if (title.length < 12 || !source.includes(title)) missing.push(`${row.id}: ${file} has no test "${title}" (titles are quoted in full, or a literal part of 12+ characters)`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("the table reader", () => {
  it("reads ids, statuses, files with their quoted titles, and refuses a malformed test cell", () => {
    const sample = [
      "| Id | Case | Tests | Status | Missing or notes |",
      "| --- | --- | --- | --- | --- |",
      '| A1 | a case | `test/a.test.ts`: "first title"; "second title"<br>`examples/x/test/b.test.ts`: "third one" | partly | what is missing |',
      "| D8 | another | none | open | nothing yet |",
      "text after the table",
    ].join("\n");
    expect(readRows(sample)).toEqual([
      { id: "A1", status: "partly", notes: "what is missing", tests: [{ file: "test/a.test.ts", titles: ["first title", "second title"] }, { file: "examples/x/test/b.test.ts", titles: ["third one"] }] },
      { id: "D8", status: "open", notes: "nothing yet", tests: [] },
    ]);
    expect(() => readRows('| A1 | a case | test/a.test.ts "no backticks" | covered | |')).toThrow(/A1/);
    expect(() => readRows('| A1 | a case | `test/a.test.ts`: no quotes | covered | |')).toThrow(/A1/);
  });
});

// --- internal ---

interface Row {
  id: string;
  status: string;
  notes: string;
  tests: Array<{ file: string; titles: string[] }>;
}

/** The table's case rows: `| id | case | tests | status | notes |`. */
function readRows(markdown: string): Row[] {
  const rows: Row[] = [];
  for (const line of markdown.split("\n")) {
    const match = /^\|\s*([A-J]\d+)\s*\|(.*)\|\s*$/.exec(line);
    if (!match) continue;
    const [id, rest] = [match[1]!, match[2]!];
    const cells = rest.split("|").map((c) => c.trim());
    if (cells.length !== 4) throw new Error(`${id}: expected 5 cells, got ${cells.length + 1}`);
    const [, tests, status, notes] = cells as [string, string, string, string];
    rows.push({ id, status, notes, tests: tests === "none" ? [] : tests.split("<br>").map((part) => readTests(id, part.trim())) });
  }
  return rows;
}

/** One file's part of a tests cell: `` `path`: "title"; "title" ``. */
function readTests(id: string, part: string): { file: string; titles: string[] } {
  const match = /^`([^`]+)`:\s*(.+)$/.exec(part);
  if (!match) throw new Error(`${id}: expected \`file\`: "title"; … in the tests cell, got ${part}`);
  const titles = [...match[2]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  if (titles.length === 0) throw new Error(`${id}: no quoted test title for ${match[1]}`);
  return { file: match[1]!, titles };
}
