//! Invariants over random scenario variants: contract arms share their list arm's outcomes and
//! never cost more than list, per-patient settlements add up to the engine's columns, and
//! changing one contract moves no other arm.

use crate::support::simulate;
use vbpsim::accounting::discount::cycles_before;
use vbpsim::analysis::contracts::ContractRow;
use vbpsim::contracts::{Exposure, cash, settle};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, Tumour, biomarker_status, simulate as simulate_patient,
};
use vbpsim::workflow::run::{RunOptions, Simulation};

/// SplitMix64, for choosing scenario variants.
struct Pick(u64);

impl Pick {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn of<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    /// Only ever lowers what the payer pays (money_back, response_rebate, discount, cap).
    RebateOnly,
    /// Payments moved later or withheld (payment_at_result, instalments).
    Deferred,
    ListNoAdmin,
    ListAdmin,
}

/// The scenario variants' common structure; each variant gives its values with --set.
const VARIANT: &str = "contracts/variant.toml";

struct Variant {
    /// The --set arguments over VARIANT: the drawn values, then the contracts.
    sets: Vec<String>,
    families: Vec<Family>,
    /// The contracts (inline tables) and their names, so one can be changed.
    contracts: Vec<String>,
    names: Vec<String>,
    /// The --set arguments of the drawn values alone.
    head: Vec<String>,
}

/// A contract on drug x as an inline table: its fields (`name = …, kind = …`, then optional
/// fragments that each start with ", ").
fn on_x(fields: String) -> String {
    format!("{{ drug = \"x\", {fields} }}")
}

/// The --set arguments of a variant: its drawn values, then its contracts appended by name.
fn with_contracts(head: &[String], contracts: &[String]) -> Vec<String> {
    let mut sets = head.to_vec();
    sets.push(format!("contracts = [{}]", contracts.join(", ")));
    sets
}

