//! The table of named cases: what the docs says must happen to a case, running a table
//! without and with PSA, and the closed forms that the cases check on their outputs.

use super::harness::{Csv, Folder, close, run};
use super::{PATIENTS, PSA_SAMPLES, SEED};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What the docs says must happen to a case.
pub(super) enum Expect {
    /// Exit 0 with clean outputs, and then this closed form (if any).
    Runs(Option<fn(&Folder)>),
    /// Invalid input: exit 2 at `--set #set`, naming `field` and saying `says`.
    Refused { set: usize, field: &'static str, says: &'static str },
}

pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) scenario: &'static str,
    pub(super) sets: &'static [&'static str],
    pub(super) expect: Expect,
}

/// Runs every case without PSA and with PSA; all of them, then fails naming those that failed
/// (each failure's message, with the command that reproduces it, is printed as it happens).
pub(super) fn run_cases(cases: &[Case]) {
    let mut failed = Vec::new();
    for case in cases {
        let sets: Vec<String> = case.sets.iter().map(|s| s.to_string()).collect();
        for samples in [0, PSA_SAMPLES] {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let r = run(case.scenario, &sets, PATIENTS, samples, SEED);
                match case.expect {
                    Expect::Runs(check) => {
                        let folder = r.clean();
                        if let Some(check) = check {
                            check(&folder);
                        }
                    }
                    Expect::Refused { set, field, says } => r.refused(set, field, says),
                }
            }));
            if outcome.is_err() {
                failed.push(format!("{} (samples {samples})", case.name));
            }
        }
    }
    assert!(failed.is_empty(), "failing edge cases: {failed:#?}");
}

/// Discounted and undiscounted life-years agree (outcome rate 0): summary.csv and psa.csv.
pub(super) fn life_years_undiscounted(f: &Folder) {
    for name in ["summary.csv", "psa.csv"] {
        let Some(t) = f.maybe(name) else { continue };
        for row in &t.rows {
            let (ly, lyu) = (t.num(row, "ly"), t.num(row, "ly_undiscounted"));
            assert!(close(ly, lyu, lyu), "{name}: ly {ly} ≠ ly_undiscounted {lyu}\n{}", f.cmd);
        }
    }
}

/// The manufacturer's net revenue is the payer's contract spend (both rates 0).
pub(super) fn manufacturer_sees_contract_spend(f: &Folder) {
    let k = f.csv("contracts.csv");
    for row in &k.rows {
        let (revenue, spend) =
            (k.num(row, "manufacturer_net_revenue"), k.num(row, "contract_spend"));
        let scale = k.num(row, "paid") + k.num(row, "refunds");
        assert!(
            close(revenue, spend, scale),
            "{}: revenue {revenue} ≠ contract spend {spend}\nreproduce: {}",
            k.get(row, "contract"),
            f.cmd
        );
    }
}

pub(super) fn all_rates_zero(f: &Folder) {
    life_years_undiscounted(f);
    manufacturer_sees_contract_spend(f);
}

/// Horizon 20 days (edge_base, contract dates 7 days): the comparator's patients start b at
/// t = 0 and pay exactly one 21-day cycle of drug_b (3000) and drug_b2 (500) and their
/// administration (150 + 50), undiscounted at t = 0; drug_a (28-day cycles, started at 14
/// days) is paid once, so a cap of 6 cycles is never reached; survival.csv has month 0 only.
pub(super) fn one_cycle_within_the_horizon(f: &Folder) {
    for (category, amount) in
        [("drug:drug_b", 3000.0), ("drug:drug_b2", 500.0), ("administration", 200.0)]
    {
        assert_eq!(f.cost("treat_all_b", "list", category), amount, "{category}\n{}", f.cmd);
    }
    let k = f.csv("contracts.csv");
    let cap = k.rows_of("test_and_treat", Some("cap_6_cycles")).next().unwrap();
    assert!(k.num(cap, "treated_share") > 0.0, "somebody is treated with drug_a\n{}", f.cmd);
    assert_eq!(k.num(cap, "paid"), k.num(cap, "list_spend"), "{}", f.cmd);
    assert_eq!(k.num(cap, "triggered_share"), 0.0, "{}", f.cmd);
    let s = f.csv("survival.csv");
    assert_eq!(s.rows.len(), 2, "one row (month 0) per strategy\n{}", f.cmd);
    for row in &s.rows {
        assert_eq!(s.num(row, "os"), 1.0, "{}", f.cmd);
    }
}

