import { PrincipalSchema, type Principal } from "../../protocol/index.js";

/** The gateway's default port. */
export const DEFAULT_GATEWAY_PORT = 7420;

/** Parses `HMS_GATEWAY_TOKENS` (JSON object token → principal); throws naming the bad field. */
export function parseTokens(json: string): Map<string, Principal> {
  const raw = JSON.parse(json) as Record<string, unknown>;
  return new Map(Object.entries(raw).map(([t, p]) => [t, PrincipalSchema.parse(p)]));
}
