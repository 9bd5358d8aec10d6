//! The hardware floor that the engine's speed is judged against: a minimal three-state patient
//! written as a plain loop (biomarker, test, response, Weibull progression, exponential death
//! before progression, Weibull post-progression survival, closed-form discounting), one
//! Xoshiro256++ generator per thread. It has none of vbpsim's features (no pathways, contracts,
//! ledgers or common random numbers), so it measures what the machine can do, not the model.
//!
//! ```sh
//! cargo run --release --example floor -- [TRAJECTORIES] [THREADS]
//! ```
//!
//! Prints nanoseconds per trajectory and trajectories per second; `benches/floor_ratio.sh`
//! alternates it with `vbpsim bench` so that both are measured in the same minutes of a noisy
//! machine.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// One patient-strategy trajectory; returns discounted cost and QALYs added together (kept
/// only so that the optimiser cannot drop the work).
#[inline]
fn trajectory(rng: &mut Xoshiro256PlusPlus, targeted: bool) -> f64 {
    let r = 0.03f64.ln_1p();
    let u = |rng: &mut Xoshiro256PlusPlus| -> f64 {
        (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) + 0.5 / (1u64 << 53) as f64
    };
    let positive = u(rng) < 0.15;
    let detected = if positive { u(rng) < 0.95 } else { u(rng) < 0.01 };
    let on_drug = targeted && detected;
    let responder = u(rng) < if on_drug { 0.8 } else { 0.3 };
    let (scale, shape) = if responder { (2.0, 1.4) } else { (0.5, 1.1) };
    let progression = scale * (-u(rng).ln()).powf(1.0 / shape);
    let early_death = -u(rng).ln() / 0.05;
    let (pf_end, death) = if early_death < progression {
        (early_death, early_death)
    } else {
        (progression, progression + 1.2 * (-u(rng).ln()).powf(1.0 / 1.3))
    };
    // Closed-form discounting: ∫ e^{−rt} dt over [0, P) and [P, D), two `exp` calls.
    let (at_pf_end, at_death) = ((-r * pf_end).exp(), (-r * death).exp());
    let pf = (1.0 - at_pf_end) / r;
    let pd = (at_pf_end - at_death) / r;
    let price = if on_drug { 180_000.0 } else { 40_000.0 };
    price * pf + 20_000.0 * pd + 0.8 * pf + 0.6 * pd
}

fn run(trajectories: u64, seed: u64) -> f64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut total = 0.0;
    for i in 0..trajectories {
        total += trajectory(&mut rng, i & 1 == 1);
    }
    total
}

fn main() {
    let mut args = std::env::args().skip(1);
    let trajectories: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000_000);
    let threads: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let each = trajectories / threads;
    if each == 0 {
        eprintln!("error: fewer trajectories ({trajectories}) than threads ({threads})");
        std::process::exit(2);
    }
    let start = Instant::now();
    let total: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|t| s.spawn(move || run(each, 2026 + t))).collect();
        handles.into_iter().map(|h| h.join().expect("floor thread")).sum()
    });
    let seconds = start.elapsed().as_secs_f64();
    let done = each * threads;
    println!("floor_trajectories: {done}");
    println!("floor_threads: {threads}");
    println!(
        "floor_ns_per_trajectory_per_core: {:.1}",
        seconds * 1e9 * threads as f64 / done as f64
    );
    println!("floor_trajectories_per_second: {:.0}", done as f64 / seconds);
    println!("floor_checksum: {:.6e}", total / done as f64);
}
