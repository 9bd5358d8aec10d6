//! The progress bar: drawn on stderr once a command has worked for a second, never with
//! `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Instant;

/// A progress bar on stderr that appears once the work has lasted a second (never when quiet).
pub struct Progress {
    started: Instant,
    quiet: bool,
    template: &'static str,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool, template: &'static str) -> Self {
        Progress { started: Instant::now(), quiet, template, bar: None }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        if self.quiet {
            return;
        }
        if self.bar.is_none() && self.started.elapsed().as_secs_f64() > 1.0 {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(self.template) {
                b.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(b);
        }
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
