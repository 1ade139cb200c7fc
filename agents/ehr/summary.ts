import type * as fhir4 from "fhir/r4.js";
import {
  AGE_EXTENSION,
  AGE_TOP_CODED_EXTENSION,
  HMS_CODES,
  HMS_OBSERVATION_SYSTEM,
  ageAt,
  computeCdai,
  computeHbi,
  interpretLab,
  interpretThiopurineGenotype,
  loadLoinc,
  loadScores,
  montrealAgeCode,
  type LabPatient,
  type LoincReference,
  type ScoresReference,
} from "../../clinical/index.js";
import {
  HmsError,
  PatientSummarySchema,
  type Comorbidities,
  type Genotype,
  type LabValue,
  type Montreal,
  type PatientSummary,
  type ScreeningResult,
  type TreatmentHistoryItem,
} from "../../protocol/index.js";
import { allergiesOf } from "./allergies.js";
import { FLAG_CODES, LATENT_TB_TREATMENTS, matches } from "./comorbidities.js";
import { EXT, SYSTEMS } from "./fhir-codes.js";
import { adverseEventsOf, byNewest, codings, drugCodeOf, effectiveOf, ref, treatmentResponseOf } from "./fhir-read.js";
import { currentMedications } from "./medications.js";
import { loadDrugCatalog, type DrugCatalog } from "./reference.js";
import { screeningFlags, screeningOf } from "./screening.js";

export interface SummaryOptions {
  /** "Now" for ages. @defaultValue the current time */
  asOf?: Date;
  referenceDir?: string;
  /** Set when the resources were de-identified (the consent agent's "de-identify" obligation). */
  deidentified?: boolean;
}

interface Refs {
  loinc: LoincReference;
  scores: ScoresReference;
  drugs: DrugCatalog;
}

const CROHNS_SNOMED = "34000006";

/**
 * Builds the patient summary from the FHIR resources of one patient (Patient, Condition,
 * Observation, MedicationStatement, MedicationRequest, AllergyIntolerance; other types are only
 * listed in `sources`). Pure: no I/O beyond the cached reference files.
 *
 * Besides scores, labs and history it carries the patient as a whole: what they take now (dose,
 * route, schedule), every allergy or intolerance (with or without a medication record of the same
 * drug) and the newest screening result per test. Screening results set flags as diagnosis codes
 * do: a positive IGRA or TST with no latent-TB treatment recorded, a positive HBsAg or detectable
 * HBV DNA, anti-HBc positive without active hepatitis B, a positive hCG not followed by 42 weeks
 * of recorded care.
 */
