//! `check` and `init`: a scenario validated and summarised, or a template written.

use super::failure::Failure;
use std::path::PathBuf;
use vbpsim::scenario::{Scenario, TemplateError};

/// `vbpsim check`: validate a scenario and print a one-screen summary of the model.
pub fn check(loaded: Result<Scenario, Failure>) -> Result<(), Failure> {
    let s = loaded?;
    super::console::print(&vbpsim::scenario::describe::summary(&s))
}

/// `vbpsim init`: write a commented template scenario that runs as is; never overwrites.
pub fn init(path: PathBuf) -> Result<(), Failure> {
    vbpsim::scenario::write_template(&path).map_err(|e| match &e {
        TemplateError::Exists { .. } | TemplateError::Link { .. } => {
            Failure::refused(&e, Some(TemplateError::EXISTS_HELP))
        }
        TemplateError::Write { source, .. } => {
            let why = vbpsim::output::refusal(source.kind());
            let hint = why.map_or("nothing was written".to_string(), |why| {
                format!("{why}; nothing was written (give another path to write elsewhere)")
            });
            Failure::other(format!("error: {e}\n  = help: {hint}"))
        }
    })?;
    say!("wrote {}; run it with `vbpsim run {}`", path.display(), path.display());
    Ok(())
}