/// Horizon 1 day, shorter than the panel's 14-day turnaround: test_and_treat treats nobody
/// before the horizon (no drug, administration or adverse events; the test paid at t = 0 at
/// its point cost 2000), while the comparator pays b's first cycle at t = 0.
pub(super) fn nobody_treated_before_the_horizon(f: &Folder) {
    for category in
        ["drug:drug_a", "drug:drug_b", "drug:drug_b2", "administration", "adverse_events"]
    {
        assert_eq!(f.cost("test_and_treat", "list", category), 0.0, "{category}\n{}", f.cmd);
    }
    assert_eq!(f.cost("test_and_treat", "list", "testing"), 2000.0, "{}", f.cmd);
    for (category, amount) in
        [("drug:drug_b", 3000.0), ("drug:drug_b2", 500.0), ("administration", 200.0)]
    {
        assert_eq!(f.cost("treat_all_b", "list", category), amount, "{category}\n{}", f.cmd);
    }
}

/// Horizon 200 years: survival.csv has months 0…2400 for each strategy.
pub(super) fn two_hundred_years_of_months(f: &Folder) {
    let s = f.csv("survival.csv");
    assert_eq!(s.rows.len(), 2 * 2401, "{}", f.cmd);
}

/// Weibull shape 50, scale 100 years, for every progression and death curve of the default
/// scenario: every event time is at least 100·(1.1e-16)^(1/50) = 47.9 years (the largest
/// uniform below 1 gives the smallest time), beyond the 20-year horizon. So every patient
/// lives the whole horizon progression-free.
pub(super) fn nobody_has_an_event(f: &Folder) {
    let s = f.csv("summary.csv");
    for row in &s.rows {
        assert_eq!(s.num(row, "ly_undiscounted"), 20.0, "{}", f.cmd);
        assert_eq!(s.num(row, "inc_ly"), 0.0, "{}", f.cmd);
    }
    let v = f.csv("survival.csv");
    for row in &v.rows {
        assert!(v.num(row, "os") == 1.0 && v.num(row, "pfs") == 1.0, "{row:?}\n{}", f.cmd);
    }
}

/// Nobody is given `drug`: no spend on it anywhere (costs, contracts, budget impact, cohort
/// statements), no settled patient, and a threshold price that cannot exist.
pub(super) fn nobody_gets(f: &Folder, drug: &str) {
    let c = f.csv("costs.csv");
    let category = format!("drug:{drug}");
    for row in c.rows.iter().filter(|r| c.get(r, "category") == category) {
        assert_eq!(c.num(row, "cost"), 0.0, "{row:?}\n{}", f.cmd);
    }
    let k = f.csv("contracts.csv");
    for row in &k.rows {
        for col in ["treated_share", "list_spend", "paid", "refunds"] {
            assert_eq!(k.num(row, col), 0.0, "{col} {row:?}\n{}", f.cmd);
        }
        for h in k.header.iter().filter(|h| h.starts_with("threshold_status_")) {
            let status = k.get(row, h);
            let probabilistic = k.get(row, "basis") == "probabilistic";
            if probabilistic && status == "not_computed" {
                // Terms not linear in the price: no search per sample.
                assert!(super::harness::maybe_not_linear(k.get(row, "kind")), "{h}\n{}", f.cmd);
            } else if matches!(k.get(row, "kind"), "expenditure_cap" | "money_back") {
                // Terms that may not be linear in the price: found by re-simulation, the price
                // changes nothing, so the arm is cost-effective at any price or not even free.
                let nmb = k.num(row, &h.replace("threshold_status_", "inc_nmb_"));
                let expected = if nmb > 0.0 {
                    &["cost_effective_at_any_price"][..]
                } else if nmb < 0.0 {
                    &["not_cost_effective_even_free"][..]
                } else {
                    &["cost_effective_at_any_price", "not_cost_effective_even_free"][..]
                };
                assert!(
                    status == "cost_does_not_rise_with_price" || expected.contains(&status),
                    "{h} = {status} with incremental NMB {nmb}\n{}",
                    f.cmd
                );
            } else {
                assert_eq!(status, "cost_does_not_rise_with_price", "{h}\n{}", f.cmd);
            }
        }
    }
    if let Some(b) = f.maybe("budget_impact.csv") {
        for row in b.rows.iter().filter(|r| b.get(r, "category") == category) {
            assert!(
                b.num(row, "spend_with") == 0.0 && b.num(row, "spend_without") == 0.0,
                "{}",
                f.cmd
            );
        }
    }
    if let Some(y) = f.maybe("cohort.csv") {
        for row in &y.rows {
            for col in ["patients_treated", "patients_started", "drug_spend", "refund"] {
                assert_eq!(y.num(row, col), 0.0, "cohort.csv {col}\n{}", f.cmd);
            }
            assert_eq!(y.get(row, "success_rate"), "", "no new patients\n{}", f.cmd);
        }
    }
}