fn variant(seed: u64) -> Variant {
    let mut r = Pick(seed.wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x1234_5678);
    let horizon = r.of(&["3 years", "5 years", "10 years", "20 years"]);
    let rc = r.of(&["0", "0.035", "0.06"]);
    let manufacturer = r.of(&["", ", manufacturer = 0.08", ", manufacturer = 0"]);
    let turnaround = r.of(&["10 days", "30 days"]);
    let cycle = r.of(&["7 days", "14 days", "21 days", "28 days"]);
    let limits =
        r.of(&["", ", max_cycles = 6", ", max_cycles = 17", ", max_duration = \"1 year\""]);
    let assessment = r.of(&[
        "",
        "assessment = \"6 weeks\"",
        "assessment = \"8 weeks\"",
        "assessment = \"12 weeks\"",
    ]);
    let error = r.of(&["", "response_error = { false_positive = 0.1, false_negative = 0.15 }"]);
    let stop =
        r.of(&["", "discontinuation = { dist = \"exponential\", rate = \"0.05 per month\" }"]);
    let pr = r.range(0.02, 0.15);
    let pn = r.range(0.1, 0.5);
    let dd = r.range(0.005, 0.05);
    let resp = r.range(0.2, 0.8);
    let mut head = vec![
        format!("scenario.horizon = \"{horizon}\""),
        format!("scenario.discount = {{ costs = {rc}, outcomes = 0.015{manufacturer} }}"),
        format!("scenario.seed = {seed}"),
        format!("tests.ngs.turnaround = \"{turnaround}\""),
        format!("regimens.targeted.drugs = [{{ name = \"x\", cycle = \"{cycle}\"{limits} }}]"),
        format!("regimens.targeted.response = {{ M = {resp}, otherwise = 0.1 }}"),
        format!(
            "regimens.targeted.progression = {{ responder = {{ dist = \"exponential\", rate = \"{pr} per month\" }}, non_responder = {{ dist = \"exponential\", rate = \"{pn} per month\" }} }}"
        ),
        format!(
            "regimens.targeted.death_before_progression = {{ dist = \"exponential\", rate = \"{dd} per month\" }}"
        ),
    ];
    // The regimen's optional lines, when drawn.
    for line in [assessment, error, stop] {
        if !line.is_empty() {
            head.push(format!("regimens.targeted.{line}"));
        }
    }
    let mut contracts = Vec::new();
    let mut families = Vec::new();
    let doc = |r: &mut Pick| {
        if r.unit() < 0.5 {
            format!(", documentation_error = {}", r.range(0.0, 0.5))
        } else {
            String::new()
        }
    };
    let admin = |r: &mut Pick| {
        if r.unit() < 0.5 {
            format!(
                ", admin = {{ per_patient = {}, per_assessment = {} }}",
                r.range(0.0, 900.0),
                r.range(0.0, 90.0)
            )
        } else {
            String::new()
        }
    };
    contracts.push(on_x("name = \"plain\", kind = \"list\"".to_string()));
    families.push(Family::ListNoAdmin);
    contracts.push(on_x(format!(
        "name = \"tracked\", kind = \"list\", admin = {{ per_patient = 700, per_assessment = 45 }}{}",
        doc(&mut r)
    )));
    families.push(Family::ListAdmin);
    let window = |r: &mut Pick| {
        let from = r.of(&["", ", from = \"1 month\"", ", from = \"42 days\""]);
        let until = r.of(&["", ", until = \"6 months\"", ", until = \"1 year\""]);
        format!("{from}{until}")
    };
    contracts.push(on_x(format!(
        "name = \"disc\", kind = \"discount\", discount = {}{}{}",
        r.range(0.0, 0.6),
        window(&mut r),
        admin(&mut r)
    )));
    families.push(Family::RebateOnly);
    for i in 0..2 {
        let failure = r.of(&["progression", "death", "progression_or_death"]);
        let w = r.of(&["3 months", "6 months", "1 year", "2 years"]);
        let cap = if r.unit() < 0.4 {
            format!(", cap = {}", r.range(0.0, 60000.0))
        } else {
            String::new()
        };
        contracts.push(on_x(format!(
            "name = \"mb{i}\", kind = \"money_back\", failure = \"{failure}\", window = \"{w}\", refund = {}{cap}{}{}",
            r.range(0.1, 1.0),
            doc(&mut r),
            admin(&mut r)
        )));
        families.push(Family::RebateOnly);
    }
    let at = r.of(&["1 month", "8 weeks", "12 weeks", "6 months"]);
    contracts.push(on_x(format!(
        "name = \"rr\", kind = \"response_rebate\", assess_at = \"{at}\", refund = {}{}{}",
        r.range(0.1, 1.0),
        doc(&mut r),
        admin(&mut r)
    )));
    families.push(Family::RebateOnly);
    let cap = r.of(&[
        "max_paid = \"4 months\"",
        "max_paid = \"1 year\"",
        "max_cycles = 3",
        "max_cycles = 10",
    ]);
    contracts
        .push(on_x(format!("name = \"dcap\", kind = \"duration_cap\", {cap}{}", admin(&mut r))));
    families.push(Family::RebateOnly);
    let at = r.of(&["1 month", "3 months", "6 months"]);
    contracts.push(on_x(format!(
        "name = \"par\", kind = \"payment_at_result\", assess_at = \"{at}\"{}{}",
        doc(&mut r),
        admin(&mut r)
    )));
    families.push(Family::Deferred);
    let count = 1 + r.next() % 6;
    let interval = r.of(&["1 month", "6 months", "1 year"]);
    let condition = r.of(&["alive", "alive_progression_free"]);
    contracts.push(on_x(format!(
        "name = \"inst\", kind = \"instalments\", instalments = {count}, interval = \"{interval}\", condition = \"{condition}\"{}",
        admin(&mut r)
    )));
    families.push(Family::Deferred);
    let names = ["plain", "tracked", "disc", "mb0", "mb1", "rr", "dcap", "par", "inst"];
    let names = names.map(String::from).to_vec();
    let sets = with_contracts(&head, &contracts);
    Variant { sets, families, contracts, names, head }
}

/// The list-arm index of a strategy.
fn list_arm(sim: &Simulation, strategy: usize) -> usize {
    sim.arms.iter().position(|a| a.strategy == strategy && a.contract.is_none()).unwrap()
}

