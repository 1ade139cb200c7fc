//! The genetic algorithm, a step-for-step twin of `clinical/treatment/ga.ts`: same RNG draws in
//! the same order and the same tie-breaking, so one seed gives the same result in both.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::error::GaError;
use crate::fitness::{evaluate, INFEASIBLE};
use crate::problem::{GaConfig, Problem};
use crate::rng::Xoshiro128;

/// A genome and its fitness.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scored {
    /// Gene values.
    pub genome: Vec<usize>,
    /// Its fitness.
    pub fitness: f64,
}

/// One generation's summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Convergence {
    /// Generation (0 = initial population).
    pub generation: usize,
    /// Best fitness seen so far.
    pub best: f64,
    /// Mean fitness of the feasible members, if any.
    pub mean_feasible: Option<f64>,
    /// Share of feasible members.
    pub feasible_fraction: f64,
}

/// What a run returns.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunResult {
    /// Best genome ever seen.
    pub best: Scored,
    /// Best ever, then the best distinct genomes of the final population.
    pub top: Vec<Scored>,
    /// One entry per generation.
    pub history: Vec<Convergence>,
    /// Distinct genomes evaluated.
    pub evaluations: usize,
}

struct Evaluator<'a> {
    problem: &'a Problem,
    cache: HashMap<Vec<usize>, f64>,
    evaluations: usize,
}

impl Evaluator<'_> {
    fn eval(&mut self, g: &[usize]) -> f64 {
        if let Some(&f) = self.cache.get(g) {
            return f;
        }
        let f = evaluate(self.problem, g).fitness;
        self.evaluations += 1;
        self.cache.insert(g.to_vec(), f);
        f
    }
}

/// Indices sorted by fitness, best first; ties keep the lower index first.
fn rank_order(fit: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..fit.len()).collect();
    idx.sort_by(|&x, &y| fit[y].total_cmp(&fit[x]).then(x.cmp(&y)));
    idx
}

/// Runs the GA on a problem.
pub fn run(problem: &Problem, cfg: &GaConfig) -> Result<RunResult, GaError> {
    problem.validate()?;
    cfg.validate()?;
    let mut rng = Xoshiro128::new(cfg.seed);
    let n = problem.domains.len();
    let pn = cfg.population_size;
    let mut ev = Evaluator {
        problem,
        cache: HashMap::new(),
        evaluations: 0,
    };

    let mut pop: Vec<Vec<usize>> = Vec::with_capacity(pn);
    for _ in 0..pn {
        let g: Vec<usize> = (0..n).map(|j| rng.next_int(problem.domains[j])).collect();
        pop.push(g);
    }
    let mut fit: Vec<f64> = pop.iter().map(|g| ev.eval(g)).collect();
    let mut best_g = pop[0].clone();
    let mut best_f = fit[0];
    let mut history = Vec::with_capacity(cfg.generations + 1);

    let mut record =
        |gen: usize, pop: &[Vec<usize>], fit: &[f64], best_g: &mut Vec<usize>, best_f: &mut f64| {
            for i in 0..pn {
                if fit[i] > *best_f {
                    *best_f = fit[i];
                    *best_g = pop[i].clone();
                }
            }
            let mut sum = 0.0f64;
            let mut nf = 0usize;
            for &f in fit {
                if f > INFEASIBLE / 2.0 {
                    sum += f;
                    nf += 1;
                }
            }
            history.push(Convergence {
                generation: gen,
                best: *best_f,
                mean_feasible: if nf > 0 { Some(sum / nf as f64) } else { None },
                feasible_fraction: nf as f64 / pn as f64,
            });
        };
    record(0, &pop, &fit, &mut best_g, &mut best_f);

    for gen in 1..=cfg.generations {
        let order = rank_order(&fit);
        let mut next: Vec<Vec<usize>> = Vec::with_capacity(pn);
        for &i in order.iter().take(cfg.elitism_count.min(pn)) {
            next.push(pop[i].clone());
        }
        while next.len() < pn {
            let ia = tournament(&mut rng, &fit, cfg.tournament_size);
            let ib = tournament(&mut rng, &fit, cfg.tournament_size);
            let (a, b) = (&pop[ia], &pop[ib]);
            let (mut c1, mut c2);
            if rng.next_float() < cfg.crossover_rate {
                c1 = vec![0usize; n];
                c2 = vec![0usize; n];
                for j in 0..n {
                    if rng.next_float() < 0.5 {
                        c1[j] = a[j];
                        c2[j] = b[j];
                    } else {
                        c1[j] = b[j];
                        c2[j] = a[j];
                    }
                }
            } else {
                c1 = a.clone();
                c2 = b.clone();
            }
            mutate(&mut rng, &mut c1, &problem.domains, cfg.mutation_rate);
            mutate(&mut rng, &mut c2, &problem.domains, cfg.mutation_rate);
            next.push(c1);
            if next.len() < pn {
                next.push(c2);
            }
        }
        pop = next;
        fit = pop.iter().map(|g| ev.eval(g)).collect();
        record(gen, &pop, &fit, &mut best_g, &mut best_f);
    }

    let mut top = vec![Scored {
        genome: best_g.clone(),
        fitness: best_f,
    }];
    let mut seen: HashSet<Vec<usize>> = HashSet::new();
    seen.insert(best_g.clone());
    for i in rank_order(&fit) {
        if top.len() >= cfg.top_k {
            break;
        }
        if seen.insert(pop[i].clone()) {
            top.push(Scored {
                genome: pop[i].clone(),
                fitness: fit[i],
            });
        }
    }
    Ok(RunResult {
        best: Scored {
            genome: best_g,
            fitness: best_f,
        },
        top,
        history,
        evaluations: ev.evaluations,
    })
}

fn tournament(rng: &mut Xoshiro128, fit: &[f64], k: usize) -> usize {
    let mut best = rng.next_int(fit.len());
    for _ in 1..k {
        let c = rng.next_int(fit.len());
        if fit[c] > fit[best] {
            best = c;
        }
    }
    best
}

fn mutate(rng: &mut Xoshiro128, g: &mut [usize], domains: &[usize], rate: f64) {
    for j in 0..g.len() {
        if rng.next_float() < rate {
            g[j] = rng.next_int(domains[j]);
        }
    }
}
