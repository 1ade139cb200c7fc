import { createHash } from "node:crypto";
import type {
  BiomarkerInfluence,
  FitnessWeights,
  GaProblem,
  OptimizerConstraints,
  OptimizerMode,
  PatientSummary,
} from "../../protocol/index.js";
import { loadLoinc } from "../reference/loinc.js";
import { PHASE_LEN } from "./fitness.js";
import { at } from "./at.js";
import { itemConstraints } from "./item-constraints.js";
import { gaConstraints } from "./rule-table.js";
import { THIOPURINES, allowedThiopurineFractions, effectiveFractionLevel } from "./rules.js";
import {
  COURSE_WEEKS,
  DECISION_WEEKS,
  G,
  IMMUNOMODULATORS,
  N_REG,
  STEROIDS,
  domainsFor,
  drugEfficacy,
  type PlanSpace,
} from "./space.js";

/**
 * Builds the numeric problem the GA searches: every probability is turned into weekly hazards
 * here (the only place with pow), so the fitness itself is plain arithmetic. MODEL.md explains
 * each step. `scale` multiplies every drug effect (used for the uncertainty interval).
 */

const INDUCTION_WEEKS = 12;
const MAINT_WEEKS = 40;
const cap = (x: number) => Math.min(0.95, Math.max(0, x));
const weekly = (p: number, weeks: number) => 1 - Math.pow(1 - cap(p), 1 / weeks);
/** Probability with odds multiplied by `or`. */
const withOdds = (p: number, or: number) => {
  const o = (p / (1 - p)) * or;
  return o / (1 + o);
};

export interface PatientFactors {
  exposed: boolean;
  antiTnfPriorFactor: number;
  efficacyMult: number;
  relapseMult: number;
  mabMult: number;
  surgeryMult: number;
  hla: boolean;
  influences: BiomarkerInfluence[];
  notes: string[];
}

function latestLab(p: PatientSummary, key: string) {
  return p.labs.filter((l) => l.key === key).sort((a, b) => b.effective.localeCompare(a.effective))[0];
}

/** Biomarker evaluation against loinc.json thresholds and the model multipliers it implies. */
export function evaluateBiomarkers(p: PatientSummary, space: PlanSpace): BiomarkerInfluence[] {
  const loinc = loadLoinc(space.referenceDir);
  const mod = space.efficacy.modifiers;
  const out: BiomarkerInfluence[] = [];
  const calThr = loinc.byKey("fecal_calprotectin").decision_thresholds?.[0]?.high ?? null;
  const cal = latestLab(p, "fecal_calprotectin");
  out.push(
    cal && calThr !== null
      ? {
          key: "fecal_calprotectin",
          value: cal.value,
          unit: cal.unit,
          status: cal.value > calThr ? "elevated" : "normal",
          threshold: calThr,
          effect: "relapse hazard",
          multiplier: cal.value > calThr ? mod.calprotectinElevatedRelapse.value : 1,
          reference: "loinc.json#fecal_calprotectin.decision_thresholds[0]",
        }
      : {
          key: "fecal_calprotectin",
          value: null,
          unit: null,
          status: "missing",
          threshold: calThr,
          effect: "relapse hazard",
          multiplier: 1,
          reference: "loinc.json#fecal_calprotectin.decision_thresholds[0]",
        },
  );
  const crpThr = loinc.byKey("crp").normal_range?.high ?? null;
  const crp = latestLab(p, "crp");
  const crpMg = crp ? (crp.unit === "mg/dL" ? crp.value * 10 : crp.value) : null;
  out.push(
    crpMg !== null && crpThr !== null
      ? {
          key: "crp",
          value: crpMg,
          unit: "mg/L",
          status: crpMg > crpThr ? "elevated" : "normal",
          threshold: crpThr,
          effect: "drug efficacy",
          multiplier: crpMg > crpThr ? mod.crpElevatedEfficacy.value : 1,
          reference: "loinc.json#crp.normal_range",
        }
      : {
          key: "crp",
          value: null,
          unit: null,
          status: "missing",
          threshold: crpThr,
          effect: "drug efficacy",
          multiplier: 1,
          reference: "loinc.json#crp.normal_range",
        },
  );
  const albThr = loinc.byKey("albumin").normal_range?.low ?? null;
  const alb = latestLab(p, "albumin");
  const albGdl = alb ? (alb.unit === "g/L" ? alb.value / 10 : alb.value) : null;
  out.push(
    albGdl !== null && albThr !== null
      ? {
          key: "albumin",
          value: albGdl,
          unit: "g/dL",
          status: albGdl < albThr ? "low" : "normal",
          threshold: albThr,
          effect: "monoclonal-antibody efficacy",
          multiplier: albGdl < albThr ? mod.lowAlbuminMabEfficacy.value : 1,
          reference: "loinc.json#albumin.normal_range",
        }
      : {
          key: "albumin",
          value: null,
          unit: null,
          status: "missing",
          threshold: albThr,
          effect: "monoclonal-antibody efficacy",
          multiplier: 1,
          reference: "loinc.json#albumin.normal_range",
        },
  );
  return out;
}