export function buildPatientSummary(resources: readonly fhir4.Resource[], opts: SummaryOptions = {}): PatientSummary {
  const refs: Refs = {
    loinc: loadLoinc(opts.referenceDir),
    scores: loadScores(opts.referenceDir),
    drugs: loadDrugCatalog(opts.referenceDir),
  };
  const asOf = opts.asOf ?? new Date();
  const patient = resources.find((r): r is fhir4.Patient => r.resourceType === "Patient");
  if (!patient?.id) throw new HmsError("NOT_FOUND", "no Patient resource among the resources to summarise");
  const of = <T extends fhir4.Resource>(type: T["resourceType"]) =>
    resources.filter((r): r is T => r.resourceType === type);
  const observations = of<fhir4.Observation>("Observation").filter(
    (o) => o.status !== "entered-in-error" && o.status !== "cancelled",
  );
  const conditions = of<fhir4.Condition>("Condition");
  const statements = of<fhir4.MedicationStatement>("MedicationStatement");
  const requests = of<fhir4.MedicationRequest>("MedicationRequest");
  const allergies = of<fhir4.AllergyIntolerance>("AllergyIntolerance");

  const sex =
    patient.gender === "male" || patient.gender === "female" || patient.gender === "other" ? patient.gender : "unknown";
  const latest = (key: string) => latestByKey(observations, refs.loinc, key);
  const weight = latest("body_weight");
  const height = latest("body_height");
  const { age, topCoded, known: ageKnown } = ageOf(patient, asOf);

  const crohns = conditions.find((c) =>
    codings(c.code).some(
      (x) => x.code === CROHNS_SNOMED || (x.system === SYSTEMS.icd10cm && x.code?.startsWith("K50")),
    ),
  );
  const diagnosisCoding = codings(crohns?.code).find((x) => x.system === SYSTEMS.snomed) ?? codings(crohns?.code)[0];

  const cdaiPanel = latestPanel(observations, HMS_CODES.cdaiInputs);
  const hbiPanel = latestPanel(observations, HMS_CODES.hbiInputs);
  const hct = latest("hematocrit");
  const cdaiInputs = cdaiPanel ? componentValues(cdaiPanel) : {};
  const cdai = computeCdai(
    {
      ...cdaiInputs,
      hematocrit: hct?.value,
      weightKg: weight?.value,
      standardWeightKg: cdaiInputs[HMS_CODES.standardWeight],
      sex,
    },
    refs.scores,
    newest([cdaiPanel && effectiveOf(cdaiPanel), hct?.effective, weight?.effective]),
  );
  const hbi = computeHbi(
    hbiPanel ? componentValues(hbiPanel) : {},
    refs.scores,
    hbiPanel ? effectiveOf(hbiPanel) : undefined,
  );
  const band = cdai.status === "computed" ? cdai.band : hbi.status === "computed" ? hbi.band : "unknown";

  const genotype = genotypeOf(observations, refs.loinc);
  const screening = screeningOf(observations, refs.loinc);
  const comorbidities = comorbiditiesOf(conditions, crohns, statements, requests, refs.drugs, {
    screening,
    newestRecord: newest(observations.map(effectiveOf)),
  });
  const summary: PatientSummary = {
    patientId: patient.id,
    demographics: {
      ...(nameOf(patient) ? { name: nameOf(patient) } : {}),
      ...(mrnOf(patient) ? { mrn: mrnOf(patient) } : {}),
      // A de-identified birth date is shifted, so it is not shown as if it were real.
      ...(patient.birthDate && !opts.deidentified ? { birthDate: patient.birthDate } : {}),
      age,
      ageTopCoded: topCoded,
      sex,
      weightKg: weight && weight.unit === "kg" ? weight.value : null,
      heightCm: height && height.unit === "cm" ? height.value : null,
    },
    diagnosis: {
      code: diagnosisCoding?.code
        ? {
            system: diagnosisCoding.system ?? "",
            code: diagnosisCoding.code,
            ...(diagnosisCoding.display ? { display: diagnosisCoding.display } : {}),
          }
        : { system: SYSTEMS.snomed, code: "unknown" },
      ...(crohns?.onsetDateTime ? { onset: crohns.onsetDateTime } : {}),
      montreal: montrealOf(crohns, patient, refs.scores),
    },
    activity: { cdai, hbi, band },
    labs: latestLabs(observations, refs.loinc, {
      sex,
      ...(ageKnown ? { age } : {}),
      pregnant: comorbidities.pregnant,
    }),
    genotype,
    pharmacogenomics: interpretThiopurineGenotype(
      { tpmt: genotype.tpmt, nudt15: genotype.nudt15 },
      { referenceDir: opts.referenceDir },
    ),
    treatmentHistory: treatmentHistory(statements, requests, allergies, refs.drugs),
    currentMedications: currentMedications(statements, requests, refs.drugs),
    allergies: allergiesOf(allergies, statements, refs.drugs),
    screening,
    comorbidities,
    sources: resources.filter((r) => r.id).map(ref),
    deidentified: opts.deidentified ?? false,
  };
  return PatientSummarySchema.parse(summary);
}

function ageOf(p: fhir4.Patient, asOf: Date): { age: number; topCoded: boolean; known: boolean } {
  const ext = p.extension?.find((e) => e.url === AGE_EXTENSION)?.valueInteger;
  const top = p.extension?.find((e) => e.url === AGE_TOP_CODED_EXTENSION)?.valueBoolean ?? false;
  if (typeof ext === "number") return { age: ext, topCoded: top, known: true };
  if (!p.birthDate) return { age: 0, topCoded: false, known: false };
  return { age: ageAt(p.birthDate, asOf), topCoded: false, known: true };
}

