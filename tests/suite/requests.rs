//! Requests a scenario cannot serve, checked by the library before anything is simulated (the
//! command line only words them and picks the exit code): a sensitivity analysis's threshold,
//! arm, two-way pair and ranges, a price without contracts, a comparison's thresholds and
//! currencies, a shard of a run without PSA samples, a merge into one of its shards.

use crate::support::{fixture, load};
use vbpsim::workflow::compare::{self, CompareError};
use vbpsim::workflow::sensitivity::{Plan, PlanError};
use vbpsim::workflow::shard::{self, MergeError, NoSamples};

const ONEWAY: &str = "sensitivity/oneway.toml";

fn set(s: &str) -> Vec<String> {
    vec![s.to_string()]
}

#[test]
fn a_sensitivity_plan_checks_its_request_against_the_scenario() {
    let s = load(ONEWAY, &[]);
    let plan = Plan::new(&s, Some(100_000.0), Some(("test_cost,pfs_median", 3))).unwrap();
    assert_eq!(plan.threshold, 1);
    // The default arm is the first strategy other than the comparator, at list.
    let arms = s.model.arms();
    let arm = plan.arm(&s.model, None).unwrap();
    assert_eq!((arms[arm].strategy, arms[arm].contract), (1, None));
    assert_eq!(plan.arm(&s.model, Some("treat")), Ok(arm));
    // The base case, two ends of each of the two varied parameters, and a 3 × 3 grid.
    assert_eq!(plan.ranges.len(), 2);
    assert_eq!(plan.simulations(), 1 + 2 * 2 + 9);

    let err = |threshold: Option<f64>, two_way: Option<(&str, usize)>| {
        Plan::new(&s, threshold, two_way).unwrap_err()
    };
    assert_eq!(
        err(Some(123.0), None),
        PlanError::UnknownThreshold { threshold: 123.0, thresholds: vec![50_000.0, 100_000.0] }
    );
    assert_eq!(
        err(None, Some(("test_cost,test_cost", 3))),
        PlanError::NotAPair { names: "test_cost,test_cost".into() }
    );
    let not_varied = err(None, Some(("price,test_cost", 3)));
    assert!(
        matches!(&not_varied, PlanError::NotVaried { name, varied } if name == "price" && varied == &["test_cost", "pfs_median"]),
        "{not_varied:?}"
    );
    assert_eq!(
        not_varied.help().as_deref(),
        Some("parameters that can vary: test_cost, pfs_median")
    );
    let arm = plan.arm(&s.model, Some("nope")).unwrap_err();
    assert_eq!(
        arm,
        PlanError::UnknownArm { wanted: "nope/list".into(), arms: vec!["treat/list".into()] }
    );
    assert_eq!(arm.to_string(), "--arm nope/list: no such arm; arms: treat/list");
    // A `list` contract names the list arm it is settled on.
    let listed =
        load(ONEWAY, &set(r#"contracts = [{ name = "at_list", drug = "x", kind = "list" }]"#));
    let treat = plan.arm(&listed.model, Some("treat")).unwrap();
    assert_eq!(plan.arm(&listed.model, Some("treat/at_list")), Ok(treat));

    let file = fixture(ONEWAY).display().to_string();
    let none = load(ONEWAY, &set("scenario.thresholds=[]"));
    assert_eq!(
        Plan::new(&none, None, None).unwrap_err(),
        PlanError::NoThresholds { file: file.clone() }
    );
    let fixed = load(
        ONEWAY,
        &[
            "parameters.test_cost={ value = 300 }".into(),
            "parameters.pfs_median={ value = \"1 year\" }".into(),
        ],
    );
    assert_eq!(Plan::new(&fixed, None, None).unwrap_err(), PlanError::NothingToVary { file });
}

#[test]
fn a_shard_needs_samples() {
    let s = load(ONEWAY, &[]);
    let file = fixture(ONEWAY).display().to_string();
    assert_eq!(shard::block(&s, 0, (2, 3)).unwrap_err(), NoSamples { k: 2, n: 3, file });
    // Samples 1…10 in three blocks of 3, 3 and 4.
    assert_eq!(shard::block(&s, 10, (2, 3)).unwrap(), 4..7);
    assert_eq!(shard::block(&s, 10, (3, 3)).unwrap(), 7..11);
}

#[test]
fn a_merge_never_writes_into_one_of_its_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir(&a).unwrap();
    let err = shard::check_out(&[a.clone(), b.clone()], &a).unwrap_err();
    assert!(matches!(&err, MergeError::OutIsShard { .. }), "{err:?}");
    assert_eq!(err.help(), Some("choose another output folder"));
    assert!(shard::check_out(&[a], &b).is_ok());
}

#[test]
fn a_comparison_needs_valid_thresholds_and_one_currency() {
    let s = || load(ONEWAY, &[]);
    let limit = vbpsim::model::limits::MAX_MAGNITUDE;
    assert_eq!(
        compare::check(&[s(), s()], vec![-1.0]).unwrap_err(),
        CompareError::ThresholdRange { value: -1.0, limit }
    );
    assert_eq!(
        compare::check(&[s(), s()], vec![5.0, 5.0]).unwrap_err(),
        CompareError::ThresholdTwice { value: 5.0 }
    );
    assert_eq!(compare::check(&[s(), s()], vec![5.0, 6.0]).unwrap(), Some(vec![5.0, 6.0]));
    assert_eq!(compare::check(&[s(), s()], Vec::new()).unwrap(), None);
    let euro = load(ONEWAY, &set("scenario.currency=\"EUR\""));
    let err = compare::check(&[s(), euro], Vec::new()).unwrap_err();
    assert!(
        matches!(&err, CompareError::Currencies { currency, .. } if currency == "EUR"),
        "{err:?}"
    );
    let none = load(ONEWAY, &set("scenario.thresholds=[]"));
    let err = compare::check(&[none, s()], Vec::new()).unwrap_err();
    assert!(matches!(err, CompareError::NoThresholds { .. }), "{err:?}");
}
