//! All Neon glue. Inputs arrive as JSON (zod-checked in TypeScript first); each export runs on
//! Node's worker pool and returns a promise, so the JS thread never blocks on a search.

use serde::{Deserialize, Serialize};

use crate::error::GaError;
use crate::fitness::{evaluate, Evaluator};
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

/// A validated problem kept on the Rust side; JavaScript holds it as an opaque box.
type Handle = std::sync::Arc<Problem>;

/// Builds a problem handle once: the small parts as JSON (with empty `armsFirst`/`armsAfter`),
/// the two large arm tables as Float64Arrays, so no per-call JSON of the tables.
#[neon::export(name = "createProblem")]
fn create_problem(
    meta: neon::types::extract::Json<Problem>,
    arms_first: Vec<f64>,
    arms_after: Vec<f64>,
) -> Result<Handle, neon::types::extract::Error> {
    let mut p = meta.0;
    p.model.arms_first = arms_first;
    p.model.arms_after = arms_after;
    p.validate()
        .map_err(|e| neon::types::extract::Error::range_error(format!("{}: {e}", e.code())))?;
    Ok(std::sync::Arc::new(p))
}

/// Runs the GA on a problem handle off the JS thread.
#[neon::export(name = "optimizeHandle", task)]
fn optimize_handle(
    p: Handle,
    config: neon::types::extract::Json<GaConfig>,
) -> neon::types::extract::Json<Outcome<RunResult>> {
    neon::types::extract::Json(outcome(run(&p, &config.0)))
}

/// Fitness of `n` genomes packed gene-major in an Int32Array (genome i at `[i*len, (i+1)*len)`),
/// on the JS thread (a batch takes milliseconds; a task hop would cost more than it saves).
#[neon::export(name = "evaluateHandle")]
fn evaluate_handle(p: Handle, genes: Vec<i32>) -> Result<Vec<f64>, neon::types::extract::Error> {
    let len = p.domains.len();
    if genes.len() % len != 0 {
        return Err(neon::types::extract::Error::range_error(
            "genes: length is not a multiple of the genome length",
        ));
    }
    let mut g = vec![0usize; len];
    let mut ev = Evaluator::new(&p);
    let mut out = Vec::with_capacity(genes.len() / len);
    for chunk in genes.chunks_exact(len) {
        for (j, (&v, &d)) in chunk.iter().zip(&p.domains).enumerate() {
            if v < 0 || v as usize >= d {
                return Err(neon::types::extract::Error::range_error(
                    "genes: value out of domain",
                ));
            }
            g[j] = v as usize;
        }
        out.push(ev.fitness(&g));
    }
    Ok(out)
}

/// Runs the GA on a problem handle on the JS thread: for small runs (a few milliseconds), where
/// the hop to the worker pool and back costs as much as the search.
#[neon::export(name = "optimizeHandleSync")]
fn optimize_handle_sync(
    p: Handle,
    config: neon::types::extract::Json<GaConfig>,
) -> neon::types::extract::Json<Outcome<RunResult>> {
    neon::types::extract::Json(outcome(run(&p, &config.0)))
}
