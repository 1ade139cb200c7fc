import { z } from "zod";

export const ROLES = ["clinician", "nurse", "researcher", "admin", "operator", "agent"] as const;
export const RoleNameSchema = z.enum(ROLES);
export type RoleName = z.infer<typeof RoleNameSchema>;

/** HL7 v3 PurposeOfUse codes we accept (TREAT, ETREAT = break-the-glass, HRESCH, HOPERAT, PATRQT). */
export const PurposeOfUseSchema = z.enum(["TREAT", "ETREAT", "HRESCH", "HOPERAT", "PATRQT"]);
export type PurposeOfUse = z.infer<typeof PurposeOfUseSchema>;

/**
 * Who is asking. Carried on the bus in the `HMS-Principal` header (JSON). Inside the bus NATS auth
 * is the trust boundary; at the gateway the principal comes from the bearer token, never from the
 * caller's own header.
 */
export const PrincipalSchema = z.object({
  subject: z.string().min(1).max(200),
  roles: z.array(RoleNameSchema).min(1),
  purposeOfUse: PurposeOfUseSchema.optional(),
  /** Mandatory with purposeOfUse ETREAT (break-the-glass). */
  reason: z.string().min(1).max(500).optional(),
});
export type Principal = z.infer<typeof PrincipalSchema>;

/** The principal agents use for their own calls to each other. */
export const agentPrincipal = (agentId: string): Principal => ({
  subject: `agent:${agentId}`,
  roles: ["agent"],
  purposeOfUse: "TREAT",
});
