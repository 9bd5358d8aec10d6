//! A hand-written floor of the bundled default scenario (scenarios/nsclc_egfr.toml) at its
//! base-case values, against which the engine's speed is judged: a plain loop over patients,
//! one at a time, each through both strategies (chemo_for_all with its second line,
//! test_and_treat with its test, its wait and its five contracts on osimertinib), computing
//! the sums `vbpsim bench` computes per sample. The model, the sums and the printing are in
//! `floor_common`; `floor_default_soa` runs the same model in blocks of patients.
//!
//! ```sh
//! cargo run --release --example floor_default -- [PATIENTS] [THREADS]
//! ```
//!
//! Prints nanoseconds per trajectory per core (a trajectory = one patient on one strategy, as
//! `vbpsim bench` counts them), trajectories per second, and every arm's means with their
//! Monte Carlo standard errors. `benches/floor_default.sh` alternates it with `vbpsim bench`.

#[path = "floor_common/mod.rs"]
pub mod floor_common;

use floor_common::{
    Model, Person, Sums, chemo_clock, chemo_course, chemo_factors, draws, finish, floor_chemo,
    main_with,
};
use rand::rngs::Xoshiro256PlusPlus;

/// Simulate `patients` patients, one after the other, on the thread's generator.
pub fn simulate(m: &Model, patients: u64, rng: &mut Xoshiro256PlusPlus) -> Sums {
    let mut sums = Sums::default();
    let mut person = Person::default();
    for _ in 0..patients {
        person.reset();
        let d = draws(m, rng);
        let (responder, h) = chemo_clock(m, &d);
        let mut chemo = chemo_course(m, &d, responder, m.chemo.progression_time(responder, h));
        floor_chemo(m, (&mut person, rng), &mut chemo);
        chemo_factors(m, &mut chemo);
        finish(m, (&mut person, rng), &d, &chemo, &mut sums);
    }
    sums.patients = patients;
    sums
}

fn main() -> std::process::ExitCode {
    main_with("floor", simulate)
}