/** Patient-level modifiers (phenotype, severity, history, biomarkers, genotype). */
export function patientFactors(p: PatientSummary, space: PlanSpace): PatientFactors {
  const mod = space.efficacy.modifiers;
  const notes: string[] = [];
  const advIds = new Set(space.advanced.map((a) => a.id));
  const exposed = p.treatmentHistory.some((h) => advIds.has(h.drug));
  if (exposed) notes.push("prior advanced therapy: exposed-population efficacy used");
  const tnf = p.treatmentHistory.filter(
    (h) => h.drugClass === "anti-TNF" || (space.drugs.has(h.drug) && space.drugs.byId(h.drug).class === "anti-TNF"),
  );
  let antiTnfPriorFactor = 1;
  if (tnf.some((h) => h.response === "primary-non-response")) {
    antiTnfPriorFactor = mod.secondAntiTnfAfterPrimaryNonResponse.value;
    notes.push("primary non-response to an anti-TNF: a second anti-TNF does worse");
  } else if (tnf.some((h) => h.response === "loss-of-response")) {
    antiTnfPriorFactor = mod.secondAntiTnfAfterLossOfResponse.value;
    notes.push("loss of response to an anti-TNF: a second anti-TNF does somewhat worse");
  }
  const band = p.activity.band;
  let efficacyMult =
    band === "severe" ? mod.severeDiseaseEfficacy.value : band === "mild" ? mod.mildDiseaseEfficacy.value : 1;
  const influences = evaluateBiomarkers(p, space);
  let relapseMult = 1;
  let mabMult = 1;
  for (const b of influences) {
    if (b.effect === "drug efficacy") efficacyMult *= b.multiplier;
    if (b.effect === "relapse hazard") relapseMult *= b.multiplier;
    if (b.effect === "monoclonal-antibody efficacy") mabMult *= b.multiplier;
  }
  let surgeryMult = 1;
  const beh = p.diagnosis.montreal.behaviour;
  if (beh === "B2" || beh === "B3") {
    surgeryMult *= mod.complicatedBehaviourSurgery.value;
    notes.push(`Montreal ${beh}: higher surgery risk`);
  }
  if ((p.genotype.nod2?.length ?? 0) > 0) {
    surgeryMult *= mod.nod2Surgery.value;
    notes.push("NOD2 variant: higher stricturing/surgery risk");
  }
  const hla = p.genotype.hlaDqa105 === true;
  if (hla) notes.push("HLA-DQA1*05 carrier: anti-TNF immunogenicity higher without an immunomodulator");
  return { exposed, antiTnfPriorFactor, efficacyMult, relapseMult, mabMult, surgeryMult, hla, influences, notes };
}

interface ArmInputs {
  pRem: number;
  pResp: number;
  pMaint: number;
  aeYear: number;
  relapseMult: number;
  burdenWeek: number;
  coMedAeYear: number;
}

