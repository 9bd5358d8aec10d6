//! What an output folder holds, recorded as `"kind"` in its run.json, and which folder a new
//! one may replace without `--force`.
//!
//! One mistyped `--out` must not throw away another command's work: a run does not replace a
//! sensitivity analysis, nor anything replace a shard (its PSA samples cost cluster time to
//! redo). A folder is replaced without `--force` only by a folder of its own kind, and a shard
//! only by the same shard of the same run, which reproduces the same samples.

use serde_json::Value;

/// What a folder vbpsim writes holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// The folder of `run`, or of `merge` (the same folder as one run).
    Run,
    /// A partial folder of `run --shard K/N`: one block of PSA samples.
    Shard(ShardOf),
    /// The folder of `sensitivity`.
    Sensitivity,
    /// The folder of `compare`.
    Comparison,
    /// The folder of `fit`.
    Fit,
    /// The folder of `design`.
    Design,
}

/// The run a shard belongs to and its place in it: what makes its samples what they are.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardOf {
    pub scenario_sha256: String,
    pub seed: u64,
    pub patients: u64,
    pub samples: u64,
    pub shard: u64,
    pub shards: u64,
}

impl Kind {
    /// run.json's `kind` of each folder (`psa_checkpoint` is the hidden checkpoint of a run,
    /// written by the workflow beside its output folder).
    pub const RUN: &str = "run";
    pub const SHARD: &str = "psa_shard";
    pub const SENSITIVITY: &str = "sensitivity";
    pub const COMPARISON: &str = "comparison";
    pub const CHECKPOINT: &str = "psa_checkpoint";
    pub const FIT: &str = "survival_fit";
    pub const DESIGN: &str = "contract_design";

    /// The value of run.json's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Run => Kind::RUN,
            Kind::Shard(_) => Kind::SHARD,
            Kind::Sensitivity => Kind::SENSITIVITY,
            Kind::Comparison => Kind::COMPARISON,
            Kind::Fit => Kind::FIT,
            Kind::Design => Kind::DESIGN,
        }
    }

    /// What a folder of this kind holds, in words ("a run", "shard 2 of 4 of a PSA").
    fn described(&self) -> String {
        match self {
            Kind::Shard(of) => format!("shard {} of {}", of.shard, of.shards),
            other => words(other.name()).into(),
        }
    }
}

/// A recorded kind in words.
fn words(kind: &str) -> &str {
    match kind {
        Kind::RUN => "a run",
        Kind::SENSITIVITY => "a sensitivity analysis",
        Kind::COMPARISON => "a comparison",
        Kind::CHECKPOINT => "the checkpoint of an interrupted run",
        Kind::FIT => "survival fits",
        Kind::DESIGN => "a contract design",
        _ => "a folder of another kind",
    }
}

/// The kind an existing folder's run.json records; for a folder written before kinds were
/// recorded, the kind its fields show (a shard and a checkpoint always had theirs; sensitivity
/// and comparison folders name their `analysis`; anything else is a run's). `None` when the
/// run.json is not a JSON object.
pub(super) fn recorded(manifest: &Value) -> Option<String> {
    let fields = manifest.as_object()?;
    if let Some(kind) = fields.get("kind") {
        return Some(kind.as_str().unwrap_or_default().to_string());
    }
    Some(
        match fields.get("analysis").and_then(Value::as_str) {
            Some("one_way_sensitivity") => Kind::SENSITIVITY,
            Some("scenario_comparison") => Kind::COMPARISON,
            _ => Kind::RUN,
        }
        .to_string(),
    )
}

/// Why a folder of `new` kind may not replace a vbpsim folder, in words: what it holds, what
/// the command writes, and whether it holds a shard's samples.
#[derive(Debug, PartialEq)]
pub(super) struct Mismatch {
    pub found: String,
    pub wanted: String,
    pub shard: bool,
}

