//! All Neon glue. Inputs arrive as JSON (zod-checked in TypeScript first); each export runs on
//! Node's worker pool and returns a promise, so the JS thread never blocks on a search.

use serde::{Deserialize, Serialize};

use crate::error::GaError;
use crate::fitness::evaluate;
use crate::ga::{run, RunResult};
use crate::problem::{GaConfig, Problem};

/// Input of `optimize`.
#[derive(Deserialize)]
struct OptimizeInput {
    problem: Problem,
    config: GaConfig,
}

/// Input of `evaluate`.
#[derive(Deserialize)]
struct EvaluateInput {
    problem: Problem,
    genomes: Vec<Vec<usize>>,
}

/// Either the value or the error with its stable code; TypeScript turns `error` into HmsError.
#[derive(Serialize)]
#[serde(untagged)]
enum Outcome<T: Serialize> {
    Ok { ok: T },
    Err { error: ErrorBody },
}

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

fn outcome<T: Serialize>(r: Result<T, GaError>) -> Outcome<T> {
    match r {
        Ok(v) => Outcome::Ok { ok: v },
        Err(e) => Outcome::Err {
            error: ErrorBody {
                code: e.code(),
                message: e.to_string(),
            },
        },
    }
}

/// Runs the GA off the JS thread.
#[neon::export(json, task)]
fn optimize(input: OptimizeInput) -> Outcome<RunResult> {
    outcome(run(&input.problem, &input.config))
}

/// Fitness of each genome (benchmarks and the native-vs-TypeScript agreement test).
#[neon::export(json, task)]
fn evaluate_genomes(input: EvaluateInput) -> Outcome<Vec<f64>> {
    outcome(check_genomes(&input.problem, &input.genomes).map(|()| {
        input
            .genomes
            .iter()
            .map(|g| evaluate(&input.problem, g).fitness)
            .collect()
    }))
}

fn check_genomes(p: &Problem, genomes: &[Vec<usize>]) -> Result<(), GaError> {
    p.validate()?;
    for (i, g) in genomes.iter().enumerate() {
        if g.len() != p.domains.len() || g.iter().zip(&p.domains).any(|(v, d)| v >= d) {
            return Err(GaError::InvalidProblem(format!(
                "genomes[{i}]: wrong length or value out of domain"
            )));
        }
    }
    Ok(())
}