function nameOf(p: fhir4.Patient): string | undefined {
  const n = p.name?.find((x) => x.use === "official") ?? p.name?.[0];
  if (!n) return undefined;
  return n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(" ");
}

function mrnOf(p: fhir4.Patient): string | undefined {
  return (
    p.identifier?.find((i) => i.system === SYSTEMS.mrn) ??
    p.identifier?.find((i) => codings(i.type).some((c) => c.code === "MR"))
  )?.value;
}

function montrealOf(c: fhir4.Condition | undefined, p: fhir4.Patient, scores: ScoresReference): Montreal {
  const parts = c?.extension?.find((e) => e.url === EXT.montreal)?.extension ?? [];
  const get = (url: string) => parts.find((e) => e.url === url);
  let age = (get("age")?.valueCode ?? null) as Montreal["age"];
  if (!age && c?.onsetDateTime && p.birthDate)
    age = montrealAgeCode(ageAt(p.birthDate, new Date(c.onsetDateTime)), scores);
  return {
    age,
    location: (get("location")?.valueCode ?? null) as Montreal["location"],
    upperGi: get("upperGi")?.valueBoolean ?? false,
    behaviour: (get("behaviour")?.valueCode ?? null) as Montreal["behaviour"],
    perianal: get("perianal")?.valueBoolean ?? false,
  };
}

interface Measured {
  value: number;
  unit: string;
  effective: string;
  obs: fhir4.Observation;
}

function keyOf(o: fhir4.Observation, loinc: LoincReference): string | undefined {
  for (const c of codings(o.code)) {
    if (!c.code) continue;
    const e = loinc.byCode(c.system, c.code);
    if (e) return e.key;
  }
  return undefined;
}

function latestByKey(obs: readonly fhir4.Observation[], loinc: LoincReference, key: string): Measured | undefined {
  const o = obs.filter((x) => typeof x.valueQuantity?.value === "number" && keyOf(x, loinc) === key).sort(byNewest)[0];
  if (!o) return undefined;
  return {
    value: o.valueQuantity!.value!,
    unit: o.valueQuantity!.code ?? o.valueQuantity!.unit ?? "",
    effective: effectiveOf(o),
    obs: o,
  };
}

function latestPanel(obs: readonly fhir4.Observation[], code: string): fhir4.Observation | undefined {
  return obs
    .filter((o) => codings(o.code).some((c) => c.system === HMS_OBSERVATION_SYSTEM && c.code === code))
    .sort(byNewest)[0];
}

function componentValues(o: fhir4.Observation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of o.component ?? []) {
    const code = codings(c.code).find((x) => x.system === HMS_OBSERVATION_SYSTEM)?.code;
    if (code && typeof c.valueQuantity?.value === "number") out[code] = c.valueQuantity.value;
  }
  return out;
}

const newest = (xs: (string | undefined)[]) =>
  xs
    .filter((x): x is string => !!x)
    .sort()
    .at(-1);

/** The newest numeric value per loinc.json entry (screening tests excluded: they are in `screening`). */
function latestLabs(obs: readonly fhir4.Observation[], loinc: LoincReference, patient: LabPatient): LabValue[] {
  const seen = new Map<string, fhir4.Observation>();
  for (const o of [...obs].sort(byNewest)) {
    if (typeof o.valueQuantity?.value !== "number") continue;
    const key = keyOf(o, loinc);
    if (key && !seen.has(key) && !loinc.byKey(key).screening) seen.set(key, o);
  }
  return [...seen].map(([key, o]) => {
    const e = loinc.byKey(key);
    const unit = o.valueQuantity!.code ?? o.valueQuantity!.unit ?? "";
    const value = o.valueQuantity!.value!;
    const { interpretation, meaning } = interpretLab(e, value, unit, patient);
    return {
      key,
      loinc: e.loinc ?? key,
      display: e.display,
      value,
      unit,
      effective: effectiveOf(o),
      interpretation,
      ...(meaning ? { meaning } : {}),
      ref: ref(o),
    };
  });
}

