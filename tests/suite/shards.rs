//! Sharded runs (docs, "Sharded runs"): `run --shard K/N` on each block of PSA samples and
//! `merge` of the partial folders give the output folder of one run, byte for byte, for any
//! split; partial folders that do not belong together are refused with the reason.

use crate::support::{expect, listing, vbpsim};
use std::path::{Path, PathBuf};
use std::process::Output;

const BUNDLED: &str = include_str!("../../scenarios/nsclc_egfr.toml");
/// A small PSA of the default scenario, with a layer from the command line.
const SIZES: [&str; 6] =
    ["--samples", "10", "--patients", "1500", "--set", "scenario.horizon=\"15 years\""];

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `vbpsim run SCENARIO --quiet --out OUT <SIZES> <extra>`.
fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    expect(
        vbpsim()
            .arg("run")
            .arg(scenario)
            .arg("--quiet")
            .arg("--out")
            .arg(out)
            .args(SIZES)
            .args(extra),
        0,
    );
}

fn shard(scenario: &Path, out: &Path, k: u64, n: u64, extra: &[&str]) -> PathBuf {
    let dir = out.join(format!("shard-{k}-of-{n}"));
    let spec = format!("{k}/{n}");
    run(scenario, &dir, &[&["--shard", spec.as_str()][..], extra].concat());
    dir
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn merged_shards_equal_the_single_run_for_one_three_and_seven_shards() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, BUNDLED).unwrap();
    let single = dir.path().join("single");
    run(&scenario, &single, &["--threads", "2"]);
    let mut sharded = Vec::new();
    for n in [1u64, 3, 7] {
        let out = dir.path().join(format!("n{n}"));
        // Shards on one and two threads alike.
        let threads = |k: u64| if k.is_multiple_of(2) { "1" } else { "2" };
        let parts: Vec<PathBuf> =
            (1..=n).map(|k| shard(&scenario, &out, k, n, &["--threads", threads(k)])).collect();
        sharded.push((n, out, parts));
    }
    // The merge needs nothing but the partial folders: the scenario file may be gone.
    std::fs::remove_file(&scenario).unwrap();
    for (n, out, mut parts) in sharded {
        // Sizes of the blocks: 10 samples in n nearly equal runs of consecutive samples.
        let sizes: Vec<usize> = parts
            .iter()
            .map(|p| std::fs::read_to_string(p.join("samples.jsonl")).unwrap().lines().count())
            .collect();
        let expected: Vec<usize> =
            (1..=n).map(|k| ((k * 10 / n) - ((k - 1) * 10 / n)) as usize).collect();
        assert_eq!(sizes, expected, "{n} shards");
        assert_eq!(sizes.iter().sum::<usize>(), 10);
        parts.reverse(); // any order
        let merged = out.join("merged");
        expect(vbpsim().arg("merge").args(&parts).arg("--quiet").arg("--out").arg(&merged), 0);
        assert_eq!(listing(&merged), listing(&single), "{n} shards: the same files");
        for f in listing(&single) {
            if f == "run.json" {
                continue;
            }
            let (a, b) =
                (std::fs::read(single.join(&f)).unwrap(), std::fs::read(merged.join(&f)).unwrap());
            assert!(a == b, "{n} shards: {f} differs from the single run");
        }
        let (mut a, mut b) = (json(&single.join("run.json")), json(&merged.join("run.json")));
        for m in [&mut a, &mut b] {
            let m = m.as_object_mut().unwrap();
            for key in vbpsim::output::manifest::PROCESS_FIELDS {
                m.remove(*key);
            }
        }
        assert_eq!(a, b, "{n} shards: run.json differs only in the process's own fields");
        assert!(a["scenario_layers"].as_array().is_some_and(|l| l.len() == 2), "{a}");
    }
}

#[test]
fn shard_blocks_partition_the_samples() {
    for samples in [1u64, 2, 7, 10, 1000, 1001] {
        for n in [1u64, 2, 3, 7, 10, 13] {
            let blocks: Vec<_> =
                (1..=n).map(|k| vbpsim::workflow::run::shard_samples(samples, k, n)).collect();
            let all: Vec<u64> = blocks.iter().flat_map(|b| b.clone()).collect();
            assert_eq!(all, (1..=samples).collect::<Vec<_>>(), "S={samples} N={n}");
            let sizes: Vec<u64> = blocks.iter().map(|b| b.end - b.start).collect();
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1, "S={samples} N={n}: {sizes:?}");
        }
    }
}

