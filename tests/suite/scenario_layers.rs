//! Scenario analyses without copy-paste (docs, "Scenario analyses: extends, --set, compare"):
//! a scenario that `extends` a base, or a base with `--set` overrides, gives byte-identical
//! results to the hand-edited copy it stands for; errors name the file or the --set argument
//! that holds the value; `vbpsim compare` reproduces each scenario's own run on one seed.

use crate::support::{expect, text_of, vbpsim};
use std::path::{Path, PathBuf};

// Scenario texts stay inline here: these tests are about how layers of text merge and where
// their errors point.
const BUNDLED: &str = include_str!("../../scenarios/nsclc_egfr.toml");

/// Replace `old` by `new` in `text`, requiring that `old` occurs exactly once.
fn edit(text: &str, old: &str, new: &str) -> String {
    assert_eq!(text.matches(old).count(), 1, "the edit `{old}` applies once");
    text.replacen(old, new, 1)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Run a scenario (small, fixed size) with extra arguments and return its output folder.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    expect(
        vbpsim()
            .arg("run")
            .arg(scenario)
            .args(["--quiet", "--patients", "4000", "--out"])
            .arg(out)
            .args(extra),
        0,
    );
    out.to_path_buf()
}

/// The result tables that must agree byte for byte.
const TABLES: [&str; 4] = ["summary.csv", "costs.csv", "contracts.csv", "budget_impact.csv"];

fn same_tables(a: &Path, b: &Path) {
    for t in TABLES {
        let (x, y) = (std::fs::read(a.join(t)).unwrap(), std::fs::read(b.join(t)).unwrap());
        assert!(x == y, "{t} differs between {a:?} and {b:?}");
    }
}

#[test]
fn a_scenario_that_extends_a_base_equals_the_edited_copy() {
    let dir = tempfile::tempdir().unwrap();
    // The base in a subfolder: `extends` is relative to the file that names it.
    write(dir.path(), "base/nsclc.toml", BUNDLED);
    let derived = write(
        dir.path(),
        "derived.toml",
        r#"extends = "base/nsclc.toml"

[scenario]
horizon = "10 years"          # a table merges key by key
discount.costs = 0.035        # a dotted key too: outcomes keeps 0.03

[parameters]
egfr_prevalence = { value = 0.2 }   # inline: replaces the beta whole

[[regimens]]
name = "osimertinib"                # matched by name
drugs = [{ name = "osimertinib", price = 12000 }]   # the drug matched by name: cycle kept
progression.responder = { dist = "exponential", median = "20 months" }

[[contracts]]
name = "discount_35"                # a new name is appended
drug = "osimertinib"
regimens = ["osimertinib"]          # first line (12,000 here; 14,763 after chemotherapy)
kind = "discount"
discount = 0.35
"#,
    );
    let mut copy = edit(BUNDLED, "horizon = \"20 years\"", "horizon = \"10 years\"");
    copy = edit(
        &copy,
        "discount = { costs = 0.03, outcomes = 0.03 }",
        "discount = { costs = 0.035, outcomes = 0.03 }",
    );
    copy = edit(
        &copy,
        "egfr_prevalence = { dist = \"beta\", mean = 0.15, se = 0.015 }",
        "egfr_prevalence = { value = 0.2 }",
    );
    copy = edit(
        &copy,
        "drugs = [{ name = \"osimertinib\", price = \"osi_price\", cycle = \"30 days\" }]",
        "drugs = [{ name = \"osimertinib\", price = 12000, cycle = \"30 days\" }]",
    );
    copy = edit(
        &copy,
        "progression.responder = { dist = \"weibull\", shape = 1.5, median = \"osi_responder_median\" }",
        "progression.responder = { dist = \"exponential\", median = \"20 months\" }",
    );
    copy.push_str(
        "\n[[contracts]]\nname = \"discount_35\"\ndrug = \"osimertinib\"\nregimens = [\"osimertinib\"]\nkind = \"discount\"\ndiscount = 0.35\n",
    );
    let copy = write(dir.path(), "copy.toml", &copy);
    let a = run(&derived, &dir.path().join("a"), &[]);
    let b = run(&copy, &dir.path().join("b"), &[]);
    same_tables(&a, &b);
    let summary = std::fs::read_to_string(a.join("summary.csv")).unwrap();
    assert!(summary.contains("test_and_treat,discount_35,"), "the appended contract has an arm");
    // run.json names the layers, base first; a one-file scenario has no such key.
    let manifest = std::fs::read_to_string(a.join("run.json")).unwrap();
    let layers = manifest.find("\"scenario_layers\"").expect("layers recorded");
    let base_at = manifest[layers..].find("nsclc.toml").unwrap();
    let derived_at = manifest[layers..].find("derived.toml").unwrap();
    assert!(base_at < derived_at, "base first:\n{manifest}");
    let plain = std::fs::read_to_string(b.join("run.json")).unwrap();
    assert!(!plain.contains("scenario_layers"), "{plain}");
}