const VARIANTS: u64 = 40;

#[test]
fn contract_arms_share_outcomes_and_never_cost_more_than_list() {
    for seed in 0..VARIANTS {
        let v = variant(seed);
        let (s, sim) = simulate(VARIANT, &v.sets, &RunOptions::default());
        let admin_cat = s.model.categories().iter().position(|c| c == "contract_admin").unwrap();
        let mut seen = 0;
        // Every contract settled on a strategy: on its own arm, or (a `list` contract without
        // administration) on the list arm.
        for k in &sim.contracts {
            let (i, c, arm) = (k.arm, k.contract, sim.arms[k.arm]);
            let what = format!("variant {seed}, arm {i} ({})", s.model.contracts[c].name);
            let (row, list) = (&sim.summary[i], &sim.summary[list_arm(&sim, arm.strategy)]);
            // Same patients, same health: identical QALYs and LYs, to the bit.
            assert_eq!(row.qaly.mean.to_bits(), list.qaly.mean.to_bits(), "{what}");
            assert_eq!(row.ly.mean.to_bits(), list.ly.mean.to_bits(), "{what}");
            assert_eq!(
                row.ly_undiscounted.mean.to_bits(),
                list.ly_undiscounted.mean.to_bits(),
                "{what}"
            );
            assert_eq!(row.inc_qaly.mean.to_bits(), list.inc_qaly.mean.to_bits(), "{what}");
            let slack = 1e-9 * k.list_spend.max(1.0);
            match v.families[c] {
                Family::RebateOnly | Family::Deferred => {
                    // Aggregate: never more than list, in drug spend and in total cost net of
                    // the contract's own administration.
                    assert!(k.contract_spend <= k.list_spend + slack, "{what}: {k:?}");
                    assert!(
                        row.cost.mean - row.categories[admin_cat] <= list.cost.mean + slack,
                        "{what}"
                    );
                    assert!(k.refunds <= k.paid + slack, "{what}: {k:?}");
                }
                Family::ListNoAdmin => {
                    assert_eq!(i, list_arm(&sim, arm.strategy), "{what}: on the list arm");
                    assert_eq!(row.cost.mean.to_bits(), list.cost.mean.to_bits(), "{what}");
                    assert_eq!(row.inc_cost.mean.to_bits(), list.inc_cost.mean.to_bits(), "{what}");
                    assert_eq!(
                        format!("{:?}", row.categories),
                        format!("{:?}", list.categories),
                        "{what}"
                    );
                    assert_eq!(format!("{:?}", row.nmb), format!("{:?}", list.nmb), "{what}");
                    assert_eq!(k.paid.to_bits(), k.list_spend.to_bits(), "{what}");
                    assert_eq!(k.refunds, 0.0);
                    assert_eq!(k.admin, 0.0);
                    assert_eq!(k.triggered_share.unwrap_or(0.0), 0.0);
                }
                Family::ListAdmin => {
                    assert_eq!(k.paid.to_bits(), k.list_spend.to_bits(), "{what}");
                    let extra = row.cost.mean - list.cost.mean;
                    assert!(
                        (extra - k.admin).abs() <= 1e-9 * k.admin.max(1.0),
                        "{what}: {extra} vs {}",
                        k.admin
                    );
                }
            }
            seen += 1;
        }
        assert_eq!(seen, 2 * v.families.len(), "variant {seed}: two strategies give x");
    }
}

