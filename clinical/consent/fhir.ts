import {
  ConsentRecordSchema,
  type AccessAction,
  type ConsentRecord,
  type DataCategory,
  type PurposeOfUse,
  type RoleName,
} from "../../protocol/index.js";

/** FHIR R4 Consent ↔ ConsentRecord. Plain JSON in and out, so this stays free of FHIR type packages. */

export const ROLE_SYSTEM = "https://hms-a2a.dev/fhir/CodeSystem/role";
export const PRINCIPAL_SYSTEM = "https://hms-a2a.dev/fhir/sid/principal";
export const DATA_CLASS_SYSTEM = "https://hms-a2a.dev/fhir/CodeSystem/data-category";
export const PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction";
/** consentaction codes: reading is "access", writing is "correct". */
const ACTION_CODE: Record<AccessAction, string> = { read: "access", write: "correct" };

interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
interface CodeableConcept {
  coding?: Coding[];
}
interface Identifier {
  system?: string;
  value?: string;
}

/** The fields of a FHIR R4 Consent that this mapping writes and reads. */
export interface FhirConsentJson {
  resourceType: "Consent";
  id?: string;
  status?: string;
  scope?: CodeableConcept;
  category?: CodeableConcept[];
  patient?: { reference?: string };
  dateTime?: string;
  policyRule?: CodeableConcept;
  provision?: {
    type?: string;
    period?: { start?: string; end?: string };
    actor?: { role?: CodeableConcept; reference?: { identifier?: Identifier; display?: string } }[];
    action?: CodeableConcept[];
    purpose?: Coding[];
    class?: Coding[];
  };
  performer?: { identifier?: Identifier }[];
  [k: string]: unknown;
}

export function toFhirConsent(r: ConsentRecord): FhirConsentJson {
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

export function fromFhirConsent(json: Readonly<Record<string, unknown>>): ConsentRecord {
  // Read as a Consent; ConsentRecordSchema checks what the fields make.
  const c = json as FhirConsentJson;
  const p = c.provision ?? {};
  const actors = p.actor ?? [];
  const roleCodes = actors.flatMap((a) =>
    (a.role?.coding ?? []).filter((x) => x.system === ROLE_SYSTEM).map((x) => x.code as RoleName),
  );
  const subjects = actors.flatMap((a) => {
    const i = a.reference?.identifier;
    return i?.system === PRINCIPAL_SYSTEM ? [String(i.value)] : [];
  });
  const actionOf = (code: string | undefined): AccessAction | undefined =>
    Object.entries(ACTION_CODE).find(([, v]) => v === code)?.[0] as AccessAction | undefined;
  const recordedBy = c.performer?.[0]?.identifier?.value;
  return ConsentRecordSchema.parse({
    id: c.id,
    patientId: String(c.patient?.reference ?? "").replace(/^Patient\//, ""),
    status: c.status === "active" ? "active" : "inactive",
    decision: p.type === "deny" ? "deny" : "permit",
    actorRoles: roleCodes,
    actorSubjects: subjects,
    purposes: (p.purpose ?? []).filter((x) => x.system === PURPOSE_SYSTEM).map((x) => x.code as PurposeOfUse),
    categories: (p.class ?? []).filter((x) => x.system === DATA_CLASS_SYSTEM).map((x) => x.code as DataCategory),
    actions: (p.action ?? []).flatMap((a) =>
      (a.coding ?? []).map((x) => actionOf(x.code)).filter((x): x is AccessAction => !!x),
    ),
    ...(p.period ? { period: p.period } : {}),
    ...(c.dateTime ? { recordedAt: c.dateTime } : {}),
    ...(recordedBy ? { recordedBy } : {}),
  });
}
