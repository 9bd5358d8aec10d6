//! A contract kind is named twice: where the scenario reader reads its terms (the `kind` a
//! scenario gives) and where the compiled kind says its name (contracts.csv, `check`). Every
//! contract of every bundled scenario and test fixture must come back under the name it was
//! written with, and together they must cover every kind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The `.toml` files under a folder.
fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(scenario_files(&path));
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    out
}

#[test]
fn every_kind_comes_back_under_the_name_it_was_written_with() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = BTreeSet::new();
    for file in scenario_files(&root.join("scenarios"))
        .into_iter()
        .chain(scenario_files(&root.join("tests/fixtures")))
    {
        // Bases that do not compile alone, and deliberately bad fixtures, are skipped.
        let Ok(s) = vbpsim::scenario::load(&file) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(raw) = text.parse::<toml::Table>() else { continue };
        let written = raw.get("contracts").and_then(|c| c.as_array()).cloned().unwrap_or_default();
        for entry in written {
            let (Some(name), Some(kind)) = (
                entry.get("name").and_then(|v| v.as_str()),
                entry.get("kind").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            let c = s.model.contracts.iter().find(|c| c.name == name).unwrap();
            assert_eq!(c.kind.name(), kind, "{}: contract `{name}`", file.display());
            seen.insert(kind.to_string());
        }
    }
    let all = crate::support::CONTRACT_KINDS;
    assert_eq!(seen, all.iter().map(|k| k.to_string()).collect(), "kinds covered");
}
