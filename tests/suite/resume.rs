//! Interrupted runs (docs, "Interrupted runs and --resume"): a run killed midway leaves the
//! previous output folder untouched and a checkpoint of its finished PSA samples; `--resume`
//! continues from them and writes what the uninterrupted run writes.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn vbpsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vbpsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn expect(cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "vbpsim panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(code), "exit code; stderr:\n{stderr}");
    out
}

/// A PSA long enough to be killed midway: 400 samples of 2 × 20,000 trajectories.
const SIZES: [&str; 4] = ["--samples", "400", "--patients", "20000"];

/// Complete lines in a checkpoint folder's samples file.
fn lines(checkpoint: &Path) -> usize {
    vbpsim::workflow::checkpoint::lines(checkpoint).len()
}

/// Start a run into `out` with `extra` arguments and kill it (SIGKILL) once its checkpoint
/// holds at least `at_least` samples. Returns how many it held.
fn kill_midway(out: &Path, extra: &[&str], at_least: usize) -> usize {
    let samples = out.parent().unwrap().join(".o.resume");
    let mut child = vbpsim()
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .args(SIZES)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while lines(&samples) < at_least {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(120), "no checkpoint after 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines(&samples)
}

#[test]
fn a_killed_run_resumes_to_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let checkpoint = dir.path().join(".o.resume");
    // A previous result in the output folder, from another seed.
    expect(
        vbpsim()
            .args(["run", "--quiet", "--samples", "3", "--patients", "500", "--seed", "1", "--out"])
            .arg(&out),
        0,
    );
    let previous = std::fs::read(out.join("summary.csv")).unwrap();

    // Two threads record samples into the checkpoint at once.
    let held = kill_midway(&out, &["--threads", "2"], 10);
    assert!(held < 400, "killed before the end ({held} samples)");
    assert_eq!(
        std::fs::read(out.join("summary.csv")).unwrap(),
        previous,
        "the previous result is intact"
    );
    // Killed while simulating: nothing was staged yet, so nothing is left but the checkpoint
    // and the lock file (its lock died with the process: it blocks nothing).
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".o.lock", ".o.resume", "o"]);
    // A kill can cut the last line (the compressed stream ends inside it): a resumed run
    // drops it.
    let file = vbpsim::workflow::checkpoint::samples_file(&checkpoint);
    let whole = lines(&checkpoint);
    assert!(whole >= held, "{whole} lines, {held} when killed");
    let size = std::fs::metadata(&file).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(size - 10).unwrap();
    let kept = lines(&checkpoint);
    assert_eq!(kept, whole - 1, "the cut line is not read");

    // Another seed cannot continue this checkpoint.
    let o =
        expect(vbpsim().args(["run", "--resume", "--seed", "5", "--out"]).arg(&out).args(SIZES), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("was another run: the seed was 2026, now 5"), "{err}");

    let o = expect(
        vbpsim().args(["run", "--resume", "--threads", "1", "--out"]).arg(&out).args(SIZES),
        0,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let done: usize = err
        .split("resuming: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resuming line:\n{err}"));
    assert_eq!(done, kept, "every complete line resumed");
    assert!(!checkpoint.exists(), "the checkpoint is removed once the result is in place");
    assert!(!dir.path().join(".o.lock").exists(), "and the lock file once released");

    let reference = dir.path().join("reference");
    expect(vbpsim().args(["run", "--quiet", "--out"]).arg(&reference).args(SIZES), 0);
    for f in std::fs::read_dir(&reference).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        if name == "run.json" {
            continue;
        }
        let (a, b) = (
            std::fs::read(reference.join(&name)).unwrap(),
            std::fs::read(out.join(&name)).unwrap(),
        );
        assert!(a == b, "{name} differs between the resumed and the uninterrupted run");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let simulated = json["trajectories"].as_u64().unwrap();
    assert_eq!(
        simulated,
        2 * 20_000 * (1 + 400 - done as u64),
        "only the missing samples simulated"
    );
}

#[test]
fn resume_without_a_checkpoint_runs_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = expect(
        vbpsim()
            .args(["run", "--resume", "--samples", "2", "--patients", "300", "--out"])
            .arg(&out),
        0,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no interrupted run to resume"));
    assert!(out.join("psa.csv").exists() && !dir.path().join(".o.resume").exists());
    let o = expect(vbpsim().args(["run", "--resume", "--shard", "1/2", "--out"]).arg(&out), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
}

#[test]
fn a_folder_the_user_owns_is_never_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let theirs = dir.path().join(".p.resume");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
    let args = ["--samples", "2", "--patients", "300"];
    let o = expect(vbpsim().args(["run", "--out"]).arg(&out).args(args), 0);
    assert!(String::from_utf8_lossy(&o.stderr).contains("this run keeps no checkpoint"));
    assert!(out.join("psa.csv").exists());
    let o = expect(vbpsim().args(["run", "--resume", "--out"]).arg(&out).args(args), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("is in the way of the run's checkpoint"));
    assert_eq!(std::fs::read_to_string(theirs.join("notes.txt")).unwrap(), "mine", "untouched");
}
