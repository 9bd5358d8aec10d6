//! PSA samples kept on disk (docs, Guide → "Interrupted runs and --resume", "Sharded runs and
//! Slurm", "Robustness"): every line of a shard's or a checkpoint's samples is tagged with the
//! run it belongs to, so that a line copied from another run or edited by hand is never used;
//! a line of the wrong shape is an error, not a panic; numbers whose means overflow are
//! refused before anything is written; and a folder named like a checkpoint that vbpsim did
//! not mark as one is never written into or removed.

use crate::support::{expect, listing, text_of, vbpsim};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use vbpsim::analysis::psa::PsaSample;
use vbpsim::output::folder::Target;
use vbpsim::scenario::Scenario;
use vbpsim::workflow::RunOptions;
use vbpsim::workflow::checkpoint::{self, Checkpoint};
use vbpsim::workflow::run::simulate_shard;
use vbpsim::workflow::sample_lines::{self, RunIdentity};
use vbpsim::workflow::shard::{self, ShardRun};

/// The bundled default scenario, as the command line reads it.
fn scenario_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nsclc_egfr.toml")
}

fn scenario() -> Scenario {
    vbpsim::scenario::load_with(Some(&scenario_path()), &[]).unwrap()
}

const PATIENTS: u64 = 300;
const SAMPLES: u64 = 6;
const SIZES: [&str; 4] = ["--patients", "300", "--samples", "6"];

fn run_of(s: &Scenario, seed: u64, shard: (u64, u64)) -> ShardRun<'_> {
    ShardRun { scenario: s, seed, patients: PATIENTS, samples: SAMPLES, shard }
}

/// The PSA samples of block `shard` of the run with `seed`, simulated through the library.
fn samples(s: &Scenario, seed: u64, shard: (u64, u64)) -> Vec<PsaSample> {
    let options = RunOptions {
        patients: Some(PATIENTS),
        samples: Some(SAMPLES),
        seed: Some(seed),
        threads: Some(1),
        simulation_only: false,
        keep_budget_impact: false,
    };
    simulate_shard(s, &options, shard, &mut |_, _| {}).unwrap().0
}

/// `vbpsim run <bundled scenario> --quiet <SIZES> --out <out> <extra>`.
fn cli_run(out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = vbpsim();
    cmd.arg("run").arg(scenario_path()).arg("--quiet").args(SIZES).arg("--out").arg(out);
    cmd.args(extra);
    cmd
}

/// Every file of folder `a` is byte-identical in folder `b` (run.json aside: its timings).
fn same_outputs(a: &Path, b: &Path) {
    assert_eq!(listing(a), listing(b));
    for name in listing(a).into_iter().filter(|n| n != "run.json") {
        let same = std::fs::read(a.join(&name)).unwrap() == std::fs::read(b.join(&name)).unwrap();
        assert!(same, "{name} differs between {} and {}", a.display(), b.display());
    }
}

