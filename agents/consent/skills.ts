import { z } from "zod";
import {
  AccessRequestSchema,
  ConsentDecisionSchema,
  ConsentRecordSchema,
  FhirIdSchema,
  HmsError,
  type Principal,
} from "../../protocol/index.js";
import { defineSkill, type SkillContext } from "../../runtime/index.js";
import {
  AuditQueryInputSchema,
  AuditQueryOutputSchema,
  DeidentifyInputSchema,
  DeidentifyOutputSchema,
  type ConsentService,
} from "./service.js";

function principalOf(ctx: SkillContext): Principal {
  if (!ctx.principal) throw new HmsError("UNAUTHENTICATED", "no principal on the request");
  return ctx.principal;
}

/** The consent agent's skills; thin wrappers over ConsentService. */
export function consentSkills(service: () => ConsentService) {
  const record = defineSkill({
    verb: "record",
    title: "Record consent",
    description:
      "Stores a patient's consent directive as a FHIR Consent: permit or deny, for actor roles or named requesters, purposes of use, data categories, actions and a validity period.",
    input: ConsentRecordSchema,
    output: z.object({ consent: ConsentRecordSchema }),
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    roles: ["clinician", "admin", "agent"],
    handler: async (input, ctx) => ({ consent: await service().record(input, principalOf(ctx)) }),
  });

  const revoke = defineSkill({
    verb: "revoke",
    title: "Revoke consent",
    description: "Revokes a consent (FHIR Consent.status = inactive); it stops counting at once.",
    input: z.object({ consentId: FhirIdSchema, reason: z.string().max(500).optional() }),
    output: z.object({ consent: ConsentRecordSchema }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "admin", "agent"],
    handler: async ({ consentId, reason }, ctx) => ({
      consent: await service().revoke(consentId, principalOf(ctx), reason),
    }),
  });

  const checkAccess = defineSkill({
    verb: "check_access",
    title: "Check access",
    description:
      "Decides whether a requester (roles, purpose of use) may read or write categories of a patient's data: permit or deny with the reason and obligations (e.g. de-identify). Break-the-glass is purpose ETREAT with a reason. Every decision is audited.",
    input: AccessRequestSchema,
    output: ConsentDecisionSchema,
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    roles: ["clinician", "nurse", "researcher", "admin", "agent"],
    // A decision is request/response: asked again, it is decided (and audited) again.
    stateless: true,
    handler: async (input, ctx) => service().checkAccess(input, ctx.signal),
  });

  const deidentify = defineSkill({
    verb: "deidentify",
    title: "De-identify resources",
    description:
      "De-identifies one patient's FHIR resources by HIPAA Safe Harbor (all 18 identifier kinds; ZIP3 with restricted prefixes as 000; ages over 89 as 90+; dates shifted per patient) with a stable random pseudonym; clinical codes and values are kept.",
    input: DeidentifyInputSchema,
    output: DeidentifyOutputSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: ["researcher", "admin", "agent"],
    handler: async (input, ctx) => service().deidentify(input, ctx.principal),
  });

  const queryAudit = defineSkill({
    verb: "query_audit",
    title: "Query audit trail",
    description:
      "Lists audit entries (newest first) by patient, requester, outcome and time, and optionally verifies the hash chain, reporting the first altered or removed entry.",
    input: AuditQueryInputSchema,
    output: AuditQueryOutputSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: ["admin", "operator", "agent"],
    handler: async (input) => service().queryAudit(input),
  });

  return [record, revoke, checkAccess, deidentify, queryAudit];
}