/// Nobody reads positive in the default scenario: no osimertinib; the contract arms, which
/// settle nobody and have no yearly administration, cost what the list arm costs.
pub(super) fn nobody_gets_osimertinib(f: &Folder) {
    nobody_gets(f, "osimertinib");
    let s = f.csv("summary.csv");
    // On each basis (the deterministic base case, the PSA means).
    for row in s.rows_of("test_and_treat", None) {
        let basis = s.get(row, "basis");
        let same_basis = |r: &&Vec<String>| s.get(r, "basis") == basis;
        let list = s.rows_of("test_and_treat", Some("list")).find(same_basis).unwrap();
        let list = s.num(list, "cost");
        assert_eq!(s.num(row, "cost"), list, "{} {basis}\n{}", s.get(row, "contract"), f.cmd);
    }
}

pub(super) fn nobody_gets_drug_a(f: &Folder) {
    nobody_gets(f, "drug_a");
}

/// Every drug price 0: every drug category, contract payment and partner spend is 0.
pub(super) fn no_drug_spend(f: &Folder) {
    let c = f.csv("costs.csv");
    for row in c.rows.iter().filter(|r| c.get(r, "category").starts_with("drug:")) {
        assert_eq!(c.num(row, "cost"), 0.0, "{row:?}\n{}", f.cmd);
    }
    let k = f.csv("contracts.csv");
    for row in &k.rows {
        for col in ["list_spend", "paid", "refunds", "contract_spend"] {
            assert_eq!(k.num(row, col), 0.0, "{col} {row:?}\n{}", f.cmd);
        }
    }
    if let Some(p) = f.maybe("partners.csv") {
        for row in &p.rows {
            assert!(p.num(row, "spend") == 0.0 && p.num(row, "list_price") == 0.0, "{}", f.cmd);
        }
    }
    if let Some(p) = f.maybe("psa.csv") {
        for h in p.header.iter().filter(|h| h.starts_with("cost_drug:")) {
            for row in &p.rows {
                assert_eq!(p.num(row, h), 0.0, "psa.csv {h}\n{}", f.cmd);
            }
        }
    }
    if let Some(b) = f.maybe("budget_impact.csv") {
        for row in b.rows.iter().filter(|r| b.get(r, "category").starts_with("drug:")) {
            assert!(
                b.num(row, "spend_with") == 0.0 && b.num(row, "spend_without") == 0.0,
                "{}",
                f.cmd
            );
        }
    }
}

/// Nothing costs anything: every cost is 0, so no arm has an ICER (dominant, dominated or
/// equal by its QALYs).
pub(super) fn nothing_costs_anything(f: &Folder) {
    let c = f.csv("costs.csv");
    for row in &c.rows {
        assert_eq!(c.num(row, "cost"), 0.0, "{row:?}\n{}", f.cmd);
    }
    let s = f.csv("summary.csv");
    for row in &s.rows {
        assert!(s.num(row, "cost") == 0.0 && s.get(row, "icer").is_empty(), "{row:?}\n{}", f.cmd);
    }
}

