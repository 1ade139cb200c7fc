import type { GaProblem } from "../../protocol/index.js";

/**
 * The decision-analytic fitness: a weekly cohort (Markov) model over the horizon. This is the one
 * piece of code duplicated in Rust (native/src/fitness.rs); both perform the same floating-point
 * operations in the same order, so they agree to the last bit (tests allow 1e-9). Only + - * /
 * are used here: anything needing pow/exp is precomputed in TypeScript (model.ts) and passed in.
 * See agents/optimizer/MODEL.md.
 */

/**
 * Numbers per arm: 9 weekly hazards for the induction phase, 9 for maintenance, then burden/week,
 * then the weekly rate of co-medication adverse events (counted; they stop the co-medication only,
 * so no state changes).
 */
export const ARM_LEN = 20;
/** Hazard offsets inside one phase. */
export const H = { aR: 0, aP: 1, pR: 2, pA: 3, rA: 4, ae: 5, sA: 6, sP: 7, sR: 8 } as const;
export const PHASE_LEN = 9;
/** Fitness of an infeasible plan is INFEASIBLE minus its number of violations. */
export const INFEASIBLE = -1e6;

export interface Breakdown {
  fitness: number;
  feasible: boolean;
  violations: number;
  remissionWeeks: number;
  adverseEvents: number;
  pSurgery: number;
  steroidWeeks: number;
  burden: number;
  pRemission12: number;
  pRemission52: number;
}

/** Number of violated hard constraints (forbidden values, then forbidden pairs). */
export function violations(p: GaProblem, g: readonly number[]): number {
  // `!`: indices are in range by the loop bounds (one forbidden-value list per gene).
  let n = 0;
  for (let i = 0; i < g.length; i++) {
    const fv = p.forbiddenValues[i]!;
    for (let j = 0; j < fv.length; j++) if (fv[j] === g[i]) n++;
  }
  const fp = p.forbiddenPairs;
  for (let k = 0; k < fp.length; k++) {
    const q = fp[k]!;
    if (g[q[0]] === q[1] && g[q[2]] === q[3]) n++;
  }
  return n;
}

/** Fitness only (the GA's hot path). */
export function fitness(p: GaProblem, g: readonly number[]): number {
  return evaluate(p, g).fitness;
}