/// The engine's contract columns are the per-patient settlements (`cash`) summed over the same
/// patients the public patient API produces; and per patient, refunds never exceed payments and
/// a rebate-only contract never costs more than list, documented or not.
#[test]
fn per_patient_settlements_refunds_bounded_and_summed_by_the_engine() {
    for seed in 0..VARIANTS / 2 {
        let v = variant(seed);
        let options = RunOptions { patients: Some(1200), ..RunOptions::default() };
        let (s, sim) = simulate(VARIANT, &v.sets, &options);
        let prep = Prepared::new(&s.model, &s.model.values).unwrap();
        let key = SampleKey::new(s.model.meta.seed, 0);
        let line_processes = LineProcesses::new(FIRST_LINE);
        // Per contract settled on a strategy (contracts.csv's rows, in order): treated,
        // triggered, paid, refunded, admin, manufacturer net.
        let rows = prep.settlements.len();
        assert_eq!(rows, sim.contracts.len());
        let mut totals = vec![(0u64, 0u64, 0.0, 0.0, 0.0, 0.0); rows];
        // ... and list spend, Σ net, Σ net² (net = paid − refunded per settled patient).
        let mut spread = vec![(0.0, 0.0, 0.0); rows];
        for i in 0..sim.patients {
            let pk = key.patient(i);
            let status = biomarker_status(&prep, pk);
            let line = LineDraws::new(pk, &line_processes);
            for (a, settled) in prep.settlements.iter().enumerate() {
                let ci = settled.contract;
                let tumour = Tumour::single(status);
                let rec = simulate_patient(&prep, pk, &tumour, &line, settled.strategy);
                // A national payer covers the patient to the horizon.
                assert_eq!(rec.coverage_end, prep.horizon);
                let contract = &prep.contracts[ci];
                let reg = &prep.regimens[rec.regimen];
                let Some(drug) = reg.drugs.iter().find(|d| d.drug == contract.drug) else {
                    continue;
                };
                if !rec.treated || rec.start >= prep.horizon {
                    continue;
                }
                let end = rec.treatment_end.min(prep.horizon);
                let n = cycles_before(
                    rec.start,
                    end,
                    drug.schedule,
                    drug.max_cycles,
                    drug.max_duration,
                );
                let ex = |documented| Exposure {
                    rec: &rec,
                    drug,
                    n,
                    horizon: prep.horizon,
                    refund_horizon: prep.horizon,
                    payer: &prep.costs,
                    manufacturer: &prep.manufacturer,
                    payer_start: prep.costs.factor(rec.start),
                    manufacturer_start: prep.manufacturer.factor(rec.start),
                    documented,
                    placement: Default::default(),
                };
                let list_pv = drug.price * ex(true).stream(0, n).0;
                for documented in [true, false] {
                    let x = ex(documented);
                    let got = cash(contract, &x, reg.assessment, &[]);
                    let eps = 1e-9 * list_pv.max(1.0);
                    let what =
                        format!("variant {seed}, patient {i}, arm {a}, documented {documented}");
                    assert!(got.refunded <= got.paid + eps, "{what}: {got:?}");
                    assert!(
                        got.paid - got.refunded <= list_pv + eps,
                        "{what}: {got:?} list {list_pv}"
                    );
                    assert!(got.paid >= -eps && got.refunded >= 0.0 && got.admin >= 0.0, "{what}");
                    assert!(got.manufacturer_net >= -eps, "{what}: {got:?}");
                    let settled = settle(&contract.kind, &x, &[]);
                    assert!(settled.refund <= n as f64 + 1e-9, "{what}: refund beyond paid cycles");
                }
                let documented = contract.documentation_error == 0.0
                    || pk.uniform(contract.process, 0) >= contract.documentation_error;
                let got = cash(contract, &ex(documented), reg.assessment, &[]);
                let t = &mut totals[a];
                t.0 += 1;
                t.1 += u64::from(got.triggered);
                t.2 += got.paid;
                t.3 += got.refunded;
                t.4 += got.admin;
                t.5 += got.manufacturer_net;
                let net = got.paid - got.refunded;
                let sp = &mut spread[a];
                sp.0 += list_pv;
                sp.1 += net;
                sp.2 += net * net;
            }
        }
        let n = sim.patients as f64;
        for (j, k) in sim.contracts.iter().enumerate() {
            let t = totals[j];
            let what = format!("variant {seed}, arm {}", k.arm);
            let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            assert!(rel(k.treated_share, t.0 as f64 / n), "{what}: treated");
            if t.0 > 0 {
                assert!(
                    rel(k.triggered_share.unwrap(), t.1 as f64 / t.0 as f64),
                    "{what}: triggered"
                );
            }
            assert!(rel(k.paid, t.2 / n), "{what}: paid {} vs {}", k.paid, t.2 / n);
            assert!(rel(k.refunds, t.3 / n), "{what}: refunds");
            assert!(rel(k.admin, t.4 / n), "{what}: admin");
            assert!(rel(k.manufacturer_net_revenue, t.5 / n), "{what}: manufacturer");
            let (list, net, net2) = spread[j];
            assert!(rel(k.list_spend, list / n), "{what}: list spend");
            assert!(rel(k.contract_spend, net / n), "{what}: contract spend");
            if list > 0.0 {
                let e = k.effective_discount.unwrap();
                assert!((e - (1.0 - net / list)).abs() <= 1e-9, "{what}: effective discount");
            }
            if t.0 > 1 {
                let treated = t.0 as f64;
                let mean = net / treated;
                let sd = ((net2 - treated * mean * mean) / (treated - 1.0)).max(0.0).sqrt();
                assert!(rel(k.spend_per_treated.unwrap(), mean), "{what}: spend per treated");
                let got = k.spend_per_treated_sd.unwrap();
                assert!((got - sd).abs() <= 1e-6 * mean.abs().max(1.0), "{what}: sd {got} vs {sd}");
            }
        }
    }
}

