//! Output folders (docs, "Output folders" and "Robustness"): nothing a user owns is lost to
//! `--out`. A device, a pipe, a socket, a symbolic link or a mount point is never written,
//! replaced nor moved, even with `--force`; a vbpsim folder of another kind, and a shard, are
//! not replaced without `--force` (which moves them aside whole); a second vbpsim writing the
//! same folder is refused at once; the operating system's folders are never written and
//! `--force` moves aside only what the user owns; any name a file system takes works as
//! `--out`; a scenario name is at most 100 characters.

use crate::support::{expect, listing, text_of, vbpsim};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use vbpsim::workflow::checkpoint;

/// A tiny run: 100 patients, no PSA.
const TINY: [&str; 5] = ["--patients", "100", "--samples", "0", "--quiet"];

/// `vbpsim <args> --out <out> <extra>`, which must exit with `code`; returns stderr.
fn write(args: &[&str], out: &Path, extra: &[&str], code: i32) -> String {
    text_of(&expect(vbpsim().args(args).arg("--out").arg(out).args(extra), code).stderr)
}

/// `vbpsim run` of [`TINY`] into `out`.
fn run(out: &Path, extra: &[&str], code: i32) -> String {
    write(&[&["run"][..], &TINY].concat(), out, extra, code)
}

/// Every file of a folder with its bytes, sorted by name.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    listing(dir).into_iter().map(|f| (f.clone(), std::fs::read(dir.join(&f)).unwrap())).collect()
}

fn kind_of(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("run.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["kind"].clone()
}

/// An error of one line and a hint: `error: …` then `  = help: …`.
fn one_line_and_hint(stderr: &str, says: &str, hint: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line and a hint:\n{stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(says), "{stderr}");
    assert!(lines[1].starts_with("  = help: ") && lines[1].contains(hint), "{stderr}");
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn c_path(p: &Path) -> std::ffi::CString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap()
}

#[test]
fn a_device_a_pipe_or_a_socket_is_never_written_even_with_force() {
    // /dev/null itself: as root, --force once replaced it with a folder of CSVs.
    for extra in [&[][..], &["--force"]] {
        let stderr = run(Path::new("/dev/null"), extra, 2);
        one_line_and_hint(
            &stderr,
            "refusing to write /dev/null: it is a device, not a folder vbpsim writes",
            "--force never replaces a device",
        );
        let meta = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(meta.file_type().is_char_device(), "/dev/null is still a device");
    }
    assert!(!Path::new("/dev/.null.lock").exists(), "nothing created beside it");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    // SAFETY: a valid path; mkfifo creates a node in a folder this test owns.
    assert_eq!(unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o644) }, 0);
    let socket = dir.path().join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let mut nodes = vec![(fifo, "a named pipe (FIFO)"), (socket, "a socket")];
    let device = dir.path().join("null");
    if is_root() {
        // A character device 1:3 (the null device) of the test's own.
        let (mode, dev) = (libc::S_IFCHR | 0o666, libc::makedev(1, 3));
        // SAFETY: a valid path in a folder this test owns.
        assert_eq!(unsafe { libc::mknod(c_path(&device).as_ptr(), mode, dev) }, 0);
        nodes.push((device, "a device"));
    } else {
        println!("skipped the device made with mknod: it needs root (/dev/null is tested)");
    }
    let before = listing(dir.path());
    for (node, what) in &nodes {
        for extra in [&[][..], &["--force"]] {
            let stderr = run(node, extra, 2);
            one_line_and_hint(&stderr, &format!("it is {what}, not a folder"), "--out");
            let t = std::fs::symlink_metadata(node).unwrap().file_type();
            assert!(t.is_fifo() || t.is_socket() || t.is_char_device(), "{what} untouched");
        }
    }
    assert_eq!(listing(dir.path()), before, "nothing written beside them");
}

