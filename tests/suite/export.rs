//! The export to BCEA, dampack and voi (docs/src/guide.md, "Into BCEA, dampack and voi"): the
//! guide's Python recipe, run as it is written on a run of the melanoma scenario (whose
//! decision is uncertain around 100,000 per QALY), reads
//! psa_costs.csv, psa_qalys.csv and parameters.csv into the n_sim × n_interventions and
//! n_sim × n_parameters shapes the R packages document and recomputes the EVPI of the list
//! decision set, which must equal evpi.csv's.

use crate::support::vbpsim;
use std::path::Path;

const GUIDE: &str = include_str!("../../docs/src/guide.md");

/// The guide's code block after `<!-- recipe: export -->`.
fn recipe() -> &'static str {
    let after = GUIDE.split("<!-- recipe: export -->").nth(1).expect("the recipe's marker");
    let start = after.find("```python\n").expect("a python block") + "```python\n".len();
    let end = after[start..].find("```").expect("its end");
    &after[start..start + end]
}

/// evpi.csv's `evpi_per_patient` of the list decision set at λ.
fn evpi_at(folder: &Path, wtp: &str) -> f64 {
    let mut r = csv::Reader::from_path(folder.join("evpi.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (set, at, v) = (col("decision_set"), col("wtp"), col("evpi_per_patient"));
    let rows = r.records().map(|x| x.unwrap());
    let row = rows.into_iter().find(|x| &x[set] == "list" && &x[at] == wtp).unwrap();
    row[v].parse().unwrap()
}

#[test]
fn the_guides_python_recipe_reads_the_matrices_and_reproduces_the_evpi() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let out_s = out.to_string_lossy().into_owned();
    vbpsim()
        .args(["run", "scenarios/melanoma_braf.toml", "--patients", "1000", "--samples", "60"])
        .args(["--quiet", "--out", &out_s])
        .assert()
        .success();
    let script = dir.path().join("recipe.py");
    std::fs::write(&script, recipe()).unwrap();
    let mut checked = 0;
    for wtp in ["90000", "100000", "105000", "150000"] {
        let run = std::process::Command::new("python3")
            .arg(&script)
            .args([&out_s, wtp])
            .output()
            .expect("python3 runs the recipe (.ci/run installs it)");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "the recipe fails: {stderr}");
        let printed: f64 = String::from_utf8_lossy(&run.stdout).trim().parse().unwrap();
        let want = evpi_at(&out, wtp);
        assert!(
            (printed - want).abs() <= 1e-8 * want.abs().max(1.0),
            "λ {wtp}: recipe {printed} vs evpi.csv {want}"
        );
        checked += usize::from(want > 0.0);
    }
    assert!(checked >= 1, "some λ with a positive EVPI");
}
