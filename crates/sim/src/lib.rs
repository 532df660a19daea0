//! zhibo's simulated audience (docs/sim.md): viewers who react to how a
//! show is run.
//!
//! - [`scenario`]: a show to play, parsed and checked from TOML;
//! - [`model`]: the viewer model, a pure state machine — operator actions,
//!   incidents and one-second steps in, viewer actions out;
//! - [`operator`]: who runs the show headless (the scenario's script);
//! - [`run`]: a headless show written as the room's event log;
//! - [`summary`]: the show's figures folded from any room's log.
//!
//! Deterministic: one seeded SplitMix64 drawn in a fixed order, virtual
//! time in whole seconds, ordered collections only, and probabilities
//! computed with the four exactly-rounded float operations in a fixed
//! order. No I/O: files are read by the CLI.

pub mod action;
pub mod error;
pub mod model;
pub mod operator;
pub mod params;
pub mod persona;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod summary;
pub mod text;

pub use action::{Happening, Incident, Intent, OperatorAction, Source, What};
pub use error::SimError;
pub use model::Model;
pub use operator::{Operator, ScriptedOperator};
pub use params::Params;
pub use run::{RunStats, play, play_silent};
pub use scenario::{Scenario, default_scenario, parse};
pub use summary::{Report, Summary};

/// Plays a scenario headless with its own script and returns the figures
/// and the run's counts; `sink` sees every event of the log.
pub fn play_scenario(
    scenario: &Scenario,
    seed: u64,
    sink: &mut dyn FnMut(&zhibo_domain::event::Event),
) -> (Report, RunStats) {
    use zhibo_domain::event::Projection;
    let mut summary = Summary::default();
    let mut operator = ScriptedOperator::new(scenario, seed);
    let stats = play(scenario, seed, &mut operator, &mut |e| {
        summary.apply(&e);
        sink(&e);
    });
    (summary.report(), stats)
}
