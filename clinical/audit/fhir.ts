import type { AuditEntry } from "../../protocol/index.js";
import { PRINCIPAL_SYSTEM, PURPOSE_SYSTEM, ROLE_SYSTEM } from "../consent/fhir.js";

/** An audit entry as a FHIR R4 AuditEvent (plain JSON), for mirroring onto the FHIR server. */
export function toFhirAuditEvent(e: AuditEntry, observer = "hms-a2a consent agent"): Record<string, unknown> {
  const action = e.action === "write" || e.action === "consent-change" ? "U" : e.action === "read" ? "R" : "E";
  // AuditEvent.outcome: 0 success, 4 minor failure (a refused request), 8 serious failure.
  const outcome = e.outcome === "success" ? "0" : e.outcome === "denied" ? "4" : "8";
  return {
    resourceType: "AuditEvent",
    type: {
      system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
      code: "rest",
      display: "RESTful Operation",
    },
    subtype: [{ system: "https://hms-a2a.dev/fhir/CodeSystem/audit-action", code: e.action }],
    action,
    recorded: e.time,
    outcome,
    ...(e.reason ? { outcomeDesc: e.reason } : {}),
    ...(e.purposeOfUse ? { purposeOfEvent: [{ coding: [{ system: PURPOSE_SYSTEM, code: e.purposeOfUse }] }] } : {}),
    agent: [
      {
        who: { identifier: { system: PRINCIPAL_SYSTEM, value: e.requester } },
        requestor: true,
        role: e.roles.map((r) => ({ coding: [{ system: ROLE_SYSTEM, code: r }] })),
      },
    ],
    source: { observer: { display: observer } },
    entity: [
      ...(e.patientId
        ? [
            {
              what: { reference: `Patient/${e.patientId}` },
              type: { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "1" },
            },
          ]
        : []),
      {
        what: { identifier: { system: "https://hms-a2a.dev/fhir/sid/audit-chain", value: String(e.seq) } },
        description: e.what,
        detail: [
          { type: "hash", valueString: e.hash },
          { type: "prevHash", valueString: e.prevHash },
          { type: "severity", valueString: e.severity },
          ...(e.categories.length ? [{ type: "categories", valueString: e.categories.join(",") }] : []),
          ...(e.taskId ? [{ type: "taskId", valueString: e.taskId }] : []),
        ],
      },
    ],
  };
}