/// Replace a checkpoint's samples file by `text`, compressed as vbpsim writes it.
fn write_checkpoint(dir: &Path, text: &str) {
    let file = std::fs::File::create(checkpoint::samples_file(dir)).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gzip.write_all(text.as_bytes()).unwrap();
    gzip.finish().unwrap();
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

#[test]
fn merge_refuses_a_line_copied_from_another_run_edited_or_moved() {
    let dir = tempfile::tempdir().unwrap();
    let shard_dir = |name: &str, k: u64, extra: &[&str]| {
        let out = dir.path().join(name);
        let spec = format!("{k}/2");
        expect(&mut cli_run(&out, &[&["--shard", spec.as_str()][..], extra].concat()), 0);
        out
    };
    let (one, two) = (shard_dir("one", 1, &[]), shard_dir("two", 2, &[]));
    let other_seed = shard_dir("seed5", 1, &["--seed", "5"]);
    let target = dir.path().join("merged");
    let merge = |parts: &[&Path], code: i32| {
        let o = expect(
            vbpsim().arg("merge").args(parts).arg("--quiet").arg("--out").arg(&target),
            code,
        );
        text_of(&o.stderr)
    };
    let file = one.join("samples.jsonl");
    let original = std::fs::read_to_string(&file).unwrap();
    let ours = lines_of(&file);
    let refuse = |text: String, expected: &str| {
        std::fs::write(&file, text).unwrap();
        let err = merge(&[&one, &two], 2);
        assert!(err.contains(expected), "{expected}:\n{err}");
        assert!(!target.exists(), "nothing written");
        std::fs::write(&file, &original).unwrap();
    };
    // Line 2 taken from the same sample of a run with another seed: same shape, same number.
    let theirs = lines_of(&other_seed.join("samples.jsonl"));
    let copied = format!("{}\n{}\n{}\n", ours[0], theirs[1], ours[2]);
    let foreign = "line 2 of {}: it does not belong to this run or was edited";
    refuse(copied, &foreign.replace("{}", &file.display().to_string()));
    // One digit of a number edited.
    // (in the parameter values, after `[3,[`)
    let digit = ours[2][4..].find(|c: char| c.is_ascii_digit() && c != '0').unwrap() + 4;
    let mut edited = ours[2].clone();
    edited.replace_range(digit..digit + 1, if &ours[2][digit..=digit] == "9" { "8" } else { "9" });
    let text = format!("{}\n{}\n{edited}\n", ours[0], ours[1]);
    refuse(text, "line 3 of");
    // Lines of this run, swapped: each tag is right, but not in its place.
    let swapped = format!("{}\n{}\n{}\n", ours[1], ours[0], ours[2]);
    refuse(swapped, "line 1 of");
    let err = merge(&[&one, &two], 0);
    assert!(err.is_empty(), "{err}");
    assert!(target.join("summary.csv").exists());
}

#[test]
fn a_sample_of_the_wrong_shape_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario();
    let mut psa = samples(&s, 2026, (1, 1));
    psa[1].arms.pop();
    psa[2].budget.pop();
    // Written through the library: the tags are right, the shape is not.
    let part = dir.path().join("part");
    let run = run_of(&s, 2026, (1, 1));
    shard::write_shard(&run, &psa, (1, 0.0), &Target::new(&part, false, run.folder_kind()))
        .unwrap();
    let target = dir.path().join("merged");
    let o = expect(vbpsim().arg("merge").arg(&part).arg("--out").arg(&target), 2);
    let err = text_of(&o.stderr);
    assert!(err.contains("line 2 of") && err.contains("5 arms, expected 6"), "{err}");
    assert!(!target.exists());

    // The same samples in a checkpoint: not used, simulated again, the result unchanged.
    let out = dir.path().join("o");
    let opened = Checkpoint::open(&out, &run, false).unwrap();
    for sample in &psa {
        opened.checkpoint.record(sample);
    }
    drop(opened); // as if killed: the checkpoint stays
    // A line cut by hand: one arm's numbers removed from the text (its tag no longer matches).
    let cp = checkpoint::folder(&out);
    let mut lines = checkpoint::lines(&cp);
    // `[4,[values…],[[first arm],[second arm]…` → `[4,[values…],[[second arm]…`.
    let first_arm = lines[3].find("],[[[").unwrap() + 3;
    let second_arm = lines[3][first_arm..].find("]],[[").unwrap() + first_arm + 3;
    lines[3].replace_range(first_arm..second_arm, "");
    write_checkpoint(&cp, &(lines.join("\n") + "\n"));
    let o = expect(&mut cli_run(&out, &["--resume"]), 0);
    let err = text_of(&o.stderr);
    assert!(
        err.contains("warning: 3 lines of")
            && err.contains("not used, their samples simulated again: line 2: 5 arms, expected 6"),
        "{err}"
    );
    let reference = dir.path().join("reference");
    expect(&mut cli_run(&reference, &[]), 0);
    same_outputs(&reference, &out);
}

