import type * as fhir4 from "fhir/r4.js";
import type { Logger } from "pino";
import {
  AlertEventSchema,
  ConsentDecisionSchema,
  HmsError,
  type AccessAction,
  type CarePlanWrite,
  type CarePlanWriteResult,
  type ConsentDecision,
  type DataCategory,
  type EhrChange,
  type ObservationQuery,
  type ObservationsOutput,
  type PatientHit,
  type PatientSearchInput,
  type PatientSearchOutput,
  type PatientSummary,
  type Principal,
  type SyncInput,
  type SyncOutput,
} from "../../protocol/index.js";
import { searchUrl, type FhirClient, type FhirJson, type SearchParams } from "../../runtime/index.js";
import { buildCarePlanTransaction, readCarePlanResponse } from "./care-plan.js";
import { SYSTEMS } from "./fhir-codes.js";
import { buildPatientSummary } from "./summary.js";
import { ageAt, interpretLab, loadLoinc } from "../../clinical/index.js";

/**
 * The EHR agent's core, free of the A2A runtime: every PHI read or write first asks the consent
 * agent (`consent.check_access`, which audits it), honours the decision's obligations (a
 * researcher gets de-identified data only, through `consent.deidentify`), then talks FHIR.
 */

export {
  DEFAULT_OBSERVATION_COUNT,
  MAX_OBSERVATION_COUNT,
  DEFAULT_PATIENT_SEARCH_COUNT,
} from "../../protocol/index.js";
/** Upper bound on resources read for one summary. */
export const MAX_RECORD_RESOURCES = 2_000;

/** What the service needs from the calling task (a subset of the runtime's SkillContext). */
export interface Caller {
  principal: Principal | undefined;
  taskId: string;
  signal?: AbortSignal;
  call<T = unknown>(agentId: string, verb: string, input: unknown): Promise<T>;
}

/** Where the sync position survives restarts (the agent's durable state). */
export interface SyncCursor {
  load(): Promise<string | undefined>;
  save(until: string): Promise<void>;
}

export interface EhrServiceOptions {
  fhir: FhirClient;
  logger: Logger;
  referenceDir?: string;
  now?: () => Date;
}

const SUMMARY_CATEGORIES: DataCategory[] = [
  "demographics",
  "conditions",
  "observations",
  "medications",
  "allergies",
  "genomics",
];

/** Which alert-worthy change a changed resource type is (AlertEventSchema "ehr-change"). */
const CHANGE_KIND: Partial<Record<string, "lab-result" | "medication-change" | "severity-change" | "adverse-event">> = {
  Observation: "lab-result",
  MedicationRequest: "medication-change",
  MedicationStatement: "medication-change",
  Condition: "severity-change",
  AllergyIntolerance: "adverse-event",
  AdverseEvent: "adverse-event",
};
const CHANGE_TEXT = {
  "lab-result": "New lab result",
  "medication-change": "Medication change",
  "severity-change": "Condition updated",
  "adverse-event": "Adverse event or allergy recorded",
} as const;

export class EhrService {
  private readonly fhir: FhirClient;
  private readonly log: Logger;
  private readonly now: () => Date;
  private lastSync: string | undefined;

  constructor(private readonly opts: EhrServiceOptions) {
    this.fhir = opts.fhir;
    this.log = opts.logger;
    this.now = opts.now ?? (() => new Date());
  }

  /** Asks the consent agent; throws CONSENT_DENIED with the reason when refused. */
  async authorize(
    caller: Caller,
    patientId: string,
    categories: DataCategory[],
    action: AccessAction,
    what: string,
    reason?: string,
  ): Promise<ConsentDecision> {
    const p = caller.principal;
    if (!p) throw new HmsError("UNAUTHENTICATED", "no principal on the request: PHI access needs a known requester");
    if (!p.purposeOfUse)
      throw new HmsError(
        "INVALID_INPUT",
        "the principal names no purpose of use (TREAT, ETREAT, HRESCH, HOPERAT, PATRQT)",
      );
    const raw = await caller.call("consent", "check_access", {
      requester: p.subject,
      roles: p.roles,
      patientId,
      categories,
      action,
      purposeOfUse: p.purposeOfUse,
      ...((p.reason ?? reason) ? { reason: p.reason ?? reason } : {}),
      taskId: caller.taskId,
      what,
    });
    const decision = ConsentDecisionSchema.parse(raw);
    if (!decision.permit)
      throw new HmsError("CONSENT_DENIED", `access to patient ${patientId} denied: ${decision.reason}`, {
        data: { patientId, reason: decision.reason },
      });
    return decision;
  }

  /** De-identifies through the consent agent; `decision` is the permit that obliged it (audited once, there). */
  private async deidentify(
    caller: Caller,
    patientId: string,
    resources: FhirJson[],
    decision: ConsentDecision,
  ): Promise<fhir4.Resource[]> {
    const out = await caller.call<{ resources: fhir4.Resource[] }>("consent", "deidentify", {
      patientId,
      resources,
      ...(decision.auditSeq !== undefined ? { decisionSeq: decision.auditSeq } : {}),
    });
    return out.resources;
  }

