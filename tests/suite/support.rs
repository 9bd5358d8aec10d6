//! What several test modules share: the vbpsim binary as a command, reading its output, and
//! folder listings.

use std::path::Path;
use std::process::Output;

/// The `vbpsim` binary built with this test suite, run from the package root (so that the
/// bundled scenarios' relative paths resolve).
pub fn vbpsim() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("vbpsim");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Bytes of a stream as text (lossily: a test must not fail on the decoding of a message).
pub fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run and require exit code `code` and no panic; returns the output.
pub fn expect(cmd: &mut assert_cmd::Command, code: i32) -> Output {
    let out = cmd.output().unwrap();
    let stderr = text_of(&out.stderr);
    assert!(!stderr.contains("panicked"), "vbpsim panicked:\n{stderr}");
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code; stdout:\n{}\nstderr:\n{stderr}",
        text_of(&out.stdout)
    );
    out
}

/// Names of the entries of a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
