import type { GatewayStorage } from "./types/storage.ts";

const SECRET_KEY_ID = "core:secret-key-id";

/** Thrown when storage holds values sealed under another `SWITCHYARD_SECRET`. */
export class SecretKeyMismatchError extends Error {
  override name = "SecretKeyMismatchError";
}

/**
 * Guard against a changed `SWITCHYARD_SECRET` (security.md F3): the first start records the
 * key id in storage; later starts with another key are refused, because no sealed token could
 * be opened. When storage does not answer yet, `run` rejects with the storage error and can be
 * called again (the `/ready` check does) until it passes once.
 */
export function createKeyIdCheck(storage: GatewayStorage, keyId: string): { run(): Promise<void> } {
  let passed = false;
  return {
    async run() {
      if (passed) return;
      let stored = await storage.get<string>(SECRET_KEY_ID);
      if (stored === null && !(await storage.cas(SECRET_KEY_ID, null, keyId))) stored = await storage.get<string>(SECRET_KEY_ID);
      if (stored !== null && stored !== keyId) {
        throw new SecretKeyMismatchError(
          `[switchyard] [secret] SWITCHYARD_SECRET (key id ${keyId}) is not the key this storage was sealed with (key id ${stored}). ` +
            "Restore the previous secret; with this one no sealed token can be opened.",
        );
      }
      passed = true;
    },
  };
}