/** The pow-bearing part of an arm, reused while consecutive arms share the same probabilities. */
interface PowMemo {
  pRem: number;
  pResp: number;
  pMaint: number;
  aR: number;
  aP: number;
  notMaint: number;
}
/** A memo that matches no arm yet. */
const emptyPowMemo = (): PowMemo => ({ pRem: NaN, pResp: NaN, pMaint: NaN, aR: 0, aP: 0, notMaint: 0 });

/**
 * The 20 numbers of one arm (induction then maintenance phase, burden, co-medication AE),
 * appended to `out` without intermediate arrays. Consecutive arms
 * often differ only in relapse multiplier or burden (the TDM gene): the weekly hazards computed
 * from the same three probabilities are taken from `memo` instead of being recomputed.
 */
function armVectorInto(out: number[], x: ArmInputs, space: PlanSpace, pf: PatientFactors, memo: PowMemo): void {
  const mod = space.efficacy.modifiers;
  if (!(memo.pRem === x.pRem && memo.pResp === x.pResp && memo.pMaint === x.pMaint)) {
    memo.pRem = x.pRem;
    memo.pResp = x.pResp;
    memo.pMaint = x.pMaint;
    memo.aR = weekly(x.pRem, INDUCTION_WEEKS);
    memo.aP = weekly(Math.max(0, x.pResp - x.pRem), INDUCTION_WEEKS);
    memo.notMaint = 1 - Math.pow(cap(x.pMaint), 1 / MAINT_WEEKS);
  }
  const aR = memo.aR;
  const aP = memo.aP;
  const rA = Math.min(0.2, memo.notMaint * x.relapseMult);
  const rec = mod.recaptureAfterInduction.value;
  const ae = x.aeYear / 52;
  const sA = (mod.surgeryPerYearActive.value * pf.surgeryMult) / 52;
  const sP = (mod.surgeryPerYearResponse.value * pf.surgeryMult) / 52;
  const sR = (mod.surgeryPerYearRemission.value * pf.surgeryMult) / 52;
  out.push(
    aR,
    aP,
    aR,
    rA,
    rA,
    ae,
    sA,
    sP,
    sR,
    aR * rec,
    aP * rec,
    aR * rec,
    rA,
    rA,
    ae,
    sA,
    sP,
    sR,
    x.burdenWeek,
    x.coMedAeYear / 52,
  );
}

