#!/usr/bin/env node
// Entry of the `hms` command: runs the TypeScript CLI through tsx (no build step to go stale).
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
