//! The decision-analytic fitness, a twin of `clinical/treatment/fitness.ts`: the same
//! floating-point operations on the same operands in the same order, so results are
//! bit-identical; keep them in step when either changes. The loops are arranged differently
//! (weeks run in blocks with fixed coefficients, see `run_weeks`), never the arithmetic.

use std::cell::RefCell;

use crate::problem::Problem;

/// Buffers reused across evaluations on one thread (the hot path allocates nothing).
#[derive(Default)]
struct Scratch {
    mass: Vec<[f64; 5]>,
    snap: Vec<[f64; 5]>,
    ind_end: Vec<usize>,
    coef: Vec<[f64; N_COEF]>,
    active: Vec<usize>,
    movers: Vec<usize>,
    /// Per active arm (in `active` order), the index in `coef` of its current coefficients.
    sets: Vec<usize>,
}

const N_COEF: usize = 14;
const C_RR: usize = 0;
const C_PR: usize = 1;
const C_AR: usize = 2;
const C_PP: usize = 3;
const C_AP: usize = 4;
const C_AA: usize = 5;
const C_RA: usize = 6;
const C_PA: usize = 7;
const C_AE: usize = 8;
const C_SA: usize = 9;
const C_SP: usize = 10;
const C_SR: usize = 11;
const C_BURDEN: usize = 12;
const C_COMED: usize = 13;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Numbers per arm: 9 hazards for induction, 9 for maintenance, burden per week, weekly rate of
/// co-medication adverse events (counted only).
pub(crate) const ARM_LEN: usize = 20;
const PHASE_LEN: usize = 9;
/// Fitness of an infeasible plan is `INFEASIBLE` minus its number of violations.
pub const INFEASIBLE: f64 = -1e6;

/// Fitness and its parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breakdown {
    /// The fitness.
    pub fitness: f64,
    /// Whether no hard constraint is violated.
    pub feasible: bool,
    /// Number of violated hard constraints.
    pub violations: usize,
    /// Expected weeks in remission.
    pub remission_weeks: f64,
    /// Expected adverse events leading to discontinuation.
    pub adverse_events: f64,
    /// Probability of surgery by the horizon.
    pub p_surgery: f64,
}

/// Number of violated hard constraints (forbidden values, then forbidden pairs).
pub fn violations(p: &Problem, g: &[usize]) -> usize {
    let mut n = 0;
    for (i, fv) in p.forbidden_values.iter().enumerate() {
        for &v in fv {
            if v == g[i] {
                n += 1;
            }
        }
    }
    for q in &p.forbidden_pairs {
        if g[q[0]] == q[1] && g[q[2]] == q[3] {
            n += 1;
        }
    }
    n
}

fn gene(g: &[usize], idx: i32) -> Option<usize> {
    if idx >= 0 {
        Some(g[idx as usize])
    } else {
        None
    }
}

/// The arms of one genome: arms 0..3 run the first advanced therapy at regimen levels 0..3,
/// arms 3 + 3k..3 + 3k + 3 the switch target from decision point k, the last arm is off therapy.
struct Arms<'a> {
    m: &'a crate::problem::Model,
    off: usize,
    adv: usize,
    target: usize,
    imm: usize,
    frac: usize,
    tdm: usize,
    same_class: bool,
    st: [f64; 4],
    /// Weeks of steroid course (the steroid state is "on" while `t < course`).
    course: usize,
}