#[test]
fn a_symbolic_link_is_never_written_through_nor_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    run(&results, &[], 0);
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "my notes").unwrap();
    let links = [("to_results", results.clone()), ("to_mine", mine.clone())];
    for (name, to) in &links {
        std::os::unix::fs::symlink(to, dir.path().join(name)).unwrap();
    }
    std::os::unix::fs::symlink("nowhere", dir.path().join("dangling")).unwrap();
    let (results_before, mine_before) = (contents(&results), contents(&mine));
    let before = listing(dir.path());
    for (name, resolved) in [
        ("to_results", results.canonicalize().unwrap()),
        ("to_mine", mine.canonicalize().unwrap()),
        ("dangling", dir.path().join("nowhere")),
    ] {
        let link = dir.path().join(name);
        // With a trailing slash too: the link is judged, not the folder it names.
        let slashed = PathBuf::from(format!("{}/", link.display()));
        for (out, extra) in [(&link, &[][..]), (&link, &["--force"]), (&slashed, &["--force"])] {
            let stderr = run(out, extra, 2);
            one_line_and_hint(
                &stderr,
                &format!("refusing to write {}: it is a symbolic link", link.display()),
                &format!("give the folder itself: --out {}", resolved.display()),
            );
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        }
    }
    assert_eq!(listing(dir.path()), before, "links in place, nothing moved aside or added");
    assert_eq!(contents(&results), results_before, "the linked vbpsim folder untouched");
    assert_eq!(contents(&mine), mine_before, "the linked user folder untouched");
}

