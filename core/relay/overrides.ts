// Fields some LLM proxies read as "send this request elsewhere / with these credentials"
// (LiteLLM's `api_base`, Portkey's `custom_host`, …). A client must never steer the next hop
// with the gateway's credentials (security.md I1), so they are dropped before any upstream call,
// at the top level and inside `metadata`. Everything else passes through unchanged.
const STEERING_FIELDS = new Set(["api_base", "base_url", "baseURL", "baseUrl", "custom_host", "api_key", "extra_headers", "extra_body", "litellm_params"]);

/** `body` without client-supplied upstream overrides (a copy only when something was removed). */
export function withoutUpstreamOverrides(body: Record<string, unknown>): Record<string, unknown> {
  const metadata = body.metadata;
  const dirtyTop = Object.keys(body).some((key) => STEERING_FIELDS.has(key));
  const dirtyMeta = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) && Object.keys(metadata).some((key) => STEERING_FIELDS.has(key));
  if (!dirtyTop && !dirtyMeta) return body;
  const out = Object.fromEntries(Object.entries(body).filter(([key]) => !STEERING_FIELDS.has(key)));
  if (dirtyMeta) out.metadata = Object.fromEntries(Object.entries(metadata as Record<string, unknown>).filter(([key]) => !STEERING_FIELDS.has(key)));
  return out;
}
