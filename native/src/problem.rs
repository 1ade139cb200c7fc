use serde::{Deserialize, Serialize};

use crate::error::GaError;
use crate::fitness::ARM_LEN;

/// Gene index of each plan part; -1 when absent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// Advanced therapy.
    pub adv: i32,
    /// Its regimen level.
    pub reg: i32,
    /// Immunomodulator.
    pub imm: i32,
    /// Its dose-fraction level.
    pub frac: i32,
    /// Steroid bridge.
    pub steroid: i32,
    /// Its course length option.
    pub course: i32,
    /// Per decision point, genes for [remission, partial response, no response].
    pub dp: Vec<[i32; 3]>,
    /// Switch target (value v means advanced option v + 1).
    pub switch_target: i32,
    /// Calprotectin monitoring option.
    pub calpro: i32,
    /// Proactive drug-level monitoring.
    pub tdm: i32,
}

/// The fitness model's numbers (see `GaProblemSchema` in protocol/clinical/plan.ts).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// Weeks simulated.
    pub horizon: usize,
    /// Weeks a newly started drug stays in its induction phase.
    pub induction_weeks: usize,
    /// Weeks at which decision points act.
    pub decision_weeks: Vec<usize>,
    /// Gene layout.
    pub layout: Layout,
    /// Advanced options including none.
    pub n_adv: usize,
    /// Regimen levels.
    pub n_reg: usize,
    /// Immunomodulator options including none.
    pub n_imm: usize,
    /// Dose-fraction levels.
    pub n_frac: usize,
    /// Drug-level monitoring options.
    pub n_tdm: usize,
    /// Label regimens per advanced option.
    pub reg_count: Vec<usize>,
    /// Class id per advanced option.
    pub adv_class: Vec<usize>,
    /// Arm table for the first advanced therapy.
    pub arms_first: Vec<f64>,
    /// Arm table for a therapy started by a switch.
    pub arms_after: Vec<f64>,
    /// Arm parameters off therapy.
    pub off: Vec<f64>,
    /// Weekly rate of leaving the adverse-event state.
    pub e_exit: f64,
    /// Efficacy multiplier on a same-class switch.
    pub same_class_factor: f64,
    /// Per steroid option: extra remission hazard, extra response hazard, extra AE hazard, penalty/week.
    pub steroid: Vec<[f64; 4]>,
    /// Course length per course option.
    pub course_weeks: Vec<usize>,
    /// Per calprotectin option: share of decisions applied, burden per week.
    pub calpro: Vec<[f64; 2]>,
    /// Calprotectin option used when the gene is absent.
    pub calpro_default: usize,
    /// Burden per week of proactive drug-level monitoring.
    pub tdm_burden: f64,
    /// Initial mass in remission, response, active disease.
    pub init: [f64; 3],
    /// Weights: remission, adverse event, steroid, burden, surgery.
    pub weights: [f64; 5],
}

/// A numeric problem: gene domains, hard constraints and model.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Domain size per gene.
    pub domains: Vec<usize>,
    /// Per gene, values that make a plan infeasible.
    pub forbidden_values: Vec<Vec<usize>>,
    /// (gene a, value a, gene b, value b) pairs that make a plan infeasible.
    pub forbidden_pairs: Vec<[usize; 4]>,
    /// Fitness model.
    pub model: Model,
}

/// GA configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GaConfig {
    /// Individuals per generation.
    pub population_size: usize,
    /// Generations after the initial one.
    pub generations: usize,
    /// Per-gene mutation probability.
    pub mutation_rate: f64,
    /// Probability that two parents are crossed.
    pub crossover_rate: f64,
    /// Best individuals copied unchanged.
    pub elitism_count: usize,
    /// Contestants per tournament.
    pub tournament_size: usize,
    /// PRNG seed.
    pub seed: u32,
    /// Distinct plans returned.
    pub top_k: usize,
}

fn check_gene(name: &str, gene: i32, n: usize) -> Result<(), GaError> {
    if gene >= n as i32 {
        return Err(GaError::InvalidProblem(format!(
            "model.layout.{name}: gene {gene} out of range"
        )));
    }
    Ok(())
}

