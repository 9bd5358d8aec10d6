//! The library's layout rule (stated in `src/lib.rs`): a room (a folder of `src/`, or one of
//! the foundation files) names with `crate::…` only the rooms below it, so the data flow runs
//! one way — scenario → model → sim → analysis → output, with the workflows above them all.

use std::path::Path;

/// The foundations: they name no room of the crate but the ground floor.
const FOUNDATIONS: &[&str] =
    &["units", "rng", "survival", "life_table", "params", "resources", "linalg", "spline"];

/// The ground floor: foundations that name nothing at all, which the other foundations may
/// name (the spline a survival distribution and a fit share, the linear algebra).
const GROUND: &[&str] = &["linalg", "spline"];

/// Each room above the foundations, bottom up, with the rooms it may name besides the
/// foundations.
const ROOMS: &[(&str, &[&str])] = &[
    ("accounting", &[]),
    ("fit", &[]),
    ("contracts", &["accounting"]),
    ("model", &["contracts", "accounting"]),
    ("scenario", &["model", "contracts", "accounting"]),
    ("sim", &["model", "contracts", "accounting"]),
    ("analysis", &["sim", "model", "contracts", "accounting"]),
    ("output", &["analysis", "model", "contracts", "accounting", "fit"]),
    (
        "workflow",
        &["output", "analysis", "sim", "scenario", "model", "contracts", "accounting", "fit"],
    ),
];

/// The rooms a file's text names (`crate::<room>`), other than `own`.
fn named(text: &str, own: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let room: String =
            rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
        // `vbpsim::` and `super::` paths are not `crate::`; `other_crate::` would not start a word.
        let starts_word =
            text[..i].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if starts_word && !room.is_empty() && room != own && !out.contains(&room) {
            out.push(room);
        }
    }
    out
}

/// The `.rs` files under a path (a file or a folder).
fn sources(path: &Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        out.extend(sources(&entry.unwrap().path()));
    }
    out
}

/// Every breach of the rule in the library's sources: (file, the room it names).
fn breaches(src: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let rooms = FOUNDATIONS.iter().map(|f| (*f, &[][..])).chain(ROOMS.iter().copied());
    for (room, allowed) in rooms {
        let foundation = FOUNDATIONS.contains(&room);
        let path = if foundation { src.join(format!("{room}.rs")) } else { src.join(room) };
        assert!(path.exists(), "room {room} not found at {}", path.display());
        for file in sources(&path) {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in named(&text, room) {
                let ok = if foundation {
                    !GROUND.contains(&room) && GROUND.contains(&name.as_str())
                } else {
                    FOUNDATIONS.contains(&name.as_str()) || allowed.contains(&name.as_str())
                };
                if !ok {
                    out.push((file.display().to_string(), name));
                }
            }
        }
    }
    out
}

#[test]
fn lower_rooms_never_name_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = breaches(&src);
    assert!(found.is_empty(), "rooms naming rooms above them (see src/lib.rs): {found:?}");
}

#[test]
fn every_room_of_the_library_is_in_the_rule() {
    // A new top-level module, public or private, must be placed in the table, or the rule would
    // not see it.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            l.strip_prefix("mod ").and_then(|m| m.strip_suffix(';'))
        })
        .collect();
    let known: Vec<&str> =
        FOUNDATIONS.iter().chain(ROOMS.iter().map(|(r, _)| r)).copied().collect();
    let mut modules = modules;
    modules.sort_unstable();
    let mut known = known;
    known.sort_unstable();
    assert_eq!(modules, known);
}

#[test]
fn the_check_sees_a_room_naming_a_higher_one() {
    assert_eq!(named("use crate::workflow::run::Simulation;", "output"), ["workflow"]);
    assert_eq!(named("/// see [`crate::sim::Prepared`]", "model"), ["sim"]);
    assert!(named("use vbpsim::workflow; use super::x; my_crate::sim", "output").is_empty());
    assert!(named("use crate::output::folder;", "output").is_empty());
}