#[test]
fn set_overrides_equal_the_edited_copy_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.toml", BUNDLED);
    let mut copy = edit(BUNDLED, "horizon = \"20 years\"", "horizon = \"10 years\"");
    // A table over a named array addresses the entry by name.
    copy = edit(
        &copy,
        "# oral drug: no administration cost (assumption: dispensing fees ignored)\nadministration = 0",
        "administration = 50",
    );
    copy = edit(
        &copy,
        "ngs_cost = { dist = \"gamma\", mean = 3500, se = 350 }",
        "ngs_cost = { value = 3000 }",
    );
    let copy = write(dir.path(), "copy.toml", &copy);
    let sets = [
        "--set",
        "scenario.horizon=\"10 years\"",
        "--set",
        "regimens.osimertinib.administration=50",
        "--set",
        "parameters.ngs_cost={value=3000}",
    ];
    let a = run(&base, &dir.path().join("a"), &sets);
    let b = run(&copy, &dir.path().join("b"), &[]);
    same_tables(&a, &b);
    let manifest = std::fs::read_to_string(a.join("run.json")).unwrap();
    assert!(
        manifest.contains("\"--set regimens.osimertinib.administration=50\""),
        "the overrides are in run.json:\n{manifest}"
    );
    // Later --set arguments win over earlier ones.
    let c = run(
        &base,
        &dir.path().join("c"),
        &["--set", "scenario.horizon=\"5 years\"", "--set", "scenario.horizon=\"10 years\""],
    );
    let d = run(&base, &dir.path().join("d"), &["--set", "scenario.horizon=\"10 years\""]);
    same_tables(&c, &d);
}

#[test]
fn an_empty_array_clears_a_named_list() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.toml", BUNDLED);
    let cleared = vbpsim::scenario::load_with(
        Some(&base),
        &["regimens.osimertinib.adverse_events=[]".to_string()],
    )
    .unwrap();
    let plain = vbpsim::scenario::load(&base).unwrap();
    let count = |m: &vbpsim::model::Model| {
        m.regimens.iter().find(|r| r.name == "osimertinib").unwrap().adverse_events.len()
    };
    assert_eq!((count(&plain.model), count(&cleared.model)), (3, 0));
}

/// Line and column (1-based) of the first occurrence of `needle` in `text`.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn check_err(args: &[&str]) -> String {
    let out = expect(vbpsim().arg("check").args(args), 2);
    text_of(&out.stderr)
}