#[test]
fn a_mount_point_is_never_moved_even_with_force() {
    // A tmpfs and a bind mount (the same device as its folder) in a private mount namespace
    // (as root, or as a user where user namespaces are allowed); else skipped.
    let dir = tempfile::tempdir().unwrap();
    let (tmpfs, bound) = (dir.path().join("tmpfs"), dir.path().join("bound"));
    std::fs::create_dir(&tmpfs).unwrap();
    std::fs::create_dir(&bound).unwrap();
    let script = r#"mount -t tmpfs tmpfs "$1" && mount --bind "$2" "$2" || exit 77
echo mounted
for out in "$1" "$2"; do
  "$3" run --patients 100 --samples 0 --quiet --force --out "$out"; echo "exit $?"
  ls -A "$out"; echo "listed"
done"#;
    let done = std::process::Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-c", script, "sh"])
        .args([&tmpfs, &bound])
        .arg(env!("CARGO_BIN_EXE_vbpsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let Ok(done) = done else {
        println!("skipped: no `unshare` command to make a private mount namespace");
        return;
    };
    let (stdout, stderr) = (text_of(&done.stdout), text_of(&done.stderr));
    if !stdout.starts_with("mounted") {
        println!("skipped: cannot mount in a private namespace here ({})", stderr.trim());
        return;
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stdout, "mounted\nexit 2\nlisted\nexit 2\nlisted\n", "refused, nothing written");
    for out in [&tmpfs, &bound] {
        let says = format!("refusing to replace {}: it is a mount point", out.display());
        assert!(stderr.contains(&says), "{stderr}");
    }
    assert!(stderr.contains("--force never moves a mount point"), "{stderr}");
    assert_eq!(listing(dir.path()), ["bound", "tmpfs"], "nothing moved aside");
}

/// The folders of each kind, each command's `kind` in its run.json.
struct Folders {
    run: PathBuf,
    shard: PathBuf,
    sensitivity: PathBuf,
}

/// A shard of a tiny PSA: `run --shard K/2` of 4 samples of 100 patients.
fn shard_args(k: u64) -> Vec<String> {
    let args = ["run", "--patients", "100", "--samples", "4", "--quiet", "--shard"];
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.push(format!("{k}/2"));
    args
}

fn shard(out: &Path, k: u64, extra: &[&str], code: i32) -> String {
    let args = shard_args(k);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    write(&args, out, extra, code)
}

const SENSITIVITY: [&str; 4] = ["sensitivity", "--patients", "100", "--quiet"];

fn folders(dir: &Path) -> Folders {
    let f = Folders {
        run: dir.join("run"),
        shard: dir.join("shard"),
        sensitivity: dir.join("sensitivity"),
    };
    run(&f.run, &[], 0);
    shard(&f.shard, 1, &[], 0);
    write(&SENSITIVITY, &f.sensitivity, &[], 0);
    f
}

#[test]
fn a_folder_of_another_kind_or_a_shard_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let f = folders(dir.path());
    assert_eq!(kind_of(&f.run), "run");
    assert_eq!(kind_of(&f.shard), "psa_shard");
    assert_eq!(kind_of(&f.sensitivity), "sensitivity");
    let refused = |stderr: &str, out: &Path, holds: &str, writes: &str| {
        let says = format!("refusing to replace {}: it holds {holds}", out.display());
        assert!(stderr.contains(&says), "{stderr}");
        one_line_and_hint(stderr, &format!("and this command writes {writes}"), "add --force");
    };
    let keep = [contents(&f.run), contents(&f.shard), contents(&f.sensitivity)];
    // A mistyped --out: a run, a sensitivity analysis and another shard into a shard.
    let holds_shard = "shard 1 of 2 of a PSA (samples a merge needs)";
    refused(&run(&f.shard, &[], 2), &f.shard, holds_shard, "a run");
    let stderr = write(&SENSITIVITY, &f.shard, &[], 2);
    refused(&stderr, &f.shard, holds_shard, "a sensitivity analysis");
    refused(&shard(&f.shard, 2, &[], 2), &f.shard, holds_shard, "shard 2 of 2");
    let stderr = shard(&f.shard, 1, &["--seed", "9"], 2);
    refused(&stderr, &f.shard, holds_shard, "shard 1 of 2 of another run (the seed differs)");
    assert!(stderr.contains("a shard's samples cost a simulation to redo"), "{stderr}");
    // A shard into a run, a run into a sensitivity analysis.
    refused(&shard(&f.run, 1, &[], 2), &f.run, "a run", "shard 1 of 2");
    refused(&run(&f.sensitivity, &[], 2), &f.sensitivity, "a sensitivity analysis", "a run");
    assert_eq!([contents(&f.run), contents(&f.shard), contents(&f.sensitivity)], keep);
    assert_eq!(listing(dir.path()), ["run", "sensitivity", "shard"], "nothing added beside");

    // The same kind replaces its own: a run over a run, a merge over a run (a merged folder is
    // a run's), the same shard of the same run over itself (the same samples).
    run(&f.run, &["--seed", "5"], 0);
    let other = dir.path().join("shard2");
    shard(&other, 2, &[], 0);
    let args = ["merge", "--quiet"];
    let merge = vbpsim().args(args).arg(&f.shard).arg(&other).arg("--out").arg(&f.run).output();
    assert_eq!(merge.unwrap().status.code(), Some(0));
    assert_eq!(kind_of(&f.run), "run");
    let samples = std::fs::read(f.shard.join("samples.jsonl")).unwrap();
    shard(&f.shard, 1, &["--threads", "1"], 0);
    assert_eq!(std::fs::read(f.shard.join("samples.jsonl")).unwrap(), samples);
    write(&SENSITIVITY, &f.sensitivity, &["--seed", "3"], 0);

    // With --force the folder of another kind is moved aside whole, and the note says where.
    let before = contents(&f.sensitivity);
    let note = run(&f.sensitivity, &["--force"], 0);
    assert!(note.starts_with("note: --force: the previous"), "{note}");
    assert_eq!(kind_of(&f.sensitivity), "run");
    let moved = note.split(" aside to ").nth(1).unwrap().split(" (nothing").next().unwrap();
    assert_eq!(contents(Path::new(moved)), before, "the sensitivity folder, whole");
    let note = run(&f.shard, &["--force"], 0);
    let moved = note.split(" aside to ").nth(1).unwrap().split(" (nothing").next().unwrap();
    assert_eq!(std::fs::read(Path::new(moved).join("samples.jsonl")).unwrap(), samples);
}