function genotypeOf(obs: readonly fhir4.Observation[], loinc: LoincReference): Genotype {
  const find = (pred: (o: fhir4.Observation) => boolean) => obs.filter(pred).sort(byNewest)[0];
  const text = (o: fhir4.Observation | undefined) =>
    o?.valueCodeableConcept?.text ?? o?.valueCodeableConcept?.coding?.[0]?.display ?? o?.valueString ?? null;
  const tpmt = find((o) => keyOf(o, loinc) === "tpmt_genotype");
  const nudt15 = find((o) => keyOf(o, loinc) === "nudt15_genotype");
  const local = (code: string) =>
    find((o) => codings(o.code).some((c) => c.system === HMS_OBSERVATION_SYSTEM && c.code === code));
  const hla = local(HMS_CODES.hlaDqa105);
  const nod2 = local(HMS_CODES.nod2);
  const nod2Text = text(nod2);
  return {
    tpmt: text(tpmt),
    nudt15: text(nudt15),
    hlaDqa105: typeof hla?.valueBoolean === "boolean" ? hla.valueBoolean : null,
    nod2: nod2Text === null ? null : /none/i.test(nod2Text) ? [] : nod2Text.split(/\s*,\s*/).filter(Boolean),
  };
}

function treatmentHistory(
  statements: fhir4.MedicationStatement[],
  requests: fhir4.MedicationRequest[],
  allergies: fhir4.AllergyIntolerance[],
  drugs: DrugCatalog,
): TreatmentHistoryItem[] {
  const items: TreatmentHistoryItem[] = [];
  const reactions = (drugId: string) =>
    allergies
      .filter((a) => {
        const c = drugCodeOf(a.code);
        return !!c && drugs.match(c)?.id === drugId;
      })
      .flatMap((a) =>
        (a.reaction ?? []).flatMap((r) => r.manifestation.map((m) => m.text ?? m.coding?.[0]?.display ?? "reaction")),
      );
  for (const s of statements) {
    const code = drugCodeOf(s.medicationCodeableConcept);
    const drug = code ? drugs.match(code) : undefined;
    if (!drug) continue;
    const resp = treatmentResponseOf(s);
    const status = s.status === "active" || s.status === "completed" || s.status === "stopped" ? s.status : "unknown";
    const adverse = [...adverseEventsOf(s, EXT.adverseEvent).map((e) => e.text), ...reactions(drug.id)];
    items.push({
      drug: drug.id,
      drugClass: drug.class,
      ...(s.effectivePeriod?.start
        ? { start: s.effectivePeriod.start }
        : s.effectiveDateTime
          ? { start: s.effectiveDateTime }
          : {}),
      ...(s.effectivePeriod?.end ? { end: s.effectivePeriod.end } : {}),
      status,
      response: resp ?? (status === "active" ? "ongoing" : "unknown"),
      adverseEvents: [...new Set(adverse)],
      ref: ref(s),
    });
  }
  // Orders count as history only once active or completed; proposals (our own drafts) are not history.
  for (const r of requests) {
    if (r.intent === "proposal" || (r.status !== "active" && r.status !== "completed")) continue;
    const code = drugCodeOf(r.medicationCodeableConcept);
    const drug = code ? drugs.match(code) : undefined;
    if (!drug || items.some((i) => i.drug === drug.id && i.status === "active")) continue;
    items.push({
      drug: drug.id,
      drugClass: drug.class,
      ...(r.authoredOn ? { start: r.authoredOn } : {}),
      status: r.status === "active" ? "active" : "completed",
      response: r.status === "active" ? "ongoing" : "unknown",
      adverseEvents: reactions(drug.id),
      ref: ref(r),
    });
  }
  return items.sort((a, b) => (a.start ?? "").localeCompare(b.start ?? ""));
}