/// Utilities 0 and no QALY loss: every QALY is 0, so no arm has an ICER.
pub(super) fn no_qalys(f: &Folder) {
    let s = f.csv("summary.csv");
    for row in &s.rows {
        assert!(s.num(row, "qaly") == 0.0 && s.num(row, "inc_qaly") == 0.0, "{row:?}\n{}", f.cmd);
        assert!(s.get(row, "icer").is_empty(), "{row:?}\n{}", f.cmd);
    }
    if let Some(p) = f.maybe("psa.csv") {
        for row in &p.rows {
            assert_eq!(p.num(row, "qaly"), 0.0, "psa.csv\n{}", f.cmd);
        }
    }
}

/// ae_b has probability 0: the comparator (always on b) has no adverse-event cost.
pub(super) fn no_adverse_events_on_b(f: &Folder) {
    assert_eq!(f.cost("treat_all_b", "list", "adverse_events"), 0.0, "{}", f.cmd);
}

/// The two strategies treat every patient alike: every arm of test_and_treat but those with a
/// yearly contract administration is `equal` to the comparator, with zero increments.
fn strategies_are_equal(f: &Folder, yearly_admin: &[&str]) {
    let s = f.csv("summary.csv");
    for row in s.rows_of("test_and_treat", None) {
        let contract = s.get(row, "contract");
        if yearly_admin.contains(&contract) {
            continue;
        }
        assert_eq!(s.get(row, "icer_status"), "equal", "{contract}\n{}", f.cmd);
        for col in ["inc_cost", "inc_qaly", "inc_ly"] {
            assert_eq!(s.num(row, col), 0.0, "{contract} {col}\n{}", f.cmd);
        }
    }
}

pub(super) fn default_strategies_are_equal(f: &Folder) {
    strategies_are_equal(f, &[]);
}

/// Uptake 0 in edge_base: nobody is tested, so test_and_treat is treat_all_b; only the yearly
/// administration of spend_cap (10000 a year over 50 entrants, at t = 0) is extra: dominated.
pub(super) fn untested_strategy_is_the_comparator(f: &Folder) {
    strategies_are_equal(f, &["spend_cap"]);
    let s = f.csv("summary.csv");
    let cap = s.rows_of("test_and_treat", Some("spend_cap")).next().unwrap();
    assert_eq!(s.num(cap, "inc_cost"), 200.0, "{}", f.cmd);
    assert_eq!(s.get(cap, "icer_status"), "dominated", "{}", f.cmd);
}

/// Death before and after progression Weibull(shape 50, scale 1 day) in both regimens: every
/// death time is at most 1 day·(−ln 2⁻⁶⁴)^(1/50) = 1.08 days after the previous event, so
/// everybody is dead within 2.2 days. Survival is 0 from month 1; the comparator pays exactly
/// one chemotherapy cycle at t = 0 (500 + 40, administration 150 + 70); test_and_treat, whose
/// treatment would start after the 15-day test, treats nobody.
pub(super) fn everybody_dies_within_days(f: &Folder) {
    let v = f.csv("survival.csv");
    for row in v.rows.iter().filter(|r| v.num(r, "month") >= 1.0) {
        assert!(v.num(row, "os") == 0.0 && v.num(row, "pfs") == 0.0, "{row:?}\n{}", f.cmd);
    }
    let s = f.csv("summary.csv");
    for row in &s.rows {
        let lyu = s.num(row, "ly_undiscounted");
        assert!(lyu < 3.0 / 365.25, "ly_undiscounted {lyu}\n{}", f.cmd);
    }
    for (category, amount) in
        [("drug:pemetrexed", 500.0), ("drug:carboplatin", 40.0), ("administration", 220.0)]
    {
        assert_eq!(f.cost("chemo_for_all", "list", category), amount, "{category}\n{}", f.cmd);
    }
    for category in ["drug:pemetrexed", "drug:carboplatin", "administration", "adverse_events"] {
        assert_eq!(f.cost("test_and_treat", "list", category), 0.0, "{category}\n{}", f.cmd);
    }
    nobody_gets(f, "osimertinib");
}

