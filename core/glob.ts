/**
 * Match a model id against a glob where `*` is any run of characters and `?` one character
 * (the only wildcards model allow-lists and routes need). Case-sensitive, whole string.
 */
export function matchGlob(pattern: string, value: string): boolean {
  let regex = cache.get(pattern);
  if (!regex) {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    regex = new RegExp(`^${source}$`);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, regex);
  }
  return regex.test(value);
}

/** True when any pattern matches. */
export function matchAnyGlob(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => matchGlob(p, value));
}

// --- internal ---

const cache = new Map<string, RegExp>();
