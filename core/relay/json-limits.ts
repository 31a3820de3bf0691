// Structure limits of relay bodies, checked on the text before JSON.parse (security.md J2).

/**
 * Structure limits of a relay body (J2), checked on the text before it is parsed: V8 parses
 * any depth, but the translation, hooks and `JSON.stringify` recurse and would overflow the
 * stack on 10,000 levels; huge arrays cost time in every pass over the body.
 * - Depth 128: real requests nest a few levels, plus tool JSON schemas (rarely past 20);
 *   128 leaves room for those and stays far below any recursion limit.
 * - 100,000 elements per array: above any real `messages` list or content-block array (a
 *   context window of 1M tokens holds fewer turns), far below a flood of `0,`.
 */
const MAX_JSON_DEPTH = 128;
const MAX_JSON_ARRAY_LENGTH = 100_000;

/** Why `text` breaks a structure limit, or undefined. Malformed JSON is left to JSON.parse. */
export function checkJsonShape(text: string): string | undefined {
  // Per open container: -1 for an object, else the array's element count so far.
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return undefined;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (open.length > 0 && open[open.length - 1] === 0) open[open.length - 1] = 1; // a first element
      if (open.length === MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`;
      open.push(c === OPEN_BRACE ? -1 : 0);
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      open.pop();
    } else if (open.length > 0 && open[open.length - 1]! >= 0 && c !== SPACE && c !== TAB && c !== LF && c !== CR) {
      const count = open[open.length - 1]!;
      // A comma starts another element; anything else (a scalar) is the first one.
      const next = c === COMMA ? count + 1 : Math.max(count, 1);
      if (next > MAX_JSON_ARRAY_LENGTH) return `has an array longer than ${MAX_JSON_ARRAY_LENGTH} elements`;
      open[open.length - 1] = next;
    }
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return -1;
    let slashes = 0;
    while (text.charCodeAt(i - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return i;
  }
}

const [QUOTE, BACKSLASH, COMMA, SPACE, TAB, LF, CR] = [34, 92, 44, 32, 9, 10, 13];
const [OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = [91, 93, 123, 125];