#[test]
fn errors_name_the_layer_that_holds_the_value() {
    let dir = tempfile::tempdir().unwrap();
    // An error left in the base (an unused misspelt key) and one in the derived file.
    let base_text = edit(BUNDLED, "seed = 2026\n", "seed = 2026\npatiens = 5\n");
    let base = write(dir.path(), "base.toml", &base_text);
    let derived_text = "extends = \"base.toml\"\n[scenario]\nhorizon = \"10 yeras\"\n";
    let derived = write(dir.path(), "derived.toml", derived_text);
    let err = check_err(&[derived.to_str().unwrap()]);
    let (l, c) = locate(derived_text, "\"10 yeras\"");
    assert!(
        err.contains(&format!("error: {}:{l}:{c}: scenario.horizon:", derived.display())),
        "{err}"
    );
    let (l, c) = locate(&base_text, "patiens");
    assert!(
        err.contains(&format!("error: {}:{l}:{c}: scenario.patiens:", base.display())),
        "{err}"
    );
    assert!(err.contains("did you mean `patients`?"), "{err}");

    // A value from --set: the argument is named and shown.
    let clean = write(dir.path(), "clean.toml", BUNDLED);
    let arg = "scenario.horizon=\"5 yeras\"";
    let err = check_err(&[clean.to_str().unwrap(), "--set", "seed=1", "--set", arg]);
    let col = arg.find('"').unwrap() + 1;
    assert!(err.contains(&format!("error: --set #2:1:{col}: scenario.horizon:")), "{err}");
    assert!(err.contains(&format!("1 | {arg}")), "the argument is shown:\n{err}");

    // An entry addressed by a name the base lacks.
    let err =
        check_err(&[clean.to_str().unwrap(), "--set", "regimens.osimertinb.administration=0"]);
    assert!(err.contains("error: --set #1:1:10: regimens.osimertinb: no entry named"), "{err}");
    assert!(err.contains("did you mean `osimertinib`?"), "{err}");

    // Text must be quoted: the hint says so.
    let err = check_err(&[clean.to_str().unwrap(), "--set", "scenario.name=foo"]);
    assert!(err.contains("error: --set #1:1:15: malformed TOML"), "{err}");
    assert!(err.contains("quote text"), "{err}");

    let err = check_err(&[clean.to_str().unwrap(), "--set", "extends=\"base.toml\""]);
    assert!(err.contains("`extends` cannot be given with --set"), "{err}");
}

#[test]
fn broken_extends_chains_are_reported_at_the_extends_value() {
    let dir = tempfile::tempdir().unwrap();
    let missing = write(dir.path(), "missing.toml", "extends = \"nowhere/base.toml\"\n");
    let err = check_err(&[missing.to_str().unwrap()]);
    assert!(
        err.contains(&format!(
            "error: {}:1:11: extends: cannot read base scenario",
            missing.display()
        )),
        "{err}"
    );
    assert!(err.contains("nowhere/base.toml"), "{err}");

    let a = write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    write(dir.path(), "b.toml", "# b\nextends = \"a.toml\"\n");
    let err = check_err(&[a.to_str().unwrap()]);
    assert!(err.contains("extends: `extends` makes a cycle"), "{err}");
    assert!(err.contains(":2:11:"), "reported in b.toml, line 2:\n{err}");

    let itself = write(dir.path(), "self.toml", "extends = \"self.toml\"\n");
    assert!(check_err(&[itself.to_str().unwrap()]).contains("makes a cycle"));

    let number = write(dir.path(), "number.toml", "extends = 3\n");
    let err = check_err(&[number.to_str().unwrap()]);
    assert!(err.contains("expected the path of a base scenario file, found integer"), "{err}");

    let folder = write(dir.path(), "folder.toml", "extends = \".\"\n");
    assert!(check_err(&[folder.to_str().unwrap()]).contains("is a directory"));
}

/// Rows of a CSV without quoted cells, as maps from column name to cell.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| header.iter().map(|h| h.to_string()).zip(l.split(',').map(String::from)).collect())
        .collect()
}