/** Builds the GA problem for a patient. */
export function buildProblem(
  p: PatientSummary,
  space: PlanSpace,
  opts: {
    mode: OptimizerMode;
    weights: FitnessWeights;
    constraints: OptimizerConstraints;
    scale?: number;
  },
): { problem: GaProblem; factors: PatientFactors; blocked: Map<string, string[]> } {
  const { mode, weights, constraints } = opts;
  const scale = opts.scale ?? 1;
  const e = space.efficacy;
  const mod = e.modifiers;
  const pf = patientFactors(p, space);
  const pl = e.placebo;
  const burdenOf = (route: string, intervalWeeks: number | null) =>
    intervalWeeks === null ? (e.burden[route]?.value ?? 0) * 7 : (e.burden[route]?.value ?? 1) / intervalWeeks;

  const nAdv = space.advanced.length + 1;
  const nImm = IMMUNOMODULATORS.length + 1;
  const nFrac = space.fractions.length;
  const nTdm = 2;
  const monitoringPerTest = e.monitoring.burdenPerTest.value;
  const tdmInterval = e.monitoring.tdmIntervalWeeks.value;

  // Upper CPIC starting fraction per immunomodulator for this patient: a CPIC-adjusted dose gives
  // the exposure of a normal dose in a normal metabolizer (efficacy.json#modifiers.thiopurineExposureAtCpicDose).
  const cpicUpper = IMMUNOMODULATORS.map((id) =>
    THIOPURINES.includes(id) ? allowedThiopurineFractions(p, id, space).range[1] : 1,
  );

  // Everything that depends on the immunomodulator and its dose level only, computed once per
  // (immunomodulator, level) instead of once per arm: the same numbers, in the same order.
  const immCells = IMMUNOMODULATORS.map((id, i) => {
    const immE = drugEfficacy(e, id);
    return space.fractions.map((_, fr) => {
      const frac = at(space.fractions, effectiveFractionLevel(p, id, space, fr), "dose fraction level");
      // thiopurine exposure relative to the CPIC upper starting fraction for this patient
      const immExposure =
        id === "methotrexate" ? 1 : Math.min(1, frac / Math.max(1e-9, at(cpicUpper, i, "immunomodulator")));
      // Beside an advanced therapy, an immunomodulator adverse event stops the immunomodulator only:
      // its benefit lasts the mean time on it over the year, (1 - e^-λ)/λ for a stop rate λ per year.
      const immAeYear = immE.aeDiscontinuationPerYear!.value * immExposure;
      const persistence = immAeYear > 0 ? (1 - Math.exp(-immAeYear)) / immAeYear : 1;
      return { immExposure, immAeYear, benefitWithAdvanced: immExposure * persistence };
    });
  });
  const immEs = IMMUNOMODULATORS.map((id) => drugEfficacy(e, id));
  const eff = (v: number, base: number) => base + (v - base) * scale;
  // Per advanced therapy: its efficacy entry and the patient's multiplier (same order of products).
  const advCells = space.advanced.map((adv) => {
    const de = drugEfficacy(e, adv.id);
    let mult = pf.efficacyMult;
    const cls = adv.entry.class;
    if (cls === "anti-TNF") mult *= pf.antiTnfPriorFactor;
    if (adv.entry.route.includes("IV") || adv.entry.route.includes("SC")) mult *= pf.mabMult;
    if (cls === "anti-TNF" && p.diagnosis.montreal.perianal) mult *= mod.perianalAntiTnfEfficacy.value;
    if (adv.id === "upadacitinib" && p.diagnosis.montreal.location === "L1")
      mult *= mod.ilealUpadacitinibEfficacy.value;
    return { de, mult, cls };
  });

  const table = (after: boolean): number[] => {
    const out: number[] = [];
    const memo: PowMemo = { pRem: NaN, pResp: NaN, pMaint: NaN, aR: 0, aP: 0, notMaint: 0 };
    const exposed = pf.exposed || after;
    const pick = (x: { naive: { value: number }; exposed?: { value: number } }) =>
      exposed && x.exposed ? x.exposed.value : x.naive.value;
    // Lookups by the loop indices go through at(): in range by the loop bounds (an error would name
    // the table), and it allocates nothing.
    for (let a = 0; a < nAdv; a++)
      for (let r = 0; r < N_REG; r++)
        for (let im = 0; im < nImm; im++)
          for (let fr = 0; fr < nFrac; fr++)
            for (let td = 0; td < nTdm; td++) {
              const immId = im > 0 ? at(IMMUNOMODULATORS, im - 1, "immunomodulator") : null;
              const immE = im > 0 ? at(immEs, im - 1, "immunomodulator") : null;
              const cell = im > 0 ? at(at(immCells, im - 1, "immunomodulator"), fr, "dose fraction level") : null;
              const immExposure = cell ? cell.immExposure : 1;
              const immAeYear = cell ? cell.immAeYear : 0;
              const immBenefit = cell ? (a > 0 && immAeYear > 0 ? cell.benefitWithAdvanced : immExposure) : 1;
              let coMedAeYear = 0;
              let pRem: number,
                pResp: number,
                pMaint: number,
                aeYear = 0,
                burdenWeek = 0;
              let relapseMult = pf.relapseMult;
              if (a === 0) {
                if (immE) {
                  const s = Math.min(1, immExposure);
                  pRem =
                    pl.remissionInduction.value +
                    (immE.remissionInduction!.naive.value - pl.remissionInduction.value) * s * scale;
                  pResp =
                    pl.responseInduction.value +
                    (immE.responseInduction!.naive.value - pl.responseInduction.value) * s * scale;
                  const immMaint = at(immE.maintenanceRemission!, 0, "immunomodulator maintenanceRemission");
                  pMaint = pl.maintenanceRemission.value + (immMaint.value - pl.maintenanceRemission.value) * s * scale;
                } else {
                  pRem = pl.remissionInduction.value;
                  pResp = pl.responseInduction.value;
                  pMaint = pl.maintenanceRemission.value;
                }
                pRem *= pf.efficacyMult;
                pResp *= pf.efficacyMult;
              } else {
                const adv = at(space.advanced, a - 1, "advanced therapy");
                const { de, mult, cls } = at(advCells, a - 1, "advanced therapy");
                const reg = at(adv.regimens, Math.min(r, adv.regimens.length - 1), "regimen level");
                // Naive patients: odds ratio vs placebo (network meta-analysis) on the pooled placebo rate, so
                // trials with different end points and placebo rates are comparable.
                const ri = de.remissionInduction!;
                let pBase =
                  exposed && ri.exposed
                    ? ri.exposed.value
                    : ri.oddsRatioNaive
                      ? withOdds(pl.remissionInductionPooled.value, ri.oddsRatioNaive.value)
                      : ri.naive.value;
                // SONIC: infliximab with a thiopurine (AGA: combination for infliximab only).
                if (adv.id === "infliximab" && immId)
                  pBase = withOdds(pBase, 1 + (mod.comboInfliximabThiopurineOR.value - 1) * immBenefit);
                pRem = eff(pBase, pl.remissionInduction.value) * mult;
                pResp = Math.max(pRem, eff(pick(de.responseInduction!), pl.responseInduction.value) * mult);
                const maint = de.maintenanceRemission!;
                const maintAtLevel = at(maint, Math.min(r, maint.length - 1), "maintenanceRemission");
                pMaint =
                  eff(maintAtLevel.value, pl.maintenanceRemission.value) *
                  (cls === "anti-TNF" ? pf.antiTnfPriorFactor : 1);
                aeYear += de.aeDiscontinuationPerYear!.value;
                burdenWeek += burdenOf(reg.route, reg.intervalWeeks);
                if (cls === "anti-TNF") {
                  // Immunogenic share of loss of response scaled by HLA-DQA1*05 risk without an immunomodulator.
                  const share = mod.immunogenicShareOfLossOfResponse.value;
                  // Anti-drug antibodies: more with HLA-DQA1*05, fewer with an immunomodulator (per-drug RR).
                  let hr = 1;
                  if (pf.hla)
                    hr = td > 0 ? mod.hlaDqa105UnderProactiveTdmRR.value : mod.hlaDqa105ImmunogenicityHR.value;
                  if (immId) hr *= 1 - (1 - (e.antiDrugAntibodyRRWithImmunomodulator[adv.id]?.value ?? 1)) * immBenefit;
                  relapseMult *= 1 - share + share * hr;
                  if (td > 0) relapseMult *= mod.proactiveTdmRelapseFactor.value;
                }
                if (td > 0) burdenWeek += monitoringPerTest / tdmInterval;
              }
              if (immE) {
                if (a === 0) aeYear += immAeYear;
                else coMedAeYear = immAeYear;
                const immRoute = immId === "methotrexate" ? "SC" : "PO";
                burdenWeek += burdenOf(immRoute, immId === "methotrexate" ? 1 : null);
              }
              armVectorInto(
                out,
                { pRem, pResp, pMaint, aeYear, relapseMult, burdenWeek, coMedAeYear },
                space,
                pf,
                memo,
              );
            }
    return out;
  };

  const off: number[] = [];
  armVectorInto(
    off,
    {
      pRem: pl.remissionInduction.value * pf.efficacyMult,
      pResp: pl.responseInduction.value * pf.efficacyMult,
      pMaint: pl.maintenanceRemission.value,
      aeYear: 0,
      relapseMult: pf.relapseMult,
      burdenWeek: 0,
      coMedAeYear: 0,
    },
    space,
    pf,
    emptyPowMemo(),
  );
  off.copyWithin(0, PHASE_LEN, 2 * PHASE_LEN); // off therapy is never "induction"

  const steroid: [number, number, number, number][] = [[0, 0, 0, 0]];
  for (const s of STEROIDS) {
    const se = e.steroids[s];
    steroid.push([
      weekly(se.remissionInduction.value * scale * pf.efficacyMult, 8),
      0,
      se.extraAePerYear.value / 52,
      se.penaltyWeight.value,
    ]);
  }
  const calpro = e.monitoring.calprotectinIntervals.map((c): [number, number] => [
    c.decisionShare.value,
    monitoringPerTest / c.weeks,
  ]);
  const { forbiddenValues, forbiddenPairs: rulePairs, blocked } = gaConstraints(p, space, mode, constraints);
  // Dose, route, schedule, course and indication of each gene choice, from the same rule table.
  const forbiddenPairs = [...rulePairs, ...itemConstraints(p, space, mode).forbiddenPairs];
  const full = mode === "full";
  const init: [number, number, number] = p.activity.band === "remission" ? [1, 0, 0] : [0, 0, 1];
  const problem: GaProblem = {
    domains: domainsFor(space, mode),
    forbiddenValues,
    forbiddenPairs,
    model: {
      horizon: 52,
      inductionWeeks: INDUCTION_WEEKS,
      decisionWeeks: full ? [...DECISION_WEEKS] : [],
      layout: {
        adv: G.adv,
        reg: G.reg,
        imm: G.imm,
        frac: G.frac,
        steroid: G.steroid,
        course: G.course,
        dp: full
          ? [
              [G.dp0, G.dp0 + 1, G.dp0 + 2],
              [G.dp1, G.dp1 + 1, G.dp1 + 2],
            ]
          : [],
        switchTarget: full ? G.switchTarget : -1,
        calpro: full ? G.calpro : -1,
        tdm: full ? G.tdm : -1,
      },
      nAdv,
      nReg: N_REG,
      nImm,
      nFrac,
      nTdm,
      regCount: [1, ...space.advanced.map((a) => a.regimens.length)],
      advClass: [
        0,
        ...space.advanced.map((a) => 1 + [...new Set(space.advanced.map((x) => x.entry.class))].indexOf(a.entry.class)),
      ],
      armsFirst: table(false),
      armsAfter: table(true),
      off,
      eExit: 1 / mod.aeRecoveryWeeks.value,
      sameClassFactor: mod.sameClassSwitchInPlan.value,
      steroid,
      courseWeeks: [...COURSE_WEEKS],
      calpro,
      calproDefault: 1,
      tdmBurden: 0,
      init,
      weights: [weights.remission, weights.adverseEvent, weights.steroid, weights.burden, weights.surgery],
    },
  };
  return { problem, factors: pf, blocked };
}

/** Problems kept per plan space by `cachedProblem` (most recently used). */
export const PROBLEM_CACHE_SIZE = 32;
type BuiltProblem = ReturnType<typeof buildProblem>;
const problemCaches = new WeakMap<PlanSpace, Map<string, BuiltProblem>>();

/**
 * `buildProblem`, memoised by a hash of the patient summary and the options: the optimizer and the
 * verifier (three scales per check) ask again for the same patient, and the arm tables are the
 * costly part. The result is shared: treat it as read-only (copy before changing anything).
 */
export function cachedProblem(
  p: PatientSummary,
  space: PlanSpace,
  opts: Parameters<typeof buildProblem>[2],
): BuiltProblem {
  let cache = problemCaches.get(space);
  if (!cache) problemCaches.set(space, (cache = new Map<string, BuiltProblem>()));
  const key = createHash("sha1")
    .update(JSON.stringify([p, opts.mode, opts.weights, opts.constraints, opts.scale ?? 1]))
    .digest("base64");
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const built = buildProblem(p, space, opts);
  Object.freeze(built.problem);
  Object.freeze(built.problem.model);
  cache.set(key, built);
  if (cache.size > PROBLEM_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return built;
}
