//! The genetic algorithm, a step-for-step twin of `clinical/treatment/ga.ts`: same RNG draws in
//! the same order and the same tie-breaking, so one seed gives the same result in both.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;

use crate::error::GaError;
use crate::fitness::{Evaluator, INFEASIBLE};
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

/// A cheap hasher for the cache's packed genome keys (std's SipHash guards against
/// adversarial keys, which a GA's own genomes are not).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        let h = (self.0 ^ x ^ (x >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

/// Fitness per distinct genome. A genome is keyed by its value as one mixed-radix number when
/// the product of the domains fits in 64 bits (it does for every plan space TypeScript builds),
/// else by the genome itself.
enum Cache {
    Packed {
        stride: Vec<u64>,
        map: HashMap<u64, f64, BuildHasherDefault<KeyHasher>>,
    },
    Full(HashMap<Vec<usize>, f64>),
}

impl Cache {
    fn new(domains: &[usize]) -> Self {
        let mut stride = Vec::with_capacity(domains.len());
        let mut s: Option<u64> = Some(1);
        for &d in domains {
            match s {
                Some(v) => {
                    stride.push(v);
                    s = v.checked_mul(d as u64);
                }
                None => break,
            }
        }
        match s {
            Some(_) => Cache::Packed {
                stride,
                map: HashMap::default(),
            },
            None => Cache::Full(HashMap::new()),
        }
    }
}

struct Cached<'a> {
    fitness: Evaluator<'a>,
    cache: Cache,
    evaluations: usize,
}

impl Cached<'_> {
    fn eval(&mut self, g: &[usize]) -> f64 {
        match &mut self.cache {
            Cache::Packed { stride, map } => {
                let key = g
                    .iter()
                    .zip(stride.iter())
                    .fold(0u64, |k, (&v, &s)| k + v as u64 * s);
                if let Some(&f) = map.get(&key) {
                    return f;
                }
                let f = self.fitness.fitness(g);
                self.evaluations += 1;
                map.insert(key, f);
                f
            }
            Cache::Full(map) => {
                if let Some(&f) = map.get(g) {
                    return f;
                }
                let f = self.fitness.fitness(g);
                self.evaluations += 1;
                map.insert(g.to_vec(), f);
                f
            }
        }
    }
}

/// Indices sorted by fitness, best first; ties keep the lower index first.
fn rank_order(fit: &[f64], idx: &mut Vec<usize>) {
    idx.clear();
    idx.extend(0..fit.len());
    idx.sort_unstable_by(|&x, &y| fit[y].total_cmp(&fit[x]).then(x.cmp(&y)));
}

/// Runs the GA on a problem.
pub fn run(problem: &Problem, cfg: &GaConfig) -> Result<RunResult, GaError> {
    problem.validate()?;
    cfg.validate()?;
    let mut rng = Xoshiro128::new(cfg.seed);
    let n = problem.domains.len();
    let pn = cfg.population_size;
    let domains = &problem.domains;
    let mut ev = Cached {
        fitness: Evaluator::new(problem),
        cache: Cache::new(domains),
        evaluations: 0,
    };

    // Populations are flat: genome i is `pop[i * n..(i + 1) * n]`.
    let mut pop = vec![0usize; pn * n];
    for g in pop.chunks_exact_mut(n) {
        for (x, &d) in g.iter_mut().zip(domains) {
            *x = rng.next_int(d);
        }
    }
    let mut fit: Vec<f64> = pop.chunks_exact(n).map(|g| ev.eval(g)).collect();
    let mut best_g = pop[..n].to_vec();
    let mut best_f = fit[0];
    let mut history = Vec::with_capacity(cfg.generations + 1);

    let mut record =
        |gen: usize, pop: &[usize], fit: &[f64], best_g: &mut Vec<usize>, best_f: &mut f64| {
            for i in 0..pn {
                if fit[i] > *best_f {
                    *best_f = fit[i];
                    best_g.clear();
                    best_g.extend_from_slice(&pop[i * n..(i + 1) * n]);
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

    let mut next = vec![0usize; pn * n];
    let mut order = Vec::with_capacity(pn);
    let (mut c1, mut c2) = (vec![0usize; n], vec![0usize; n]);
    for gen in 1..=cfg.generations {
        rank_order(&fit, &mut order);
        let mut len = 0;
        for &i in order.iter().take(cfg.elitism_count.min(pn)) {
            next[len * n..(len + 1) * n].copy_from_slice(&pop[i * n..(i + 1) * n]);
            len += 1;
        }
        while len < pn {
            let ia = tournament(&mut rng, &fit, cfg.tournament_size);
            let ib = tournament(&mut rng, &fit, cfg.tournament_size);
            let (a, b) = (&pop[ia * n..(ia + 1) * n], &pop[ib * n..(ib + 1) * n]);
            if rng.next_float() < cfg.crossover_rate {
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
                c1.copy_from_slice(a);
                c2.copy_from_slice(b);
            }
            mutate(&mut rng, &mut c1, domains, cfg.mutation_rate);
            mutate(&mut rng, &mut c2, domains, cfg.mutation_rate);
            next[len * n..(len + 1) * n].copy_from_slice(&c1);
            len += 1;
            if len < pn {
                next[len * n..(len + 1) * n].copy_from_slice(&c2);
                len += 1;
            }
        }
        std::mem::swap(&mut pop, &mut next);
        for (f, g) in fit.iter_mut().zip(pop.chunks_exact(n)) {
            *f = ev.eval(g);
        }
        record(gen, &pop, &fit, &mut best_g, &mut best_f);
    }

    let mut top = vec![Scored {
        genome: best_g.clone(),
        fitness: best_f,
    }];
    let mut seen: HashSet<Vec<usize>> = HashSet::new();
    seen.insert(best_g.clone());
    rank_order(&fit, &mut order);
    for &i in &order {
        if top.len() >= cfg.top_k {
            break;
        }
        let g = &pop[i * n..(i + 1) * n];
        if seen.insert(g.to_vec()) {
            top.push(Scored {
                genome: g.to_vec(),
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