#[test]
fn compare_reproduces_each_scenarios_own_run_on_one_seed() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.toml", BUNDLED);
    // Another seed in the file: compare runs it on the first scenario's seed (2026).
    let cheaper = write(
        dir.path(),
        "cheaper.toml",
        "extends = \"base.toml\"\n[scenario]\nname = \"cheaper\"\nseed = 99\n[parameters]\nosi_price = { value = 9000 }\n",
    );
    let out = dir.path().join("cmp");
    expect(
        vbpsim()
            .arg("compare")
            .arg(&base)
            .arg(&cheaper)
            .args(["--quiet", "--patients", "4000", "--out"])
            .arg(&out),
        0,
    );
    let table = rows(&out.join("comparison.csv"));
    // The folder's report shows the table and names the scenarios.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<h1>Scenario comparison: nsclc_egfr, cheaper</h1>"), "report.html");
    assert!(page.contains("<th>Probability cost-effective</th>"), "report.html table");
    for (label, file) in [("nsclc_egfr", &base), ("cheaper", &cheaper)] {
        let own = run(file, &dir.path().join(label), &["--seed", "2026"]);
        let summary = crate::support::widened_rows(
            &own.join("summary.csv"),
            &own.join("nmb.csv"),
            &["strategy", "contract"],
        );
        let mine: Vec<_> = table.iter().filter(|r| r["scenario"] == label).collect();
        assert_eq!(mine.len(), summary.len() * 2, "{label}: one row per arm and threshold");
        for s in &summary {
            for lambda in ["100000", "150000"] {
                let r = mine
                    .iter()
                    .find(|r| {
                        r["strategy"] == s["strategy"]
                            && r["contract"] == s["contract"]
                            && r["wtp"] == lambda
                    })
                    .unwrap();
                for col in ["cost", "qaly", "ly", "inc_cost", "inc_qaly", "icer", "icer_status"] {
                    assert_eq!(r[col], s[col], "{label} {col}");
                }
                assert_eq!(r["nmb"], s[&format!("nmb_{lambda}")], "{label} nmb");
                assert_eq!(r["inc_nmb"], s[&format!("inc_nmb_{lambda}")], "{label} inc_nmb");
            }
        }
        // The budget impact's scenario table: each scenario's own totals.
        let totals = rows(&own.join("budget_impact_total.csv"));
        let budget = rows(&out.join("comparison_budget.csv"));
        let mine: Vec<_> = budget.iter().filter(|r| r["scenario"] == label).collect();
        assert_eq!(mine.len(), totals.len(), "{label}: one row per contract and year");
        for (r, t) in mine.iter().zip(&totals) {
            for col in [
                "contract",
                "year",
                "entrants",
                "spend_with",
                "spend_without",
                "net_budget_impact",
                "cumulative_net_budget_impact",
            ] {
                assert_eq!(r[col], t[col], "{label} {col}");
            }
        }
    }
    let manifest = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(manifest.contains("\"seed\": 2026"), "{manifest}");
    assert!(out.join("comparison.png").exists() && out.join("comparison.svg").exists());

    // Another threshold for every scenario: NMB = λ·QALY − cost, per row.
    let out = dir.path().join("cmp50");
    expect(
        vbpsim()
            .arg("compare")
            .arg(&base)
            .arg(&cheaper)
            .args(["--quiet", "--patients", "4000", "--threshold", "50000", "--out"])
            .arg(&out),
        0,
    );
    let table = rows(&out.join("comparison.csv"));
    assert_eq!(table.len(), 2 * 6, "six arms per scenario, one threshold");
    for r in &table {
        let f = |c: &str| r[c].parse::<f64>().unwrap();
        assert_eq!(r["wtp"], "50000");
        let nmb = 50000.0 * f("qaly") - f("cost");
        assert!((f("nmb") - nmb).abs() <= 1e-9 * nmb.abs().max(1.0), "{r:?}");
        let inc = 50000.0 * f("inc_qaly") - f("inc_cost");
        assert!((f("inc_nmb") - inc).abs() <= 1e-9 * f("cost").max(1.0), "{r:?}");
    }
}

#[test]
fn compare_checks_every_scenario_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.toml", BUNDLED);
    let bad = write(dir.path(), "bad.toml", "extends = \"good.toml\"\n[scenario]\nhorizon = -1\n");
    let out = dir.path().join("cmp");
    let o = expect(vbpsim().arg("compare").arg(&good).arg(&bad).arg("--out").arg(&out), 2);
    let err = text_of(&o.stderr);
    assert!(err.contains(&format!("error: {}:3:11: scenario.horizon", bad.display())), "{err}");
    assert!(!out.exists(), "nothing written");
    // One scenario is not a comparison.
    expect(vbpsim().arg("compare").arg(&good), 2);
}

