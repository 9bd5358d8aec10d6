//! CSV tables: summary.csv, costs.csv, contracts.csv, cohort.csv, survival.csv, states.csv,
//! lines.csv, selection.csv, partners.csv.
//!
//! Conventions: comma separated, one header row, snake_case names, long format, numbers as the
//! shortest decimal that reads back to the same double ([`number`]), UTF-8. Numbers for readers
//! (the console, report.html) are rounded and grouped by thousands instead ([`grouped`]).

use crate::analysis::cea::{ArmSummary, Estimate};
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

/// Header of summary.csv for the given thresholds.
pub fn summary_header(thresholds: &[f64]) -> Vec<String> {
    let mut h: Vec<String> = [
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
    ]
    .map(String::from)
    .to_vec();
    for l in thresholds {
        h.push(format!("nmb_{}", number(*l)));
    }
    for l in thresholds {
        h.push(format!("inc_nmb_{}", number(*l)));
    }
    for x in ["cost", "qaly", "ly", "ly_undiscounted", "inc_cost", "inc_qaly", "inc_ly"] {
        h.push(format!("{x}_mcse"));
    }
    for l in thresholds {
        h.push(format!("nmb_{}_mcse", number(*l)));
    }
    for l in thresholds {
        h.push(format!("inc_nmb_{}_mcse", number(*l)));
    }
    for l in thresholds {
        h.push(format!("prob_ce_{}", number(*l)));
    }
    h
}

/// summary.csv: the deterministic base case per arm, then with PSA samples the same arms on
/// the samples' means (`basis` says which); `prob_ce_<λ>` from the PSA samples (`prob_ce`,
/// empty without), on both rows of an arm.
pub fn write_summary<W: Write>(
    out: W,
    model: &Model,
    (deterministic, probabilistic): (&[ArmSummary], &[ArmSummary]),
    prob_ce: &[Vec<Option<f64>>],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = summary_header(&model.meta.thresholds);
    header.push("basis".into());
    w.write_record(header)?;
    for (rows, basis) in [(deterministic, "deterministic"), (probabilistic, "probabilistic")] {
        for (r, prob_ce) in rows.iter().zip(prob_ce) {
            let mut rec = summary_record(model, r);
            rec.extend(prob_ce.iter().map(|p| p.map(number).unwrap_or_default()));
            rec.push(basis.into());
            w.write_record(&rec)?;
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

/// One arm's cells of summary.csv, before its `prob_ce_<λ>` columns.
pub(super) fn summary_record(model: &Model, r: &ArmSummary) -> Vec<String> {
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
    rec.extend(r.nmb.iter().map(|e| number(e.mean)));
    rec.extend(r.inc_nmb.iter().map(|e| number(e.mean)));
    for e in [&r.cost, &r.qaly, &r.ly, &r.ly_undiscounted, &r.inc_cost, &r.inc_qaly, &r.inc_ly] {
        rec.push(mcse(e));
    }
    rec.extend(r.nmb.iter().map(mcse));
    rec.extend(r.inc_nmb.iter().map(mcse));
    rec
}

pub fn write_costs<W: Write>(out: W, model: &Model, rows: &[ArmSummary]) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["strategy", "contract", "category", "cost"])?;
    let categories = model.categories();
    for r in rows {
        for (name, c) in categories.iter().zip(&r.categories) {
            w.write_record([
                model.strategies[r.strategy].name.as_str(),
                model.contract_name(r.contract),
                name,
                &number(*c),
            ])?;
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

pub fn write_contracts<W: Write>(
    out: W,
    model: &Model,
    summary: &[ArmSummary],
    rows: &[crate::analysis::contracts::ContractRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(contracts_header(model))?;
    for r in rows {
        w.write_record(contract_record(model, summary, r))?;
    }
    w.flush()?;
    Ok(())
}

/// The header of contracts.csv.
pub(super) fn contracts_header(model: &Model) -> Vec<String> {
    let thresholds = &model.meta.thresholds;
    let mut header: Vec<String> = [
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
    ]
    .map(String::from)
    .to_vec();
    header.extend(thresholds.iter().map(|l| format!("inc_nmb_{}", number(*l))));
    header.extend(thresholds.iter().map(|l| format!("threshold_price_{}", number(*l))));
    header.extend(thresholds.iter().map(|l| format!("threshold_status_{}", number(*l))));
    // The deterministic base case's (per-sample contract sums are not kept across the PSA).
    header.push("basis".into());
    header
}

/// One contract arm's row of contracts.csv.
pub(super) fn contract_record(
    model: &Model,
    summary: &[ArmSummary],
    r: &crate::analysis::contracts::ContractRow,
) -> Vec<String> {
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    let s = &summary[r.arm];
    let c = &model.contracts[r.contract];
    let mut rec = vec![
        model.strategies[s.strategy].name.clone(),
        c.name.clone(),
        model.drugs[c.drug].clone(),
        c.kind.name().to_string(),
        model.contract_name(s.contract).to_string(),
        opt(model.list_price(r.contract, &model.values)),
        // Days to a millionth, so that "30 days" reads 30.
        opt(model
            .list_cycle(r.contract, &model.values)
            .map(|y| (y * crate::units::DAYS_PER_YEAR * 1e6).round() / 1e6)),
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
    ];
    rec.extend(s.inc_nmb.iter().map(|e| number(e.mean)));
    rec.extend(r.threshold_price.iter().map(|p| opt(p.price())));
    rec.extend(r.threshold_price.iter().map(|p| p.status().to_string()));
    rec.push("deterministic".into());
    rec
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
        "threshold",
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
        "threshold",
        "spend",
        "spend_share",
        "inc_nmb",
        "value_based_spend",
        "list_price",
        "threshold_price",
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