#[test]
fn changing_one_contract_moves_no_other_arm() {
    for seed in 0..VARIANTS / 2 {
        let v = variant(seed);
        let (_, before) = simulate(VARIANT, &v.sets, &RunOptions::default());
        let changed = (seed as usize * 7 + 3) % v.contracts.len();
        let mut contracts = v.contracts.clone();
        // Different terms, documentation error and administration for that contract only.
        contracts[changed] = match v.families[changed] {
            Family::ListNoAdmin | Family::ListAdmin => on_x(format!(
                "name = \"{}\", kind = \"discount\", discount = 0.37, documentation_error = 0.3, admin = {{ per_patient = 11 }}",
                if v.families[changed] == Family::ListNoAdmin { "plain" } else { "tracked" }
            )),
            _ => {
                let name = &v.names[changed];
                on_x(format!(
                    "name = \"{name}\", kind = \"money_back\", window = \"5 months\", refund = 0.9, documentation_error = 0.2, admin = {{ per_assessment = 13 }}"
                ))
            }
        };
        let sets = with_contracts(&v.head, &contracts);
        let (_, after) = simulate(VARIANT, &sets, &RunOptions::default());
        // A `list` contract without administration had no arms of its own: changed, it gains
        // them (its strategies' list arms stand for it before).
        let mut moved = false;
        for (j, arm) in after.arms.iter().enumerate() {
            let b = format!("{:?}", after.summary[j]);
            let i = before.arms.iter().position(|x| x == arm);
            if arm.contract == Some(changed) {
                let was = i.unwrap_or_else(|| list_arm(&before, arm.strategy));
                moved |= format!("{:?}", before.summary[was]) != b;
                continue;
            }
            let i = i.expect("every other arm is still there");
            let a = format!("{:?}", before.summary[i]);
            // Other arms' rows are bit-identical, apart from the changed contract's own rebate
            // category, which they hold as zeros either way.
            assert_eq!(a, b, "variant {seed}: arm {i} moved when contract {changed} changed");
        }
        assert_eq!(after.arms.len() - before.arms.len(), {
            let was_listed = v.families[changed] == Family::ListNoAdmin;
            if was_listed {
                after.arms.iter().filter(|a| a.contract == Some(changed)).count()
            } else {
                0
            }
        });
        assert!(moved, "variant {seed}: the changed contract's arms did not move");
        // The same rows (where their sums sit may shift with the changed contract's arms).
        let placed = |k: &ContractRow| ContractRow { arm: 0, slot: 0, ..k.clone() };
        for (k, l) in before.contracts.iter().zip(&after.contracts) {
            if k.contract != changed {
                assert_eq!(format!("{:?}", placed(k)), format!("{:?}", placed(l)), "{seed}");
            }
        }
    }
}
