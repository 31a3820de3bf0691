import { ipAllowed } from "./cidr.ts";

/**
 * The client's address: the socket's, unless the socket is a trusted proxy; then the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries left of it
 * were written by the client and prove nothing, so they are never used.
 */
export function clientIp(socketIp: string | undefined, forwardedFor: string | null, trustedProxies: readonly string[]): string | undefined {
  if (!socketIp || trustedProxies.length === 0 || !ipAllowed(socketIp, trustedProxies) || !forwardedFor) return socketIp;
  const hops = forwardedFor.split(",").map((hop) => hop.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!ipAllowed(hops[i], trustedProxies)) return hops[i];
  }
  return hops[0] ?? socketIp;
}