  /**
   * Every resource of one patient the summary reads, bounded: the Patient and five searches in one
   * FHIR batch request, then any further pages of a search that had more.
   */
  async fetchRecord(patientId: string, signal?: AbortSignal): Promise<FhirJson[]> {
    const subject = `Patient/${patientId}`;
    const per = Math.floor(MAX_RECORD_RESOURCES / 6);
    const searches: [string, SearchParams, number][] = [
      ["Condition", { subject, _count: per }, per],
      [
        "Observation",
        { subject, _sort: "-date", _count: MAX_RECORD_RESOURCES - 5 * per },
        MAX_RECORD_RESOURCES - 5 * per,
      ],
      ["MedicationStatement", { subject, _count: per }, per],
      ["MedicationRequest", { subject, _count: per }, per],
      ["AllergyIntolerance", { patient: subject, _count: per }, per],
    ];
    const [patient, ...bundles] = await this.fhir.batchGet(
      [`Patient/${encodeURIComponent(patientId)}`, ...searches.map(([type, params]) => searchUrl(type, params))],
      signal,
    );
    // batchGet answers one entry per url or throws.
    const missing = (what: string) =>
      new HmsError("DEPENDENCY_FAILED", `FHIR batch answered no entry for ${what}`, { data: { dependency: "fhir" } });
    if (patient instanceof HmsError) throw patient;
    if (patient === undefined) throw missing(`Patient/${patientId}`);
    const lists = await Promise.all(
      searches.map(([type, , max], i) => {
        const b = bundles[i];
        if (b instanceof HmsError) throw b;
        if (b === undefined) throw missing(`the ${type} search`);
        return this.fhir.collect(type, b, max, signal);
      }),
    );
    return [patient, ...lists.flat()];
  }

  async getSummary(patientId: string, caller: Caller): Promise<PatientSummary> {
    const decision = await this.authorize(
      caller,
      patientId,
      SUMMARY_CATEGORIES,
      "read",
      `summary of Patient/${patientId}`,
    );
    let resources = (await this.fetchRecord(patientId, caller.signal)) as unknown as fhir4.Resource[];
    const deid = decision.obligations.includes("de-identify");
    if (deid) resources = await this.deidentify(caller, patientId, resources as unknown as FhirJson[], decision);
    return buildPatientSummary(resources, {
      asOf: this.now(),
      referenceDir: this.opts.referenceDir,
      deidentified: deid,
    });
  }

  async searchPatients(input: PatientSearchInput, caller: Caller): Promise<PatientSearchOutput> {
    const params: Record<string, string | number> = { _count: input.count };
    if (input.identifier)
      params.identifier = input.identifier.includes("|") ? input.identifier : `${SYSTEMS.mrn}|${input.identifier}`;
    if (input.name) params.name = input.name;
    if (input.birthdate) params.birthdate = input.birthdate;
    const bundle = await this.fhir.search("Patient", params, caller.signal);
    const patients: PatientHit[] = [];
    let withheld = 0;
    for (const e of bundle.entry ?? []) {
      const p = e.resource as fhir4.Patient | undefined;
      if (!p?.id) continue;
      try {
        const d = await this.authorize(caller, p.id, ["demographics"], "read", `Patient search hit Patient/${p.id}`);
        // Identified search hits only: a de-identify obligation means this caller may not see them.
        if (d.obligations.includes("de-identify")) {
          withheld++;
          continue;
        }
      } catch (err) {
        if (HmsError.is(err, "CONSENT_DENIED")) {
          withheld++;
          continue;
        }
        throw err;
      }
      const n = p.name?.[0];
      patients.push({
        patientId: p.id,
        ...(n ? { name: [...(n.given ?? []), n.family].filter(Boolean).join(" ") } : {}),
        ...(p.identifier?.find((i) => i.system === SYSTEMS.mrn)?.value
          ? { mrn: p.identifier.find((i) => i.system === SYSTEMS.mrn)!.value }
          : {}),
        ...(p.birthDate ? { birthDate: p.birthDate } : {}),
        ...(p.gender ? { sex: p.gender } : {}),
      });
    }
    return { patients, withheld };
  }