#[test]
fn resume_never_uses_a_copied_or_edited_line_and_finishes_as_the_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario();
    let out = dir.path().join("o");
    let ours = samples(&s, 2026, (1, 2)); // samples 1–3
    let theirs = samples(&s, 5, (1, 2));
    let opened = Checkpoint::open(&out, &run_of(&s, 2026, (1, 1)), false).unwrap();
    assert!(!opened.found && opened.done.is_empty());
    opened.checkpoint.record(&ours[0]);
    drop(opened);
    let cp = checkpoint::folder(&out);
    // Sample 2 from a checkpoint of seed 5, sample 3 edited, and a line cut by a kill.
    let copied = sample_lines::encode(&run_of(&s, 5, (1, 1)).identity(), &theirs[1]);
    let line = sample_lines::encode(&run_of(&s, 2026, (1, 1)).identity(), &ours[2]);
    let edited = line.replacen("[3,[", "[3,[1", 1);
    assert_ne!(edited, line);
    let mut text = checkpoint::lines(&cp).join("\n") + "\n" + &copied + &edited;
    text.push_str(&line[..100]);
    write_checkpoint(&cp, &text);
    assert_eq!(checkpoint::lines(&cp).len(), 3, "the cut line is not a line");

    let o = expect(&mut cli_run(&out, &["--resume"]), 0);
    let err = text_of(&o.stderr);
    let expected = format!(
        "warning: 2 lines of {} not used, their samples simulated again: line 2: it does not belong to this run or was edited",
        checkpoint::samples_file(&cp).display()
    );
    assert!(err.contains(&expected), "{err}");
    assert!(!cp.exists(), "the checkpoint is removed once the result is in place");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    // Sample 1 resumed; the base case and samples 2–6 simulated (2 strategies).
    assert_eq!(json["trajectories"].as_u64(), Some(2 * PATIENTS * (1 + SAMPLES - 1)));
    let reference = dir.path().join("reference");
    expect(&mut cli_run(&reference, &[]), 0);
    same_outputs(&reference, &out);
}

#[test]
fn tags_tie_a_line_to_its_run() {
    let s = scenario();
    let sample = &samples(&s, 2026, (1, 2))[0];
    let run = run_of(&s, 2026, (1, 1));
    let line = sample_lines::encode(&run.identity(), sample);
    let read = sample_lines::decode(&run.identity(), line.trim_end()).unwrap();
    assert_eq!(&read, sample, "read back bit for bit");
    // The same sample written by a shard of the same run is the same line.
    assert_eq!(sample_lines::encode(&run_of(&s, 2026, (1, 2)).identity(), sample), line);
    let other = |f: &dyn Fn(&mut RunIdentity)| {
        let mut id = run.identity();
        f(&mut id);
        sample_lines::decode(&id, line.trim_end())
    };
    let foreign = Err(sample_lines::LineError::Foreign);
    assert_eq!(other(&|id| id.seed += 1), foreign);
    assert_eq!(other(&|id| id.patients += 1), foreign);
    assert_eq!(other(&|id| id.samples += 1), foreign);
    assert_eq!(other(&|id| id.version.push('x')), foreign);
    assert_eq!(other(&|id| id.scenario_sha256 = "0".repeat(64)), foreign);
}

/// Every sample's first cost category of the second arm made 1.7e308: each number is finite,
/// their means are not.
fn huge(mut psa: Vec<PsaSample>) -> Vec<PsaSample> {
    for s in &mut psa {
        let arm = &mut s.arms[1];
        arm.categories[0] = 1.7e308;
        arm.cost.mean = arm.categories.iter().sum();
    }
    psa
}

