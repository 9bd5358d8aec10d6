//! Robustness of the command line (docs, "Robustness"): misuse gets one line and a hint with
//! exit code 2 (input) or 1 (environment); absurd sizes are refused before simulating, with
//! the estimate and the flag that overrides; output folders are replaced only when vbpsim
//! wrote them, or moved aside (never deleted) with --force; an interrupted run leaves the
//! previous result intact, and its temporary folder is cleaned up by the next run.

use crate::support::vbpsim;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Run, require exit code `code` and no panic; returns stderr.
fn expect(cmd: &mut assert_cmd::Command, code: i32) -> (Output, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "vbpsim panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(code), "exit code; stderr:\n{stderr}");
    (out, stderr)
}

/// An error of one line and a hint: `error: …` then `  = help: …`.
fn assert_one_line_and_hint(stderr: &str, says: &str, hint: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line and a hint:\n{stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(says), "{stderr}");
    assert!(lines[1].starts_with("  = help: ") && lines[1].contains(hint), "{stderr}");
}

#[test]
fn command_line_misuse_is_one_line_and_a_hint_with_exit_2() {
    let cases: [(&[&str], &str, &str); 8] = [
        (&["run", "--foo"], "unexpected argument '--foo'", "`vbpsim run --help` lists its options"),
        (&["run", "--ot", "x"], "unexpected argument '--ot'", "did you mean `--out`?"),
        (&["run", "--quiett"], "unexpected argument '--quiett'", "did you mean `--quiet`?"),
        (&["run", "--patients", "abc"], "invalid value 'abc' for '--patients", "vbpsim run --help"),
        (&["run", "--patients", "0"], "0 is not in 1..=100000000000", "vbpsim run --help"),
        (&["run", "--samples", "-3"], "'-3'", "vbpsim run --help"),
        (&["rn"], "unrecognized subcommand 'rn'", "did you mean `run`?"),
        (&["merge"], "required arguments were not provided: <SHARDS>", "vbpsim merge --help"),
    ];
    for (args, says, hint) in cases {
        let (_, stderr) = expect(vbpsim().args(args), 2);
        assert_one_line_and_hint(&stderr, says, hint);
    }
    // Help and version are not errors.
    let (out, _) = expect(vbpsim().args(["run", "--help"]), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--force"));
    expect(vbpsim().arg("--version"), 0);
}

#[test]
fn a_scenario_given_as_a_directory_or_missing_is_exit_2() {
    let (_, stderr) = expect(vbpsim().args(["run", "scenarios"]), 2);
    assert_one_line_and_hint(&stderr, "is a directory, expected a .toml file", "vbpsim init");
    let (_, stderr) = expect(vbpsim().args(["check", "no/such/scenario.toml"]), 2);
    assert_one_line_and_hint(&stderr, "cannot read scenario no/such/scenario.toml", "vbpsim init");
    // A file saved as Latin-1: the line and column of the first byte that is not UTF-8 (the
    // bytes stay inline: the test is about the file's encoding).
    let dir = tempfile::tempdir().unwrap();
    let latin = dir.path().join("latin.toml");
    std::fs::write(&latin, b"[scenario]\nname = \"caf\xe9\"\n").unwrap();
    let (_, stderr) = expect(vbpsim().arg("check").arg(&latin), 2);
    let at = format!("{}:2:12: not UTF-8 text: byte 0xe9", latin.display());
    assert_one_line_and_hint(&stderr, &at, "save the file as UTF-8");
}

#[test]
fn an_output_folder_that_cannot_be_created_is_exit_1_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    // A file where a parent folder should be.
    let file = dir.path().join("a_file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("out");
    let (_, stderr) =
        expect(vbpsim().args(["run", "--patients", "100", "--quiet", "--out"]).arg(&out), 1);
    assert_one_line_and_hint(
        &stderr,
        &format!("cannot create output folder {}", out.display()),
        "a file stands where a folder is needed; choose an output folder you can write with --out",
    );
    // /proc is the operating system's: refused before anything is tried (as root too).
    let (_, stderr) =
        expect(vbpsim().args(["run", "--patients", "100", "--quiet", "--out", "/proc/vbpsim"]), 2);
    assert_one_line_and_hint(
        &stderr,
        "refusing to write /proc/vbpsim: it is inside /proc",
        "--out",
    );
    // Nothing was left beside the file.
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a_file")]);
}

#[test]
fn absurd_sizes_are_refused_with_the_estimate_and_the_override() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // 10^11 patients × 2 strategies × 1,001 simulations: 2.002·10^14 trajectories, some 400
    // days at 5 M a second (and a few MiB of PSA rows: the memory check passes).
    let (_, stderr) = expect(
        vbpsim()
            .args(["run", "--patients", "100000000000", "--samples", "1000", "--out"])
            .arg(&out),
        2,
    );
    assert_one_line_and_hint(
        &stderr,
        "this run would simulate 2.002e14 trajectories in 1001 simulations: about",
        "add --allow-large to run it anyway",
    );
    assert!(
        stderr.contains("days at the guard's reference speed")
            && stderr.contains("more than a day")
    );
    assert!(stderr.contains("trajectories per second on this machine: about"), "{stderr}");
    assert!(!out.exists() && !dir.path().join(".out.resume").exists(), "nothing written");
    // The same for the other commands that simulate.
    let (_, stderr) = expect(vbpsim().args(["price", "--patients", "100000000000"]), 2);
    assert!(stderr.contains("more than a day"), "{stderr}");
    let (_, stderr) = expect(
        vbpsim()
            .args(["run", "--shard", "1/2", "--patients", "100000000000", "--samples", "1000"])
            .arg("--out")
            .arg(&out),
        2,
    );
    assert!(
        stderr.starts_with("error: this shard would simulate 1.000e14 trajectories"),
        "{stderr}"
    );
    // PSA samples beyond the limit, in the scenario file as on the command line.
    let set = ["check", "scenarios/nsclc_egfr.toml", "--set", "scenario.samples=1000001"];
    let (_, stderr) = expect(vbpsim().args(set), 2);
    let says = "scenario.samples: expected at most 1000000 PSA samples, found 1000001";
    assert!(stderr.contains(says), "{stderr}");
}

