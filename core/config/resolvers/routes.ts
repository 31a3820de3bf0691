import type { RouteRule } from "../../types/config.ts";
import { type ConfigIssues, checkKnownKeys, isRecord, join } from "../issues.ts";

/** Validate `routes`: model globs to provider names (provider names are checked when plugins load). */
export function resolveRoutes(input: unknown, issues: ConfigIssues): RouteRule[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    issues.add("routes", "an array of { models, provider }", input);
    return [];
  }
  const out: RouteRule[] = [];
  input.forEach((rule: unknown, index) => {
    const path = join("routes", index);
    if (!isRecord(rule)) {
      issues.add(path, "an object { models, provider }", rule);
      return;
    }
    checkKnownKeys(issues, path, rule, ["models", "provider", "model"]);
    const models = typeof rule.models === "string" ? [rule.models] : rule.models;
    if (!Array.isArray(models) || models.length === 0 || !models.every((m) => typeof m === "string" && m.trim() !== "")) {
      issues.add(join(path, "models"), "a model glob or a non-empty array of them", rule.models);
    }
    if (typeof rule.provider !== "string" || rule.provider === "") {
      issues.add(join(path, "provider"), "the name of a configured provider", rule.provider);
    }
    if (rule.model !== undefined && (typeof rule.model !== "string" || rule.model.trim() === "")) {
      issues.add(join(path, "model"), "the upstream model id to send instead (a non-empty string)", rule.model);
    }
    out.push(rule as unknown as RouteRule);
  });
  return out;
}
