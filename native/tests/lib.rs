//! Integration tests of the public API (no Node needed).

use hms_optimizer::{
    evaluate, run, GaConfig, GaError, Layout, Model, Problem, Xoshiro128, INFEASIBLE,
};

const ARM_LEN: usize = 20;

/// A small reduced-mode problem: 3 advanced options, 2 immunomodulator options, no steroid choice.
fn problem() -> Problem {
    let (n_adv, n_reg, n_imm, n_frac, n_tdm) = (3usize, 3usize, 2usize, 1usize, 1usize);
    let mut arms = Vec::new();
    for a in 0..n_adv {
        for r in 0..n_reg {
            for i in 0..n_imm {
                let boost = 0.01 * a as f64 + 0.002 * r as f64 + 0.003 * i as f64;
                let phase = [
                    0.02 + boost,
                    0.02,
                    0.02 + boost,
                    0.01,
                    0.01,
                    0.001 * (1 + i) as f64,
                    0.001,
                    0.0005,
                    0.0002,
                ];
                arms.extend_from_slice(&phase);
                arms.extend_from_slice(&phase);
                arms.push(0.1 * a as f64);
                arms.push(0.0);
            }
        }
    }
    assert_eq!(arms.len(), n_adv * n_reg * n_imm * n_frac * n_tdm * ARM_LEN);
    let mut off = vec![0.005; 18];
    off.push(0.0);
    off.push(0.0);
    Problem {
        domains: vec![n_adv, n_reg, n_imm, 1, 1, 1],
        forbidden_values: vec![vec![2], vec![], vec![], vec![], vec![], vec![]],
        forbidden_pairs: vec![[0, 1, 1, 2]],
        model: Model {
            horizon: 52,
            induction_weeks: 12,
            decision_weeks: vec![],
            layout: Layout {
                adv: 0,
                reg: 1,
                imm: 2,
                frac: 3,
                steroid: 4,
                course: 5,
                dp: vec![],
                switch_target: -1,
                calpro: -1,
                tdm: -1,
            },
            n_adv,
            n_reg,
            n_imm,
            n_frac,
            n_tdm,
            reg_count: vec![1, 2, 3],
            adv_class: vec![0, 1, 2],
            arms_after: arms.clone(),
            arms_first: arms,
            off,
            e_exit: 0.25,
            same_class_factor: 0.6,
            steroid: vec![[0.0; 4]],
            course_weeks: vec![0],
            calpro: vec![[1.0, 0.0]],
            calpro_default: 0,
            tdm_burden: 0.0,
            init: [0.0, 0.0, 1.0],
            weights: [1.0, 10.0, 0.5, 0.05, 15.0],
        },
    }
}

fn config(seed: u32) -> GaConfig {
    GaConfig {
        population_size: 20,
        generations: 15,
        mutation_rate: 0.1,
        crossover_rate: 0.9,
        elitism_count: 2,
        tournament_size: 3,
        seed,
        top_k: 3,
    }
}

#[test]
fn rng_matches_the_typescript_stream() {
    // Values printed by clinical/treatment/rng.ts for the same seeds.
    let mut r = Xoshiro128::new(42);
    assert_eq!(
        [r.next_u32(), r.next_u32(), r.next_u32()],
        [2837322924, 544945897, 479756282]
    );
    assert_eq!(r.next_int(10), 8);
    assert!((r.next_float() - 0.07910565007477999).abs() < 1e-15);
    let mut z = Xoshiro128::new(0);
    assert_eq!([z.next_u32(), z.next_u32()], [3809008728, 1133695204]);
}

#[test]
fn same_seed_gives_the_same_result() {
    let p = problem();
    assert_eq!(run(&p, &config(5)).unwrap(), run(&p, &config(5)).unwrap());
}

#[test]
fn infeasible_plans_rank_below_feasible_ones() {
    let p = problem();
    let forbidden = evaluate(&p, &[2, 0, 0, 0, 0, 0]);
    let pair = evaluate(&p, &[1, 2, 0, 0, 0, 0]);
    let fine = evaluate(&p, &[0, 0, 0, 0, 0, 0]);
    assert!(!forbidden.feasible && !pair.feasible && fine.feasible);
    assert!(forbidden.fitness <= INFEASIBLE && pair.fitness <= INFEASIBLE);
    assert!(fine.fitness > INFEASIBLE);
}

#[test]
fn finds_the_best_feasible_plan_of_a_small_space() {
    let p = problem();
    let mut best = f64::NEG_INFINITY;
    for a in 0..3 {
        for r in 0..3 {
            for i in 0..2 {
                best = best.max(evaluate(&p, &[a, r, i, 0, 0, 0]).fitness);
            }
        }
    }
    let res = run(&p, &config(1)).unwrap();
    assert_eq!(res.best.fitness, best);
    assert_eq!(res.history.len(), 16);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut p = problem();
    p.forbidden_values.pop();
    assert!(
        matches!(run(&p, &config(1)), Err(GaError::InvalidProblem(m)) if m.contains("forbiddenValues"))
    );
    let mut c = config(1);
    c.elitism_count = 20;
    assert!(
        matches!(run(&problem(), &c), Err(GaError::InvalidConfig(m)) if m.contains("elitismCount"))
    );
}

#[test]
fn spaces_too_large_for_a_64_bit_genome_key_still_search_correctly() {
    // Four extra genes of 2^20 values each: the product of the domains exceeds 2^64, so the GA
    // keys its cache by whole genomes; the extra genes do not enter the fitness.
    let mut p = problem();
    for _ in 0..4 {
        p.domains.push((1 << 20) - 1);
        p.forbidden_values.push(vec![]);
    }
    let small = run(&problem(), &config(1)).unwrap();
    let large = run(&p, &config(1)).unwrap();
    assert_eq!(large.best.fitness, small.best.fitness);
    assert_eq!(large.best.genome.len(), 10);
}
