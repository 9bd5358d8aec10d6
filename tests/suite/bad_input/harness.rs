//! The harness: the bundled scenario's text with targeted edits, the line and column of an edit
//! computed here, and `vbpsim check` and `vbpsim run` on the bad file with their diagnostics read.

use crate::support::{listing, text_of, vbpsim};
use std::process::Output;

// Scenario texts stay inline here: each test is about an edit of the text and where its error
// points in it.
pub(super) const BUNDLED: &str = include_str!("../../../scenarios/nsclc_egfr.toml");

/// The bundled scenario without its `[population]` table (for the tests that give their own,
/// or that need a scenario without one).
pub(super) fn bundled_without_population() -> String {
    let start = BUNDLED.find("\n[population]\n").expect("the bundled scenario has a [population]");
    let end = start + 1 + BUNDLED[start + 1..].find("\n[").expect("a table after [population]");
    format!("{}{}", &BUNDLED[..start], &BUNDLED[end..])
}

// ---------------------------------------------------------------------------------------------
// Editing the scenario text and locating the edit.

/// Apply textual edits in order; each `old` must occur exactly once in the current text.
pub(super) fn apply(base: &str, edits: &[(&str, &str)]) -> String {
    let mut text = base.to_string();
    for (old, new) in edits {
        assert_eq!(
            text.matches(old).count(),
            1,
            "the edit target {old:?} must occur exactly once in the scenario"
        );
        text = text.replacen(old, new, 1);
    }
    text
}

/// The bundled scenario with one edit.
pub(super) fn edit(old: &str, new: &str) -> String {
    apply(BUNDLED, &[(old, new)])
}

/// 1-based line and column (in characters) of a byte offset, computed independently.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

/// Byte offset of `anchor` inside the text `context`, which must occur exactly once in `text`.
fn offset_in(text: &str, context: &str, anchor: &str) -> usize {
    assert_eq!(
        text.matches(context).count(),
        1,
        "{context:?} must occur exactly once in the edited scenario"
    );
    let start = text.find(context).unwrap();
    let within =
        context.find(anchor).unwrap_or_else(|| panic!("{anchor:?} is not inside {context:?}"));
    start + within
}

/// Line and column of `anchor` inside the unique `context`.
pub(super) fn loc(text: &str, context: &str, anchor: &str) -> (usize, usize) {
    line_col(text, offset_in(text, context, anchor))
}

/// Line and column just past the end of the unique `context` (where a parser stops).
pub(super) fn loc_after(text: &str, context: &str) -> (usize, usize) {
    line_col(text, offset_in(text, context, context) + context.len())
}

// ---------------------------------------------------------------------------------------------
// Running vbpsim on a bad file.

/// What `vbpsim check` printed for a bad scenario.
pub(super) struct Rejected {
    /// The scenario path as given on the command line (and so as shown in messages).
    pub(super) path: String,
    pub(super) stderr: String,
}

pub(super) fn assert_no_panic(out: &Output, what: &str) {
    let stderr = text_of(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{what}: vbpsim panicked:\n{stderr}"
    );
    assert!(
        out.status.code().is_some(),
        "{what}: vbpsim was killed by a signal ({:?})",
        out.status
    );
}

/// Write `bytes` as a scenario, run `check` and `run` on it, and require both to reject it with
/// exit code 2, the same message, and no output written.
pub(super) fn rejected_bytes(bytes: &[u8]) -> Rejected {
    rejected_beside(bytes, &[])
}

/// [`rejected_bytes`] with other files (name, text) in the scenario's folder, such as a life
/// table the scenario names.
pub(super) fn rejected_beside(bytes: &[u8], files: &[(&str, &str)]) -> Rejected {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, bytes).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut left: Vec<String> =
        files.iter().map(|(n, _)| n.to_string()).chain(["scenario.toml".into()]).collect();
    left.sort();
    let path = file.display().to_string();

    let check = vbpsim().arg("check").arg(&file).output().unwrap();
    assert_no_panic(&check, "vbpsim check");
    let stderr = text_of(&check.stderr);
    assert_eq!(
        check.status.code(),
        Some(2),
        "vbpsim check must exit 2 on a bad scenario; stderr:\n{stderr}"
    );
    assert!(
        check.stdout.is_empty(),
        "a rejected scenario prints no summary; stdout:\n{}",
        text_of(&check.stdout)
    );

    let out = dir.path().join("out");
    let run = vbpsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--patients")
        .arg("100")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_no_panic(&run, "vbpsim run");
    assert_eq!(
        run.status.code(),
        Some(2),
        "vbpsim run must exit 2 on a bad scenario; stderr:\n{}",
        text_of(&run.stderr)
    );
    assert_eq!(text_of(&run.stderr), stderr, "run and check report a bad scenario identically");
    assert!(!out.exists(), "a run with an invalid scenario wrote {out:?}");
    assert_eq!(listing(dir.path()), left, "a run with an invalid scenario left something behind");
    Rejected { path, stderr }
}

