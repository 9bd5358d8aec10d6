//! Files that cannot be read, every error of a file reported at once (with columns in
//! characters), no panic on any input (odd bytes, truncations, absurd sizes), and bad
//! command-line arguments.

use super::harness::{
    BUNDLED, apply, assert_no_panic, edit, is_count_line, loc, rejected, rejected_bytes,
};
use crate::support::{listing, text_of, vbpsim};

// ---------------------------------------------------------------------------------------------
// Missing file, directory, not UTF-8.

#[test]
fn missing_scenario_file_exits_2_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no_such_scenario.toml");
    for verb in ["check", "run", "bench"] {
        let out = vbpsim().arg(verb).arg(&missing).current_dir(dir.path()).output().unwrap();
        assert_no_panic(&out, verb);
        let stderr = text_of(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb}: {stderr}");
        assert!(
            stderr.contains(&missing.display().to_string()),
            "{verb}: the message names the missing file:\n{stderr}"
        );
        assert!(stderr.contains("cannot read scenario"), "{verb}: {stderr}");
    }
    assert!(listing(dir.path()).is_empty(), "nothing is written");
}

#[test]
fn directory_given_as_scenario_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("scenarios.toml");
    std::fs::create_dir(&sub).unwrap();
    for verb in ["check", "run"] {
        let out = vbpsim().arg(verb).arg(&sub).current_dir(dir.path()).output().unwrap();
        assert_no_panic(&out, verb);
        let stderr = text_of(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb}: {stderr}");
        assert!(stderr.contains(&sub.display().to_string()), "{stderr}");
        assert!(stderr.contains("directory"), "{stderr}");
    }
    assert_eq!(listing(dir.path()), ["scenarios.toml"]);
}

