import type { H3Event } from "h3";
import { badRequest } from "../errors.ts";

/** The request's JSON object body; a 400 naming the field when it has one outside `known`. */
export async function readJsonObject(event: H3Event, known: readonly string[]): Promise<Record<string, unknown>> {
  const text = await event.req.text();
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw badRequest("body", "expected a JSON object");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body", "expected a JSON object");
  const unknown = Object.keys(body).find((k) => !known.includes(k));
  if (unknown !== undefined) throw badRequest(unknown.slice(0, 40), `unknown field; expected ${known.join(", ")}`);
  return body as Record<string, unknown>;
}
