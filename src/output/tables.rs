//! CSV tables: summary.csv, costs.csv, contracts.csv, cohort.csv, survival.csv, states.csv,
//! lines.csv, selection.csv, partners.csv.
//!
//! Conventions: comma separated, one header row, snake_case names, long format, numbers as the
//! shortest decimal that reads back to the same double ([`number`]), UTF-8. Numbers for readers
//! (the console, report.html) are rounded and grouped by thousands instead ([`grouped`]).

use crate::analysis::cea::{ArmSummary, Estimate};
use crate::analysis::contracts::ContractRow;
use crate::analysis::results::{SelectionPoint, SurvivalCurves};
use crate::model::Model;
use std::io::Write;

/// A number at full precision; −0 is written as 0.
pub fn number(x: f64) -> String {
    if x == 0.0 { "0".to_string() } else { format!("{x}") }
}

/// `x` rounded to `decimals` places, with commas between thousands (`-1234.5` → `-1,235`).
pub fn grouped(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    // No "-0": a value that rounds to zero has no sign.
    if x < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

pub(super) fn mcse(e: &Estimate) -> String {
    e.mcse.map(number).unwrap_or_default()
}

/// The header of summary.csv: one row per arm and basis, nothing that depends on a
/// willingness-to-pay threshold (that is nmb.csv's, long, with a `wtp` column).
pub const SUMMARY_HEADER: [&str; 20] = [
    "strategy",
    "contract",
    "cost",
    "qaly",
    "ly",
    "ly_undiscounted",
    "inc_cost",
    "inc_qaly",
    "inc_ly",
    "icer",
    "icer_status",
    "reference",
    "cost_mcse",
    "qaly_mcse",
    "ly_mcse",
    "ly_undiscounted_mcse",
    "inc_cost_mcse",
    "inc_qaly_mcse",
    "inc_ly_mcse",
    "basis",
];

/// The header of nmb.csv: one row per arm, basis and threshold.
pub const NMB_HEADER: [&str; 10] = [
    "strategy",
    "contract",
    "reference",
    "wtp",
    "nmb",
    "inc_nmb",
    "nmb_mcse",
    "inc_nmb_mcse",
    "prob_ce",
    "basis",
];

/// The `basis` of a table's rows, in the order the tables write them.
pub const BASES: [&str; 2] = ["deterministic", "probabilistic"];

/// The two bases of a result, in the order the tables write them.
pub(super) fn bases<'a, T>(
    deterministic: &'a [T],
    probabilistic: &'a [T],
) -> [(&'a [T], &'static str); 2] {
    [(deterministic, BASES[0]), (probabilistic, BASES[1])]
}

/// summary.csv: the deterministic base case per arm, then with PSA samples the same arms on
/// the samples' means (`basis` says which).
pub fn write_summary<W: Write>(
    out: W,
    model: &Model,
    (deterministic, probabilistic): (&[ArmSummary], &[ArmSummary]),
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(SUMMARY_HEADER)?;
    for (rows, basis) in bases(deterministic, probabilistic) {
        for r in rows {
            w.write_record(summary_record(model, r, basis))?;
        }
    }
    w.flush()?;
    Ok(())
}

