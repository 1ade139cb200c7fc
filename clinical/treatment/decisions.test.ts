import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type { GaProblem } from "../../protocol/clinical/plan.js";
import { at } from "./at.js";
import { canonicalKey, decodePlan } from "./decode.js";
import { encodePlan } from "./encode.js";
import { DECISION_RULES, decisionConstraints, mergeDecisionConstraints } from "./decisions.js";
import { violations } from "./fitness.js";
import { runGa } from "./ga.js";
import { buildProblem } from "./model.js";
import { Xoshiro128 } from "./rng.js";
import { effectiveFractionLevel } from "./rules.js";
import { G, IMMUNOMODULATORS } from "./space.js";
import { currentMed, randomTherapyPatient } from "./testing/patients.js";
import { item, planWith } from "./testing/plans.js";
import {
  ADV,
  DECISION_CASES,
  TARGET,
  adalimumabPnr,
  adalimumabRemission,
  base,
  decoded,
  errors,
  findings,
  genome,
  ids,
  infliximabLost,
  none,
  on,
  space,
  weights,
} from "./testing/decision-cases.js";

const cases = DECISION_CASES;

describe("decision rules", () => {
  it.each(cases)("$rule fires on its case", ({ rule, fires, severity }) => {
    const f = findings(...fires).filter((x) => x.ruleId === rule);
    expect(f.length, JSON.stringify(findings(...fires), null, 1)).toBeGreaterThan(0);
    expect(f[0]?.severity).toBe(severity ?? "error");
    expect(f[0]?.reference).toMatch(/^(drugs|scores|decision-facts)\.json(#|$)/);
  });
  it.each(cases)("$rule stays quiet on its near miss", ({ rule, nearMiss }) => {
    expect(ids(...nearMiss)).not.toContain(rule);
  });

  it("names every rule in the table once, each with a case", () => {
    const table = DECISION_RULES.map((r) => r.id);
    expect(new Set(table).size).toBe(table.length);
    expect(table.filter((id) => !cases.some((c) => c.rule === id))).toEqual([]);
  });

  it("calls a budesonide course that stops without a taper a warning, prednisone an error", () => {
    const bud = findings(base, planWith([item.budesonide(8)])).find((f) => f.ruleId === "steroid-abrupt-stop");
    expect(bud?.severity).toBe("warning");
    expect(findings(base, planWith([item.prednisone(3)])).map((f) => f.ruleId)).not.toContain("steroid-abrupt-stop");
  });

  it("rejects a switch to a drug the patient had anaphylaxis to, citing the label's hypersensitivity fact", () => {
    const p: PatientSummary = {
      ...base,
      allergies: [
        {
          substance: "infliximab",
          drugClass: "anti-TNF",
          type: "allergy",
          category: "medication",
          criticality: "high",
          clinicalStatus: "active",
          reactions: [{ manifestation: "anaphylaxis", severity: "severe" }],
          ref: "AllergyIntolerance/ifx",
        },
      ],
    };
    const plan = decoded(p, { adv: ADV.ustekinumab, switchTarget: TARGET.infliximab });
    const f = findings(p, plan).find((x) => x.ruleId === "switch-target-contraindicated");
    expect(f?.reference).toBe("drugs.json#infliximab.safety.hypersensitivity");
    const { forbiddenPairs } = decisionConstraints(p, space, "full");
    expect(forbiddenPairs).toContainEqual([G.switchTarget, TARGET.infliximab, G.dp0 + 2, 2]);
  });

  it("escalation for primary non-response is an error where the label reserves it for lost response", () => {
    const plan = decoded(base, { adv: ADV.adalimumab, dp: [0, 0, 1, 0, 1, 2] });
    const f = findings(base, plan).find((x) => x.ruleId === "dp-primary-non-response");
    expect(f?.reference).toMatch(/^drugs\.json#adalimumab\.(dose_escalation|regimens\[\d+\])$/);
    expect(ids(base, decoded(base, { adv: ADV.adalimumab, dp: [0, 1, 2, 0, 1, 2] }))).not.toContain(
      "dp-primary-non-response",
    );
  });
});

describe("decoded plans", () => {
  it("continue a biologic that keeps the patient in remission at its regimen, from week 0, without induction", () => {
    const plan = decoded(adalimumabRemission, { adv: ADV.adalimumab, switchTarget: TARGET.ustekinumab });
    const ada = plan.items.filter((i) => i.drug === "adalimumab");
    expect(ada.map((i) => [i.phase, i.dose, i.startWeek])).toEqual([["maintenance", 40, 0]]);
    expect(plan.currentTherapy).toEqual([expect.objectContaining({ drug: "adalimumab", action: "continue" })]);
    expect(errors(adalimumabRemission, plan)).toEqual([]);
  });

  it("say what happens to every current drug: a lost biologic switched, azathioprine stopped beside upadacitinib, prednisone tapered", () => {
    const p = on(
      currentMed("infliximab", "loss-of-response"),
      currentMed("azathioprine", "ongoing"),
      currentMed("prednisone", "ongoing", { dose: 20 }),
    );
    const plan = decodePlan(genome({ adv: 9, reg: 0, switchTarget: TARGET.ustekinumab }), p, space);
    const by = Object.fromEntries(plan.currentTherapy.map((c) => [c.drug, c]));
    expect(by.infliximab).toMatchObject({ action: "switch", replacedBy: "upadacitinib", stopWeek: 0 });
    expect(by.azathioprine).toMatchObject({
      action: "stop",
      reference: expect.stringMatching(/upadacitinib\.interactions/) as unknown,
    });
    expect(by.prednisone).toMatchObject({ action: "taper", stopWeek: 3 });
    expect(plan.items.filter((i) => i.drug === "prednisone").map((i) => [i.phase, i.dose, i.startWeek])).toEqual([
      ["taper", 15, 0],
      ["taper", 10, 1],
      ["taper", 5, 2],
    ]);
    expect(errors(p, plan)).toEqual([]);
    // Onto prednisone from budesonide: replaced (prednisone covers the adrenal axis), not tapered.
    const bud = on(currentMed("budesonide", "ongoing", { dose: 9, unit: "mg/day", schedule: { kind: "daily" } }));
    const onto = decodePlan(
      genome({ adv: ADV.ustekinumab, steroid: 2, course: 1, switchTarget: TARGET.adalimumab }),
      bud,
      space,
    );
    expect(onto.currentTherapy).toEqual([
      expect.objectContaining({ drug: "budesonide", action: "switch", replacedBy: "prednisone" }),
    ]);
    expect(errors(bud, onto)).toEqual([]);
  });

  it("name the drug each monitoring item is for, and only drugs the plan gives", () => {
    const plan = decoded(base, { adv: 7, imm: 1, switchTarget: TARGET.ustekinumab });
    const named = /guselkumab|azathioprine|ustekinumab/;
    for (const m of plan.monitoring.filter((x) => x.test !== "calprotectin")) expect(m.reason).toMatch(named);
    expect(plan.monitoring.map((m) => m.reason).join(" ")).not.toMatch(/infliximab/);
    expect(plan.monitoring.some((m) => m.test === "lft" && /guselkumab/.test(m.reason))).toBe(true);
  });

  it("schedule upadacitinib's lipids at week 12 and a calprotectin before each decision", () => {
    const plan = decoded(base, { adv: 9, calpro: 2, switchTarget: TARGET.ustekinumab });
    expect(plan.monitoring.find((m) => m.test === "lipids")?.weeks).toEqual([12]);
    expect(plan.monitoring.filter((m) => m.test === "calprotectin").map((m) => m.weeks)).toEqual([[26], [10, 24]]);
  });

  it("taper prednisone 5 mg a week (lower steps held longer) and budesonide to 6 mg, within the course the gene gives", () => {
    const pred = decoded(base, { steroid: 2, course: 2 }).items.filter((i) => i.role === "steroid");
    expect(pred.map((i) => [i.dose, i.startWeek, i.endWeek])).toEqual([
      [40, 0, 2],
      [35, 2, 3],
      [30, 3, 4],
      [25, 4, 5],
      [20, 5, 6],
      [15, 6, 8],
      [10, 8, 10],
      [5, 10, 12],
    ]);
    const bud = decoded(base, { steroid: 1, course: 1 }).items.filter((i) => i.role === "steroid");
    expect(bud.map((i) => [i.phase, i.dose, i.startWeek, i.endWeek])).toEqual([
      ["induction", 9, 0, 6],
      ["taper", 6, 6, 8],
    ]);
  });

  it("have no decision points without an advanced therapy, and the same plan for every ignored gene", () => {
    const a = decoded(base, { adv: 0, imm: 1, dp: [0, 1, 2, 0, 0, 2], switchTarget: 3, tdm: 1 });
    const b = decoded(base, { adv: 0, imm: 1, dp: [0, 0, 0, 0, 0, 0], switchTarget: 0, tdm: 0 });
    expect(a.decisionPoints).toEqual([]);
    expect({ ...a, genome: [] }).toEqual({ ...b, genome: [] });
    expect(canonicalKey(a.genome!)).toBe(canonicalKey(b.genome!));
  });

  it("are the same plan whenever two genomes share a canonical key, and the same for the same genome", () => {
    const p = randomTherapyPatient(3);
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 30, maxLength: 30 }), (xs) => {
        const domains = [10, 3, 4, space.fractions.length, 3, 4, 3, 3, 3, 3, 3, 3, 9, 3, 2];
        const x = (i: number) => at(xs, i, "xs");
        const g1 = domains.map((d, i) => x(i) % d);
        const g2 = domains.map((d, i) => (canonicalKey(g1).split(",")[i] === "0" ? x(15 + i) % d : at(g1, i, "g1")));
        if (canonicalKey(g1) !== canonicalKey(g2)) return;
        if (g1[G.imm] !== g2[G.imm] || g1[G.frac] !== g2[G.frac]) return;
        const [a, b] = [decodePlan(g1, p, space), decodePlan(g2, p, space)];
        expect({ ...a, genome: [] }).toEqual({ ...b, genome: [] });
        expect(decodePlan(g1, p, space)).toEqual(a);
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});

/** The GA problem with the decision constraints merged, as gaConstraints will give it. */
function problemFor(p: PatientSummary, mode: "full" | "reduced" = "full"): GaProblem {
  const { problem } = buildProblem(p, space, { mode, weights, constraints: none });
  return { ...problem, ...mergeDecisionConstraints(problem, decisionConstraints(p, space, mode)) };
}

/** A uniformly drawn genome that no forbidden value or pair rules out (null after 500 tries). */
function feasibleGenome(problem: GaProblem, r: Xoshiro128): number[] | null {
  for (let t = 0; t < 500; t++) {
    const g = problem.domains.map((d, i) => {
      const forbidden = at(problem.forbiddenValues, i, "forbiddenValues");
      const ok = [...Array(d).keys()].filter((v) => !forbidden.includes(v));
      return ok.length === 0 ? -1 : at(ok, r.nextInt(ok.length), "ok");
    });
    if (g.includes(-1)) return null;
    if (violations(problem, g) === 0) return g;
  }
  return null;
}

describe("the optimizer with the decision constraints", () => {
  const gaCfg = {
    populationSize: 40,
    generations: 25,
    mutationRate: 0.1,
    crossoverRate: 0.9,
    elitismCount: 2,
    tournamentSize: 3,
    seed: 7,
    topK: 3,
    progressEvery: 10,
  };

  it("keeps a patient in remission on adalimumab on adalimumab, also in pregnancy", () => {
    for (const pregnant of [false, true]) {
      const p: PatientSummary = {
        ...adalimumabRemission,
        demographics: { ...base.demographics, sex: "female" },
        activity: { ...base.activity, band: "remission" },
        comorbidities: { ...base.comorbidities, pregnant },
      };
      const best = runGa(problemFor(p), gaCfg).best;
      const plan = decodePlan(best.genome, p, space);
      expect(plan.items.filter((i) => i.role === "advanced").map((i) => [i.drug, i.phase, i.startWeek])).toEqual([
        ["adalimumab", "maintenance", 0],
      ]);
      expect(plan.currentTherapy.find((c) => c.drug === "adalimumab")?.action).toBe("continue");
      expect(errors(p, plan)).toEqual([]);
    }
  });

  it("escalates or switches a biologic whose response was lost, and switches out one that never worked", () => {
    const lost = runGa(problemFor(infliximabLost), gaCfg).best;
    const lostPlan = decodePlan(lost.genome, infliximabLost, space);
    const ifx = lostPlan.items.find((i) => i.drug === "infliximab");
    if (ifx) expect(ifx.dose).toBe(10);
    expect(lostPlan.currentTherapy.map((c) => c.drug)).toEqual(["infliximab"]);
    const pnr = decodePlan(runGa(problemFor(adalimumabPnr), gaCfg).best.genome, adalimumabPnr, space);
    expect(pnr.items.map((i) => i.drug)).not.toContain("adalimumab");
    for (const dp of pnr.decisionPoints)
      for (const a of [dp.onRemission, dp.onPartialResponse, dp.onNoResponse])
        if (a.kind === "switch") expect(a.drug).not.toBe("adalimumab");
  });

  it("never decodes a feasible genome into a plan with an error from the decision rules, and reads it back (generated patients)", async () => {
    let checked = 0;
    // Async so that each run gives the event loop a turn: 150 runs as one synchronous block took 11-14 s
    // on a loaded machine, a fifth of the 60 s a vitest worker's RPC waits (see ga.test.ts).
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        async (seed, gSeed) => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          const p = randomTherapyPatient(seed);
          for (const mode of ["full", "reduced"] as const) {
            const g = feasibleGenome(problemFor(p, mode), new Xoshiro128(gSeed));
            if (!g) continue;
            checked++;
            const plan = decodePlan(g, p, space);
            expect(errors(p, plan), `seed ${seed}, genome ${g.join()}`).toEqual([]);
            // The decoder's monitoring meets its own warnings too.
            const own = [
              "monitoring-unrelated-drug",
              "monitoring-label-missing",
              "tdm-before-escalation",
              "drug-level-no-target",
              "steroid-taper-fast",
            ];
            expect(
              findings(p, plan).filter((f) => own.includes(f.ruleId)),
              `seed ${seed}, genome ${g.join()}`,
            ).toEqual([]);
            // A plan that lost its genome reads back to the same one (the model scores what it says).
            if (mode === "full") {
              const norm = [...g];
              const imm = at(norm, G.imm, "genome");
              if (imm > 0)
                norm[G.frac] = effectiveFractionLevel(
                  p,
                  at(IMMUNOMODULATORS, imm - 1, "immunomodulator gene"),
                  space,
                  at(norm, G.frac, "genome"),
                );
              const { genome: _g, ...bare } = plan;
              expect(canonicalKey(encodePlan(bare, space)), `seed ${seed}, genome ${g.join()}`).toBe(
                canonicalKey(norm),
              );
            }
          }
        },
      ),
      { numRuns: 150, seed: 2024 },
    );
    expect(checked).toBeGreaterThan(200);
  });
});