pub(super) fn rejected(text: &str) -> Rejected {
    rejected_bytes(text.as_bytes())
}

/// One diagnostic: its first line (`error: path:line:col: field: message`) and the whole block
/// (with the source excerpt and the help line).
pub(super) struct Diag {
    header: String,
    block: String,
}

impl Rejected {
    /// The diagnostic at `line:col` for `field` (empty for TOML syntax errors).
    pub(super) fn diag(&self, (line, col): (usize, usize), field: &str) -> Diag {
        let prefix = if field.is_empty() {
            format!("error: {}:{line}:{col}: ", self.path)
        } else {
            format!("error: {}:{line}:{col}: {field}: ", self.path)
        };
        let lines: Vec<&str> = self.stderr.lines().collect();
        let Some(i) = lines.iter().position(|l| l.starts_with(&prefix)) else {
            panic!("no diagnostic starting with {prefix:?} in stderr:\n{}", self.stderr)
        };
        let end = lines[i + 1..]
            .iter()
            .position(|l| l.starts_with("error: ") || is_count_line(l))
            .map_or(lines.len(), |k| i + 1 + k);
        Diag { header: lines[i].to_string(), block: lines[i..end].join("\n") }
    }

    /// The closing count line must say exactly `n` errors, and there must be `n` diagnostics.
    /// Some diagnostic says all of `words` (for errors whose location is a whole table).
    pub(super) fn says_somewhere(&self, words: &[&str]) {
        for w in words {
            assert!(self.stderr.contains(w), "stderr should say {w:?}:\n{}", self.stderr);
        }
    }

    pub(super) fn expect_count(&self, n: usize) {
        let want = format!("{n} error{} in {}", if n == 1 { "" } else { "s" }, self.path);
        let last = self.stderr.trim_end().lines().last().unwrap_or("");
        assert_eq!(last, want, "count line; stderr:\n{}", self.stderr);
        let headers = self
            .stderr
            .lines()
            .filter(|l| l.starts_with(&format!("error: {}:", self.path)))
            .count();
        assert_eq!(headers, n, "number of diagnostics; stderr:\n{}", self.stderr);
    }
}

pub(super) fn is_count_line(l: &str) -> bool {
    let mut words = l.split_whitespace();
    words.next().is_some_and(|w| w.parse::<usize>().is_ok())
        && matches!(words.next(), Some("error" | "errors"))
        && words.next() == Some("in")
}

impl Diag {
    /// The message (expected vs found) is on the header line.
    pub(super) fn says(&self, words: &[&str]) -> &Self {
        for w in words {
            assert!(self.header.contains(w), "diagnostic should say {w:?}:\n{}", self.block);
        }
        self
    }

    /// The help line (did-you-mean, list of defined names) belongs to this diagnostic.
    pub(super) fn helps(&self, words: &[&str]) -> &Self {
        let help = self
            .block
            .lines()
            .find(|l| l.trim_start().starts_with("= help:"))
            .unwrap_or_else(|| panic!("diagnostic has no help line:\n{}", self.block));
        for w in words {
            assert!(help.contains(w), "help should say {w:?}:\n{}", self.block);
        }
        self
    }

    /// The excerpt shows the offending source line.
    pub(super) fn shows(&self, source_line: &str) -> &Self {
        assert!(
            self.block.lines().any(|l| l.split_once(" | ").is_some_and(|(_, t)| t == source_line)),
            "diagnostic should quote the line {source_line:?}:\n{}",
            self.block
        );
        self
    }
}