impl Arms<'_> {
    /// Advanced option of arm `a` (not the off arm).
    fn drug(&self, a: usize) -> usize {
        if a < 3 {
            self.adv
        } else {
            self.target
        }
    }

    /// Regimen level of arm `a` (not the off arm).
    fn reg(&self, a: usize) -> usize {
        a % 3
    }

    /// Whether arm `a` runs a therapy started by a switch.
    fn after(&self, a: usize) -> bool {
        a >= 3 && a != self.off
    }

    /// Prepares arm `a` when it first receives mass, in week `t`: zero mass, the week its
    /// maintenance phase starts, and its coefficients.
    fn activate(
        &self,
        a: usize,
        t: usize,
        coef: &mut [[f64; N_COEF]],
        ind_end: &mut [usize],
        mass: &mut [[f64; 5]],
    ) {
        let m = self.m;
        mass[a] = [0.0; 5];
        ind_end[a] = if a == self.off {
            0
        } else if a < 3 {
            m.induction_weeks
        } else {
            m.decision_weeks[(a - 3) / 3] + m.induction_weeks
        };
        self.fill(a, t, ind_end[a], coef);
    }

    /// Per phase (induction, maintenance) and steroid state (off, on): the coefficients of arm
    /// `a`'s weekly update, computed with the same operations in the same order as the update
    /// itself in TypeScript. Only the sets that weeks `t..` can use are written (the induction
    /// phase only if it ends after `t`, the steroid state "on" only if the course does); the
    /// others are never read.
    fn fill(&self, a: usize, t: usize, ind_end: usize, coef: &mut [[f64; N_COEF]]) {
        let m = self.m;
        let st = self.st;
        let after = self.after(a);
        let base = if a == self.off {
            0
        } else {
            ((((self.drug(a) * m.n_reg + self.reg(a)) * m.n_imm + self.imm) * m.n_frac + self.frac)
                * m.n_tdm
                + self.tdm)
                * ARM_LEN
        };
        let (tab, base): (&[f64], usize) = if a == self.off {
            (&m.off, 0)
        } else if after {
            (&m.arms_after, base)
        } else {
            (&m.arms_first, base)
        };
        let first_ph = usize::from(ind_end <= t);
        let last_on = usize::from(self.course > t);
        for ph in first_ph..2 {
            let h = &tab[base + ph * PHASE_LEN..base + (ph + 1) * PHASE_LEN];
            for on in 0..=last_on {
                let (mut h_ar, mut h_ap, mut h_pr) = (h[0], h[1], h[2]);
                let (h_pa, h_ra) = (h[3], h[4]);
                let mut h_ae = h[5];
                let (h_sa, h_sp, h_sr) = (h[6], h[7], h[8]);
                if after && self.same_class {
                    h_ar *= m.same_class_factor;
                    h_ap *= m.same_class_factor;
                    h_pr *= m.same_class_factor;
                }
                if on == 1 {
                    h_ar = 1.0 - (1.0 - h_ar) * (1.0 - st[0]);
                    h_ap = 1.0 - (1.0 - h_ap) * (1.0 - st[1]);
                    h_ae += st[2];
                }
                let c = &mut coef[(a * 2 + ph) * 2 + on];
                c[C_RR] = 1.0 - h_ra - h_ae - h_sr;
                c[C_PR] = h_pr;
                c[C_AR] = h_ar;
                c[C_PP] = 1.0 - h_pr - h_pa - h_ae - h_sp;
                c[C_AP] = h_ap;
                c[C_AA] = 1.0 - h_ar - h_ap - h_ae - h_sa;
                c[C_RA] = h_ra;
                c[C_PA] = h_pa;
                c[C_AE] = h_ae;
                c[C_SA] = h_sa;
                c[C_SP] = h_sp;
                c[C_SR] = h_sr;
                if a != self.off {
                    c[C_BURDEN] = tab[base + 2 * PHASE_LEN];
                    c[C_COMED] = tab[base + 2 * PHASE_LEN + 1];
                } else {
                    c[C_BURDEN] = 0.0;
                    c[C_COMED] = 0.0;
                }
            }
        }
    }
}

/// Evaluates a genome of a validated problem.
pub fn evaluate(p: &Problem, g: &[usize]) -> Breakdown {
    SCRATCH.with(|s| evaluate_in(p, g, violations(p, g), &mut s.borrow_mut()))
}

/// Evaluates many genomes of one validated problem: the forbidden values become a per-gene
/// count table (same counts as `violations`) and the scratch buffers are owned, not shared.
pub(crate) struct Evaluator<'a> {
    p: &'a Problem,
    /// Start of each gene's slice of `fv_count`.
    fv_offset: Vec<usize>,
    /// Per gene and value, how many times the value is listed as forbidden.
    fv_count: Vec<u32>,
    scratch: Scratch,
}

impl<'a> Evaluator<'a> {
    /// Prepares `p`, which must be validated.
    pub(crate) fn new(p: &'a Problem) -> Self {
        let mut fv_offset = Vec::with_capacity(p.domains.len());
        let mut total = 0;
        for &d in &p.domains {
            fv_offset.push(total);
            total += d;
        }
        let mut fv_count = vec![0u32; total];
        for (i, fv) in p.forbidden_values.iter().enumerate() {
            for &v in fv {
                if v < p.domains[i] {
                    fv_count[fv_offset[i] + v] += 1;
                }
            }
        }
        Evaluator {
            p,
            fv_offset,
            fv_count,
            scratch: Scratch::default(),
        }
    }

