//! Times the GA alone on a dumped problem: `cargo run --release --example gaspeed FILE`.
use hms_optimizer::{run, GaConfig, Problem};
use serde::Deserialize;
#[derive(Deserialize)]
struct Input {
    problem: Problem,
}
fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("path of a {problem} JSON file");
    let input: Input = serde_json::from_str(&std::fs::read_to_string(path).expect("readable file"))
        .expect("valid JSON");
    let mut best = f64::INFINITY;
    for seed in 0..20 {
        let cfg = GaConfig {
            population_size: 60,
            generations: 60,
            mutation_rate: 0.08,
            crossover_rate: 0.9,
            elitism_count: 2,
            tournament_size: 3,
            seed,
            top_k: 3,
        };
        let t = std::time::Instant::now();
        let r = run(&input.problem, &cfg).expect("valid problem");
        let ms = t.elapsed().as_secs_f64() * 1e3;
        best = best.min(ms);
        if seed < 3 {
            println!(
                "seed {seed}: {ms:.2} ms, {} evaluations, best {}",
                r.evaluations, r.best.fitness
            );
        }
    }
    println!("best run {best:.2} ms");
}
