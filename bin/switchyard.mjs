#!/usr/bin/env node
// The core is TypeScript run as is; tsx's loader lets Node 20 import it (and the user's
// gateway.config.ts) without a build step.
import { register } from "tsx/esm/api";

register();
await import("../core/cli/main.ts");
