import type {
  Allergy,
  CurrentMedication,
  FindingSeverity,
  PatientSummary,
  RegimenItem,
  TreatmentPlan,
} from "../../../protocol/index.js";
import { basePatient, currentMed } from "./patients.js";
import { item, planWith } from "./plans.js";

/**
 * The verifier's rules as a clinician would test them: for each rule a patient and plan where it
 * must fire (at the given severity) and a near miss where it must not. Run on the rule table
 * directly (clinical/treatment/verify.test.ts) and through the real MCP tool
 * (test/integration/clinical-safety.test.ts).
 */
export interface RuleCase {
  rule: string;
  severity: FindingSeverity;
  /** What the case shows, for the test name. */
  why: string;
  fires: [PatientSummary, TreatmentPlan];
  nearMiss: [PatientSummary, TreatmentPlan];
}

const base = basePatient();
export const withComorbidities = (c: Partial<PatientSummary["comorbidities"]>, p = base): PatientSummary => ({
  ...p,
  comorbidities: { ...p.comorbidities, ...c },
});
const pgx = (
  tpmtPhenotype: PatientSummary["pharmacogenomics"]["tpmtPhenotype"],
  nudt15Phenotype: PatientSummary["pharmacogenomics"]["nudt15Phenotype"],
): PatientSummary => ({ ...base, pharmacogenomics: { ...base.pharmacogenomics, tpmtPhenotype, nudt15Phenotype } });
const aged = (age: number): PatientSummary => ({ ...base, demographics: { ...base.demographics, age } });
const located = (location: PatientSummary["diagnosis"]["montreal"]["location"]): PatientSummary => ({
  ...base,
  diagnosis: { ...base.diagnosis, montreal: { ...base.diagnosis.montreal, location } },
});
export const allergic = (a: Partial<Allergy> & Pick<Allergy, "substance">, p = base): PatientSummary => ({
  ...p,
  allergies: [
    ...p.allergies,
    {
      drugClass: null,
      type: "allergy",
      category: "medication",
      criticality: null,
      clinicalStatus: "active",
      reactions: [],
      ref: "AllergyIntolerance/1",
      ...a,
    },
  ],
});
export const taking = (m: Partial<CurrentMedication> & Pick<CurrentMedication, "drug">, p = base): PatientSummary => ({
  ...p,
  currentMedications: [...p.currentMedications, currentMed(m.drug, m.response ?? "ongoing", m)],
});
const history = (drug: string, response: PatientSummary["treatmentHistory"][number]["response"]): PatientSummary => ({
  ...base,
  treatmentHistory: [
    { drug, drugClass: "anti-TNF", status: "stopped", response, adverseEvents: [], ref: "MedicationStatement/3" },
  ],
});

const guselkumab = (): RegimenItem => ({
  role: "advanced",
  drug: "guselkumab",
  drugClass: "anti-IL-23 (p19)",
  route: "SC",
  phase: "maintenance",
  dose: 100,
  unit: "mg",
  schedule: { kind: "every", weeks: 8 },
  startWeek: 0,
  endWeek: null,
  reference: "drugs.json#guselkumab.regimens",
});
const upadacitinibInduction = (weeks: number): RegimenItem => ({
  ...item.upadacitinib(45),
  phase: "induction",
  endWeek: weeks,
});
const methotrexateDaily = (): RegimenItem => ({ ...item.methotrexate(15), schedule: { kind: "daily" } });
const infliximabByMouth = (): RegimenItem => ({ ...item.infliximab(), route: "PO" });
const azathioprineMgKg = (dose: number): RegimenItem => {
  const { doseFraction: _omit, ...rest } = item.azathioprine(1, dose);
  return rest;
};