#[test]
fn scenario_that_is_not_utf8_exits_2() {
    let mut bytes = BUNDLED.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n# \xff\xfe\n");
    let r = rejected_bytes(&bytes);
    assert!(r.stderr.contains(&r.path), "{}", r.stderr);
    assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// All errors of a file at once.

#[test]
fn all_errors_of_a_file_are_reported_in_one_run() {
    let text = apply(
        BUNDLED,
        &[
            ("\nfailure = 0.13\n", "\nfailure = 1.3\n"),
            ("\nturnaround = \"15 days\"\n", "\nturnaround = 15\n"),
            ("\ncomparator = \"chemo_for_all\"\n", "\ncomparator = \"chemo\"\n"),
        ],
    );
    let r = rejected(&text);
    let comparator = loc(&text, "\ncomparator = \"chemo\"", "\"chemo\"");
    let failure = loc(&text, "\nfailure = 1.3", "1.3");
    let turnaround = loc(&text, "\nturnaround = 15", "15");
    r.diag(comparator, "scenario.comparator")
        .says(&["undefined strategy `chemo`"])
        .helps(&["chemo_for_all, test_and_treat"]);
    r.diag(failure, "tests[0].failure")
        .says(&["expected a probability between 0 and 1, found 1.3"]);
    r.diag(turnaround, "tests[0].turnaround")
        .says(&["expected a duration", "found a bare number 15"]);
    r.expect_count(3);
    assert!(r.stderr.trim_end().ends_with(&format!("3 errors in {}", r.path)));

    // In file order.
    let at = |l: (usize, usize)| r.stderr.find(&format!("{}:{}:{}:", r.path, l.0, l.1)).unwrap();
    assert!(at(comparator) < at(failure) && at(failure) < at(turnaround));
}

/// Columns count characters, not bytes: a second error after a non-ASCII name on the same line.
#[test]
fn columns_count_characters() {
    let text = edit(
        "rules = [{ positive = \"EGFR\", treat = \"osimertinib\" }]",
        "rules = [{ positive = \"ÉGFR\", treat = \"osimertinb\" }]",
    );
    let r = rejected(&text);
    let treat = loc(&text, "treat = \"osimertinb\"", "\"osimertinb\"");
    // The byte column differs, so this really tells characters from bytes.
    let line = "rules = [{ positive = \"ÉGFR\", treat = \"osimertinb\" }]";
    let byte = line.find("\"osimertinb").unwrap();
    assert_eq!(treat.1, line[..byte].chars().count() + 1);
    assert_ne!(treat.1, byte + 1);
    r.diag(treat, "strategies[1].rules[0].treat").says(&["undefined regimen `osimertinb`"]);
    r.diag(loc(&text, "positive = \"ÉGFR\"", "\"ÉGFR\""), "strategies[1].rules[0].positive")
        .says(&["undefined biomarker `ÉGFR`"])
        .helps(&["EGFR"]);
    r.expect_count(2);
}

// ---------------------------------------------------------------------------------------------
// No panic on any input.

#[test]
fn odd_inputs_exit_2_without_panicking() {
    let deep_array = format!("x = {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let deep_table = format!("x = {}1{}\n", "{a=".repeat(5_000), "}".repeat(5_000));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("empty file", Vec::new()),
        ("only a comment", b"# nothing here\n".to_vec()),
        ("binary", vec![0xff, 0xfe, 0x00, 0x01, 0x80]),
        ("NUL in text", b"[scenario]\nname = \"a\0b\"\n".to_vec()),
        (
            "wrong types everywhere",
            b"scenario = 5\nstates = []\nstrategies = \"x\"\nregimens = [1, 2]\ntests = [{}]\nbiomarkers = {}\nparameters = 3\npayer = 1\n".to_vec(),
        ),
        (
            "arrays of tables where tables belong",
            b"[[scenario]]\nname = \"x\"\n[states]\nprogression_free = 1\nprogressed = {}\ndeath = []\n[[strategies]]\n".to_vec(),
        ),
        ("deeply nested arrays", deep_array.into_bytes()),
        ("deeply nested tables", deep_table.into_bytes()),
        (
            "non-finite numbers",
            edit("\nfailure = 0.13\n", "\nfailure = nan\n").into_bytes(),
        ),
        (
            "infinity",
            edit("\nfailure = 0.13\n", "\nfailure = -inf\n").into_bytes(),
        ),
        (
            "overflowing float",
            edit("\nfailure = 0.13\n", "\nfailure = 1e400\n").into_bytes(),
        ),
        (
            "overflowing duration",
            edit(
                "\nturnaround = \"15 days\"\n",
                "\nturnaround = \"1e400 days\"\n",
            )
            .into_bytes(),
        ),
        (
            "overflowing integer",
            edit(
                "\npatients = 200000\n",
                "\npatients = 99999999999999999999999\n",
            )
            .into_bytes(),
        ),
        (
            "unterminated multi-line string at end of file",
            format!("{BUNDLED}\nx = \"\"\"never closed").into_bytes(),
        ),
        (
            "unknown distribution",
            edit("{ dist = \"weibull\", shape = 1.5, median = \"9.5 months\" }", "{ dist = \"weibul\", shape = 1.5, median = \"9.5 months\" }").into_bytes(),
        ),
        (
            "reflex test loop",
            edit("\non_failure = \"negative\"\n", "\non_failure = \"tissue_ngs\"\n").into_bytes(),
        ),
    ];
    for (what, bytes) in inputs {
        let r = rejected_bytes(&bytes);
        assert!(
            r.stderr.starts_with("error"),
            "{what}: the message starts with `error`:\n{}",
            r.stderr
        );
    }
}

/// Every truncation of the bundled scenario (at each line end and mid-line) and every deletion
/// of one line is either valid or a clean exit 2 with located errors: never a panic.
#[test]
fn truncated_or_mangled_scenarios_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let mut variants: Vec<String> = Vec::new();
    let mut offset = 0;
    for line in BUNDLED.split_inclusive('\n') {
        let mid = offset + line.char_indices().nth(line.chars().count() / 2).map_or(0, |(i, _)| i);
        variants.push(BUNDLED[..mid].to_string());
        offset += line.len();
        variants.push(BUNDLED[..offset].to_string());
    }
    let lines: Vec<&str> = BUNDLED.split_inclusive('\n').collect();
    for i in 0..lines.len() {
        if lines[i].trim_start().starts_with('#') || lines[i].trim().is_empty() {
            continue;
        }
        let mut v = String::new();
        for (k, l) in lines.iter().enumerate() {
            if k != i {
                v.push_str(l);
            }
        }
        variants.push(v);
    }
    for (k, v) in variants.iter().enumerate() {
        std::fs::write(&file, v).unwrap();
        let out = vbpsim().arg("check").arg(&file).output().unwrap();
        assert_no_panic(&out, &format!("variant {k}"));
        let stderr = text_of(&out.stderr);
        match out.status.code() {
            Some(0) => assert!(stderr.is_empty(), "variant {k}: {stderr}"),
            Some(2) => {
                let path = file.display().to_string();
                assert!(
                    stderr.starts_with(&format!("error: {path}:")),
                    "variant {k}: errors are located:\n{stderr}\n--- scenario:\n{v}"
                );
                let last = stderr.trim_end().lines().last().unwrap_or("");
                assert!(
                    is_count_line(last) && last.ends_with(&format!(" in {path}")),
                    "variant {k}: closing count line:\n{stderr}"
                );
            }
            other => panic!("variant {k}: exit code {other:?}:\n{stderr}\n--- scenario:\n{v}"),
        }
    }
}