/** Fitness and its parts. */
export function evaluate(p: GaProblem, g: readonly number[]): Breakdown {
  const v = violations(p, g);
  if (v > 0) {
    return {
      fitness: INFEASIBLE - v,
      feasible: false,
      violations: v,
      remissionWeeks: 0,
      adverseEvents: 0,
      pSurgery: 0,
      steroidWeeks: 0,
      burden: 0,
      pRemission12: 0,
      pRemission52: 0,
    };
  }
  // `!`: indices are in range by the loop bounds and the problem's layout (a gene value < its table's length).
  const m = p.model;
  const L = m.layout;
  const nDp = m.decisionWeeks.length;
  const nArms = 3 + 3 * nDp + 1; // initial x3 regimen levels, per decision point x3, off
  const off = nArms - 1;
  const adv = L.adv >= 0 ? g[L.adv]! : 0;
  const reg0 = L.reg >= 0 && adv > 0 ? g[L.reg]! : 0;
  const imm = L.imm >= 0 ? g[L.imm]! : 0;
  const frac = L.frac >= 0 && imm > 0 ? g[L.frac]! : 0;
  const tdm = L.tdm >= 0 ? g[L.tdm]! : 0;
  const steroid = L.steroid >= 0 ? g[L.steroid]! : 0;
  const course = steroid > 0 && L.course >= 0 ? m.courseWeeks[g[L.course]!]! : 0;
  const calproOpt = L.calpro >= 0 ? g[L.calpro]! : m.calproDefault;
  const acc = m.calpro[calproOpt]![0];
  const target = L.switchTarget >= 0 ? g[L.switchTarget]! + 1 : 0;
  const st = m.steroid[steroid]!;

  // Arm a: drug, regimen level, entry week, parameter table (0 first, 1 after a switch).
  const armDrug = new Array<number>(nArms).fill(0);
  const armReg = new Array<number>(nArms).fill(0);
  const armEntry = new Array<number>(nArms).fill(0);
  const armAfter = new Array<boolean>(nArms).fill(false);
  for (let r = 0; r < 3; r++) {
    armDrug[r] = adv;
    armReg[r] = r;
  }
  for (let k = 0; k < nDp; k++) {
    for (let r = 0; r < 3; r++) {
      const a = 3 + 3 * k + r;
      armDrug[a] = target;
      armReg[a] = r;
      armEntry[a] = m.decisionWeeks[k]!;
      armAfter[a] = true;
    }
  }
  const sameClass = adv > 0 && target > 0 && m.advClass[adv] === m.advClass[target];

  const mass = new Float64Array(nArms * 5); // per arm: R, P, A, E, S
  mass[reg0 * 5 + 0] = m.init[0];
  mass[reg0 * 5 + 1] = m.init[1];
  mass[reg0 * 5 + 2] = m.init[2];

  const monBurden = m.calpro[calproOpt]![1] + (tdm > 0 ? m.tdmBurden : 0);
  let remWeeks = 0;
  let aeEvents = 0;
  let burden = 0;
  let pRem12 = 0;
  const next = new Float64Array(nArms * 5);
  const snap = new Float64Array(nArms * 5);

  for (let t = 0; t < m.horizon; t++) {
    for (let k = 0; k < nDp; k++) {
      if (m.decisionWeeks[k] !== t) continue;
      snap.set(mass);
      for (let a = 0; a < off; a++) {
        const d = armDrug[a]!;
        if (d === 0) continue;
        for (let s = 0; s < 3; s++) {
          const x = snap[a * 5 + s]!;
          if (x === 0) continue;
          const action = g[L.dp[k]![s]!];
          let b = -1;
          if (action === 1) {
            const r = armReg[a]! + 1;
            if (r < m.regCount[d]!) b = a + 1;
          } else if (action === 2) {
            if (d !== target) b = 3 + 3 * k;
          }
          if (b < 0) continue;
          const moved = x * acc;
          mass[a * 5 + s]! -= moved;
          mass[b * 5 + s]! += moved;
        }
      }
    }

    let toOff = 0;
    for (let a = 0; a < nArms; a++) {
      const o = a * 5;
      const R = mass[o]!,
        P = mass[o + 1]!,
        A = mass[o + 2]!,
        E = mass[o + 3]!,
        S = mass[o + 4]!;
      if (R === 0 && P === 0 && A === 0 && E === 0 && S === 0) {
        next[o] = 0;
        next[o + 1] = 0;
        next[o + 2] = 0;
        next[o + 3] = 0;
        next[o + 4] = 0;
        continue;
      }
      let tab: readonly number[];
      let base: number;
      if (a === off) {
        tab = m.off;
        base = 0;
      } else {
        tab = armAfter[a] ? m.armsAfter : m.armsFirst;
        base = ((((armDrug[a]! * m.nReg + armReg[a]!) * m.nImm + imm) * m.nFrac + frac) * m.nTdm + tdm) * ARM_LEN;
      }
      const ph = a !== off && t - armEntry[a]! < m.inductionWeeks ? 0 : PHASE_LEN;
      let aR = tab[base + ph + H.aR]!;
      let aP = tab[base + ph + H.aP]!;
      let pR = tab[base + ph + H.pR]!;
      const pA = tab[base + ph + H.pA]!;
      const rA = tab[base + ph + H.rA]!;
      let ae = tab[base + ph + H.ae]!;
      const sA = tab[base + ph + H.sA]!;
      const sP = tab[base + ph + H.sP]!;
      const sR = tab[base + ph + H.sR]!;
      if (armAfter[a] && sameClass) {
        aR = aR * m.sameClassFactor;
        aP = aP * m.sameClassFactor;
        pR = pR * m.sameClassFactor;
      }
      if (t < course) {
        aR = 1 - (1 - aR) * (1 - st[0]);
        aP = 1 - (1 - aP) * (1 - st[1]);
        ae = ae + st[2];
      }
      next[o] = R * (1 - rA - ae - sR) + P * pR + A * aR;
      next[o + 1] = P * (1 - pR - pA - ae - sP) + A * aP;
      next[o + 2] = A * (1 - aR - aP - ae - sA) + R * rA + P * pA;
      next[o + 3] = E * (1 - m.eExit) + (R + P + A) * ae;
      next[o + 4] = S + A * sA + P * sP + R * sR;
      aeEvents += (R + P + A) * ae;
      toOff += E * m.eExit;
      if (a !== off) {
        burden += (R + P + A) * tab[base + 2 * PHASE_LEN]!;
        aeEvents += (R + P + A) * tab[base + 2 * PHASE_LEN + 1]!;
      }
    }
    next[off * 5 + 2]! += toOff;
    mass.set(next);

    let rem = 0;
    for (let a = 0; a < nArms; a++) rem += mass[a * 5]!;
    remWeeks += rem;
    burden += monBurden;
    if (t === 11) pRem12 = rem;
  }

  let surg = 0;
  for (let a = 0; a < nArms; a++) surg += mass[a * 5 + 4]!;
  let pRem52 = 0;
  for (let a = 0; a < nArms; a++) pRem52 += mass[a * 5]!;
  const steroidPenalty = course * st[3];
  const w = m.weights;
  const f = w[0] * remWeeks - w[1] * aeEvents - w[2] * steroidPenalty - w[3] * burden - w[4] * surg;
  return {
    fitness: f,
    feasible: true,
    violations: 0,
    remissionWeeks: remWeeks,
    adverseEvents: aeEvents,
    pSurgery: surg,
    steroidWeeks: course,
    burden,
    pRemission12: pRem12,
    pRemission52: pRem52,
  };
}