/// A contract row of test_and_treat in contracts.csv, for a closed form on it.
pub(super) fn contract_row<'a>(k: &'a Csv, contract: &'a str) -> &'a Vec<String> {
    k.rows_of("test_and_treat", Some(contract)).next().unwrap()
}

/// Contracts whose failures are never recorded (documentation error 1), a cap never reached,
/// a success target of 0 and a volume tier never reached: no refund, no trigger, and (terms
/// that only refund) payments at list.
fn never_triggers(f: &Folder, contracts: &[&str], refund_only: &[&str]) {
    let k = f.csv("contracts.csv");
    for &contract in contracts {
        let row = contract_row(k, contract);
        assert!(k.num(row, "treated_share") > 0.0, "{contract}: somebody is settled\n{}", f.cmd);
        assert_eq!(k.num(row, "refunds"), 0.0, "{contract} refunds\n{}", f.cmd);
        assert_eq!(k.num(row, "triggered_share"), 0.0, "{contract} triggered\n{}", f.cmd);
        if refund_only.contains(&contract) {
            assert_eq!(k.num(row, "paid"), k.num(row, "list_spend"), "{contract}\n{}", f.cmd);
        }
    }
}

pub(super) fn default_contracts_never_trigger(f: &Folder) {
    never_triggers(f, &["money_back_6m", "risk_sharing_50"], &["money_back_6m", "risk_sharing_50"]);
}

pub(super) fn edge_contracts_never_trigger(f: &Folder) {
    let refund_only =
        ["money_back_3m", "rebate_12w", "spend_cap", "volume_tiers", "outcome_guarantee"];
    let mut all = refund_only.to_vec();
    all.extend(["pay_at_result_12w", "instalments_4"]);
    never_triggers(f, &all, &refund_only);
}

/// No responders on a, every a patient dead within 2.16 months (Weibull shape 50, scale 2
/// months: at least 29 days, so everybody test-positive and not yet progressed at 14 days is
/// treated), a discount of 100 %, a cap of 1 a year and a success target of 1:
/// - the discount, money-back (failure before 3 months), payment at result and response
///   rebate (nobody a success at 12 weeks) and instalments (nobody alive at the second, 3
///   months on) trigger for every settled patient;
/// - payment at result pays nothing (every cycle falls before the assessment), the free drug
///   costs nothing and its cost does not rise with the price;
/// - the cohort-level cap and outcome guarantee refund something (not necessarily for every
///   patient: cycles after the 3-year term are not covered).
pub(super) fn contracts_always_trigger(f: &Folder) {
    let k = f.csv("contracts.csv");
    for contract in
        ["discount_30", "money_back_3m", "pay_at_result_12w", "rebate_12w", "instalments_4"]
    {
        let row = contract_row(k, contract);
        assert!(k.num(row, "treated_share") > 0.0, "{contract}: somebody is settled\n{}", f.cmd);
        assert_eq!(k.num(row, "triggered_share"), 1.0, "{contract}\n{}", f.cmd);
    }
    for contract in ["discount_30", "pay_at_result_12w"] {
        let row = contract_row(k, contract);
        assert!(k.num(row, "paid") == 0.0 && k.num(row, "contract_spend") == 0.0, "{}", f.cmd);
        assert_eq!(k.num(row, "effective_discount"), 1.0, "{contract}\n{}", f.cmd);
        for h in k.header.iter().filter(|h| h.starts_with("threshold_status_")) {
            assert_eq!(k.get(row, h), "cost_does_not_rise_with_price", "{contract}\n{}", f.cmd);
        }
    }
    for contract in ["money_back_3m", "rebate_12w", "spend_cap", "outcome_guarantee"] {
        let row = contract_row(k, contract);
        assert!(k.num(row, "refunds") > 0.0, "{contract} refunds\n{}", f.cmd);
        assert!(k.num(row, "triggered_share") > 0.0, "{contract} triggered\n{}", f.cmd);
    }
}