#[test]
fn partial_folders_that_do_not_belong_together_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, BUNDLED).unwrap();
    let out = dir.path().join("parts");
    let s: Vec<PathBuf> = (1..=4).map(|k| shard(&scenario, &out, k, 4, &[])).collect();
    let target = dir.path().join("merged");
    let merge = |parts: &[&Path]| {
        let o = expect(vbpsim().arg("merge").args(parts).arg("--out").arg(&target), 2);
        assert!(!target.exists(), "nothing written");
        stderr(&o)
    };
    let err = merge(&[&s[0], &s[2]]);
    assert!(err.contains("missing shards 2, 4 of 4"), "{err}");
    let err = merge(&[&s[0], &s[1], &s[1], &s[2], &s[3]]);
    assert!(err.contains("shard 2 of 4 is given twice"), "{err}");

    let other_seed = dir.path().join("seed");
    run(&scenario, &other_seed, &["--shard", "2/4", "--seed", "7"]);
    let err = merge(&[&s[0], &other_seed, &s[2], &s[3]]);
    assert!(err.contains("the seed is 2026 in the first and 7 in the second"), "{err}");

    let other_scenario = dir.path().join("scenario");
    run(&scenario, &other_scenario, &["--shard", "2/4", "--set", "scenario.seed=2026"]);
    let err = merge(&[&s[0], &other_scenario, &s[2], &s[3]]);
    assert!(err.contains("the scenario (SHA-256 of its text)"), "{err}");

    let three = dir.path().join("three");
    run(&scenario, &three, &["--shard", "2/3"]);
    let err = merge(&[&s[0], &three]);
    assert!(err.contains("the number of shards is 4 in the first and 3"), "{err}");

    // Another version of vbpsim wrote it.
    let old = dir.path().join("old");
    run(&scenario, &old, &["--shard", "1/4"]);
    let manifest = std::fs::read_to_string(old.join("run.json")).unwrap();
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(manifest.contains(&version));
    std::fs::write(old.join("run.json"), manifest.replace(&version, "\"version\": \"0.0.1\""))
        .unwrap();
    let err = merge(&[&old, &s[1], &s[2], &s[3]]);
    assert!(err.contains("the vbpsim version is 0.0.1"), "{err}");

    // A truncated samples file.
    let cut = dir.path().join("cut");
    run(&scenario, &cut, &["--shard", "4/4"]);
    let lines = std::fs::read_to_string(cut.join("samples.jsonl")).unwrap();
    let first_line = lines.lines().next().unwrap().to_string() + "\n";
    std::fs::write(cut.join("samples.jsonl"), first_line).unwrap();
    let err = merge(&[&s[0], &s[1], &s[2], &cut]);
    assert!(err.contains("shard 4 of 4 should hold samples 8–10, found 1 samples"), "{err}");

    // Hand-edited files: a sample whose arms are not the scenario's, an absurd sample count,
    // zero patients. Refused without a panic or a huge allocation.
    let edit = |name: &str, file: &str, from: &str, to: &str| {
        let copy = dir.path().join(name);
        run(&scenario, &copy, &["--shard", "4/4"]);
        let text = std::fs::read_to_string(copy.join(file)).unwrap();
        assert!(text.contains(from), "{from} in {file}");
        std::fs::write(copy.join(file), text.replacen(from, to, 1)).unwrap();
        copy
    };
    // A sample's number edited (every line is tagged with its run and content).
    let arms = edit("arms", "samples.jsonl", "[8,", "[9,");
    let err = merge(&[&s[0], &s[1], &s[2], &arms]);
    assert!(err.contains("line 1 of") && err.contains("does not belong to this run"), "{err}");
    let huge = edit("huge", "run.json", "\"samples\": 10,", "\"samples\": 1000000000000000,");
    let err = merge(&[&huge]);
    assert!(err.contains("should hold samples"), "{err}");
    let nobody = edit("nobody", "run.json", "\"patients\": 1500,", "\"patients\": 0,");
    let err = merge(&[&nobody]);
    assert!(err.contains("patients = 0"), "{err}");
    // The output folder cannot be one of the inputs.
    let o = expect(vbpsim().arg("merge").args(&s).arg("--out").arg(&s[0]), 2);
    assert!(stderr(&o).contains("is one of the shard folders"), "{}", stderr(&o));
    assert!(s[0].join("samples.jsonl").exists(), "the input is untouched");

    // A complete run's folder is not a shard.
    let full = dir.path().join("full");
    run(&scenario, &full, &[]);
    let err = merge(&[&full]);
    assert!(err.contains("is not a shard folder"), "{err}");

    // Bad --shard values and a scenario without samples.
    for bad in ["0/3", "4/3", "3", "a/b", "1/100001"] {
        let o = expect(vbpsim().arg("run").arg(&scenario).args(["--shard", bad]), 2);
        assert!(stderr(&o).contains("expected K/N"), "{bad}: {}", stderr(&o));
    }
    let o =
        expect(vbpsim().arg("run").arg(&scenario).args(["--shard", "1/2", "--samples", "0"]), 2);
    assert!(stderr(&o).contains("has none (samples = 0)"), "{}", stderr(&o));
}
