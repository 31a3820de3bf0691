// Structure limits of relay bodies (security.md J2), checked on the parsed value: V8 parses any
// depth without recursion, but the translation, hooks and `JSON.stringify` recurse and would
// overflow the stack on 10,000 levels; huge arrays cost time in every pass over the body.
// Walking the value (not the text) skips string contents, so a big prompt costs nothing extra.
// - Depth 128: real requests nest a few levels, plus tool JSON schemas (rarely past 20).
// - 100,000 elements per array: above any real `messages` list or content-block array (a
//   context window of 1M tokens holds fewer turns), far below a flood of `0,`.
const MAX_JSON_DEPTH = 128;
const MAX_JSON_ARRAY_LENGTH = 100_000;

/** Why a parsed body breaks a structure limit, or undefined. Iterative: any depth is safe to check. */
export function checkJsonShape(value: unknown): string | undefined {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`;
    const children = Array.isArray(node) ? node : Object.values(node);
    if (Array.isArray(node) && node.length > MAX_JSON_ARRAY_LENGTH) return `has an array longer than ${MAX_JSON_ARRAY_LENGTH} elements`;
    for (const child of children) if (typeof child === "object" && child !== null) pending.push([child, depth + 1]);
  }
  return undefined;
}