    /// Fitness of `g`, whose values must lie within their domains.
    pub(crate) fn fitness(&mut self, g: &[usize]) -> f64 {
        let p = self.p;
        let mut v = 0usize;
        for (i, &x) in g.iter().enumerate() {
            v += self.fv_count[self.fv_offset[i] + x] as usize;
        }
        for q in &p.forbidden_pairs {
            if g[q[0]] == q[1] && g[q[2]] == q[3] {
                v += 1;
            }
        }
        evaluate_in(p, g, v, &mut self.scratch).fitness
    }
}

/// The running sums of the week loop.
#[derive(Clone, Copy)]
struct Sums {
    rem_weeks: f64,
    ae_events: f64,
    burden: f64,
}

/// Per-genome constants of the week loop.
#[derive(Clone, Copy)]
struct Rates {
    /// `1 - e_exit`.
    stay_e: f64,
    /// Weekly rate of leaving the adverse-event state.
    e_exit: f64,
    /// Monitoring burden per week.
    mon_burden: f64,
}

/// Whether every compartment of `x` is zero: such an arm adds nothing and stays zero.
#[inline(always)]
fn is_empty(x: &[f64; 5]) -> bool {
    x[0] == 0.0 && x[1] == 0.0 && x[2] == 0.0 && x[3] == 0.0 && x[4] == 0.0
}

/// One week of arm `x` with coefficients `c`: updates `x` and returns `live`, for the sums.
/// The same operations in the same order as TypeScript's weekly update.
#[inline(always)]
fn step(x: &mut [f64; 5], c: &[f64; N_COEF], stay_e: f64) -> f64 {
    let [r, pp, aa, e, s] = *x;
    let live = r + pp + aa;
    *x = [
        r * c[C_RR] + pp * c[C_PR] + aa * c[C_AR],
        pp * c[C_PP] + aa * c[C_AP],
        aa * c[C_AA] + r * c[C_RA] + pp * c[C_PA],
        e * stay_e + live * c[C_AE],
        s + aa * c[C_SA] + pp * c[C_SP] + r * c[C_SR],
    ];
    live
}

/// Runs `len` weeks during which no decision is taken and every arm keeps its coefficients:
/// the `N` active arms other than the off arm (masses `xs`, in arm order, coefficients `cs`),
/// then the off arm (`xo`, `co`), which also receives the mass leaving the adverse-event state.
/// Sums are taken in the same order as in TypeScript: per week, arm by arm in index order.
/// With `N` fixed at compile time the masses and sums stay in registers for the whole block.
#[inline(always)]
fn run_weeks<const N: usize>(
    xs: &mut [[f64; 5]; N],
    cs: &[&[f64; N_COEF]; N],
    xo: &mut [f64; 5],
    co: &[f64; N_COEF],
    len: usize,
    k: Rates,
    sums: &mut Sums,
) {
    let mut x = *xs;
    let mut o = *xo;
    let Sums {
        mut rem_weeks,
        mut ae_events,
        mut burden,
    } = *sums;
    for _ in 0..len {
        let mut to_off = 0.0f64;
        let mut rem = 0.0f64;
        for i in 0..N {
            if is_empty(&x[i]) {
                x[i] = [0.0; 5];
                continue;
            }
            let c = cs[i];
            let e = x[i][3];
            let live = step(&mut x[i], c, k.stay_e);
            ae_events += live * c[C_AE];
            to_off += e * k.e_exit;
            burden += live * c[C_BURDEN];
            ae_events += live * c[C_COMED];
            rem += x[i][0];
        }
        if is_empty(&o) {
            o = [0.0; 5];
        } else {
            let e = o[3];
            let live = step(&mut o, co, k.stay_e);
            ae_events += live * co[C_AE];
            to_off += e * k.e_exit;
            rem += o[0];
        }
        o[2] += to_off;
        rem_weeks += rem;
        burden += k.mon_burden;
    }
    *xs = x;
    *xo = o;
    *sums = Sums {
        rem_weeks,
        ae_events,
        burden,
    };
}