#[test]
fn folders_written_before_kinds_were_recorded_are_known_by_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let f = folders(dir.path());
    let compare = dir.path().join("compare");
    let scenarios = ["scenarios/nsclc_egfr.toml", "scenarios/nsclc_alk.toml"];
    write(&[&["compare"][..], &scenarios, &TINY].concat(), &compare, &[], 0);
    assert_eq!(kind_of(&compare), "comparison");
    // run.json as an older vbpsim wrote it: no `kind` line.
    for d in [&f.run, &f.sensitivity, &compare] {
        let text = std::fs::read_to_string(d.join("run.json")).unwrap();
        let old: String =
            text.lines().filter(|l| !l.contains("\"kind\"")).map(|l| l.to_owned() + "\n").collect();
        assert_ne!(old, text);
        std::fs::write(d.join("run.json"), old).unwrap();
    }
    let stderr = write(&SENSITIVITY, &f.run, &[], 2);
    assert!(stderr.contains("it holds a run, and this command writes a sensitivity"), "{stderr}");
    let stderr = run(&f.sensitivity, &[], 2);
    assert!(stderr.contains("it holds a sensitivity analysis, and this command"), "{stderr}");
    let stderr = run(&compare, &[], 2);
    assert!(stderr.contains("it holds a comparison, and this command writes a run"), "{stderr}");
    // …and replaced by their own kind.
    run(&f.run, &[], 0);
    write(&SENSITIVITY, &f.sensitivity, &[], 0);
    assert_eq!((kind_of(&f.run), kind_of(&f.sensitivity)), ("run".into(), "sensitivity".into()));
}

/// Hold the lock of `out` as another vbpsim would: flock its lock file and write a process id
/// and host into it. Released when the returned file is dropped.
fn hold_lock(out: &Path, pid: u32, host: &str) -> std::fs::File {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let name = out.file_name().unwrap().to_string_lossy();
    let path = out.with_file_name(format!(".{name}.lock"));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap();
    // SAFETY: flock on a file this test holds open.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    writeln!(file, "{pid} {host}").unwrap();
    file
}

/// Release a lock taken by [`hold_lock`] at once: an explicit unlock, since a child process
/// that another test forks at that moment may hold a copy of the descriptor until its exec,
/// and closing ours alone would leave the lock held for that moment.
fn release_lock(file: std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file this test holds open.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) }, 0);
}