export const RULE_CASES: RuleCase[] = [
  {
    rule: "ci-active-infection",
    severity: "error",
    why: "no biologic started during an active serious infection",
    fires: [withComorbidities({ activeSeriousInfection: true }), planWith([item.infliximab()])],
    nearMiss: [withComorbidities({ activeSeriousInfection: false }), planWith([item.infliximab()])],
  },
  {
    rule: "ci-latent-tb",
    severity: "error",
    why: "IL-23 inhibitors too need latent TB treated before the first dose",
    fires: [withComorbidities({ latentTbUntreated: true }), planWith([guselkumab()])],
    nearMiss: [withComorbidities({ latentTbUntreated: false }), planWith([guselkumab()])],
  },
  {
    rule: "ci-latent-tb",
    severity: "error",
    why: "JAK inhibitors need latent TB treated first",
    fires: [withComorbidities({ latentTbUntreated: true }), planWith([item.upadacitinib()])],
    nearMiss: [withComorbidities({ latentTbUntreated: true }), planWith([item.methotrexate()])],
  },
  {
    rule: "ci-hepatitis-b",
    severity: "error",
    why: "HBsAg positive: adalimumab needs antiviral prophylaxis first",
    fires: [withComorbidities({ hepatitisBActive: true }), planWith([item.adalimumab()])],
    nearMiss: [withComorbidities({ hepatitisBActive: false }), planWith([item.adalimumab()])],
  },
  {
    rule: "ci-hepatitis-b",
    severity: "error",
    why: "HBsAg positive: upadacitinib is not started",
    fires: [withComorbidities({ hepatitisBActive: true }), planWith([item.upadacitinib()])],
    nearMiss: [withComorbidities({ hepatitisBActive: true }), planWith([item.ustekinumab()])],
  },
  {
    rule: "hbv-reactivation-risk",
    severity: "warning",
    why: "past hepatitis B (anti-HBc positive) asks for HBV DNA monitoring",
    fires: [withComorbidities({ hepatitisBPast: true }), planWith([item.infliximab()])],
    nearMiss: [withComorbidities({ hepatitisBPast: false }), planWith([item.infliximab()])],
  },
  {
    rule: "ci-heart-failure",
    severity: "error",
    why: "anti-TNF in NYHA III heart failure",
    fires: [withComorbidities({ heartFailureNyha: 3 }), planWith([item.adalimumab()])],
    nearMiss: [withComorbidities({ heartFailureNyha: 2 }), planWith([item.adalimumab()])],
  },
  {
    rule: "ci-demyelinating",
    severity: "error",
    why: "anti-TNF with multiple sclerosis",
    fires: [withComorbidities({ demyelinatingDisease: true }), planWith([item.infliximab()])],
    nearMiss: [withComorbidities({ demyelinatingDisease: true }), planWith([item.ustekinumab()])],
  },
  {
    rule: "ci-pregnancy",
    severity: "error",
    why: "methotrexate is contraindicated in pregnancy",
    fires: [withComorbidities({ pregnant: true }), planWith([item.methotrexate()])],
    nearMiss: [withComorbidities({ pregnant: true }), planWith([item.adalimumab()])],
  },
  {
    rule: "ci-pregnancy",
    severity: "error",
    why: "upadacitinib may cause fetal harm",
    fires: [withComorbidities({ pregnant: true }), planWith([item.upadacitinib()])],
    nearMiss: [withComorbidities({ pregnant: false }), planWith([item.upadacitinib()])],
  },
  {
    rule: "ci-lactation",
    severity: "error",
    why: "no breastfeeding on upadacitinib",
    fires: [withComorbidities({ lactating: true }), planWith([item.upadacitinib()])],
    nearMiss: [withComorbidities({ lactating: true }), planWith([item.adalimumab()])],
  },
  {
    rule: "ci-jak-risk",
    severity: "error",
    why: "JAK inhibitor from 65 only without an alternative",
    fires: [aged(65), planWith([item.upadacitinib()])],
    nearMiss: [aged(64), planWith([item.upadacitinib()])],
  },
  {
    rule: "ci-budesonide-severe",
    severity: "error",
    why: "budesonide is not for severe disease",
    fires: [{ ...base, activity: { ...base.activity, band: "severe" } }, planWith([item.budesonide()])],
    nearMiss: [{ ...base, activity: { ...base.activity, band: "moderate" } }, planWith([item.budesonide()])],
  },
  {
    rule: "ci-disease-location",
    severity: "error",
    why: "budesonide is released in the ileum and right colon only",
    fires: [located("L2"), planWith([item.budesonide()])],
    nearMiss: [located("L1"), planWith([item.budesonide()])],
  },
  {
    rule: "ci-pgx-poor",
    severity: "error",
    why: "TPMT poor metabolizer: no thiopurine",
    fires: [pgx("poor", "normal"), planWith([item.azathioprine(0.1)])],
    nearMiss: [pgx("intermediate", "normal"), planWith([item.azathioprine(0.5)])],
  },
  {
    rule: "reaction-rechallenge",
    severity: "error",
    why: "no re-challenge after a severe infusion reaction",
    fires: [
      allergic({ substance: "infliximab", reactions: [{ manifestation: "infusion reaction", severity: "severe" }] }),
      planWith([item.infliximab()]),
    ],
    nearMiss: [
      allergic({ substance: "infliximab", reactions: [{ manifestation: "infusion reaction", severity: "severe" }] }),
      planWith([item.adalimumab()]),
    ],
  },
  {
    rule: "reaction-rechallenge",
    severity: "error",
    why: "a thiopurine pancreatitis is never re-challenged",
    fires: [
      allergic({
        substance: "azathioprine",
        type: "intolerance",
        reactions: [{ manifestation: "pancreatitis", severity: null }],
      }),
      planWith([item.azathioprine()]),
    ],
    nearMiss: [
      allergic({
        substance: "azathioprine",
        type: "intolerance",
        reactions: [{ manifestation: "nausea", severity: "mild" }],
      }),
      planWith([item.azathioprine()]),
    ],
  },
  {
    rule: "reaction-cross-reactivity",
    severity: "error",
    why: "azathioprine pancreatitis rules out mercaptopurine",
    fires: [
      allergic({
        substance: "azathioprine",
        type: "intolerance",
        reactions: [{ manifestation: "acute pancreatitis", severity: "severe" }],
      }),
      planWith([item.mercaptopurine()]),
    ],
    nearMiss: [
      // Switching azathioprine to mercaptopurine after nausea is standard practice.
      allergic({
        substance: "azathioprine",
        type: "intolerance",
        reactions: [{ manifestation: "nausea", severity: "mild" }],
      }),
      planWith([item.mercaptopurine()]),
    ],
  },
  {
    rule: "ix-azathioprine-febuxostat",
    severity: "error",
    why: "febuxostat is contraindicated with azathioprine",
    fires: [withComorbidities({ currentInteractingMedications: ["febuxostat"] }), planWith([item.azathioprine()])],
    nearMiss: [withComorbidities({ currentInteractingMedications: ["febuxostat"] }), planWith([item.methotrexate()])],
  },
  {
    rule: "ix-methotrexate-trimethoprim",
    severity: "error",
    why: "methotrexate with trimethoprim: marrow suppression",
    fires: [withComorbidities({ currentInteractingMedications: ["trimethoprim"] }), planWith([item.methotrexate()])],
    nearMiss: [withComorbidities({ currentInteractingMedications: [] }), planWith([item.methotrexate()])],
  },
  {
    rule: "ix-mercaptopurine-allopurinol",
    severity: "warning",
    why: "allopurinol with a thiopurine asks for a reduced dose",
    fires: [
      withComorbidities({ currentInteractingMedications: ["allopurinol"] }),
      planWith([item.mercaptopurine(0.3)]),
    ],
    nearMiss: [withComorbidities({ currentInteractingMedications: ["allopurinol"] }), planWith([item.methotrexate()])],
  },
  {
    rule: "ix-dose-reduction",
    severity: "error",
    why: "a full thiopurine dose with allopurinol",
    fires: [withComorbidities({ currentInteractingMedications: ["allopurinol"] }), planWith([item.mercaptopurine(1)])],
    nearMiss: [
      withComorbidities({ currentInteractingMedications: ["allopurinol"] }),
      planWith([item.mercaptopurine(0.3)]),
    ],
  },
  {
    rule: "ix-upadacitinib-live-vaccine",
    severity: "error",
    why: "no live vaccine with a JAK inhibitor",
    fires: [withComorbidities({ currentInteractingMedications: ["live vaccine"] }), planWith([item.upadacitinib()])],
    nearMiss: [withComorbidities({ currentInteractingMedications: ["live vaccine"] }), planWith([item.mesalamine()])],
  },
  {
    rule: "ix-jak-immunosuppressant",
    severity: "error",
    why: "upadacitinib with a thiopurine",
    fires: [base, planWith([item.upadacitinib(), item.azathioprine()])],
    nearMiss: [base, planWith([item.ustekinumab(), item.azathioprine()])],
  },
  {
    rule: "ix-current-therapy",
    severity: "error",
    why: "upadacitinib on top of the azathioprine the patient takes now",
    fires: [
      taking({ drug: "azathioprine", drugClass: "immunomodulator (thiopurine)" }),
      planWith([item.upadacitinib()]),
    ],
    nearMiss: [
      taking({ drug: "azathioprine", drugClass: "immunomodulator (thiopurine)" }),
      {
        ...planWith([item.upadacitinib()]),
        currentTherapy: [
          { drug: "azathioprine", action: "stop", stopWeek: 0, reason: "JAK inhibitor", reference: "x" },
        ],
      },
    ],
  },
  {
    rule: "route",
    severity: "error",
    why: "infliximab is an infusion, never by mouth",
    fires: [base, planWith([infliximabByMouth()])],
    nearMiss: [base, planWith([item.infliximab()])],
  },
  {
    rule: "dose-frequency",
    severity: "error",
    why: "methotrexate daily is a known fatal error",
    fires: [base, planWith([methotrexateDaily()])],
    nearMiss: [base, planWith([item.methotrexate()])],
  },
  {
    rule: "dose-duration",
    severity: "error",
    why: "upadacitinib 45 mg is a 12-week induction dose",
    fires: [base, planWith([upadacitinibInduction(52)])],
    nearMiss: [base, planWith([upadacitinibInduction(12)])],
  },
  {
    rule: "dose-escalation-indication",
    severity: "error",
    why: "infliximab 10 mg/kg is for a lost response",
    fires: [base, planWith([item.infliximab(10)])],
    nearMiss: [history("infliximab", "loss-of-response"), planWith([item.infliximab(10)])],
  },
  {
    rule: "dose-max",
    severity: "error",
    why: "a thiopurine dose above its own dose fraction",
    fires: [base, planWith([item.azathioprine(0.5, 2.5)])],
    nearMiss: [base, planWith([item.azathioprine(0.5, 1.25)])],
  },
  {
    rule: "dose-range",
    severity: "error",
    why: "adalimumab 60 mg is no label dose",
    fires: [base, planWith([item.adalimumab(60)])],
    nearMiss: [base, planWith([item.adalimumab(40)])],
  },
  {
    rule: "dose-weight-unknown",
    severity: "warning",
    why: "mg of a mg/kg drug without a weight",
    fires: [
      { ...base, demographics: { ...base.demographics, weightKg: null } },
      planWith([item.infliximab(350, { unit: "mg" })]),
    ],
    nearMiss: [base, planWith([item.infliximab(350, { unit: "mg" })])],
  },
  {
    rule: "pgx-dose",
    severity: "error",
    why: "CPIC dose for TPMT/NUDT15 intermediate, given as a fraction",
    fires: [pgx("intermediate", "intermediate"), planWith([item.azathioprine(0.8)])],
    nearMiss: [pgx("intermediate", "intermediate"), planWith([item.azathioprine(0.5)])],
  },
  {
    rule: "pgx-dose",
    severity: "error",
    why: "CPIC dose for TPMT intermediate, given as mg/kg/day without a fraction",
    fires: [pgx("intermediate", "normal"), planWith([azathioprineMgKg(2.5)])],
    nearMiss: [pgx("intermediate", "normal"), planWith([azathioprineMgKg(1.25)])],
  },
  {
    rule: "dup-advanced",
    severity: "error",
    why: "two biologics at once",
    fires: [base, planWith([item.infliximab(), item.ustekinumab()])],
    nearMiss: [base, planWith([item.infliximab(5, { endWeek: 10 }), { ...item.ustekinumab(), startWeek: 10 }])],
  },
  {
    rule: "screening-before-start",
    severity: "error",
    why: "TB and HBV screening before a biologic",
    fires: [base, planWith([item.infliximab()], [])],
    nearMiss: [base, planWith([item.infliximab()])],
  },
  {
    rule: "pgx-untested",
    severity: "warning",
    why: "a thiopurine before the TPMT/NUDT15 result",
    fires: [pgx("unknown", "unknown"), planWith([item.azathioprine()])],
    nearMiss: [pgx("normal", "normal"), planWith([item.azathioprine()])],
  },
  {
    rule: "mesalamine-crohns",
    severity: "warning",
    why: "oral mesalamine does not treat Crohn's disease",
    fires: [base, planWith([item.mesalamine()])],
    nearMiss: [base, planWith([item.azathioprine()])],
  },
  {
    rule: "hla-dqa105-monotherapy",
    severity: "warning",
    why: "HLA-DQA1*05 carrier on anti-TNF alone",
    fires: [{ ...base, genotype: { ...base.genotype, hlaDqa105: true } }, planWith([item.infliximab()])],
    nearMiss: [
      { ...base, genotype: { ...base.genotype, hlaDqa105: true } },
      planWith([item.infliximab(), item.azathioprine()]),
    ],
  },
  {
    rule: "added-in-remission",
    severity: "error",
    why: "no thiopurine added to the adalimumab that keeps a patient in remission",
    fires: [
      {
        ...taking({ drug: "adalimumab", drugClass: "anti-TNF", response: "remission" }),
        activity: { ...base.activity, band: "remission" },
      },
      planWith([item.adalimumab(), item.azathioprine()]),
    ],
    nearMiss: [
      {
        ...taking({ drug: "adalimumab", drugClass: "anti-TNF", response: "remission" }),
        activity: { ...base.activity, band: "remission" },
      },
      planWith([item.adalimumab()]),
    ],
  },
  {
    rule: "contraception-required",
    severity: "warning",
    why: "methotrexate for a woman of 29 needs contraception",
    fires: [
      { ...base, demographics: { ...base.demographics, sex: "female", age: 29 } },
      planWith([item.methotrexate()]),
    ],
    nearMiss: [
      { ...base, demographics: { ...base.demographics, sex: "female", age: 29 } },
      planWith([item.ustekinumab()]),
    ],
  },
];
