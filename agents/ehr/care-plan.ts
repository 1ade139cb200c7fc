import { createHash } from "node:crypto";
import type { CarePlanWrite, CarePlanWriteResult } from "../../protocol/index.js";
import { PRINCIPAL_SYSTEM } from "../../clinical/index.js";
import { SYSTEMS } from "./fhir-codes.js";

/**
 * The care-plan write as one FHIR transaction: a draft CarePlan, one MedicationRequest
 * (intent=proposal) per regimen item, one DetectedIssue per verifier finding, and a Provenance.
 * Every entry is a conditional create keyed by an identifier derived from the task id, so a
 * retried task writes nothing twice. Pure: builds the bundle and reads the response.
 */

export {
  CarePlanWriteSchema,
  CarePlanWriteResultSchema,
  type CarePlanWrite,
  type CarePlanWriteResult,
} from "../../protocol/index.js";

/** Stable key for a task's writes: short, token-safe, and the same on every retry. */
export function writeKey(taskId: string): string {
  return createHash("sha256").update(taskId).digest("hex").slice(0, 32);
}

const uuidFor = (key: string, part: string) => {
  const h = createHash("sha256").update(`${key}/${part}`).digest("hex");
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

type Json = Record<string, unknown>;

export function buildCarePlanTransaction(
  input: CarePlanWrite,
  ctx: { taskId: string; author: string; now: Date },
): Json {
  const key = writeKey(ctx.taskId);
  const subject = { reference: `Patient/${input.patientId}` };
  const ident = (part: string) => ({ system: SYSTEMS.taskWrite, value: `${key}-${part}` });
  const cond = (part: string) => `identifier=${encodeURIComponent(`${SYSTEMS.taskWrite}|${key}-${part}`)}`;
  const entry = (part: string, resource: Json, ifNoneExist = cond(part)) => ({
    fullUrl: uuidFor(key, part),
    resource,
    request: { method: "POST", url: String(resource.resourceType), ifNoneExist },
  });
  const recorded = ctx.now.toISOString();
  const medRequests = input.regimen.map((r, i) => ({
    drug: r.drug,
    entry: entry(`medreq-${i}`, {
      resourceType: "MedicationRequest",
      identifier: [ident(`medreq-${i}`)],
      status: "draft",
      intent: "proposal",
      medicationCodeableConcept: {
        coding: [{ system: SYSTEMS.drug, code: r.drug, ...(r.drugName ? { display: r.drugName } : {}) }],
        text: r.drugName ?? r.drug,
      },
      subject,
      authoredOn: recorded,
      ...(r.dose || r.frequency || r.route || r.note
        ? {
            dosageInstruction: [
              {
                text: [
                  r.dose !== undefined ? `${r.dose} ${r.unit ?? ""}`.trim() : undefined,
                  r.route,
                  r.frequency,
                  r.note,
                ]
                  .filter(Boolean)
                  .join(", "),
                ...(r.route ? { route: { text: r.route } } : {}),
                ...(r.dose !== undefined
                  ? {
                      doseAndRate: [
                        {
                          doseQuantity: {
                            value: r.dose,
                            ...(r.unit ? { unit: r.unit, system: "http://unitsofmeasure.org", code: r.unit } : {}),
                          },
                        },
                      ],
                    }
                  : {}),
              },
            ],
          }
        : {}),
    }),
  }));
  const meds = medRequests.map((m) => m.entry);
  const issues = input.findings.map((f, i) =>
    entry(`issue-${i}`, {
      resourceType: "DetectedIssue",
      identifier: [ident(`issue-${i}`)],
      status: "preliminary",
      severity: f.severity,
      code: {
        coding: [{ system: "https://hms-a2a.dev/fhir/CodeSystem/verifier-finding", code: f.code }],
        text: f.code,
      },
      patient: subject,
      identifiedDateTime: recorded,
      detail: f.message,
      implicated: medRequests.filter((m) => f.drugs.includes(m.drug)).map((m) => ({ reference: m.entry.fullUrl })),
    }),
  );
  const carePlan = entry("careplan", {
    resourceType: "CarePlan",
    identifier: [ident("careplan")],
    status: "draft",
    intent: "proposal",
    title: input.title,
    ...(input.description ? { description: input.description } : {}),
    subject,
    created: recorded,
    author: { identifier: { system: PRINCIPAL_SYSTEM, value: ctx.author } },
    activity: meds.map((m) => ({ reference: { reference: m.fullUrl } })),
  });
  const targets = [carePlan, ...meds, ...issues].map((e) => ({ reference: e.fullUrl }));
  const provTag = { system: SYSTEMS.taskWrite, code: `${key}-provenance` };
  // Provenance has no identifier element in R4, so its conditional create keys on a meta tag.
  const provenance = entry(
    "provenance",
    {
      resourceType: "Provenance",
      meta: { tag: [provTag] },
      target: targets,
      recorded,
      activity: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code: "CREATE" }] },
      agent: [
        {
          type: {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "author" }],
          },
          who: { identifier: { system: PRINCIPAL_SYSTEM, value: ctx.author } },
        },
        {
          type: {
            coding: [
              { system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "assembler" },
            ],
          },
          who: { display: "hms-a2a ehr agent" },
        },
      ],
      entity: input.basedOn.map((ref) => ({ role: "source", what: { reference: ref } })),
    },
    `_tag=${encodeURIComponent(`${provTag.system}|${provTag.code}`)}`,
  );
  return { resourceType: "Bundle", type: "transaction", entry: [carePlan, ...meds, ...issues, provenance] };
}

/** Reads the transaction response: references of what exists now, and whether anything was new. */
export function readCarePlanResponse(
  response: { entry?: { response?: { status?: string; location?: string } }[] },
  input: CarePlanWrite,
): CarePlanWriteResult {
  const refs = (response.entry ?? []).map((e) => (e.response?.location ?? "").replace(/\/_history\/.*$/, ""));
  const n = input.regimen.length;
  return {
    carePlanRef: refs[0] ?? "",
    medicationRequestRefs: refs.slice(1, 1 + n),
    detectedIssueRefs: refs.slice(1 + n, 1 + n + input.findings.length),
    provenanceRef: refs.at(-1) ?? "",
    created: (response.entry ?? []).some((e) => (e.response?.status ?? "").startsWith("201")),
  };
}