  async getObservations(q: ObservationQuery, caller: Caller): Promise<ObservationsOutput> {
    const decision = await this.authorize(
      caller,
      q.patientId,
      ["observations"],
      "read",
      `Observation?subject=Patient/${q.patientId}${q.code ? `&code=${q.code}` : ""}`,
    );
    const loinc = loadLoinc(this.opts.referenceDir);
    const params: Record<string, string | number | string[]> = {
      subject: `Patient/${q.patientId}`,
      _sort: "-date",
      _count: q.count,
    };
    if (q.code) {
      const byKey = loinc.entries.find((e) => e.key === q.code);
      params.code = byKey ? `${loinc.codingFor(byKey.key).system}|${loinc.codingFor(byKey.key).code}` : q.code;
    }
    const dates = [...(q.since ? [`ge${q.since}`] : []), ...(q.until ? [`le${q.until}`] : [])];
    if (dates.length) params.date = dates;
    // The patient's sex and age choose the reference range (a man's haemoglobin of 12.6 g/dL is low).
    const [bundle, patient] = await Promise.all([
      this.fhir.search("Observation", params, caller.signal),
      this.fhir.read("Patient", q.patientId, caller.signal).catch(() => undefined) as Promise<
        fhir4.Patient | undefined
      >,
    ]);
    const labPatient = {
      ...(patient?.gender ? { sex: patient.gender } : {}),
      ...(patient?.birthDate ? { age: ageAt(patient.birthDate, new Date()) } : {}),
    };
    let obs = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is FhirJson => !!r);
    const deid = decision.obligations.includes("de-identify");
    if (deid) obs = (await this.deidentify(caller, q.patientId, obs, decision)) as unknown as FhirJson[];
    const observations = (obs as unknown as fhir4.Observation[]).slice(0, q.count).map((o) => {
      const coding = o.code.coding?.[0];
      const entry = coding?.code ? loinc.byCode(coding.system, coding.code) : undefined;
      const v = o.valueQuantity;
      const unit = v?.code ?? v?.unit;
      const interp =
        entry && typeof v?.value === "number" && unit ? interpretLab(entry, v.value, unit, labPatient) : undefined;
      return {
        ...(entry ? { key: entry.key } : {}),
        loinc: coding?.code ?? "",
        display: entry?.display ?? o.code.text ?? coding?.display ?? "",
        ...(typeof v?.value === "number" ? { value: v.value } : {}),
        unit: unit ?? "",
        ...(o.valueCodeableConcept?.text ? { text: o.valueCodeableConcept.text } : {}),
        effective: o.effectiveDateTime ?? o.effectivePeriod?.start ?? "",
        ...(interp
          ? { interpretation: interp.interpretation, ...(interp.meaning ? { meaning: interp.meaning } : {}) }
          : {}),
        ref: `Observation/${o.id}`,
      };
    });
    return { observations, deidentified: deid };
  }

  async writeCarePlan(input: CarePlanWrite, caller: Caller): Promise<CarePlanWriteResult> {
    await this.authorize(
      caller,
      input.patientId,
      ["care-plans", "medications"],
      "write",
      `CarePlan draft for Patient/${input.patientId} (task ${caller.taskId})`,
    );
    const tx = buildCarePlanTransaction(input, {
      taskId: caller.taskId,
      author: caller.principal?.subject ?? "unknown",
      now: this.now(),
    });
    const res = await this.fhir.transaction(tx as FhirJson, caller.signal);
    const out = readCarePlanResponse(res, input);
    this.log.info({ taskId: caller.taskId, carePlan: out.carePlanRef, created: out.created }, "care plan written");
    return out;
  }

  /** Resources changed since the cursor (`_lastUpdated`), oldest first; advances the cursor. */
  async syncChanges(
    input: SyncInput,
    publish: (topicType: string, data: unknown) => Promise<void>,
    opts: { signal?: AbortSignal; cursor?: SyncCursor } = {},
  ): Promise<SyncOutput> {
    const signal = opts.signal;
    const saved = opts.cursor ? await opts.cursor.load() : this.lastSync;
    const since = input.since ?? saved ?? new Date(this.now().getTime() - 3_600_000).toISOString();
    const changes: EhrChange[] = [];
    for (const type of input.types) {
      const bundle = await this.fhir.search(
        type,
        { _lastUpdated: `gt${since}`, _sort: "_lastUpdated", _count: input.count },
        signal,
      );
      for (const e of bundle.entry ?? []) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- false positive on an index-signature type (typescript-eslint#12856): tsc needs this cast for the fields read below
        const r = e.resource as
          | (FhirJson & {
              meta?: { lastUpdated?: string };
              subject?: { reference?: string };
              patient?: { reference?: string };
            })
          | undefined;
        if (!r?.id) continue;
        const patientRef = type === "Patient" ? `Patient/${r.id}` : (r.subject?.reference ?? r.patient?.reference);
        changes.push({
          ref: `${type}/${r.id}`,
          resourceType: type,
          ...(patientRef?.startsWith("Patient/") ? { patientId: patientRef.slice("Patient/".length) } : {}),
          lastUpdated: r.meta?.lastUpdated ?? since,
        });
      }
    }
    changes.sort((a, b) => a.lastUpdated.localeCompare(b.lastUpdated));
    const until = changes.at(-1)?.lastUpdated ?? since;
    // Only references travel on the topic (subscribers read the resources through consent), in the
    // alert agent's ehr-change shape; changes of no clinical kind or without a patient stay local.
    for (const c of changes) {
      const kind = CHANGE_KIND[c.resourceType];
      if (!kind || !c.patientId) continue;
      const { type: _type, ...event } = AlertEventSchema.parse({
        type: "ehr-change",
        patientId: c.patientId,
        change: kind,
        ref: c.ref,
        description: `${CHANGE_TEXT[kind]}: ${c.ref}`,
        at: c.lastUpdated,
      });
      await publish("ehr-change", event);
    }
    this.lastSync = until;
    await opts.cursor?.save(until);
    return { changes, since, until };
  }
}
