//! Times the fitness alone on a dumped problem: `cargo run --release --example evalspeed FILE`.
use hms_optimizer::{evaluate, Problem};
use serde::Deserialize;
#[derive(Deserialize)]
struct Input {
    problem: Problem,
    genomes: Vec<Vec<usize>>,
}
fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("path of a {problem, genomes} JSON file");
    let input: Input = serde_json::from_str(&std::fs::read_to_string(path).expect("readable file"))
        .expect("valid JSON");
    let t = std::time::Instant::now();
    let mut s = 0.0;
    for g in &input.genomes {
        s += evaluate(&input.problem, g).fitness;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} evals in {:.1} ms: {:.0} evals/s (checksum {s})",
        input.genomes.len(),
        secs * 1e3,
        input.genomes.len() as f64 / secs
    );
}