/// A folder with a file the user wrote.
fn users_folder(dir: &Path) -> PathBuf {
    let mine = dir.join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "my notes").unwrap();
    mine
}

#[test]
fn force_moves_a_folder_aside_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mine = users_folder(dir.path());
    let run = |extra: &[&str], code| {
        expect(
            vbpsim().args(["run", "--patients", "100", "--quiet", "--out"]).arg(&mine).args(extra),
            code,
        )
        .1
    };
    // Without --force: refused (exit 2), untouched.
    let stderr = run(&[], 2);
    assert_one_line_and_hint(&stderr, "was not written by vbpsim", "add --force to move it aside");
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "my notes");
    // With --force: the new output takes its place, the old folder is beside it, whole; the
    // note says so even with --quiet.
    let note = run(&["--force"], 0);
    assert!(note.starts_with("note: --force: the previous") && note.lines().count() == 1, "{note}");
    assert!(mine.join("run.json").exists() && !mine.join("notes.txt").exists());
    let asides: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("mine.before-vbpsim-"))
        .collect();
    assert_eq!(asides.len(), 1, "one folder moved aside");
    assert_eq!(std::fs::read_to_string(asides[0].join("notes.txt")).unwrap(), "my notes");
    // A vbpsim folder holding a file of the user's: refused, then moved aside with --force.
    std::fs::write(mine.join("extra.txt"), "mine too").unwrap();
    let stderr = run(&[], 2);
    assert!(stderr.contains("holds files vbpsim did not write (extra.txt)"), "{stderr}");
    // Not quiet: the note says where it went.
    let (_, stderr) =
        expect(vbpsim().args(["run", "--patients", "100", "--force", "--out"]).arg(&mine), 0);
    assert!(stderr.starts_with("note: --force: the previous"), "{stderr}");
    let moved = stderr.split(" aside to ").nth(1).unwrap().split(" (nothing").next().unwrap();
    assert_eq!(std::fs::read_to_string(Path::new(moved).join("extra.txt")).unwrap(), "mine too");
    // A folder vbpsim wrote alone is simply replaced, nothing moved aside.
    let before = std::fs::read_dir(dir.path()).unwrap().count();
    run(&["--force"], 0);
    run(&[], 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
}

/// The pid of a process that has ended, other than `not`.
fn dead_pid(not: u32) -> u32 {
    loop {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        if pid != not {
            return pid;
        }
    }
}

/// The staging folder name a run of process `pid` on this machine uses for `out`.
fn staging(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!(".out.partial-{}.{pid}", vbpsim::output::folder::host()))
}