#[test]
fn chains_report_each_files_errors_and_stop_at_sixteen_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", BUNDLED);
    // An error in the middle file of three is located in that file.
    let middle_text = "extends = \"base.toml\"\n\n[scenario]\nseed = -4\n";
    let middle = write(dir.path(), "middle.toml", middle_text);
    let top =
        write(dir.path(), "top.toml", "extends = \"middle.toml\"\n[scenario]\nname = \"top\"\n");
    let err = check_err(&[top.to_str().unwrap()]);
    let (l, c) = locate(middle_text, "-4");
    assert!(err.contains(&format!("error: {}:{l}:{c}: scenario.seed:", middle.display())), "{err}");

    // A name repeated within one override is a duplicate, as in a single file.
    let dup = write(
        dir.path(),
        "dup.toml",
        "extends = \"base.toml\"\n[[contracts]]\nname = \"d\"\ndrug = \"osimertinib\"\nkind = \"discount\"\ndiscount = 0.3\n[[contracts]]\nname = \"d\"\ndrug = \"osimertinib\"\nkind = \"discount\"\ndiscount = 0.4\n",
    );
    let err = check_err(&[dup.to_str().unwrap()]);
    assert!(err.contains("duplicate contract name `d`"), "{err}");

    // A missing table is reported in the file the user named, not in its base.
    write(dir.path(), "empty.toml", "");
    let bare = write(dir.path(), "bare.toml", "extends = \"empty.toml\"\n");
    let err = check_err(&[bare.to_str().unwrap()]);
    assert!(
        err.contains(&format!("error: {}:1:1: scenario: missing field", bare.display())),
        "{err}"
    );

    // Sixteen files (the scenario and fifteen bases) are read; a seventeenth is refused.
    write(dir.path(), "chain/f0.toml", BUNDLED);
    for i in 1..=16 {
        write(dir.path(), &format!("chain/f{i}.toml"), &format!("extends = \"f{}.toml\"\n", i - 1));
    }
    expect(vbpsim().arg("check").arg(dir.path().join("chain/f15.toml")), 0);
    let err = check_err(&[dir.path().join("chain/f16.toml").to_str().unwrap()]);
    assert!(err.contains("a chain of more than 16 files"), "{err}");
}

#[test]
fn compare_puts_every_scenario_on_the_first_ones_thresholds_and_currency() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.toml", BUNDLED);
    let other = write(
        dir.path(),
        "other.toml",
        "extends = \"base.toml\"\n[scenario]\nname = \"other\"\nthresholds = [50000]\n",
    );
    let out = dir.path().join("cmp");
    expect(
        vbpsim()
            .arg("compare")
            .arg(&base)
            .arg(&other)
            .args(["--quiet", "--patients", "2000", "--out"])
            .arg(&out),
        0,
    );
    let table = rows(&out.join("comparison.csv"));
    let of_other: Vec<&str> =
        table.iter().filter(|r| r["scenario"] == "other").map(|r| r["wtp"].as_str()).collect();
    assert_eq!(of_other.len(), 12, "6 arms × the first scenario's 2 thresholds");
    assert!(of_other.iter().all(|t| *t == "100000" || *t == "150000"), "{of_other:?}");

    // Labels: a repeated name falls back to the file.
    let twin = write(dir.path(), "twin.toml", "extends = \"base.toml\"\n");
    let out = dir.path().join("twins");
    expect(
        vbpsim()
            .arg("compare")
            .arg(&base)
            .arg(&twin)
            .args(["--quiet", "--patients", "1000", "--out"])
            .arg(&out),
        0,
    );
    let labels: std::collections::BTreeSet<String> =
        rows(&out.join("comparison.csv")).into_iter().map(|r| r["scenario"].clone()).collect();
    let expected: std::collections::BTreeSet<String> =
        [base.display().to_string(), twin.display().to_string()].into();
    assert_eq!(labels, expected);

    let euro =
        write(dir.path(), "euro.toml", "extends = \"base.toml\"\n[scenario]\ncurrency = \"EUR\"\n");
    let o = expect(vbpsim().arg("compare").arg(&base).arg(&euro).arg("--out").arg(&out), 2);
    assert!(text_of(&o.stderr).contains("compare needs one currency"));
    for bad in [&["--threshold", "5", "--threshold", "5"][..], &["--threshold", "1e13"]] {
        let o = expect(vbpsim().arg("compare").arg(&base).arg(&other).args(bad), 2);
        assert!(text_of(&o.stderr).contains("--threshold"), "{}", text_of(&o.stderr));
    }
}
