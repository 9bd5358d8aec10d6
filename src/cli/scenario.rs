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
pub fn init(path: PathBuf, example: Option<&str>) -> Result<(), Failure> {
    let Some(text) = vbpsim::scenario::template_text(&path, example) else {
        let names: Vec<&str> = vbpsim::scenario::EXAMPLES.iter().map(|(n, _)| *n).collect();
        let asked = example.unwrap_or_default();
        let near = names.iter().min_by_key(|n| strsim::levenshtein(n, asked)).copied();
        let hint = near.map_or(String::new(), |n| format!("did you mean `{n}`? "));
        return Err(Failure::input(format!(
            "error: no bundled example `{asked}`\n  = help: {hint}the examples are {}",
            names.join(", ")
        )));
    };
    vbpsim::scenario::write_template(&path, &text).map_err(|e| match &e {
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
    let what = match example {
        Some(e) => format!("the bundled example {e}"),
        None => "a skeleton with placeholder numbers to replace".to_string(),
    };
    say!(
        "wrote {} ({what}, named `{}`); run it with `vbpsim run {}`",
        path.display(),
        vbpsim::scenario::name_for(&path),
        path.display()
    );
    Ok(())
}