impl Problem {
    /// Checks every index the fitness will use, so evaluation cannot go out of bounds.
    pub fn validate(&self) -> Result<(), GaError> {
        let n = self.domains.len();
        let m = &self.model;
        let bad = |f: &str| Err(GaError::InvalidProblem(f.to_string()));
        if n == 0 || self.domains.iter().any(|&d| d == 0 || d >= 1 << 21) {
            return bad("domains: each must be in 1..2^21");
        }
        if self.forbidden_values.len() != n {
            return bad("forbiddenValues: one list per gene");
        }
        if self.forbidden_pairs.iter().any(|q| q[0] >= n || q[2] >= n) {
            return bad("forbiddenPairs: gene out of range");
        }
        let l = &m.layout;
        for (name, gene) in [
            ("adv", l.adv),
            ("reg", l.reg),
            ("imm", l.imm),
            ("frac", l.frac),
            ("steroid", l.steroid),
            ("course", l.course),
            ("switchTarget", l.switch_target),
            ("calpro", l.calpro),
            ("tdm", l.tdm),
        ] {
            check_gene(name, gene, n)?;
        }
        if l.dp.len() != m.decision_weeks.len() {
            return bad("model.layout.dp: one entry per decision week");
        }
        for dp in &l.dp {
            for &gene in dp {
                if gene < 0 || gene as usize >= n || self.domains[gene as usize] > 3 {
                    return bad("model.layout.dp: gene out of range or domain above 3");
                }
            }
        }
        let dom = |gene: i32| {
            if gene >= 0 {
                self.domains[gene as usize]
            } else {
                1
            }
        };
        if dom(l.adv) > m.n_adv || m.reg_count.len() != m.n_adv || m.adv_class.len() != m.n_adv {
            return bad("model.nAdv: does not match the adv gene, regCount or advClass");
        }
        if dom(l.switch_target) > m.n_adv.saturating_sub(1).max(1) {
            return bad("model.layout.switchTarget: domain exceeds advanced options");
        }
        if m.n_reg != 3
            || dom(l.reg) > m.n_reg
            || m.reg_count.iter().any(|&c| c == 0 || c > m.n_reg)
        {
            return bad("model.nReg: must be 3 and cover regCount");
        }
        if dom(l.imm) > m.n_imm || dom(l.frac) > m.n_frac || dom(l.tdm) > m.n_tdm {
            return bad("model.nImm/nFrac/nTdm: smaller than a gene domain");
        }
        let table = m.n_adv * m.n_reg * m.n_imm * m.n_frac * m.n_tdm * ARM_LEN;
        if m.arms_first.len() != table || m.arms_after.len() != table || m.off.len() != ARM_LEN {
            return bad("model.armsFirst/armsAfter/off: wrong length");
        }
        if dom(l.steroid) > m.steroid.len()
            || m.steroid.is_empty()
            || dom(l.course) > m.course_weeks.len()
        {
            return bad("model.steroid/courseWeeks: smaller than a gene domain");
        }
        if dom(l.calpro) > m.calpro.len() || m.calpro_default >= m.calpro.len() {
            return bad("model.calpro: smaller than the gene domain or default out of range");
        }
        Ok(())
    }
}

impl GaConfig {
    /// Checks ranges (TypeScript checks them too, with zod, before the call).
    pub fn validate(&self) -> Result<(), GaError> {
        let bad = |f: &str| Err(GaError::InvalidConfig(f.to_string()));
        if self.population_size < 2 {
            return bad("populationSize: at least 2");
        }
        if !(0.0..=1.0).contains(&self.mutation_rate) {
            return bad("mutationRate: within 0..1");
        }
        if !(0.0..=1.0).contains(&self.crossover_rate) {
            return bad("crossoverRate: within 0..1");
        }
        if self.elitism_count >= self.population_size {
            return bad("elitismCount: below populationSize");
        }
        if self.tournament_size == 0 || self.tournament_size > self.population_size {
            return bad("tournamentSize: 1..populationSize");
        }
        if self.top_k == 0 {
            return bad("topK: at least 1");
        }
        Ok(())
    }
}
