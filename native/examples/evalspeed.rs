//! Times the fitness alone on a dumped problem: `cargo run --release --example evalspeed FILE`.
//! Prints a hash of the fitness bits too, so a change that alters any result shows.
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
    let mut best = f64::INFINITY;
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for _ in 0..5 {
        hash = 0xcbf2_9ce4_8422_2325u64;
        let t = std::time::Instant::now();
        for g in &input.genomes {
            let f = evaluate(&input.problem, g).fitness;
            hash = (hash ^ f.to_bits()).wrapping_mul(0x100_0000_01b3);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} evals, best of 5 {:.1} ms: {:.0} evals/s, {:.3} us/eval (hash {hash:016x})",
        input.genomes.len(),
        best * 1e3,
        input.genomes.len() as f64 / best,
        best * 1e6 / input.genomes.len() as f64
    );
}