#[test]
fn ctrl_c_leaves_the_previous_result_and_the_next_run_clears_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = ["run", "--patients", "20000", "--quiet", "--threads", "2"];
    expect(vbpsim().args(args).args(["--samples", "0", "--out"]).arg(&out), 0);
    let summary = std::fs::read(out.join("summary.csv")).unwrap();
    // A long PSA interrupted by SIGINT (Ctrl-C) once it has checkpointed a sample: long
    // enough (about a minute on 2 cores) that it cannot end first, however late this thread
    // gets to send the signal on a loaded machine.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_vbpsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .args(["--samples", "4000", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let checkpoint = dir.path().join(".out.resume");
    let started = std::time::Instant::now();
    while vbpsim::workflow::checkpoint::lines(&checkpoint).is_empty() {
        assert!(started.elapsed().as_secs() < 120, "no checkpoint within two minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to a child process we started and still own.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let interrupted = child.wait_with_output().unwrap();
    assert_eq!(interrupted.status.code(), Some(130), "interrupted");
    // It says how many samples are kept, where, and how to continue: all of them resume.
    let said = String::from_utf8_lossy(&interrupted.stderr);
    let kept: usize = said
        .split("interrupted: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of kept samples: {said}"));
    assert!(said.contains(&format!("kept in {}", checkpoint.display())), "{said}");
    assert!(said.contains("the same command with --resume continues from them"), "{said}");
    let lines = vbpsim::workflow::checkpoint::lines(&checkpoint).len();
    assert!(kept >= 1 && lines >= kept, "said {kept}, the checkpoint holds {lines}");
    assert_eq!(std::fs::read(out.join("summary.csv")).unwrap(), summary, "previous result intact");
    // Temporary folders of killed runs (Ctrl-C skips clean-up; so do SIGKILL and crashes):
    // one holding only output files is removed by the next run; one holding anything else,
    // and one of a running process, are not.
    let first = dead_pid(0);
    let abandoned = staging(dir.path(), first);
    std::fs::create_dir(&abandoned).unwrap();
    std::fs::write(abandoned.join("summary.csv"), "half").unwrap();
    let foreign = staging(dir.path(), dead_pid(first));
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let running = staging(dir.path(), std::process::id());
    std::fs::create_dir(&running).unwrap();
    // Another machine's (a disk shared by a cluster): its process ids mean nothing here.
    let elsewhere = dir.path().join(format!(".out.partial-othermachine.{first}"));
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("summary.csv"), "half").unwrap();
    expect(vbpsim().args(args).args(["--samples", "0", "--out"]).arg(&out), 0);
    assert!(!abandoned.exists(), "an abandoned temporary folder is removed");
    assert!(foreign.join("notes.txt").exists(), "a folder with other files is kept");
    assert!(running.exists(), "a running process's folder is kept");
    assert!(elsewhere.exists(), "another machine's folder is kept");
}

#[test]
fn a_replaced_folder_is_swapped_whole_and_a_users_folder_named_like_an_output_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = ["run", "--patients", "200", "--samples", "0", "--quiet", "--out"];
    expect(vbpsim().args(args).arg(&out).args(["--seed", "1"]), 0);
    let first = std::fs::read(out.join("summary.csv")).unwrap();
    expect(vbpsim().args(args).arg(&out).args(["--seed", "2"]), 0);
    let second = std::fs::read(out.join("summary.csv")).unwrap();
    assert_ne!(first, second, "replaced by the second run");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["out"], "nothing left beside it");
    // A folder of the user's named like an output file makes the folder theirs.
    std::fs::create_dir(out.join("psa.csv")).unwrap();
    std::fs::write(out.join("psa.csv").join("data.txt"), "mine").unwrap();
    let (_, stderr) = expect(vbpsim().args(args).arg(&out), 2);
    assert!(stderr.contains("holds files vbpsim did not write (psa.csv)"), "{stderr}");
    assert!(out.join("psa.csv").join("data.txt").exists());
}

#[test]
fn the_size_guard_gives_the_same_answer_to_the_same_command() {
    // 10^11 patients × 2 strategies on one thread: 2.3 days at the guard's reference speed,
    // refused every time whatever the pilot measures on a busy machine (it once measured this
    // scenario's speed and judged by it: refused 3 times in 6 and accepted 3 times).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let command = ["run", "--patients", "100000000000", "--samples", "0", "--threads", "1"];
    let mut verdicts = Vec::new();
    for _ in 0..3 {
        let (_, stderr) = expect(vbpsim().args(command).arg("--out").arg(&out), 2);
        let first = stderr.lines().next().unwrap_or_default().to_string();
        // The verdict's estimate is the same each time; the pilot's figure may move.
        verdicts.push(first.split("; a pilot").next().unwrap_or_default().to_string());
    }
    assert!(verdicts[0].ends_with("more than a day"), "{verdicts:?}");
    assert!(verdicts.iter().all(|v| *v == verdicts[0]), "{verdicts:?}");
    assert!(!out.exists());
}
