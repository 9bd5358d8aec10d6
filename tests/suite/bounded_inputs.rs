//! Inputs with bounds (docs, guide "Robustness" and "Limits"): a scenario and every file it
//! `extends` is a regular file of at most 4 MiB of text without a NUL byte, so a device, a
//! FIFO, a huge file or a /proc file is refused at once with a short message that quotes
//! nothing of it; an error quotes at most a short excerpt of a long line or value;
//! `--threads` is capped at 8 per core on every command; and a discount rate too small to
//! discount anything runs as the undiscounted rate does (it passed `check` and failed `run`).

use crate::support::{expect, listing, text_of, vbpsim};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BUNDLED: &str = "scenarios/nsclc_egfr.toml";

/// The bundled scenario's absolute path, for `extends` from a temporary folder.
fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(BUNDLED)
}

/// `vbpsim check <scenario>` must exit 2; returns stderr.
fn refused(scenario: &Path) -> String {
    let out = expect(vbpsim().arg("check").arg(scenario), 2);
    assert!(out.stdout.is_empty(), "nothing on stdout");
    text_of(&out.stderr)
}

/// A scenario that only extends `base`.
fn extending(dir: &Path, base: &Path) -> PathBuf {
    let file = dir.join("extends.toml");
    std::fs::write(&file, format!("extends = {:?}\n", base.display().to_string())).unwrap();
    file
}

#[test]
fn a_device_is_refused_as_a_scenario_and_as_a_base() {
    for verb in ["check", "run"] {
        let out = expect(vbpsim().args([verb, "/dev/zero"]), 2);
        let stderr = text_of(&out.stderr);
        assert!(
            stderr.starts_with(
                "error: cannot read scenario /dev/zero: expected a regular file, found a character device\n"
            ),
            "{verb}: {stderr}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused(&extending(dir.path(), Path::new("/dev/zero")));
    assert!(
        stderr.contains(
            "extends: cannot read base scenario /dev/zero: expected a regular file, found a character device"
        ),
        "{stderr}"
    );
    assert!(stderr.lines().count() < 8, "{stderr}");
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let base = extending(dir.path(), &fifo);
    for (scenario, says) in [
        (fifo.clone(), format!("cannot read scenario {}: ", fifo.display())),
        (base, format!("cannot read base scenario {}: ", fifo.display())),
    ] {
        // A FIFO opened for reading blocks until a writer comes: a deadline, not a timing.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vbpsim"))
            .arg("check")
            .arg(&scenario)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("vbpsim check {} blocked on the FIFO", scenario.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = text_of(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{says}expected a regular file, found a FIFO")),
            "{stderr}"
        );
    }
}

#[test]
fn a_file_beyond_the_maximum_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    // 5 MiB of comment lines: valid TOML, but more than a scenario may hold.
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "# a comment line of a large file, repeated\n".repeat(5 << 20 >> 5))
        .unwrap();
    assert!(std::fs::metadata(&big).unwrap().len() > vbpsim::scenario::MAX_SCENARIO_BYTES);
    let stderr = refused(&big);
    assert!(
        stderr.contains("it is larger than 4 MiB, the most a scenario file may hold"),
        "{stderr}"
    );
    assert!(stderr.len() < 400, "{stderr}");
    let stderr = refused(&extending(dir.path(), &big));
    assert!(stderr.contains("cannot read base scenario") && stderr.contains("4 MiB"), "{stderr}");
    // A sparse file of a gigabyte of zero bytes (37 s, 4.2 GB and a 2.1 GB message before).
    let zeros = dir.path().join("zeros.toml");
    std::fs::File::create(&zeros).unwrap().set_len(1 << 30).unwrap();
    let stderr = refused(&zeros);
    assert!(stderr.contains("larger than 4 MiB") && stderr.len() < 400, "{stderr}");
    // At the maximum a file is read (and here refused for what it holds, not its size).
    let most = dir.path().join("most.toml");
    std::fs::write(&most, "#".repeat(vbpsim::scenario::MAX_SCENARIO_BYTES as usize)).unwrap();
    assert!(!refused(&most).contains("larger than"));
}

#[test]
fn proc_files_are_refused_without_showing_their_content() {
    // /proc/self/environ reports a size of 0 and separates its entries by NUL bytes.
    let marker = "vbpsim-bounded-inputs-marker-5c1f";
    let dir = tempfile::tempdir().unwrap();
    let base = extending(dir.path(), Path::new("/proc/self/environ"));
    for (scenario, says) in [
        (PathBuf::from("/proc/self/environ"), "error: /proc/self/environ:1:"),
        (base, "extends: base scenario /proc/self/environ:1:"),
    ] {
        let out = expect(vbpsim().arg("check").arg(&scenario).env("VBPSIM_MARKER", marker), 2);
        let stderr = text_of(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("a scenario is text; found a NUL byte"), "{stderr}");
        assert!(!stderr.contains(marker), "the environment was shown:\n{stderr}");
        assert!(!stderr.contains("PATH="), "the environment was shown:\n{stderr}");
    }
}

#[test]
fn a_nul_byte_is_located_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nul.toml");
    std::fs::write(&file, "[scenario]\nname = \"a\0b\"\n").unwrap();
    let stderr = refused(&file);
    assert_eq!(
        stderr.lines().next().unwrap(),
        format!("error: {}:2:10: a scenario is text; found a NUL byte", file.display())
    );
}