/// nmb.csv: each arm's net monetary benefit and its increment at every threshold, on each basis
/// (summary.csv's rows, long); `prob_ce` from the PSA samples (`prob_ce`, per arm and
/// threshold; empty without), the same on both bases.
pub fn write_nmb<W: Write>(
    out: W,
    model: &Model,
    (deterministic, probabilistic): (&[ArmSummary], &[ArmSummary]),
    prob_ce: &[Vec<Option<f64>>],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(NMB_HEADER)?;
    for (rows, basis) in bases(deterministic, probabilistic) {
        for (i, r) in rows.iter().enumerate() {
            let prob_ce = prob_ce.get(i).map_or(&[][..], Vec::as_slice);
            for rec in nmb_records(model, r, prob_ce, basis) {
                w.write_record(rec)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The `reference` column: the arm (`strategy/contract`) a row's increments are against.
pub(super) fn reference_name(model: &Model, r: &ArmSummary) -> String {
    let arms = model.arms();
    arms.get(r.reference).map(|a| model.arm_name(a.strategy, a.contract)).unwrap_or_default()
}

/// One arm's row of summary.csv.
pub(super) fn summary_record(model: &Model, r: &ArmSummary, basis: &str) -> Vec<String> {
    let mut rec = vec![
        model.strategies[r.strategy].name.clone(),
        model.contract_name(r.contract).to_string(),
        number(r.cost.mean),
        number(r.qaly.mean),
        number(r.ly.mean),
        number(r.ly_undiscounted.mean),
        number(r.inc_cost.mean),
        number(r.inc_qaly.mean),
        number(r.inc_ly.mean),
        r.icer.map(number).unwrap_or_default(),
        r.icer_status.as_str().to_string(),
        reference_name(model, r),
    ];
    for e in [&r.cost, &r.qaly, &r.ly, &r.ly_undiscounted, &r.inc_cost, &r.inc_qaly, &r.inc_ly] {
        rec.push(mcse(e));
    }
    rec.push(basis.to_string());
    rec
}

/// One arm's rows of nmb.csv, one per threshold; `prob_ce` per threshold (empty cells for
/// `None`).
pub(super) fn nmb_records(
    model: &Model,
    r: &ArmSummary,
    prob_ce: &[Option<f64>],
    basis: &str,
) -> Vec<Vec<String>> {
    let thresholds = &model.meta.thresholds;
    thresholds
        .iter()
        .enumerate()
        .map(|(k, &l)| {
            vec![
                model.strategies[r.strategy].name.clone(),
                model.contract_name(r.contract).to_string(),
                reference_name(model, r),
                number(l),
                number(r.nmb[k].mean),
                number(r.inc_nmb[k].mean),
                mcse(&r.nmb[k]),
                mcse(&r.inc_nmb[k]),
                prob_ce.get(k).copied().flatten().map(number).unwrap_or_default(),
                basis.to_string(),
            ]
        })
        .collect()
}

/// costs.csv: every arm's mean cost by category on the deterministic base case, then with PSA
/// on the means over the samples (`basis`); each arm's categories add up to its cost in
/// summary.csv's row of the same basis.
pub fn write_costs<W: Write>(
    out: W,
    model: &Model,
    (deterministic, probabilistic): (&[ArmSummary], &[ArmSummary]),
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["strategy", "contract", "category", "cost", "basis"])?;
    let categories = model.categories();
    for (rows, basis) in bases(deterministic, probabilistic) {
        for r in rows {
            for (name, c) in categories.iter().zip(&r.categories) {
                w.write_record([
                    model.strategies[r.strategy].name.as_str(),
                    model.contract_name(r.contract),
                    name,
                    &number(*c),
                    basis,
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

pub fn write_survival<W: Write>(
    out: W,
    model: &Model,
    survival: &[SurvivalCurves],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["strategy", "month", "time", "pfs", "os"])?;
    for (s, curves) in survival.iter().enumerate() {
        for (m, (p, o)) in curves.pfs.iter().zip(&curves.os).enumerate() {
            w.write_record([
                model.strategies[s].name.clone(),
                m.to_string(),
                number(m as f64 / 12.0),
                number(*p),
                number(*o),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// general_population.csv (scenarios with `[population]`): per grid month, the share of the
/// simulated patients alive on general-population mortality alone.
pub fn write_general_population<W: Write>(out: W, alive: &[f64]) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["month", "time", "alive"])?;
    for (m, a) in alive.iter().enumerate() {
        w.write_record([m.to_string(), number(m as f64 / 12.0), number(*a)])?;
    }
    w.flush()?;
    Ok(())
}

/// states.csv (scenarios with pathways after progression): per strategy and grid month, the
/// share of patients in each state — progression-free, progressed outside a pathway, each
/// state of the pathways the strategy's regimens enter, dead — summing to 1.
pub fn write_states<W: Write>(
    out: W,
    model: &Model,
    survival: &[SurvivalCurves],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["strategy", "month", "time", "pathway", "state", "share"])?;
    for (s, curves) in survival.iter().enumerate() {
        let strategy = &model.strategies[s].name;
        let slots = model.pathway_slots(s);
        for m in 0..curves.os.len() {
            let mut row = |pathway: &str, state: &str, share: f64| {
                w.write_record([
                    strategy.as_str(),
                    &m.to_string(),
                    &number(m as f64 / 12.0),
                    pathway,
                    state,
                    &number(share),
                ])
            };
            row("", "progression_free", curves.pfs[m])?;
            row("", "progressed", curves.progressed[m])?;
            for &(p, k, slot) in &slots {
                let pathway = &model.pathways[p];
                row(&pathway.name, &pathway.states[k].name, curves.states[slot][m])?;
            }
            row("", "dead", curves.dead[m])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// The header of lines.csv (report.html shows every column but the last).
pub const LINES_HEADER: [&str; 9] = [
    "strategy",
    "line",
    "pathway",
    "state",
    "regimen",
    "started",
    "response",
    "time_on_treatment",
    "time_on_treatment_mcse",
];

/// lines.csv: per strategy, each line of therapy its patients can start, with the share who
/// start it, the share of them who respond, and their mean time on treatment.
pub fn write_lines<W: Write>(
    out: W,
    model: &Model,
    lines: &[crate::analysis::lines::LineRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(LINES_HEADER)?;
    for row in lines {
        let (pathway, state) = row.state.map_or(("", ""), |(p, k)| {
            let pathway = &model.pathways[p];
            (pathway.name.as_str(), pathway.states[k].name.as_str())
        });
        let time = row.time_on_treatment.as_ref();
        w.write_record([
            model.strategies[row.strategy].name.as_str(),
            row.line.name(),
            pathway,
            state,
            &model.regimens[row.regimen].name,
            &number(row.started),
            &row.response.map(number).unwrap_or_default(),
            &time.map(|t| number(t.mean)).unwrap_or_default(),
            &time.map(mcse).unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A table's rows on both bases: the arms' summaries and the contract rows, deterministic
/// then probabilistic (empty without PSA).
pub type BothBases<'a> = [(&'a [ArmSummary], &'a [ContractRow]); 2];

/// contracts.csv: every contract row on the deterministic base case, then with PSA on the
/// means over the samples (`basis`), each with its arm's summary on that basis.
pub fn write_contracts<W: Write>(out: W, model: &Model, bases: BothBases) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(CONTRACTS_HEADER)?;
    for ((summary, rows), basis) in bases.into_iter().zip(BASES) {
        for r in rows {
            w.write_record(contract_record(model, summary, r, basis))?;
        }
    }
    w.flush()?;
    Ok(())
}

/// threshold_prices.csv: every contract row's incremental NMB and threshold price at every
/// threshold (contracts.csv's rows, long), on each basis.
pub fn write_threshold_prices<W: Write>(
    out: W,
    model: &Model,
    bases: BothBases,
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(THRESHOLD_PRICES_HEADER)?;
    for ((summary, rows), basis) in bases.into_iter().zip(BASES) {
        for r in rows {
            for rec in threshold_price_records(model, summary, r, basis) {
                w.write_record(rec)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The header of contracts.csv.
pub const CONTRACTS_HEADER: [&str; 24] = [
    "strategy",
    "contract",
    "drug",
    "kind",
    "arm_contract",
    "list_price",
    "price_cycle_days",
    "treated_share",
    "list_spend",
    "paid",
    "refunds",
    "contract_spend",
    "contract_admin",
    "effective_discount",
    "triggered_share",
    "spend_per_treated",
    "spend_per_treated_sd",
    "spend_per_treated_p95",
    "manufacturer_net_revenue",
    "inc_cost",
    "icer",
    "icer_status",
    "reference",
    "basis",
];

/// The header of threshold_prices.csv.
pub const THRESHOLD_PRICES_HEADER: [&str; 12] = [
    "strategy",
    "contract",
    "drug",
    "arm_contract",
    "reference",
    "wtp",
    "list_price",
    "price_cycle_days",
    "inc_nmb",
    "threshold_price",
    "threshold_status",
    "basis",
];

/// A contract row's drug's list price (the scenario's, or the row's own: the mean drawn price
/// of a probabilistic row) and the cycle it is per, in days (to a millionth, so that "30 days"
/// reads 30): the unit of its threshold price.
fn list_price_cells(model: &Model, r: &ContractRow) -> [String; 2] {
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    let contract = r.contract;
    [
        opt(r.list_price.or_else(|| model.list_price(contract, &model.values))),
        opt(model
            .list_cycle(contract, &model.values)
            .map(|y| (y * crate::units::DAYS_PER_YEAR * 1e6).round() / 1e6)),
    ]
}

/// One contract arm's row of contracts.csv.
pub(super) fn contract_record(
    model: &Model,
    summary: &[ArmSummary],
    r: &crate::analysis::contracts::ContractRow,
    basis: &str,
) -> Vec<String> {
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    let s = &summary[r.arm];
    let c = &model.contracts[r.contract];
    let [list_price, cycle_days] = list_price_cells(model, r);
    vec![
        model.strategies[s.strategy].name.clone(),
        c.name.clone(),
        model.drugs[c.drug].clone(),
        c.kind.name().to_string(),
        model.contract_name(s.contract).to_string(),
        list_price,
        cycle_days,
        number(r.treated_share),
        number(r.list_spend),
        number(r.paid),
        number(r.refunds),
        number(r.contract_spend),
        number(r.admin),
        opt(r.effective_discount),
        opt(r.triggered_share),
        opt(r.spend_per_treated),
        opt(r.spend_per_treated_sd),
        opt(r.spend_per_treated_p95),
        number(r.manufacturer_net_revenue),
        number(s.inc_cost.mean),
        opt(s.icer),
        s.icer_status.as_str().to_string(),
        reference_name(model, s),
        basis.to_string(),
    ]
}

/// One contract arm's rows of threshold_prices.csv, one per threshold.
pub(super) fn threshold_price_records(
    model: &Model,
    summary: &[ArmSummary],
    r: &crate::analysis::contracts::ContractRow,
    basis: &str,
) -> Vec<Vec<String>> {
    let s = &summary[r.arm];
    let c = &model.contracts[r.contract];
    let [list_price, cycle_days] = list_price_cells(model, r);
    let thresholds = &model.meta.thresholds;
    thresholds
        .iter()
        .zip(&r.threshold_price)
        .zip(&s.inc_nmb)
        .map(|((&l, price), inc_nmb)| {
            vec![
                model.strategies[s.strategy].name.clone(),
                c.name.clone(),
                model.drugs[c.drug].clone(),
                model.contract_name(s.contract).to_string(),
                reference_name(model, s),
                number(l),
                list_price.clone(),
                cycle_days.clone(),
                number(inc_nmb.mean),
                price.price().map(number).unwrap_or_default(),
                price.status().to_string(),
                basis.to_string(),
            ]
        })
        .collect()
}

/// cohort.csv: one row per cohort-level contract arm and calendar year of its term.
pub fn write_cohort<W: Write>(
    out: W,
    model: &Model,
    summary: &[ArmSummary],
    rows: &[crate::analysis::cohort::CohortRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "strategy",
        "contract",
        "kind",
        "year",
        "populations",
        "patients_treated",
        "patients_started",
        "success_rate",
        "drug_spend",
        "refund_fraction",
        "refund_probability",
        "refund",
        "settled_at",
    ])?;
    for r in rows {
        let c = &model.contracts[r.contract];
        w.write_record([
            model.strategies[summary[r.arm].strategy].name.clone(),
            c.name.clone(),
            c.kind.name().to_string(),
            r.year.to_string(),
            r.populations.to_string(),
            number(r.patients_treated),
            number(r.patients_started),
            r.success_rate.map(number).unwrap_or_default(),
            number(r.drug_spend),
            number(r.refund_fraction),
            number(r.refund_probability),
            number(r.refund),
            number(r.settled_at),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// selection.csv: per selection-test cutoff, arm and threshold (long format), the base case
/// re-simulated with the test read at that cutoff.
pub fn write_selection<W: Write>(
    out: W,
    model: &Model,
    points: &[SelectionPoint],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "test",
        "cutoff",
        "sensitivity",
        "specificity",
        "strategy",
        "contract",
        "wtp",
        "cost",
        "qaly",
        "inc_cost",
        "inc_qaly",
        "icer",
        "icer_status",
        "reference",
        "nmb",
        "inc_nmb",
        "inc_nmb_mcse",
        "threshold_price",
        "threshold_status",
        "basis",
    ])?;
    let listings = model.listings();
    for p in points {
        for listing in &listings {
            let s = &p.summary[listing.arm];
            let row = listing.slot.and_then(|slot| p.contracts.iter().find(|r| r.slot == slot));
            for (k, l) in model.meta.thresholds.iter().enumerate() {
                let price = row.map(|r| r.threshold_price[k]);
                w.write_record([
                    model.tests[p.test].name.clone(),
                    number(p.cutoff),
                    number(p.sensitivity),
                    number(p.specificity),
                    model.strategies[s.strategy].name.clone(),
                    model.contract_name(listing.contract).to_string(),
                    number(*l),
                    number(s.cost.mean),
                    number(s.qaly.mean),
                    number(s.inc_cost.mean),
                    number(s.inc_qaly.mean),
                    s.icer.map(number).unwrap_or_default(),
                    s.icer_status.as_str().to_string(),
                    reference_name(model, s),
                    number(s.nmb[k].mean),
                    number(s.inc_nmb[k].mean),
                    mcse(&s.inc_nmb[k]),
                    price.and_then(|p| p.price()).map(number).unwrap_or_default(),
                    price.map(|p| p.status().to_string()).unwrap_or_default(),
                    BASES[0].to_string(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// partners.csv: per strategy with a combination regimen, threshold and partner drug, its
/// share of the combination's spend and of the value created (docs, Model → Combination partners).
pub fn write_partners<W: Write>(
    out: W,
    model: &Model,
    rows: &[crate::analysis::partners::PartnerRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "strategy",
        "drug",
        "wtp",
        "spend",
        "spend_share",
        "inc_nmb",
        "value_based_spend",
        "list_price",
        "threshold_price",
        "basis",
    ])?;
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    for r in rows {
        w.write_record([
            model.strategies[r.strategy].name.clone(),
            model.drugs[r.drug].clone(),
            number(r.threshold),
            number(r.spend),
            number(r.spend_share),
            number(r.inc_nmb),
            number(r.value_based_spend),
            opt(r.list_price),
            opt(r.threshold_price),
            BASES[0].to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// budget_impact_events.csv: the eligible patients' clinical events per budget year, in the
/// world with the new strategy and without it (list prices: events do not depend on the
/// contract).
pub fn write_budget_events<W: Write>(
    out: W,
    rows: &[crate::analysis::budget::BudgetEventRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["year", "event", "patients_with", "patients_without", "patients_difference"])?;
    for r in rows {
        w.write_record([
            r.year.to_string(),
            r.event.to_string(),
            number(r.with),
            number(r.without),
            number(r.with - r.without),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// budget_impact.csv (`totals` false): one row per contract the new drug is bought under,
/// budget year and cost category; budget_impact_total.csv (`totals`): one per contract and
/// year, the categories' sum. Undiscounted spend in the worlds with and without the new
/// strategy, and the net budget impact. Totals stand apart so that summing a column of
/// budget_impact.csv counts every cost once.
pub fn write_budget<W: Write>(
    out: W,
    model: &Model,
    rows: &[crate::analysis::budget::BudgetRow],
    totals: bool,
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["strategy", "contract", "year", "category"];
    if totals {
        header.pop();
    }
    header.extend(["entrants", "entrants_new", "spend_with", "spend_without", "net_budget_impact"]);
    // The totals: the net impact summed over the years so far, and per member of the plan and
    // month when the scenario gives the plan's size.
    let members = model.budget.as_ref().and_then(|b| b.members).filter(|_| totals);
    if totals {
        header.extend(["cumulative_net_budget_impact", "net_per_member_per_month"]);
    }
    w.write_record(&header)?;
    let categories = model.categories();
    let Some(b) = &model.budget else {
        w.flush()?;
        return Ok(());
    };
    let mut cumulative = crate::analysis::budget::cumulative_net(rows).into_iter();
    for r in rows.iter().filter(|r| r.category.is_none() == totals) {
        let mut record = vec![
            model.strategies[b.strategy].name.clone(),
            model.contract_name(r.contract).to_string(),
            r.year.to_string(),
        ];
        record.extend(r.category.map(|c| categories[c].clone()));
        record.extend([
            number(r.entrants),
            number(r.entrants_new),
            number(r.with),
            number(r.without),
            number(r.net()),
        ]);
        if totals {
            record.push(cumulative.next().map(number).unwrap_or_default());
            record.push(members.map(|n| number(r.net() / (n * 12.0))).unwrap_or_default());
        }
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0, 0), "0");
        assert_eq!(grouped(999.4, 0), "999");
        assert_eq!(grouped(1000.0, 0), "1,000");
        assert_eq!(grouped(-1234.6, 0), "-1,235");
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-0.4, 0), "0");
        assert_eq!(grouped(123456.0, 0), "123,456");
    }
}