/// Absurd sizes are refused. A horizon of 1e300 years passes `check`, and `run`
/// exits 0 with a survival.csv that has a header and no rows (the month count overflows).
#[test]

fn absurd_horizon_is_refused() {
    let text = edit("\nhorizon = \"20 years\"\n", "\nhorizon = \"1e300 years\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nhorizon = \"1e300 years\"", "\"1e300"), "scenario.horizon");
}

/// Finite but huge amounts overflow the sums: the run exits 0 with `inf` and `NaN` in
/// summary.csv (and an icer_status of `dominant` computed from NaN). Such a scenario must be
/// refused, or the outputs must stay finite.
#[test]

fn huge_costs_do_not_produce_non_finite_outputs() {
    let text = edit("\nadministration = 150\n", "\nadministration = 1e308\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, &text).unwrap();
    let out_dir = dir.path().join("out");
    let out = vbpsim()
        .args(["run", "--patients", "200", "--quiet", "--out"])
        .arg(&out_dir)
        .arg(&file)
        .output()
        .unwrap();
    assert_no_panic(&out, "run");
    match out.status.code() {
        Some(2) => {}
        Some(0) => {
            for name in ["summary.csv", "costs.csv", "survival.csv"] {
                let csv = std::fs::read_to_string(out_dir.join(name)).unwrap();
                let lower = csv.to_lowercase();
                assert!(
                    !lower.contains("nan") && !lower.contains("inf"),
                    "{name} has non-finite numbers:\n{csv}"
                );
            }
        }
        other => panic!("exit code {other:?}: {}", text_of(&out.stderr)),
    }
}

// ---------------------------------------------------------------------------------------------
// Bad command-line arguments (clap): exit 2, nothing written.

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--bogus"], "--bogus"),
        (&["run", "--patients", "0"], "--patients"),
        (&["run", "--patients", "abc"], "--patients"),
        (&["run", "--patients", "-3"], "-3"),
        (&["run", "--threads", "0"], "--threads"),
        (&["run", "--seed", "x"], "--seed"),
        (&["bench", "--patients", "0"], "--patients"),
        (&["check"], "SCENARIO"),
        (&["frobnicate"], "frobnicate"),
        (&[], "Usage"),
    ];
    for (args, mention) in cases {
        let out = vbpsim().args(*args).current_dir(dir.path()).output().unwrap();
        assert_no_panic(&out, &format!("{args:?}"));
        let stderr = text_of(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(mention), "{args:?}: stderr should mention {mention:?}:\n{stderr}");
    }
    assert!(listing(dir.path()).is_empty(), "bad arguments write nothing");
}
