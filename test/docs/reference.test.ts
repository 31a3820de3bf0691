// The option reference cannot drift from the code: every option a type declares has a row in
// its docs table, and every row names an option that exists. Types are read with the
// TypeScript compiler, tables with a small Markdown reader; nested option objects are listed
// as `parent.child`, the way the pages write them.
import { readdirSync, readFileSync } from "node:fs";
import ts from "typescript";
import { join } from "pathe";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../_tmp.ts";

const program = createProgram();
const checker = program.getTypeChecker();
const configPage = readDoc("docs/guide/configuration.md");

describe("docs/guide/configuration.md", () => {
  const source = sourceFile("core/types/config.ts");
  const sections: Array<[string, string]> = [
    ["server", "ServerOptions"],
    ["relay", "RelayOptions"],
    ["logging", "LoggingOptions"],
    ["routes", "RouteRule"],
  ];
  for (const [section, typeName] of sections) {
    it(`\`${section}\` lists every option of ${typeName} and nothing else`, () => {
      const fromType = optionNames(typeOf(interfaceIn(source, typeName)));
      expect(tableOptions(sectionOf(configPage, `### \`${section}\``))).toEqual(fromType);
    });
  }

  it("`storage` lists `driver` and every driver's options, as `name (driver)`", () => {
    const fromType = ["driver", ...storageDrivers().flatMap(({ driver, options }) => options.map((name) => `${name} (${driver})`))].sort();
    expect(tableOptions(sectionOf(configPage, "### `storage`"))).toEqual(fromType);
  });

  it("`storage.driver` names every driver, each with its page", () => {
    const drivers = storageDrivers().map((d) => d.driver);
    const row = tableRows(sectionOf(configPage, "### `storage`")).find((r) => r[0] === "`driver`")!;
    expect([...row[1]!.matchAll(/"([a-z]+)"/g)].map((m) => m[1]).sort()).toEqual([...drivers].sort());
    for (const driver of drivers) expect(configPage).toContain(`(../drivers/${driver}.md)`);
  });

  it("`pricing` shows every field of ModelPricing, optional ones with `?`", () => {
    const type = typeOf(interfaceIn(source, "ModelPricing"));
    const fields = type.getProperties().map((p) => `${p.name}${p.flags & ts.SymbolFlags.Optional ? "?" : ""}`);
    const shape = /`\{ \[model\]: \{ ([^}]*) \} \}`/.exec(sectionOf(configPage, "### `pricing`"))?.[1];
    expect(shape?.split(",").map((s) => s.trim()).sort()).toEqual(fields.sort());
  });

  it("has one `###` section per top-level key of GatewayConfig", () => {
    const declared = interfaceIn(source, "GatewayConfig").members.map((m) => m.name!.getText()).sort();
    const options = sectionOf(configPage, "## Options");
    const headings = [...options.matchAll(/^### (.*)$/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((b) => b[1]!));
    expect(headings.sort()).toEqual(declared);
  });

  it("lists every SWITCHYARD_* variable the code reads", () => {
    const read = new Set<string>();
    for (const file of walk(join(repoRoot, "core")).concat(walk(join(repoRoot, "plugins")))) {
      for (const m of readFileSync(file, "utf8").matchAll(/\benv(?:\.|\[["'])(SWITCHYARD_[A-Z_]+)/g)) read.add(m[1]!);
    }
    // The secret's name is a constant in core/secret-key.ts.
    read.add(/SECRET_ENV = "([A-Z_]+)"/.exec(readFileSync(join(repoRoot, "core/secret-key.ts"), "utf8"))![1]!);
    const documented = tableOptions(sectionOf(configPage, "## Environment overrides"), "variable").filter((v) => v.startsWith("SWITCHYARD_"));
    expect(documented).toEqual([...read].sort());
  });
});

describe("driver pages", () => {
  for (const { driver, options } of storageDrivers()) {
    it(`docs/drivers/${driver}.md lists the options of the ${driver} storage`, () => {
      expect(tableOptions(sectionOf(readDoc(`docs/drivers/${driver}.md`), "## Options"))).toEqual(["driver", ...options].sort());
    });
  }
});

describe("first-party plugin pages", () => {
  for (const { kind, name, typeName, type } of firstPartyPlugins()) {
    const page = `docs/${kind}/${name}.md`;
    it(`${page} lists every option of ${typeName} and nothing else`, () => {
      expect(optionNames(type).length).toBeGreaterThan(0);
      expect(tableOptions(sectionOf(readDoc(page), "## Options"))).toEqual(optionNames(type));
    });
  }

  it("expands option objects as `parent.child`, never arrays or records", () => {
    const byName = Object.fromEntries(firstPartyPlugins().map((p) => [p.name, optionNames(p.type)]));
    expect(byName["jwt-admin"]).toEqual(expect.arrayContaining(["admins", "jwt.secret", "registration.enabled", "throttle.maxFailures"]));
    expect(byName["jwt-admin"]).not.toContain("jwt");
    expect(byName["openrouter-pool"]).toEqual(expect.arrayContaining(["keys", "rotation.everyMs", "rotation.limitReset"]));
    expect(byName["new-api-binding"]).toEqual(expect.arrayContaining(["donation.quotaAmount", "donation.providers"]));
    expect(byName["openai-compatible"]).toContain("headers");
    expect(byName["claude-oauth"]).toContain("maxTokens");
  });

  it("finds every first-party plugin", () => {
    expect(firstPartyPlugins().map((p) => `${p.kind}/${p.name}`)).toEqual([
      "auth/api-key", "auth/jwt-admin", "auth/linuxdo-connect", "auth/new-api-binding", "auth/totp",
      "providers/anthropic-api", "providers/claude-oauth", "providers/codex-oauth", "providers/openai-compatible", "providers/openrouter-pool",
    ]);
  });
});

describe("the Markdown reader", () => {
  it("reads option names from the first column and stops at the next heading", () => {
    const md = "## Options\n\ntext\n\n| option | type |\n| --- | --- |\n| `a` | x |\n| `b.c` (fs) | `\\|` |\n\n## Next\n\n| option |\n| --- |\n| `z` |\n";
    expect(tableOptions(sectionOf(md, "## Options"))).toEqual(["a", "b.c (fs)"]);
    expect(() => sectionOf(md, "## Missing")).toThrow(/no "## Missing" heading/);
  });
});

// --- internal ---

function createProgram(): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(repoRoot, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  })!;
  const roots = ["core/types/config.ts", "core/storage.ts", ...pluginEntries().map((p) => p.file)].map((f) => join(repoRoot, f));
  return ts.createProgram(roots, parsed.options);
}

function sourceFile(path: string): ts.SourceFile {
  const file = program.getSourceFile(join(repoRoot, path));
  if (!file) throw new Error(`${path} is not in the program`);
  return file;
}

function interfaceIn(file: ts.SourceFile, name: string): ts.InterfaceDeclaration {
  const found = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!found) throw new Error(`no interface ${name} in ${file.fileName}`);
  return found;
}

function typeOf(node: ts.Node): ts.Type {
  return checker.getTypeAtLocation(node);
}

/**
 * Option names of a type, sorted: each property, and for a property that is itself an options
 * object (declared properties, no index signature, not an array or function) its properties
 * as `parent.child` instead.
 */
function optionNames(type: ts.Type, prefix = ""): string[] {
  const names: string[] = [];
  for (const property of type.getProperties()) {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    const value = declaration ? checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, declaration)) : undefined;
    const path = `${prefix}${property.name}`;
    if (value && isOptionsObject(value)) names.push(...optionNames(value, `${path}.`));
    else names.push(path);
  }
  return names.sort();
}

function isOptionsObject(type: ts.Type): boolean {
  if (type.isUnion() || !(type.flags & ts.TypeFlags.Object)) return false;
  if (checker.isArrayType(type) || checker.isTupleType(type) || type.getCallSignatures().length > 0) return false;
  if (checker.getIndexInfosOfType(type).length > 0) return false;
  return type.getProperties().length > 0;
}

/** The storage union's members: the `driver` literal and the other options of each. */
function storageDrivers(): Array<{ driver: string; options: string[] }> {
  const alias = sourceFile("core/storage.ts").statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === "StorageOptions");
  if (!alias) throw new Error("no StorageOptions type in core/storage.ts");
  const union = typeOf(alias);
  if (!union.isUnion()) throw new Error("StorageOptions is expected to be a union of one object per driver");
  return union.types.map((member) => {
    const driverSymbol = member.getProperty("driver")!;
    const literal = checker.getTypeOfSymbolAtLocation(driverSymbol, alias);
    if (!literal.isStringLiteral()) throw new Error("each StorageOptions member has a string literal `driver`");
    return { driver: literal.value, options: optionNames(member).filter((n) => n !== "driver") };
  });
}

interface PluginEntry {
  kind: "auth" | "providers";
  name: string;
  file: string;
}

function pluginEntries(): PluginEntry[] {
  const out: PluginEntry[] = [];
  for (const kind of ["auth", "providers"] as const) {
    for (const name of readdirSync(join(repoRoot, "plugins", kind)).sort()) out.push({ kind, name, file: `plugins/${kind}/${name}/index.ts` });
  }
  return out;
}

/** Each first-party plugin with the options type named in its `defineProvider<X>` / `defineAuth<X>` call. */
function firstPartyPlugins(): Array<PluginEntry & { typeName: string; type: ts.Type }> {
  return pluginEntries().map((entry) => {
    let argument: ts.TypeNode | undefined;
    const visit = (node: ts.Node): void => {
      if (argument) return;
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^define(Provider|Auth|Plugin)$/.test(node.expression.text) && node.typeArguments?.length === 1) {
        argument = node.typeArguments[0];
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile(entry.file));
    if (!argument) throw new Error(`${entry.file}: no define*<Options>(…) call`);
    return { ...entry, typeName: argument.getText(), type: checker.getTypeFromTypeNode(argument) };
  });
}

function readDoc(path: string): string {
  return readFileSync(join(repoRoot, path), "utf8");
}

/** The text from a heading line to the next heading of the same or a higher level. */
function sectionOf(markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no "${heading}" heading`);
  const level = /^#+/.exec(heading)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** The tables in `markdown`: header cells and body rows (a `\\|` inside a cell is not a separator). */
function tables(markdown: string): Array<{ header: string[]; rows: string[][] }> {
  const out: Array<{ header: string[]; rows: string[][] }> = [];
  let block: string[][] = [];
  const cellsOf = (line: string) => line.replace(/\\\|/g, "\u0000").split("|").slice(1, -1).map((c) => c.replace(/\u0000/g, "|").trim());
  const close = () => {
    if (block.length >= 2 && block[1]!.every((c) => /^:?-+:?$/.test(c))) out.push({ header: block[0]!, rows: block.slice(2) });
    block = [];
  };
  for (const line of markdown.split("\n")) {
    if (line.startsWith("|")) block.push(cellsOf(line));
    else close();
  }
  close();
  return out;
}

/** Body rows of every table in `markdown`. */
function tableRows(markdown: string): string[][] {
  return tables(markdown).flatMap((t) => t.rows);
}

/** First-column names of the tables whose header starts with `header`, backticks removed, sorted. */
function tableOptions(markdown: string, header = "option"): string[] {
  return tables(markdown)
    .filter((t) => t.header[0] === header)
    .flatMap((t) => t.rows.map((r) => r[0]!.replace(/`/g, "")))
    .sort();
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}
