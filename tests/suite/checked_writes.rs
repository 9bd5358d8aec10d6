//! Checked writes (docs, guide "Robustness"): every write to standard output and to a file is
//! checked, and one that fails is exit 1 with the reason and a hint, never a success with an
//! empty or cut file; a closed pipe stops quietly; outputs that would not fit on their disk are
//! refused before simulating; a failed run leaves no half result and no checkpoint without a
//! complete sample; `init` leaves nothing on a full disk and never writes through a symbolic
//! link.

use crate::support::{expect, listing, text_of, vbpsim};
use std::fs::File;
use std::process::{Command, Output, Stdio};
use vbpsim::workflow::checkpoint;

const BUNDLED: &str = "scenarios/nsclc_egfr.toml";

/// The binary as a plain command (its standard streams set by the test), run from the package
/// root.
fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vbpsim"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Require exit code `code` and no panic.
fn status(out: &Output, code: i32, what: &str) {
    let stderr = text_of(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: vbpsim panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(code), "{what}: exit code; stderr:\n{stderr}");
}

/// `/dev/full`, a device on which every write fails with "no space left" (Linux).
fn dev_full() -> Option<File> {
    let full = File::options().write(true).open("/dev/full");
    if full.is_err() {
        eprintln!("skipped: no /dev/full on this system");
    }
    full.ok()
}

