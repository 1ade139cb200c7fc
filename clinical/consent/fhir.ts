import {
  ConsentRecordSchema,
  type AccessAction,
  type ConsentRecord,
  type DataCategory,
} from "../../protocol/clinical/consent.js";
import type { PurposeOfUse, RoleName } from "../../protocol/principal.js";

/** FHIR R4 Consent ↔ ConsentRecord. Plain JSON in and out, so this stays free of FHIR type packages. */

export const ROLE_SYSTEM = "https://hms-a2a.dev/fhir/CodeSystem/role";
export const PRINCIPAL_SYSTEM = "https://hms-a2a.dev/fhir/sid/principal";
export const DATA_CLASS_SYSTEM = "https://hms-a2a.dev/fhir/CodeSystem/data-category";
export const PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction";
/** consentaction codes: reading is "access", writing is "correct". */
const ACTION_CODE: Record<AccessAction, string> = { read: "access", write: "correct" };

type Obj = Record<string, any>;

export function toFhirConsent(r: ConsentRecord): Obj {
  const actor = [
    ...r.actorRoles.map((role) => ({
      role: { coding: [{ system: ROLE_SYSTEM, code: role }] },
      reference: { identifier: { system: ROLE_SYSTEM, value: role }, display: `any ${role}` },
    })),
    ...r.actorSubjects.map((s) => ({
      role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] },
      reference: { identifier: { system: PRINCIPAL_SYSTEM, value: s } },
    })),
  ];
  return {
    resourceType: "Consent",
    ...(r.id ? { id: r.id } : {}),
    status: r.status,
    scope: {
      coding: [
        {
          system: "http://terminology.hl7.org/CodeSystem/consentscope",
          code: r.purposes.length === 1 && r.purposes[0] === "HRESCH" ? "research" : "patient-privacy",
        },
      ],
    },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
    patient: { reference: `Patient/${r.patientId}` },
    ...(r.recordedAt ? { dateTime: r.recordedAt } : {}),
    policyRule: {
      coding: [
        {
          system: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
          code: r.decision === "permit" ? "OPTIN" : "OPTOUT",
        },
      ],
    },
    provision: {
      type: r.decision,
      ...(r.period ? { period: r.period } : {}),
      ...(actor.length ? { actor } : {}),
      ...(r.actions.length
        ? { action: r.actions.map((a) => ({ coding: [{ system: ACTION_SYSTEM, code: ACTION_CODE[a] }] })) }
        : {}),
      ...(r.purposes.length ? { purpose: r.purposes.map((p) => ({ system: PURPOSE_SYSTEM, code: p })) } : {}),
      ...(r.categories.length ? { class: r.categories.map((c) => ({ system: DATA_CLASS_SYSTEM, code: c })) } : {}),
    },
    ...(r.recordedBy ? { performer: [{ identifier: { system: PRINCIPAL_SYSTEM, value: r.recordedBy } }] } : {}),
  };
}

export function fromFhirConsent(c: Obj): ConsentRecord {
  const p = (c.provision ?? {}) as Obj;
  const actors = (p.actor ?? []) as Obj[];
  const roleCodes = actors.flatMap((a) =>
    ((a.role?.coding ?? []) as Obj[]).filter((x) => x.system === ROLE_SYSTEM).map((x) => x.code as RoleName),
  );
  const subjects = actors
    .map((a) => a.reference?.identifier)
    .filter((i) => i?.system === PRINCIPAL_SYSTEM)
    .map((i) => String(i.value));
  const actionOf = (code: string): AccessAction | undefined =>
    Object.entries(ACTION_CODE).find(([, v]) => v === code)?.[0] as AccessAction | undefined;
  return ConsentRecordSchema.parse({
    id: c.id,
    patientId: String(c.patient?.reference ?? "").replace(/^Patient\//, ""),
    status: c.status === "active" ? "active" : "inactive",
    decision: p.type === "deny" ? "deny" : "permit",
    actorRoles: roleCodes,
    actorSubjects: subjects,
    purposes: ((p.purpose ?? []) as Obj[])
      .filter((x) => x.system === PURPOSE_SYSTEM)
      .map((x) => x.code as PurposeOfUse),
    categories: ((p.class ?? []) as Obj[])
      .filter((x) => x.system === DATA_CLASS_SYSTEM)
      .map((x) => x.code as DataCategory),
    actions: ((p.action ?? []) as Obj[]).flatMap((a) =>
      ((a.coding ?? []) as Obj[]).map((x) => actionOf(x.code)).filter((x): x is AccessAction => !!x),
    ),
    ...(p.period ? { period: p.period } : {}),
    ...(c.dateTime ? { recordedAt: c.dateTime } : {}),
    ...(c.performer?.[0]?.identifier?.value ? { recordedBy: c.performer[0].identifier.value } : {}),
  });
}