#[test]
fn errors_quote_a_short_excerpt_of_a_long_line() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "S".repeat(1 << 20);
    let bundled = std::fs::read_to_string(bundled()).unwrap();
    // A malformed line of a megabyte, an unknown key of a megabyte, a string value of a
    // megabyte where a duration is expected.
    let cases = [
        format!("{bundled}\nx = [{secret}\n"),
        bundled.replacen("[scenario]\n", &format!("[scenario]\n{secret} = 1\n"), 1),
        bundled.replacen("horizon = ", &format!("horizon = \"{secret}\"\n# was "), 1),
    ];
    for (i, text) in cases.iter().enumerate() {
        let file = dir.path().join(format!("long{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let stderr = refused(&file);
        assert!(stderr.len() < 2_000, "case {i}: an error of {} bytes:\n{stderr}", stderr.len());
        let cut = stderr.contains("SSSS…") || stderr.contains("…SSSS");
        assert!(cut, "case {i}: the excerpt is marked as cut:\n{stderr}");
        for line in stderr.lines() {
            assert!(line.chars().count() < 1_000, "case {i}: {line}");
        }
    }
    // The same for a --set (a command-line argument of 100,000 characters).
    let set = format!("scenario.horizon=\"{} years\"", "N".repeat(100_000));
    let out = expect(vbpsim().args(["check", BUNDLED, "--set", &set]), 2);
    let stderr = text_of(&out.stderr);
    assert!(stderr.contains("--set #1:1:") && stderr.contains("NNNN…"), "{stderr}");
    assert!(stderr.len() < 2_000, "{stderr}");
}

#[test]
fn a_symbolic_link_to_a_scenario_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(bundled(), &link).unwrap();
    let out = expect(vbpsim().arg("check").arg(&link), 0);
    assert!(text_of(&out.stdout).contains(": ok"));
    let out = expect(vbpsim().arg("check").arg(extending(dir.path(), &link)), 0);
    assert!(text_of(&out.stdout).contains(": ok"));
}

#[test]
fn threads_beyond_8_per_core_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("shard");
    let small = ["--patients", "200", "--samples", "2", "--quiet"];
    expect(vbpsim().args(["run", "--shard", "1/1", "--out"]).arg(&shard).args(small), 0);
    let out = dir.path().join("out");
    let (o, shard) = (out.to_str().unwrap(), shard.to_str().unwrap());
    let commands: [Vec<&str>; 7] = [
        vec!["run", "--quiet", "--out", o],
        vec!["run", "--shard", "1/2", "--samples", "4", "--quiet", "--out", o],
        vec!["merge", shard, "--quiet", "--out", o],
        vec!["price"],
        vec!["sensitivity", "--quiet", "--out", o],
        vec!["compare", BUNDLED, BUNDLED, "--quiet", "--out", o],
        vec!["bench", "--patients", "1000"],
    ];
    for args in commands {
        let run = expect(vbpsim().args(&args).args(["--threads", "100000"]), 2);
        assert_threads_refused(&args, &text_of(&run.stderr));
    }
    assert_eq!(listing(dir.path()), ["shard"], "nothing written, no checkpoint");
}

fn assert_threads_refused(args: &[&str], stderr: &str) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = 8 * cores;
    assert_eq!(
        stderr.lines().next().unwrap_or_default(),
        format!(
            "error: --threads 100000 is more than {cap} (8 per core on the {cores} cores of this machine)"
        ),
        "{args:?}"
    );
    assert!(stderr.contains("= help: give --threads at most the cap"), "{args:?}: {stderr}");
}

/// Regression: a discount rate of 5e-324 passed `check`, then `run` simulated and failed on a
/// non-finite cost (a cycle sum divided 0 by 0). Such a rate discounts nothing: the run's
/// results are the undiscounted run's.
#[test]
fn a_discount_rate_too_small_to_discount_runs_as_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut summaries = Vec::new();
    for rate in ["0", "5e-324", "1e-300"] {
        let out = dir.path().join(format!("rate{rate}"));
        let set = format!("scenario.discount={{ costs = {rate}, outcomes = {rate} }}");
        expect(vbpsim().args(["check", BUNDLED, "--set", &set]), 0);
        expect(
            vbpsim()
                .args(["run", BUNDLED, "--patients", "3000", "--quiet", "--set", &set, "--out"])
                .arg(&out),
            0,
        );
        summaries.push(std::fs::read_to_string(out.join("summary.csv")).unwrap());
    }
    assert_eq!(summaries[1], summaries[0]);
    assert_eq!(summaries[2], summaries[0]);
}

#[test]
fn control_characters_in_an_error_are_shown_not_sent_to_the_terminal() {
    // An escape sequence in a --set value (or a scenario's text) is quoted in the error's
    // excerpt: shown as ␛, never written raw to stderr where it would recolour the terminal.
    let set = "scenario.name=\"a\u{1b}[31mRED\"";
    let o = expect(vbpsim().args(["check", "scenarios/nsclc_egfr.toml", "--set", set]), 2);
    let stderr = text_of(&o.stderr);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("a\u{241b}[31mRED"), "{stderr}");
}