#[test]
fn a_second_vbpsim_writing_the_same_folder_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let held = hold_lock(&out, 4242, "node7");
    let busy = format!("another vbpsim is writing {} (process 4242 on node7)", out.display());
    let hint = "wait for it to finish, or choose another --out";
    one_line_and_hint(&run(&out, &[], 2), &busy, hint);
    let psa = ["run", "--patients", "100", "--samples", "3", "--quiet"];
    one_line_and_hint(&write(&psa, &out, &["--resume"], 2), &busy, hint);
    one_line_and_hint(&shard(&out, 1, &[], 2), &busy, hint);
    one_line_and_hint(&write(&SENSITIVITY, &out, &["--force"], 2), &busy, hint);
    assert_eq!(listing(dir.path()), [".out.lock"], "no folder, no checkpoint written");
    // Released (its file left behind, as by a killed process): the next run goes ahead, and
    // removes the lock file when done.
    release_lock(held);
    write(&psa, &out, &[], 0);
    assert_eq!(listing(dir.path()), ["out"]);

    // A real run holds it while it simulates, its checkpoint included: a second run, resumed
    // or not, is told who writes the folder; once the first is killed, nothing blocks.
    let long = ["run", "--patients", "20000", "--samples", "4000", "--threads", "1", "--quiet"];
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_vbpsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(long)
        .arg("--out")
        .arg(&out)
        .spawn()
        .unwrap();
    let checkpoint = dir.path().join(".out.resume");
    let started = std::time::Instant::now();
    while checkpoint::lines(&checkpoint).is_empty() {
        assert!(started.elapsed().as_secs() < 120, "no checkpoint within two minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let busy = format!("another vbpsim is writing {} (process {}", out.display(), first.id());
    for extra in [&[][..], &["--resume"]] {
        let stderr = write(&long, &out, extra, 2);
        one_line_and_hint(&stderr, &busy, hint);
    }
    first.kill().unwrap();
    first.wait().unwrap();
    write(&psa, &out, &[], 0);
    assert_eq!(listing(dir.path()), ["out"], "the killed run's lock and checkpoint are gone");
}

#[test]
fn any_name_a_file_system_takes_works_as_out() {
    let dir = tempfile::tempdir().unwrap();
    // 250 bytes, multi-byte characters across the cut.
    let name = format!("{}{}", "r".repeat(99), "é".repeat(75) + "s");
    assert_eq!(name.len(), 250);
    let out = dir.path().join(&name);
    let psa = ["run", "--patients", "100", "--samples", "3", "--quiet"];
    write(&psa, &out, &[], 0);
    // Again (a replacement), then a shard, a run over a user's folder moved aside with --force.
    write(&psa, &out, &[], 0);
    assert_eq!(
        listing(dir.path()),
        std::slice::from_ref(&name),
        "no checkpoint, lock or staging left"
    );
    let user = dir.path().join(name.replace('s', "u"));
    std::fs::create_dir(&user).unwrap();
    std::fs::write(user.join("notes.txt"), "mine").unwrap();
    let note = run(&user, &["--force"], 0);
    let moved = note.split(" aside to ").nth(1).unwrap().split(" (nothing").next().unwrap();
    assert_eq!(std::fs::read_to_string(Path::new(moved).join("notes.txt")).unwrap(), "mine");
    assert!(Path::new(moved).file_name().unwrap().len() < 255, "{moved}");
    shard(&dir.path().join(name.replace('s', "k")), 1, &[], 0);
    // One byte more than the file system takes: refused before anything is simulated (a large
    // PSA would otherwise run to its end and fail when moved into place).
    let long = dir.path().join(format!("{name}{}", "x".repeat(6)));
    let big = ["run", "--patients", "20000", "--samples", "200", "--quiet"];
    let stderr = write(&big, &long, &["--force"], 2);
    one_line_and_hint(&stderr, "its name is 256 bytes, more than the 255", "a shorter folder name");
    assert_eq!(listing(dir.path()).len(), 4, "nothing new: {:?}", listing(dir.path()));
}

#[test]
fn a_scenario_name_is_at_most_100_characters() {
    let check = |length: usize, code| {
        let set = format!("scenario.name=\"{}\"", "n".repeat(length));
        let args = ["check", "scenarios/nsclc_egfr.toml", "--set", set.as_str()];
        text_of(&expect(vbpsim().args(args), code).stderr)
    };
    check(100, 0);
    let stderr = check(101, 2);
    assert!(
        stderr.contains(
            "expected a name of at most 100 characters (it names the output folder), found 101"
        ),
        "{stderr}"
    );
}

#[test]
fn the_operating_systems_folders_are_never_written_even_with_force() {
    // As root, `--force` could once move /etc/passwd aside; as anyone, an output inside /usr
    // or /etc is refused before simulating, and nothing is created there.
    for (out, place) in [
        ("/etc/passwd", "inside /etc"),
        ("/etc/vbpsim-output-test", "inside /etc"),
        ("/usr/share/vbpsim-output-test", "inside /usr"),
        ("/usr", "inside /usr"),
        ("/home", "/home, at the top of the file system"),
    ] {
        if out == "/home" && !Path::new(out).is_dir() {
            continue;
        }
        let before = std::fs::symlink_metadata(out).ok().map(|m| m.len());
        for extra in [&[][..], &["--force"]] {
            let stderr = run(Path::new(out), extra, 2);
            let is_mount = stderr.contains("mount point");
            if !is_mount {
                one_line_and_hint(
                    &stderr,
                    &format!("refusing to write {out}: it is {place}"),
                    "--force never writes there",
                );
            }
        }
        assert_eq!(std::fs::symlink_metadata(out).ok().map(|m| m.len()), before, "{out}");
    }
    // Links are resolved in the folders above the last name: a way into /etc through a link
    // is refused too.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc", dir.path().join("etc_link")).unwrap();
    let stderr = run(&dir.path().join("etc_link/vbpsim-output-test"), &[], 2);
    assert!(stderr.contains("it is inside /etc"), "{stderr}");
    assert!(!Path::new("/etc/vbpsim-output-test").exists());
}

#[test]
fn force_moves_aside_only_what_the_user_owns() {
    // Root can give a folder to another user; an ordinary user cannot, so this needs root.
    if !is_root() {
        println!("skipped: giving a folder to another user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "not vbpsim's").unwrap();
    // SAFETY: a valid path; uid/gid 65534 is `nobody` on Debian.
    assert_eq!(unsafe { libc::chown(c_path(&theirs).as_ptr(), 65534, 65534) }, 0);
    let stderr = run(&theirs, &["--force"], 2);
    one_line_and_hint(
        &stderr,
        &format!(
            "refusing to move {} aside (--force): it belongs to another user (uid 65534)",
            theirs.display()
        ),
        "--force moves aside only what you own",
    );
    assert_eq!(listing(&theirs), ["notes.txt"]);
    assert_eq!(listing(dir.path()), ["theirs"], "nothing beside it");
}

/// `vbpsim run` of [`TINY`] into `out` as the user `nobody` (uid and gid 65534), which must
/// exit with `code`; returns stderr.
fn run_as_nobody(out: &Path, extra: &[&str], code: i32) -> String {
    let mut cmd = assert_cmd::Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_vbpsim"))
        .arg("run")
        .args(TINY)
        .arg("--out")
        .arg(out)
        .args(extra)
        .current_dir("/");
    text_of(&expect(&mut cmd, code).stderr)
}

#[test]
fn an_ordinary_user_gets_the_same_refusals_and_keeps_their_own_work() {
    // The other tests run as whoever runs the suite; as root, this one also runs vbpsim as an
    // ordinary user, for whom the refusals must read the same (not a permission error).
    if !is_root() {
        println!("skipped: running vbpsim as another user needs root (the suite runs as one)");
        return;
    }
    let reachable = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_vbpsim"))
        .arg("--version")
        .output();
    if !reachable.is_ok_and(|o| o.status.success()) {
        println!("skipped: setpriv is missing or the user nobody cannot run the test binary");
        return;
    }
    let stderr = run_as_nobody(Path::new("/dev/null"), &["--force"], 2);
    one_line_and_hint(&stderr, "/dev/null: it is a device", "--force never replaces a device");
    let stderr = run_as_nobody(Path::new("/etc/vbpsim-output-test"), &["--force"], 2);
    assert!(stderr.contains("it is inside /etc"), "{stderr}");
    assert!(!Path::new("/etc/vbpsim-output-test").exists());
    // A folder where both may write: root's folder is not moved aside by nobody's --force.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .unwrap();
    let roots = dir.path().join("roots");
    std::fs::create_dir(&roots).unwrap();
    std::fs::write(roots.join("notes.txt"), "root's").unwrap();
    let stderr = run_as_nobody(&roots, &["--force"], 2);
    one_line_and_hint(
        &stderr,
        &format!(
            "refusing to move {} aside (--force): it belongs to another user (uid 0)",
            roots.display()
        ),
        "--force moves aside only what you own",
    );
    assert_eq!(listing(&roots), ["notes.txt"]);
    // Their own results are replaced by a run, their own folder moved aside by --force.
    let results = dir.path().join("results");
    run_as_nobody(&results, &[], 0);
    run_as_nobody(&results, &[], 0);
    assert_eq!(kind_of(&results), "run");
    // Results are replaced only by their owner: root's by nobody, nobody's by root, are not,
    // with or without --force; each stays byte for byte.
    let roots_results = dir.path().join("roots_results");
    run(&roots_results, &[], 0);
    for (out, extra) in [(&roots_results, &[][..]), (&roots_results, &["--force"])] {
        let before = contents(out);
        let stderr = run_as_nobody(out, extra, 2);
        assert!(stderr.contains("refusing to replace") && stderr.contains("(uid 0)"), "{stderr}");
        assert_eq!(contents(out), before);
    }
    let before = contents(&results);
    let stderr = run(&results, &[], 2);
    one_line_and_hint(
        &stderr,
        &format!(
            "refusing to replace {}: it belongs to another user (uid 65534)",
            results.display()
        ),
        "vbpsim replaces only folders you own",
    );
    assert_eq!(contents(&results), before);
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "nobody's").unwrap();
    // SAFETY: valid paths; uid/gid 65534 is `nobody` on Debian.
    for p in [&theirs, &theirs.join("notes.txt")] {
        assert_eq!(unsafe { libc::chown(c_path(p).as_ptr(), 65534, 65534) }, 0);
    }
    run_as_nobody(&theirs, &[], 2);
    let stderr = run_as_nobody(&theirs, &["--force"], 0);
    assert!(stderr.contains("was moved aside to"), "{stderr}");
    assert_eq!(kind_of(&theirs), "run");
    let aside: Vec<String> =
        listing(dir.path()).into_iter().filter(|n| n.starts_with("theirs.")).collect();
    assert_eq!(aside.len(), 1, "{:?}", listing(dir.path()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&aside[0]).join("notes.txt")).unwrap(),
        "nobody's"
    );
}
