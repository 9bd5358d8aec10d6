//! Outputs that grow with the PSA samples (docs, Outputs → psa.csv and ce_plane; Guide →
//! Limits): the cost-effectiveness plane draws at most `CE_PLANE_MOST_SAMPLES` samples per arm,
//! evenly spaced and said so, and is unchanged below that; psa.csv is left out above
//! `PSA_TABLE_MOST_SAMPLES` samples, with a warning in run.json, unless asked for.

use crate::support::{expect, listing, text_of, vbpsim};
use std::path::Path;
use vbpsim::analysis::results::PSA_TABLE_MOST_SAMPLES;
use vbpsim::output::folder::{Kind, Target};
use vbpsim::output::{CE_PLANE_MOST_SAMPLES, ce_plane_basis, ce_plane_samples};
use vbpsim::workflow::RunOptions;
use vbpsim::workflow::run::write_outputs;

#[test]
fn the_ce_plane_keeps_every_sample_up_to_its_cap_and_evenly_spaced_ones_above() {
    for n in [0, 1, 7, CE_PLANE_MOST_SAMPLES] {
        assert_eq!(ce_plane_samples(n), (0..n).collect::<Vec<_>>(), "{n} samples: all drawn");
    }
    assert_eq!(ce_plane_basis(0), "base case");
    assert_eq!(ce_plane_basis(CE_PLANE_MOST_SAMPLES), "PSA samples");
    let above = ce_plane_samples(CE_PLANE_MOST_SAMPLES + 1);
    assert_eq!(above.len(), CE_PLANE_MOST_SAMPLES);
    assert_eq!(above[0], 0);
    let million = ce_plane_samples(1_000_000);
    assert_eq!(million.len(), CE_PLANE_MOST_SAMPLES);
    let step = 1_000_000 / CE_PLANE_MOST_SAMPLES;
    assert!(million.iter().enumerate().all(|(i, &k)| k == i * step), "evenly spaced");
    assert_eq!(
        ce_plane_basis(1_000_000),
        format!("{CE_PLANE_MOST_SAMPLES} of 1000000 PSA samples, evenly spaced")
    );
}

/// `vbpsim run --patients 1 --samples <samples> --out <out>` (the default scenario: about a
/// millisecond per sample).
fn run(out: &Path, samples: usize) {
    let samples = samples.to_string();
    let args = ["run", "--quiet", "--patients", "1", "--samples", samples.as_str(), "--out"];
    expect(vbpsim().args(args).arg(out), 0);
}

#[test]
fn a_run_above_the_cap_draws_the_cap_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (at, above) = (dir.path().join("at"), dir.path().join("above"));
    run(&at, CE_PLANE_MOST_SAMPLES);
    run(&above, CE_PLANE_MOST_SAMPLES + 1);
    let svg = |d: &Path| std::fs::read_to_string(d.join("ce_plane.svg")).unwrap();
    let circles = |d: &Path| svg(d).matches("<circle").count();
    // Five arms against the comparator, a point per sample drawn, and a legend.
    assert!(circles(&at) > 5 * CE_PLANE_MOST_SAMPLES, "{}", circles(&at));
    assert_eq!(circles(&above), circles(&at), "the same number of points");
    let said = format!("{CE_PLANE_MOST_SAMPLES} of {} PSA samples, evenly spaced", {
        CE_PLANE_MOST_SAMPLES + 1
    });
    assert!(svg(&above).contains(&said), "the title says it");
    assert!(!svg(&at).contains("evenly spaced"));
    let report = std::fs::read_to_string(above.join("report.html")).unwrap();
    assert!(
        report.contains(&format!(
            "(ce_plane.png, ce_plane.svg): {said} (the tables use every sample)"
        ))
    );
    // The tables use every sample.
    let rows = std::fs::read_to_string(above.join("psa.csv")).unwrap().lines().count();
    assert_eq!(rows, 1 + 6 * (CE_PLANE_MOST_SAMPLES + 1));
}

#[test]
fn psa_csv_is_left_out_above_its_cap_with_a_warning_unless_asked_for() {
    // A scenario without uncertain parameters or budget impact keeps a sample small; its
    // samples are repeated past the cap (the analyses need not differ between them).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/analytic_two_arm.toml");
    let s = vbpsim::scenario::load_with(Some(&path), &[]).unwrap();
    let options =
        RunOptions { patients: Some(20), samples: Some(2), threads: Some(1), ..Default::default() };
    let mut sim = crate::support::run(&s, &options);
    let many: Vec<_> = (1..=PSA_TABLE_MOST_SAMPLES as u64 + 1)
        .map(|k| {
            let mut sample = sim.psa[(k % 2) as usize].clone();
            sample.sample = k;
            sample
        })
        .collect();
    sim.results.set_psa(&s.model, many);
    assert!(!sim.psa_table);
    let warning = |sim: &vbpsim::workflow::Simulation| {
        sim.warnings.iter().any(|w| w.starts_with("psa.csv is not written"))
    };
    assert!(warning(&sim));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    write_outputs(&s, &sim, &Target::new(&out, false, Kind::Run)).unwrap();
    let files = listing(&out);
    assert!(!files.contains(&"psa.csv".to_string()), "{files:?}");
    for kept in ["parameters.csv", "psa_summary.csv", "ceac.csv", "ce_plane.svg"] {
        assert!(files.contains(&kept.to_string()), "{kept}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["samples"].as_u64(), Some(PSA_TABLE_MOST_SAMPLES as u64 + 1));
    let said = json["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str().is_some_and(|w| w.contains("psa.csv is not written") && w.contains("--psa-csv"))
    });
    assert!(said, "{json}");
    // Asked for (`--psa-csv`): written, the warning gone.
    sim.results.keep_psa_table();
    assert!(sim.psa_table && !warning(&sim));
}

#[test]
fn the_psa_csv_flag_changes_nothing_below_the_cap_and_is_for_runs_and_merges() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, asked) = (dir.path().join("plain"), dir.path().join("asked"));
    let args = ["run", "--quiet", "--patients", "50", "--samples", "3", "--out"];
    expect(vbpsim().args(args).arg(&plain), 0);
    expect(vbpsim().args(args).arg(&asked).arg("--psa-csv"), 0);
    let psa = |d: &Path| std::fs::read(d.join("psa.csv")).unwrap();
    assert_eq!(psa(&plain), psa(&asked));
    // A shard holds samples, not psa.csv: the flag belongs to the merge.
    let o = expect(vbpsim().args(args).arg(dir.path().join("s")).args(["--shard", "1/1"]), 0);
    assert!(text_of(&o.stderr).is_empty());
    let o = expect(
        vbpsim().args(args).arg(dir.path().join("x")).args(["--shard", "1/1", "--psa-csv"]),
        2,
    );
    assert!(text_of(&o.stderr).contains("--psa-csv"), "{}", text_of(&o.stderr));
    let merged = dir.path().join("merged");
    let merge = ["merge", "--quiet", "--psa-csv", "--out"];
    expect(vbpsim().args(merge).arg(&merged).arg(dir.path().join("s")), 0);
    assert_eq!(psa(&merged), psa(&plain));
}