/// `run_weeks` for `N` arms: `arms` lists the active arms in index order (the off arm last),
/// `sets` their coefficient sets. Copies the masses in and out of `mass`. Not inlined: each
/// instance gets its own register allocation, which measured faster than one large function.
#[inline(never)]
fn run_fixed<const N: usize>(
    arms: &[usize],
    sets: &[usize],
    mass: &mut [[f64; 5]],
    coef: &[[f64; N_COEF]],
    len: usize,
    k: Rates,
    sums: &mut Sums,
) {
    let mut xs = [[0.0; 5]; N];
    let mut cs = [&coef[sets[N]]; N];
    for i in 0..N {
        xs[i] = mass[arms[i]];
        cs[i] = &coef[sets[i]];
    }
    let mut xo = mass[arms[N]];
    run_weeks::<N>(&mut xs, &cs, &mut xo, &coef[sets[N]], len, k, sums);
    for i in 0..N {
        mass[arms[i]] = xs[i];
    }
    mass[arms[N]] = xo;
}

/// `run_weeks` for any number of arms, masses read and written in `mass` (for the rare weeks
/// with more active arms than `run_fixed` is instantiated for).
fn run_any(
    arms: &[usize],
    sets: &[usize],
    mass: &mut [[f64; 5]],
    coef: &[[f64; N_COEF]],
    len: usize,
    k: Rates,
    sums: &mut Sums,
) {
    let off = arms.len() - 1;
    for _ in 0..len {
        let mut to_off = 0.0f64;
        let mut rem = 0.0f64;
        for (i, (&a, &ci)) in arms.iter().zip(sets).enumerate() {
            if is_empty(&mass[a]) {
                mass[a] = [0.0; 5];
                continue;
            }
            let c = &coef[ci];
            let e = mass[a][3];
            let live = step(&mut mass[a], c, k.stay_e);
            sums.ae_events += live * c[C_AE];
            to_off += e * k.e_exit;
            if i != off {
                sums.burden += live * c[C_BURDEN];
                sums.ae_events += live * c[C_COMED];
            }
            rem += mass[a][0];
        }
        mass[arms[off]][2] += to_off;
        sums.rem_weeks += rem;
        sums.burden += k.mon_burden;
    }
}