function comorbiditiesOf(
  conditions: fhir4.Condition[],
  crohns: fhir4.Condition | undefined,
  statements: fhir4.MedicationStatement[],
  requests: fhir4.MedicationRequest[],
  drugs: DrugCatalog,
  labs: { screening: readonly ScreeningResult[]; newestRecord: string | undefined },
): Comorbidities {
  const others = conditions.filter(
    (c) =>
      c !== crohns &&
      c.verificationStatus?.coding?.[0]?.code !== "entered-in-error" &&
      c.verificationStatus?.coding?.[0]?.code !== "refuted",
  );
  const isActive = (c: fhir4.Condition) => {
    const s = c.clinicalStatus?.coding?.[0]?.code;
    return s === undefined || s === "active" || s === "recurrence" || s === "relapse";
  };
  const icd = (c: fhir4.Condition) => codings(c.code).find((x) => x.system === SYSTEMS.icd10cm)?.code ?? "";
  const any = (prefixes: readonly string[], activeOnly: boolean) =>
    others.some((c) => matches(icd(c), prefixes) && (!activeOnly || isActive(c)));
  const activeMeds = [
    ...statements.filter((s) => s.status === "active").map((s) => drugCodeOf(s.medicationCodeableConcept)),
    ...requests
      .filter((r) => r.status === "active" && r.intent !== "proposal")
      .map((r) => drugCodeOf(r.medicationCodeableConcept)),
  ].filter((x): x is string => !!x);
  // Any record of a drug counts (see LATENT_TB_TREATMENTS), but not an error, a "not taken" or a draft.
  const everMeds = [
    ...statements.filter((s) => s.status !== "entered-in-error" && s.status !== "not-taken"),
    ...requests.filter((r) => r.status !== "entered-in-error" && r.intent !== "proposal"),
  ].map((m) => drugCodeOf(m.medicationCodeableConcept)?.toLowerCase() ?? "");
  const tbTreated = everMeds.some((m) => LATENT_TB_TREATMENTS.includes(m));
  const lab = screeningFlags(labs.screening, labs.newestRecord);
  const hepatitisBActive = any(FLAG_CODES.hepatitisBActive, true) || lab.hepatitisBActive;
  const hf = others.find((c) => matches(icd(c), FLAG_CODES.heartFailure) && isActive(c));
  return {
    conditions: others.map((c) => {
      const first = codings(c.code).find((x) => x.system === SYSTEMS.icd10cm) ?? codings(c.code)[0];
      return {
        code: {
          system: first?.system ?? "",
          code: first?.code ?? "",
          ...(first?.display ? { display: first.display } : {}),
        },
        display: c.code?.text ?? first?.display ?? first?.code ?? "",
        ref: ref(c),
        active: isActive(c),
      };
    }),
    activeSeriousInfection: any(FLAG_CODES.activeSeriousInfection, true),
    latentTbUntreated: (any(FLAG_CODES.latentTb, true) || lab.tbInfection) && !tbTreated,
    heartFailureNyha: hf ? nyhaOf(hf) : null,
    demyelinatingDisease: any(FLAG_CODES.demyelinatingDisease, false),
    pregnant: any(FLAG_CODES.pregnant, true) || lab.pregnant,
    lactating: any(FLAG_CODES.lactating, true),
    // Anti-HBc positive without active infection: HBsAg negative or not recorded (the reactivation risk stands either way).
    hepatitisBPast: lab.antiHbcPositive && !hepatitisBActive,
    hepatitisBActive,
    vteHistory: any(FLAG_CODES.vteHistory, false),
    cardiovascularRisk: any(FLAG_CODES.cardiovascularRisk, true),
    malignancyHistory: any(FLAG_CODES.malignancyHistory, false),
    currentInteractingMedications: [
      ...new Set(activeMeds.filter((m) => !drugs.match(m) && drugs.interacts(m)).map((m) => m.toLowerCase())),
    ],
  };
}

const ROMAN: Record<string, number> = { I: 1, II: 2, III: 3, IV: 4 };

function nyhaOf(c: fhir4.Condition): number | null {
  for (const s of c.stage ?? []) {
    const code = codings(s.summary).find((x) => x.system === SYSTEMS.nyha)?.code;
    if (code && /^[1-4]$/.test(code)) return Number(code);
    const m = /NYHA\s+(?:class\s+)?(IV|III|II|I|[1-4])\b/i.exec(s.summary?.text ?? "");
    const cls = m?.[1];
    if (cls) return ROMAN[cls.toUpperCase()] ?? Number(cls);
  }
  return null;
}
