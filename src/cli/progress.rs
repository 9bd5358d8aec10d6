//! The progress bar: drawn on stderr once a command has worked for a second, never with
//! `--quiet`.
//!
//! The bar exists from the first update, hidden, so that its rate and ETA are estimated over
//! the whole work rather than from one jump to where the work stands after a second (which
//! read "56,476,951,163/s, ETA 0s"). A run with PSA counts PSA samples, its unit of work, after
//! a first phase for the base case; the estimate restarts when the samples start, so samples
//! resumed from a checkpoint do not count as done in no time.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Instant;

/// What the bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// The work's own units (patients, simulations, scenarios), as reported.
    Plain,
    /// PSA samples: the reported work is `samples` equal parts (after one more for the base
    /// case when `base_case`), and the bar counts the finished samples.
    Samples { samples: u64, base_case: bool },
}

/// The phase of a run with PSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    BaseCase,
    Samples,
}

/// Where the bar stands for `done` of `total` reported units: its position, its length and the
/// phase (`None` for plain units).
pub fn position(unit: Unit, done: u64, total: u64) -> (u64, u64, Option<Phase>) {
    match unit {
        Unit::Plain => (done, total, None),
        Unit::Samples { samples, base_case } => {
            let parts = (samples + u64::from(base_case)).max(1);
            let per_part = (total / parts).max(1);
            let finished = (done / per_part).min(parts);
            if base_case && finished == 0 {
                (0, samples, Some(Phase::BaseCase))
            } else {
                (finished - u64::from(base_case), samples, Some(Phase::Samples))
            }
        }
    }
}

/// A progress bar on stderr that appears once the work has lasted a second (never when quiet).
pub struct Progress {
    started: Instant,
    quiet: bool,
    template: &'static str,
    unit: Unit,
    bar: Option<ProgressBar>,
    shown: bool,
    phase: Option<Phase>,
}

impl Progress {
    pub fn new(quiet: bool, template: &'static str) -> Self {
        Progress::counting(quiet, template, Unit::Plain)
    }

    /// A bar counting `unit`.
    pub fn counting(quiet: bool, template: &'static str, unit: Unit) -> Self {
        let started = Instant::now();
        Progress { started, quiet, template, unit, bar: None, shown: false, phase: None }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        if self.quiet {
            return;
        }
        let (pos, len, phase) = position(self.unit, done, total);
        let template = self.template;
        let bar = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(template) {
                b.set_style(style.progress_chars("=> "));
            }
            b
        });
        bar.set_length(len);
        bar.set_position(pos);
        if phase != self.phase {
            self.phase = phase;
            match phase {
                Some(Phase::BaseCase) => bar.set_message("base case, then"),
                Some(Phase::Samples) => {
                    bar.set_message("PSA");
                    // The rate of the samples simulated from here on.
                    bar.reset_eta();
                }
                None => {}
            }
        }
        if !self.shown && self.started.elapsed().as_secs_f64() > 1.0 {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_with_psa_counts_its_samples_after_the_base_case() {
        // 10 samples of 1,000 patients after a base case of 1,000: 11,000 reported.
        let unit = Unit::Samples { samples: 10, base_case: true };
        assert_eq!(position(unit, 0, 11_000), (0, 10, Some(Phase::BaseCase)));
        assert_eq!(position(unit, 999, 11_000), (0, 10, Some(Phase::BaseCase)));
        assert_eq!(position(unit, 1_000, 11_000), (0, 10, Some(Phase::Samples)));
        assert_eq!(position(unit, 4_500, 11_000), (3, 10, Some(Phase::Samples)));
        assert_eq!(position(unit, 11_000, 11_000), (10, 10, Some(Phase::Samples)));
        // A shard: its block of 4 samples of 500 patients, no base case.
        let shard = Unit::Samples { samples: 4, base_case: false };
        assert_eq!(position(shard, 1_000, 2_000), (2, 4, Some(Phase::Samples)));
        assert_eq!(position(Unit::Plain, 7, 9), (7, 9, None));
    }

    /// The rate the bar reports once samples are under way is within 2× of its final rate for
    /// a run going at a steady pace (reported the way a run reports: patients of the base case,
    /// then of each finished sample), not the jump of everything done before it appeared.
    #[test]
    fn the_first_rate_is_within_twice_the_final_one() {
        let (samples, patients) = (24u64, 1_000u64);
        let total = patients * (samples + 1);
        let unit = Unit::Samples { samples, base_case: true };
        let mut progress = Progress::counting(false, "{pos}/{len} {per_sec}", unit);
        let step = std::time::Duration::from_millis(15);
        let rate = |p: &Progress| p.bar.as_ref().map_or(0.0, ProgressBar::per_sec);
        // The base case, in a few updates.
        for k in 1..=4 {
            progress.update(k * patients / 4, total);
            std::thread::sleep(step);
        }
        let mut first = None;
        for k in 1..=samples {
            std::thread::sleep(step);
            progress.update(patients * (1 + k), total);
            if k == 4 {
                first = Some(rate(&progress));
            }
        }
        let (first, last) = (first.unwrap_or(0.0), rate(&progress));
        // About 1 / 15 ms = 67 samples a second; a sleep may last longer, never shorter.
        assert!(last > 0.0 && last < 1.0 / step.as_secs_f64() * 1.05, "final rate {last}");
        assert!(first <= 2.0 * last && first >= 0.5 * last, "first {first}, final {last}");
        progress.finish();
    }
}