fn evaluate_in(p: &Problem, g: &[usize], v: usize, sc: &mut Scratch) -> Breakdown {
    if v > 0 {
        return Breakdown {
            fitness: INFEASIBLE - v as f64,
            feasible: false,
            violations: v,
            remission_weeks: 0.0,
            adverse_events: 0.0,
            p_surgery: 0.0,
        };
    }
    let m = &p.model;
    let l = &m.layout;
    let n_dp = m.decision_weeks.len();
    let n_arms = 3 + 3 * n_dp + 1;
    let off = n_arms - 1;
    let adv = gene(g, l.adv).unwrap_or(0);
    let reg0 = if adv > 0 {
        gene(g, l.reg).unwrap_or(0)
    } else {
        0
    };
    let imm = gene(g, l.imm).unwrap_or(0);
    let frac = if imm > 0 {
        gene(g, l.frac).unwrap_or(0)
    } else {
        0
    };
    let tdm = gene(g, l.tdm).unwrap_or(0);
    let steroid = gene(g, l.steroid).unwrap_or(0);
    let course = if steroid > 0 {
        gene(g, l.course).map_or(0, |c| m.course_weeks[c])
    } else {
        0
    };
    let calpro_opt = gene(g, l.calpro).unwrap_or(m.calpro_default);
    let acc = m.calpro[calpro_opt][0];
    let target = gene(g, l.switch_target).map_or(0, |t| t + 1);
    let st = m.steroid[steroid];

    let same_class = adv > 0 && target > 0 && m.adv_class[adv] == m.adv_class[target];
    let mon_burden = m.calpro[calpro_opt][1] + if tdm > 0 { m.tdm_burden } else { 0.0 };
    let mut sums = Sums {
        rem_weeks: 0.0,
        ae_events: 0.0,
        burden: 0.0,
    };

    let Scratch {
        mass,
        snap,
        ind_end,
        coef,
        active,
        movers,
        sets,
    } = sc;
    // Only arms that ever held mass are simulated: an arm whose mass is all zero stays zero and
    // adds nothing (the TypeScript loop skips it too), and adding +0.0 to a sum that starts at
    // +0.0 never changes it. `active` stays sorted, so arms are visited in index order and sums
    // are taken in the same order as in TypeScript; the off arm, the last index, comes last. An
    // arm's mass, coefficients and phase end are written when it first receives mass; the
    // buffers are never read for inactive arms.
    if mass.len() < n_arms {
        mass.resize(n_arms, [0.0; 5]);
        snap.resize(n_arms, [0.0; 5]);
        ind_end.resize(n_arms, 0);
        coef.resize(n_arms * 4, [0.0; N_COEF]);
    }
    let mass = &mut mass[..n_arms];
    let cx = Arms {
        m,
        off,
        adv,
        target,
        imm,
        frac,
        tdm,
        same_class,
        st,
        course,
    };
    active.clear();
    active.push(reg0);
    cx.activate(reg0, 0, coef, ind_end, mass);
    // Per arm: R, P, A, E, S.
    mass[reg0] = [m.init[0], m.init[1], m.init[2], 0.0, 0.0];
    active.push(off);
    cx.activate(off, 0, coef, ind_end, mass);
    let rates = Rates {
        stay_e: 1.0 - m.e_exit,
        e_exit: m.e_exit,
        mon_burden,
    };

    // The horizon runs in blocks of weeks: a block starts at week 0, at a decision week, at the
    // end of an arm's induction phase or at the end of the steroid course, so within a block
    // no arm starts, stops or changes coefficients.
    let mut t = 0;
    while t < m.horizon {
        for k in 0..n_dp {
            if m.decision_weeks[k] != t {
                continue;
            }
            // Decisions read the masses as they were before any of this decision point's moves.
            for &a in active.iter() {
                snap[a] = mass[a];
            }
            movers.clear();
            movers.extend_from_slice(active);
            for &a in movers.iter() {
                if a == off {
                    continue;
                }
                let d = cx.drug(a);
                if d == 0 {
                    continue;
                }
                for s in 0..3 {
                    let x = snap[a][s];
                    if x == 0.0 {
                        continue;
                    }
                    let action = g[l.dp[k][s] as usize];
                    let mut b: Option<usize> = None;
                    if action == 1 {
                        if cx.reg(a) + 1 < m.reg_count[d] {
                            b = Some(a + 1);
                        }
                    } else if action == 2 && d != target {
                        b = Some(3 + 3 * k);
                    }
                    let Some(b) = b else { continue };
                    if let Err(pos) = active.binary_search(&b) {
                        active.insert(pos, b);
                        cx.activate(b, t, coef, ind_end, mass);
                    }
                    let moved = x * acc;
                    mass[a][s] -= moved;
                    mass[b][s] += moved;
                }
            }
        }

        let on = usize::from(t < course);
        let mut end = m.horizon;
        for &w in &m.decision_weeks {
            if w > t {
                end = end.min(w);
            }
        }
        if course > t {
            end = end.min(course);
        }
        sets.clear();
        for &a in active.iter() {
            let ph = usize::from(t >= ind_end[a]);
            if ph == 0 {
                end = end.min(ind_end[a]);
            }
            sets.push((a * 2 + ph) * 2 + on);
        }
        let len = end - t;
        match active.len() - 1 {
            1 => run_fixed::<1>(active, sets, mass, coef, len, rates, &mut sums),
            2 => run_fixed::<2>(active, sets, mass, coef, len, rates, &mut sums),
            3 => run_fixed::<3>(active, sets, mass, coef, len, rates, &mut sums),
            4 => run_fixed::<4>(active, sets, mass, coef, len, rates, &mut sums),
            _ => run_any(active, sets, mass, coef, len, rates, &mut sums),
        }
        t = end;
    }

    let Sums {
        rem_weeks,
        ae_events,
        burden,
    } = sums;
    let mut surg = 0.0f64;
    for &a in active.iter() {
        surg += mass[a][4];
    }
    let steroid_penalty = course as f64 * st[3];
    let w = m.weights;
    let f =
        w[0] * rem_weeks - w[1] * ae_events - w[2] * steroid_penalty - w[3] * burden - w[4] * surg;
    Breakdown {
        fitness: f,
        feasible: true,
        violations: 0,
        remission_weeks: rem_weeks,
        adverse_events: ae_events,
        p_surgery: surg,
    }
}