/// Whether a folder of kind `new` may replace, without `--force`, the vbpsim folder whose
/// run.json is `manifest`: a folder of the same kind, except a shard, which only the same
/// shard of the same run (same vbpsim version, scenario text, seed, sizes, K/N) replaces.
pub(super) fn may_replace(new: &Kind, manifest: &Value) -> Result<(), Mismatch> {
    let Some(found) = recorded(manifest) else {
        let found = "a folder whose run.json does not read".to_string();
        return Err(Mismatch { found, wanted: new.described(), shard: false });
    };
    if found == Kind::SHARD {
        let number = |key: &str| manifest.get(key).and_then(Value::as_u64).unwrap_or(0);
        let holds = format!(
            "shard {} of {} of a PSA (samples a merge needs)",
            number("shard"),
            number("shards")
        );
        let wanted = match new {
            Kind::Shard(of) => match differs(of, manifest) {
                None => return Ok(()),
                Some("the shard") => new.described(),
                Some(field) => format!("{} of another run ({field} differs)", new.described()),
            },
            other => other.described(),
        };
        return Err(Mismatch { found: holds, wanted, shard: true });
    }
    if found == new.name() {
        return Ok(());
    }
    Err(Mismatch { found: words(&found).to_string(), wanted: new.described(), shard: false })
}

/// The first field in which the shard `of` differs from the shard whose run.json is
/// `manifest`, or `None` when it is the same shard of the same run.
fn differs(of: &ShardOf, manifest: &Value) -> Option<&'static str> {
    let text = |key: &str| manifest.get(key).and_then(Value::as_str);
    let number = |key: &str| manifest.get(key).and_then(Value::as_u64);
    let checks = [
        ("the vbpsim version", text("version") == Some(env!("CARGO_PKG_VERSION"))),
        ("the scenario", text("scenario_sha256") == Some(of.scenario_sha256.as_str())),
        ("the seed", number("seed") == Some(of.seed)),
        ("patients", number("patients") == Some(of.patients)),
        ("samples", number("samples") == Some(of.samples)),
        ("the shard", number("shard") == Some(of.shard) && number("shards") == Some(of.shards)),
    ];
    checks.into_iter().find(|(_, same)| !same).map(|(field, _)| field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shard(k: u64, seed: u64) -> ShardOf {
        ShardOf {
            scenario_sha256: "abc".into(),
            seed,
            patients: 10,
            samples: 4,
            shard: k,
            shards: 2,
        }
    }

    fn shard_json(k: u64) -> Value {
        json!({"tool": "vbpsim", "version": env!("CARGO_PKG_VERSION"), "kind": "psa_shard",
            "scenario_sha256": "abc", "seed": 1, "patients": 10, "samples": 4, "shard": k,
            "shards": 2})
    }

    #[test]
    fn folders_written_before_kinds_were_recorded_are_known_by_their_fields() {
        assert_eq!(recorded(&json!({"tool": "vbpsim", "seed": 1})).as_deref(), Some(Kind::RUN));
        let sensitivity = json!({"tool": "vbpsim", "analysis": "one_way_sensitivity"});
        assert_eq!(recorded(&sensitivity).as_deref(), Some(Kind::SENSITIVITY));
        let comparison = json!({"tool": "vbpsim", "analysis": "scenario_comparison"});
        assert_eq!(recorded(&comparison).as_deref(), Some(Kind::COMPARISON));
        assert_eq!(recorded(&shard_json(1)).as_deref(), Some(Kind::SHARD));
        assert_eq!(recorded(&json!([1])), None);
    }

    #[test]
    fn a_kind_replaces_its_own_kind_and_a_shard_only_itself() {
        let run = json!({"tool": "vbpsim", "kind": "run"});
        assert_eq!(may_replace(&Kind::Run, &run), Ok(()));
        assert_eq!(may_replace(&Kind::Run, &json!({"tool": "vbpsim"})), Ok(()));
        let refused = may_replace(&Kind::Sensitivity, &run).unwrap_err();
        assert_eq!((refused.found.as_str(), refused.shard), ("a run", false));
        assert_eq!(refused.wanted, "a sensitivity analysis");
        // The same shard of the same run reproduces the same samples.
        assert_eq!(may_replace(&Kind::Shard(shard(1, 1)), &shard_json(1)), Ok(()));
        let other = may_replace(&Kind::Shard(shard(2, 1)), &shard_json(1)).unwrap_err();
        assert!(other.shard && other.found.starts_with("shard 1 of 2"), "{other:?}");
        assert_eq!(other.wanted, "shard 2 of 2");
        let reseeded = may_replace(&Kind::Shard(shard(1, 7)), &shard_json(1)).unwrap_err();
        assert_eq!(reseeded.wanted, "shard 1 of 2 of another run (the seed differs)");
        assert!(may_replace(&Kind::Run, &shard_json(1)).unwrap_err().shard);
        // A kind this vbpsim does not know is another kind.
        let future = json!({"tool": "vbpsim", "kind": "something_new"});
        assert_eq!(may_replace(&Kind::Run, &future).unwrap_err().found, "a folder of another kind");
    }
}
