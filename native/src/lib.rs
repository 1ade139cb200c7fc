//! Genetic algorithm over Crohn's disease treatment plans, for Node through Neon.
//!
//! TypeScript turns a patient and the verifier's rule table into a numeric problem (gene
//! domains, forbidden values and pairs, the fitness model's numbers); this crate searches it.
//! The fitness model and the GA mirror `clinical/treatment/fitness.ts` and `ga.ts` operation
//! for operation, with the same xoshiro128** generator, so one seed gives one result in both.

// Everything here is plain arithmetic over owned data: there is no reason for `unsafe`, and
// forbidding it keeps the Node process safe from this crate's bugs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod fitness;
mod ga;
mod js;
mod problem;
mod rng;

pub use error::GaError;
pub use fitness::{evaluate, violations, Breakdown, INFEASIBLE};
pub use ga::{run, Convergence, RunResult, Scored};
pub use problem::{GaConfig, Layout, Model, Problem};
pub use rng::Xoshiro128;
