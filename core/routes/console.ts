// The web console and the user portal: static files built into `console/dist/console/` and
// `console/dist/portal/`, served at `/console/…` and `/portal/…`, each confined to its folder. Any path without a file is the app's `index.html` (client-side
// routes). The apps hold no logic of their own: everything goes through the admin and user APIs.
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { H3, H3Event } from "h3";
import type { RegisteredRoute } from "../gateway.ts";

/** The folder the console build writes to. */
export const CONSOLE_DIST = join(import.meta.dirname, "../../console/dist");

/** Mount `/console/**` and `/portal/**` (public: the pages are; their data needs a session). */
export function registerConsoleRoutes(app: H3, routes: RegisteredRoute[], dist: string = CONSOLE_DIST): void {
  for (const name of ["console", "portal"]) {
    const serve = async (event: H3Event) => {
      const path = decodeURIComponent(event.url.pathname);
      const file = await findFile(join(dist, name), path.slice(name.length + 1));
      const target = file ?? join(dist, name, "index.html");
      let body: Buffer;
      try {
        body = await readFile(target);
      } catch {
        return new Response(`The ${name} is not built: run npm run console:build`, { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } });
      }
      const type = TYPES[extname(target)] ?? "application/octet-stream";
      const hashed = file !== undefined && /[.-][A-Za-z0-9_-]{8,}\.(js|css|woff2?|svg|png)$/.test(target);
      return new Response(new Uint8Array(body), {
        headers: {
          "content-type": type,
          "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
          "x-frame-options": "DENY",
          "content-security-policy": CSP,
        },
      });
    };
    app.get(`/${name}`, serve);
    app.get(`/${name}/**`, serve);
    routes.push({ method: "GET", path: `/${name}`, access: "public", owner: "core" }, { method: "GET", path: `/${name}/**`, access: "public", owner: "core" });
  }
}

// --- internal ---

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// A file under `root` (one app's folder) for a URL path, never outside it (no `..`, no NUL).
async function findFile(root: string, urlPath: string): Promise<string | undefined> {
  if (urlPath.includes("\0")) return undefined;
  const full = normalize(join(root, urlPath));
  if (!full.startsWith(root + sep)) return undefined;
  try {
    return (await stat(full)).isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}