#[test]
fn samples_whose_means_overflow_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario();
    let run = run_of(&s, 2026, (1, 1));
    let part = dir.path().join("part");
    let psa = huge(samples(&s, 2026, (1, 1)));
    shard::write_shard(&run, &psa, (1, 0.0), &Target::new(&part, false, run.folder_kind()))
        .unwrap();
    let target = dir.path().join("merged");
    let o = expect(vbpsim().arg("merge").arg(&part).arg("--out").arg(&target), 1);
    let err = text_of(&o.stderr);
    assert!(err.contains("non-finite") && err.contains("test_and_treat/list"), "{err}");
    assert_eq!(listing(dir.path()), ["part"], "nothing written, nothing left");

    // The same samples in a checkpoint: --resume refuses too.
    let out = dir.path().join("o");
    let opened = Checkpoint::open(&out, &run, false).unwrap();
    for sample in &psa {
        opened.checkpoint.record(sample);
    }
    drop(opened);
    let o = expect(&mut cli_run(&out, &["--resume"]), 1);
    let err = text_of(&o.stderr);
    assert!(err.contains("non-finite"), "{err}");
    // Resuming again would fail again: the hint says to start over, not to resume.
    assert!(err.contains("holds samples whose numbers overflow"), "{err}");
    assert!(err.contains("run without --resume"), "{err}");
    assert!(!err.contains("`--resume` continues"), "{err}");
    assert!(!out.exists(), "nothing written");
    assert_eq!(listing(dir.path()), [".o.resume", "part"], "only the checkpoint is left");
}

#[test]
fn a_folder_named_like_a_checkpoint_without_the_marker_is_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let theirs = dir.path().join(".p.resume");
    std::fs::create_dir(&theirs).unwrap();
    let cases: [&[(&str, &str)]; 3] = [
        &[("samples.jsonl", "my notes\n")],
        &[("samples.jsonl.gz", "not gzip"), ("run.json", "{\"tool\": \"someone\"}")],
        &[("run.json", "{\"tool\": \"vbpsim\", \"kind\": \"psa_shard\"}")],
    ];
    for files in cases {
        for (name, text) in files {
            std::fs::write(theirs.join(name), text).unwrap();
        }
        let o = expect(&mut cli_run(&out, &[]), 0);
        assert!(text_of(&o.stderr).contains("this run keeps no checkpoint"), "{files:?}");
        let o = expect(&mut cli_run(&out, &["--resume"]), 2);
        let err = text_of(&o.stderr);
        assert!(err.contains("is in the way of the run's checkpoint"), "{files:?}: {err}");
        assert!(err.contains("= help: move it away"), "{err}");
        for (name, text) in files {
            let kept = std::fs::read_to_string(theirs.join(name)).unwrap();
            assert_eq!(kept, *text, "{name} untouched");
        }
        for (name, _) in files {
            std::fs::remove_file(theirs.join(name)).unwrap();
        }
    }
}

#[test]
fn what_a_run_killed_while_creating_its_checkpoint_leaves_is_a_checkpoint() {
    // The states the creation of a checkpoint passes through, in its order of writes: the
    // folder, run.json (the marker) written to a temporary name and renamed, then the
    // samples file likewise. The next run takes each for a checkpoint, never for the user's.
    let s = scenario();
    let marker = || {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o");
        drop(Checkpoint::open(&out, &run_of(&s, 2026, (1, 1)), false).unwrap());
        std::fs::read_to_string(checkpoint::folder(&out).join("run.json")).unwrap()
    };
    let run_json = marker();
    let states: [&[(&str, &str)]; 4] = [
        &[],
        &[("run.json.tmp", "{\"tool\": \"vbp")],
        &[("run.json", &run_json)],
        &[("run.json", &run_json), ("samples.jsonl.gz.tmp", "")],
    ];
    for files in states {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o");
        let cp = checkpoint::folder(&out);
        std::fs::create_dir(&cp).unwrap();
        for (name, text) in files {
            std::fs::write(cp.join(name), text).unwrap();
        }
        let o = expect(&mut cli_run(&out, &["--resume"]), 0);
        let err = text_of(&o.stderr);
        assert!(!err.contains("warning"), "{files:?}: {err}");
        assert!(out.join("summary.csv").exists(), "{files:?}");
        if files.is_empty() {
            // An empty folder may as well be the user's: used, and left as it was found.
            assert!(cp.is_dir() && listing(&cp).is_empty(), "the empty folder is kept");
        } else {
            assert!(!cp.exists(), "{files:?}");
        }
    }
}