#[test]
fn every_command_that_prints_exits_1_when_stdout_cannot_be_written() {
    let Some(full) = dev_full() else { return };
    let commands: [&[&str]; 6] = [
        &["check", BUNDLED],
        &["price", "--patients", "500"],
        &["bench", "--patients", "500"],
        &["--help"],
        &["--version"],
        &["run", "--help"],
    ];
    for args in commands {
        let out = bin()
            .args(args)
            .stdout(Stdio::from(full.try_clone().unwrap()))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        status(&out, 1, &format!("{args:?}"));
        let stderr = text_of(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: one line and a hint:\n{stderr}");
        assert!(
            lines[0].starts_with("error: cannot write to standard output: No space left"),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            lines[1],
            "  = help: the disk is full; free space, or redirect standard output elsewhere"
        );
    }
}

#[test]
fn a_closed_stdout_pipe_stops_quietly() {
    for args in [&["check", BUNDLED][..], &["price", "--patients", "500"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // closed before vbpsim writes
        let out = bin().args(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        status(&out, 0, &format!("{args:?}"));
        assert_eq!(text_of(&out.stderr), "", "{args:?}: no message for a closed pipe");
    }
}

#[test]
fn a_full_stderr_changes_no_exit_code() {
    let Some(full) = dev_full() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let cases: [(Vec<&str>, i32); 3] = [
        (vec!["check", "no/such/scenario.toml"], 2),
        (vec!["check", BUNDLED], 0),
        (vec!["run", "--patients", "300", "--out", out_dir.to_str().unwrap()], 0),
    ];
    for (args, code) in cases {
        let out = bin()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(full.try_clone().unwrap()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
    assert!(out_dir.join("summary.csv").is_file());
}

/// The binary with files limited to `bytes` (RLIMIT_FSIZE, as `ulimit -f`): a write beyond it
/// fails with "file too large", the way a full disk fails a write partway, for any user.
fn with_file_size_limit(bytes: u64) -> Command {
    use std::os::unix::process::CommandExt as _;
    let mut cmd = bin();
    let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: between fork and exec only async-signal-safe calls (signal, setrlimit).
    unsafe {
        cmd.pre_exec(move || {
            // The write fails instead of the signal killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd
}

#[test]
fn a_write_refused_while_writing_outputs_is_exit_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = ["run", "--patients", "1000", "--samples", "5", "--quiet", "--out"];
    // 150 KiB: the tables and the checkpoint fit, the CE plane's PNG does not.
    let run = with_file_size_limit(150 << 10).args(args).arg(&out).output().unwrap();
    status(&run, 1, "a run with files limited to 150 KiB");
    let stderr = text_of(&run.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    // The file is named in the output folder (not in the staging folder it was written to).
    let cannot = format!("error: cannot write {}{}", out.display(), std::path::MAIN_SEPARATOR);
    assert!(lines[0].starts_with(&cannot) && lines[0].contains("File too large"), "{stderr}");
    assert!(
        lines[1].starts_with("  = help: a file is larger than") && lines[1].contains("ulimit -f")
    );
    // No half result; the simulated samples kept for --resume, which then completes the run.
    let checkpoint = dir.path().join(".out.resume");
    assert_eq!(
        lines[2],
        format!(
            "  = note: the 5 PSA samples done are kept in {}: `--resume` continues from them",
            checkpoint.display()
        )
    );
    assert_eq!(listing(dir.path()), [".out.resume"]);
    // A --resume whose checkpoint cannot be rewritten says why, and keeps it.
    let samples = std::fs::read(checkpoint::samples_file(&checkpoint)).unwrap();
    let refused =
        with_file_size_limit(10 << 10).args(args).arg(&out).arg("--resume").output().unwrap();
    status(&refused, 1, "--resume with files limited to 10 KiB");
    let stderr = text_of(&refused.stderr);
    assert!(stderr.starts_with("error: cannot write the checkpoint "), "{stderr}");
    assert!(stderr.contains("= help: a file is larger than"), "{stderr}");
    assert_eq!(std::fs::read(checkpoint::samples_file(&checkpoint)).unwrap(), samples);
    let resumed = expect(vbpsim().args(args).arg(&out).arg("--resume"), 0);
    assert!(text_of(&resumed.stderr).is_empty());
    assert_eq!(listing(dir.path()), ["out"]);
    assert!(out.join("ce_plane.png").is_file());
}

#[test]
fn a_checkpoint_the_disk_refuses_leaves_no_stub() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // 10 KiB: not even the checkpoint's run.json fits.
    let run = with_file_size_limit(10 << 10)
        .args(["run", "--patients", "500", "--samples", "3", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    status(&run, 1, "a run with files limited to 10 KiB");
    let stderr = text_of(&run.stderr);
    assert!(
        stderr.contains(
            "warning: this run keeps no checkpoint (no --resume if it is interrupted): cannot write"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("error: cannot write"), "{stderr}");
    assert!(
        !stderr.contains("= note:"),
        "no samples kept:
{stderr}"
    );
    assert!(listing(dir.path()).is_empty(), "no output, staging or checkpoint folder");
}

#[test]
fn a_failed_init_leaves_nothing_and_the_next_init_works() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    // 1 KiB: the template does not fit.
    let init = with_file_size_limit(1 << 10).arg("init").arg(&file).output().unwrap();
    status(&init, 1, "init with files limited to 1 KiB");
    let stderr = text_of(&init.stderr);
    assert!(stderr.starts_with(&format!("error: cannot write {}: ", file.display())), "{stderr}");
    assert!(stderr.contains("= help: a file is larger than"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(listing(dir.path()).is_empty(), "no truncated template, no temporary file");
    expect(vbpsim().arg("init").arg(&file), 0);
    assert_eq!(listing(dir.path()), ["scenario.toml"]);
    expect(vbpsim().arg("check").arg(&file), 0);
}

#[test]
fn init_never_writes_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere.toml");
    let dangling = dir.path().join("dangling.toml");
    std::os::unix::fs::symlink(&elsewhere, &dangling).unwrap();
    let out = expect(vbpsim().arg("init").arg(&dangling), 2);
    let stderr = text_of(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {} is a symbolic link; vbpsim init never writes through one\n",
            dangling.display()
        )),
        "{stderr}"
    );
    assert!(!elsewhere.exists(), "the link's target was created");
    assert_eq!(std::fs::read_link(&dangling).unwrap(), elsewhere);
    // A link to a file of the user's: refused, the file untouched.
    std::fs::write(&elsewhere, "my notes\n").unwrap();
    expect(vbpsim().arg("init").arg(&dangling), 2);
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "my notes\n");
    assert_eq!(listing(dir.path()), ["dangling.toml", "elsewhere.toml"]);
}

/// Run `script` (sh, with the arguments `size`, a folder, and the binary) in a private mount
/// namespace with a tmpfs of `size` mounted on the folder; `None` (the test skipped, with the
/// reason printed) where the system allows no such namespace. The script prints what it finds
/// after `mounted`.
fn in_private_tmpfs(size: &str, script: &str) -> Option<(Output, String)> {
    let dir = tempfile::tempdir().unwrap();
    // As root, a mount namespace; otherwise a user namespace too (`-r`), where allowed.
    let root = unsafe { libc::geteuid() } == 0;
    let flags: &[&str] = if root { &["-m"] } else { &["-r", "-m"] };
    let setup = "mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" || exit 77; echo mounted; ";
    let out = Command::new("unshare")
        .args(flags)
        .args(["sh", "-c", &format!("{setup}{script}"), "sh", size])
        .arg(dir.path())
        .arg(env!("CARGO_BIN_EXE_vbpsim"))
        .current_dir(dir.path())
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: cannot run unshare: {e}");
            return None;
        }
    };
    let stdout = text_of(&out.stdout);
    let Some(found) = stdout.strip_prefix("mounted\n") else {
        eprintln!("skipped: no private tmpfs (unshare {flags:?}: {})", text_of(&out.stderr).trim());
        return None;
    };
    Some((out.clone(), found.replace(&dir.path().display().to_string(), "DIR")))
}

#[test]
fn outputs_that_would_not_fit_are_refused_before_simulating() {
    // The run, then what the tmpfs holds.
    let script = "\"$3\" run --patients 500 --samples 50 --quiet --out \"$2/out\"; code=$?; ls -A \"$2\"; exit $code";
    // 4 MiB is less than the estimate (8 MiB of plots and tables and 50 samples' rows).
    let Some((out, found)) = in_private_tmpfs("4m", script) else { return };
    status(&out, 1, "a run on a 4 MiB tmpfs");
    let stderr = text_of(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("error: this run would write about "), "{stderr}");
    assert!(
        lines[0].contains("(estimated, with a margin), more than the 4 MiB free on the disk of")
    );
    assert!(lines[1].starts_with("  = help: free space on that disk, choose another --out"));
    assert_eq!(found, "", "nothing written: no folder, no checkpoint");
    // With room, the same run is written.
    let Some((out, found)) = in_private_tmpfs("64m", script) else { return };
    status(&out, 0, "a run on a 64 MiB tmpfs");
    assert_eq!(found, "out\n");
}
