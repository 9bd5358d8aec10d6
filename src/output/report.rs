//! report.html: one self-contained page of a run for a meeting — the scenario, plain-language
//! decision, the key tables, every plot (inline SVG) and the run manifest. It reads the files
//! already written to the folder (so the page shows exactly what the CSVs hold) and fetches
//! nothing: no scripts, no stylesheets, no images by address.

use crate::analysis::results::Results;
use crate::model::Model;
use std::fmt::Write as _;
use std::path::Path;

use super::report_table::{esc, table};

/// The page's head (its style: tables that fit a printed page, figures that scale) and title.
///
/// The tables' type and padding are sized so that the widest (eleven columns, the registries'
/// value) fits a page 718 px wide set in DejaVu Sans, the widest of the usual default sans-serif
/// fonts and the only one on a bare Debian with Chromium: at 0.75 em they needed up to 773 px.
fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}}\n\
         table{{border-collapse:collapse;margin:1em 0;font-size:0.7em;width:100%}}\n\
         th,td{{border:1px solid #ccc;padding:0.15em 0.2em}}\n\
         th{{background:#f0f0f0;font-weight:600;font-size:0.95em}}\n\
         td.n{{text-align:right;white-space:nowrap}}\n\
         figure{{margin:1em 0;break-inside:avoid}}\nfigure svg{{max-width:100%;height:auto}}\nfigcaption{{font-size:0.9em;color:#444}}\n\
         pre{{background:#f7f7f7;padding:1em;white-space:pre-wrap;overflow-wrap:anywhere;font-size:0.8em}}\n\
         @media print{{body{{margin:0;max-width:none;font-size:10pt}}h2{{break-after:avoid}}}}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    )
}

/// The manifest as shown: without the process's own fields (threads, timings, memory), so that
/// the page is identical for any thread count.
fn shown_manifest(manifest: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(manifest) {
        Ok(serde_json::Value::Object(mut fields)) => {
            for key in super::manifest::PROCESS_FIELDS {
                fields.remove(*key);
            }
            serde_json::to_string_pretty(&fields).unwrap_or_default()
        }
        _ => manifest.to_string(),
    }
}

/// report.html of a folder other than a run's (sensitivity, compare): its title, what it
/// holds in words, its tables (heading, CSV, columns, rows kept), its plots (stem, caption) and
/// the manifest as an appendix.
pub struct FolderPage<'a> {
    pub title: String,
    pub intro: Vec<String>,
    pub currency: &'a str,
    pub tables: Vec<(String, &'a str, Vec<&'a str>, FolderRows<'a>)>,
    pub plots: Vec<(&'a str, &'a str)>,
}

/// Which rows of a folder page's table are shown.
pub type FolderRows<'a> = &'a dyn Fn(&[String], &[String]) -> bool;

/// Write a [`FolderPage`] as `dir/report.html` (after the folder's other files).
pub fn write_folder(dir: &Path, page: &FolderPage<'_>, manifest: &str) -> std::io::Result<()> {
    let mut html = head(&page.title);
    for p in &page.intro {
        let _ = writeln!(html, "<p>{}</p>", esc(p));
    }
    for (heading, file, columns, keep) in &page.tables {
        let _ = writeln!(html, "<h2>{}</h2>", esc(heading));
        html.push_str(&table(&dir.join(file), columns, page.currency, keep));
    }
    if !page.plots.is_empty() {
        html.push_str("<h2>Plots</h2>\n");
    }
    for (stem, caption) in &page.plots {
        let Ok(svg) = std::fs::read_to_string(dir.join(format!("{stem}.svg"))) else { continue };
        let start = svg.find("<svg").unwrap_or(0);
        let _ = write!(
            html,
            "<figure id=\"{stem}\">\n{}\n<figcaption>{} ({stem}.png, {stem}.svg)</figcaption>\n</figure>\n",
            &svg[start..],
            esc(caption)
        );
    }
    let _ = write!(
        html,
        "<h2>Appendix: run manifest (run.json, without timings and thread count)</h2>\n<pre>{}</pre>\n</body>\n</html>\n",
        esc(&shown_manifest(manifest))
    );
    std::fs::write(dir.join("report.html"), html)
}

/// What a plot shows, for its caption.
fn plot_caption(stem: &str) -> &'static str {
    match stem {
        "survival" => {
            "Overall (solid) and progression-free (dashed) survival of each strategy's simulated patients, from diagnosis"
        }
        "states" => {
            "Share of each strategy's patients in each state after progression, year by year"
        }
        "ce_plane" => {
            "Cost-effectiveness plane: incremental cost and QALYs of every arm against the comparator, one point per PSA sample, with a line per threshold"
        }
        "contracts" => {
            "Drug spend of each contract arm per patient in the deterministic base case: at list, under the contract, refunded, and the contract's administration"
        }
        "ceac" => {
            "Cost-effectiveness acceptability curves at list prices: the probability that each strategy has the highest net monetary benefit"
        }
        "ceaf" => {
            "Cost-effectiveness acceptability frontier of each decision set: the probability that the strategy with the highest expected net benefit is best"
        }
        "evpi" => "Expected value of perfect information per patient over the willingness to pay",
        "evppi" => {
            "Expected value of partial perfect information of each uncertain parameter per patient (list prices), beside the EVPI"
        }
        "selection_nmb" => "Incremental net monetary benefit against the selection test's cutoff",
        "selection_price" => {
            "Threshold (value-based) list price against the selection test's cutoff"
        }
        "budget_impact" => {
            "Payer's spend by year and category with the contract, and the net budget impact"
        }
        _ => "Plot",
    }
}

/// The population's ages in words.
fn population_age(model: &Model, p: &crate::model::Population) -> String {
    match p.age {
        crate::model::Age::Fixed(a) => format!("aged {} at diagnosis", model.value(a)),
        crate::model::Age::Normal { mean, sd, min, max } => format!(
            "aged {} ± {} (normal, within {min}–{max}) at diagnosis",
            model.value(mean),
            model.value(sd)
        ),
        crate::model::Age::Uniform { min, max } => {
            format!("aged {min}–{max} (uniform) at diagnosis")
        }
        crate::model::Age::Profiles => match &p.profiles {
            Some(f) => format!(
                "aged {:.1} on average at diagnosis (their profiles' ages)",
                f.mean(|i| f.age.as_ref().map_or(f64::NAN, |a| a[i]))
            ),
            None => "aged as their profiles at diagnosis".into(),
        },
    }
}

/// The profiles and covariates in words (empty without them).
fn population_covariates(model: &Model, p: &crate::model::Population) -> String {
    let mut out = String::new();
    if let Some(f) = &p.profiles {
        out += &format!(
            " Each patient is one of the {} profiles of <code>{}</code>, drawn with replacement{}.",
            f.rows,
            esc(&f.name),
            if f.cumulative.is_some() { " by weight" } else { "" }
        );
    }
    let covariates: Vec<String> = p
        .covariate_shares(&model.values)
        .into_iter()
        .map(|(name, levels)| {
            let levels: Vec<String> = levels
                .iter()
                .map(|(l, s)| format!("{} {} %", esc(l), (1000.0 * s).round() / 10.0))
                .collect();
            format!("{} ({})", esc(name), levels.join(", "))
        })
        .collect();
    if !covariates.is_empty() {
        out += &format!(" Covariates: {}.", covariates.join("; "));
    }
    let ratios: Vec<String> = p
        .cost_ratio
        .iter()
        .map(|&(bit, ratio)| {
            let who = model.condition_name(crate::model::Condition::Level(bit));
            format!("×{} if {}", model.value(ratio), esc(&who))
        })
        .collect();
    if !ratios.is_empty() {
        out += &format!(" State costs {}.", ratios.join(", "));
    }
    out
}

/// Write report.html into `dir`, from the files already there.
pub fn write(dir: &Path, model: &Model, results: &Results, manifest: &str) -> std::io::Result<()> {
    let m = &model.meta;
    let table_in = |path: &Path, columns: &[&str], keep: &dyn Fn(&[String], &[String]) -> bool| {
        table(path, columns, &m.currency, keep)
    };
    // The page's head, then its body; the body's sections are listed at its top.
    let mut html = String::new();
    let mut body = String::new();
    let mut toc: Vec<(String, String)> = Vec::new();
    let mut section = |body: &mut String, title: &str| {
        let id = format!("s{}", toc.len() + 1);
        let _ = writeln!(body, "<h2 id=\"{id}\">{}</h2>", esc(title));
        toc.push((id, title.to_string()));
    };
    let title = if m.title.is_empty() { m.name.clone() } else { m.title.clone() };
    html.push_str(&head(&title));
    let strategies: Vec<String> = model.strategies.iter().map(|s| s.name.clone()).collect();
    let contracts: Vec<String> = model.contracts.iter().map(|c| c.name.clone()).collect();
    section(&mut body, "Scenario");
    let _ = write!(
        body,
        "<ul>\n<li>scenario <code>{}</code>; horizon {} years; discount rates {} (costs) and {} (outcomes) a year; currency {}</li>\n\
         <li>{} patients per strategy, seed {}, {} PSA samples; thresholds {} {} per QALY</li>\n\
         <li>strategies: {} (comparator: {})</li>\n<li>contracts: {}{}</li>\n</ul>\n",
        esc(&m.name),
        m.horizon,
        m.discount_costs,
        m.discount_outcomes,
        esc(&m.currency),
        super::tables::grouped(results.patients as f64, 0),
        results.seed,
        super::tables::grouped(results.psa.len() as f64, 0),
        m.thresholds.iter().map(|t| super::tables::grouped(*t, 0)).collect::<Vec<_>>().join(", "),
        esc(&m.currency),
        esc(&strategies.join(", ")),
        esc(&strategies[m.comparator]),
        esc(&if contracts.is_empty() { "none".to_string() } else { contracts.join(", ") }),
        both_sides(model),
    );
    if let Some(p) = &model.population {
        let _ = writeln!(
            body,
            "<p>Patients: {}; {} % female.{} General-population mortality from the life table <code>{}</code> (everyone dead at {} years), {} to the disease's death hazards; the survival plot shows the same patients' survival on it alone.{}</p>",
            esc(&population_age(model, p)),
            (1000.0 * p.female_share(&model.values)).round() / 10.0,
            population_covariates(model, p),
            esc(&p.table_name),
            p.life_table.max_age,
            match p.mortality {
                crate::model::Mortality::Added => "added",
                crate::model::Mortality::Floor => "flooring",
            },
            p.utility_norms.as_ref().map_or(String::new(), |n| format!(
                " Utilities are adjusted for age and sex by the population norms <code>{}</code> ({}).",
                n.name(),
                match p.utility_adjustment {
                    crate::model::Adjustment::Multiplicative => "multiplied by the norm's ratio to its value at diagnosis",
                    crate::model::Adjustment::Decrement => "less the norm's fall since diagnosis",
                }
            ))
        );
    }
    // The decision first: its heading line, then one item per line.
    section(&mut body, "Decision");
    let lines = super::headline::lines(model, results);
    if let Some((head, items)) = lines.split_first() {
        let _ = writeln!(body, "<p>{}</p>\n<ul>", esc(head));
        for line in items {
            let _ = writeln!(body, "<li>{}</li>", esc(line.trim_start()));
        }
        body.push_str("</ul>\n");
    }
    if !results.warnings.is_empty() {
        section(&mut body, "Warnings");
        body.push_str("<ul>\n");
        let mut seen = std::collections::HashSet::new();
        for w in results.warnings.iter().filter(|w| seen.insert(w.as_str())) {
            let _ = writeln!(body, "<li>{}</li>", esc(w));
        }
        body.push_str("</ul>\n");
    }
    // Each table in two, so that it fits a printed page: the means and increments, then the
    // net benefit and the probability of cost-effectiveness at each threshold (from the long
    // companion file, one column per threshold).
    let wide_in = |path: &Path,
                   keys: &[&str],
                   (joined, values): (Option<(std::path::PathBuf, &[&str])>, &[&str]),
                   keep: &dyn Fn(&[String], &[String]) -> bool| {
        let joined = joined.as_ref().map(|(p, c)| (p.as_path(), *c));
        super::report_table::wide_table(path, keys, (joined, values), &m.currency, keep)
    };
    let per_threshold = ["inc_nmb", "prob_ce"];
    let means = ["cost", "qaly", "ly", "inc_cost", "inc_qaly", "icer"];
    let all = |_: &[String], _: &[String]| true;
    let with = |lead: &[&'static str], rest: &[&'static str]| -> Vec<&'static str> {
        lead.iter().chain(rest).copied().collect()
    };
    // summary.csv's and nmb.csv's rows of one basis.
    let on = |want: &'static str| {
        move |h: &[String], row: &[String]| {
            h.iter().position(|c| c == "basis").is_none_or(|i| row[i] == want)
        }
    };
    let arm: [&str; 2] = ["strategy", "contract"];
    let (summary, nmb) = (dir.join("summary.csv"), dir.join("nmb.csv"));
    let both_bases = |body: &mut String, basis: &'static str| {
        body.push_str(&table_in(&summary, &with(&arm, &means), &on(basis)));
        body.push_str(&wide_in(&nmb, &arm, (None, &per_threshold), &on(basis)));
    };
    if results.psa.is_empty() {
        section(&mut body, "Summary (means per patient, discounted)");
        both_bases(&mut body, "deterministic");
    } else {
        // HTA bodies take the probabilistic means as a probabilistic model's base result.
        section(
            &mut body,
            &format!(
                "Summary: means over the {} PSA samples (probabilistic; per patient, discounted)",
                super::tables::grouped(results.psa.len() as f64, 0)
            ),
        );
        both_bases(&mut body, "probabilistic");
        section(&mut body, "Deterministic base case (every parameter at its point value)");
        both_bases(&mut body, "deterministic");
    }
    if dir.join("subgroups.csv").exists() {
        section(&mut body, "Subgroups");
        body.push_str(
            "<p>Each level's patients among the same simulated patients (their true status and characteristics at diagnosis), every arm against the comparator at list among them: the base case, and the probability of cost-effectiveness over the PSA samples. The first rows (<code>all</code>) are the whole population; the levels of a subgroup, weighted by their patients, add up to them. subgroup_ceac.csv and subgroup_evpi.csv hold each level's CEAC, CEAF and EVPI.</p>\n",
        );
        // Narrower: the level's patients, without life-years.
        let lead = ["subgroup", "level", "patients", "strategy", "contract"];
        let keys = ["subgroup", "level", "strategy", "contract"];
        let means: Vec<&str> = means.iter().copied().filter(|c| *c != "ly").collect();
        body.push_str(&table_in(&dir.join("subgroups.csv"), &with(&lead, &means), &all));
        let file = dir.join("subgroup_nmb.csv");
        body.push_str(&wide_in(&file, &keys, (None, &per_threshold), &all));
        if dir.join("subgroup_contracts.csv").exists() {
            let spend: &[&str] =
                &["treated_share", "contract_spend", "refunds", "manufacturer_net_revenue"];
            body.push_str("<h3>Contracts by subgroup (base case)</h3>\n");
            let file = dir.join("subgroup_threshold_prices.csv");
            let joined = Some((dir.join("subgroup_contracts.csv"), spend));
            body.push_str(&wide_in(&file, &keys, (joined, &["threshold_price"]), &all));
        }
    }
    if dir.join("contracts.csv").exists() {
        let spend = [
            "strategy",
            "contract",
            "kind",
            "treated_share",
            "list_spend",
            "contract_spend",
            "refunds",
            "contract_admin",
            "effective_discount",
            "triggered_share",
        ];
        let contracts = |body: &mut String, basis: &'static str| {
            body.push_str(&table_in(&dir.join("contracts.csv"), &spend, &on(basis)));
            let file = dir.join("threshold_prices.csv");
            let revenue: &[&str] = &["manufacturer_net_revenue"];
            let joined = Some((dir.join("contracts.csv"), revenue));
            let values: &[&str] = &["inc_nmb", "threshold_price"];
            body.push_str(&wide_in(&file, &arm, (joined, values), &on(basis)));
        };
        if results.psa.is_empty() {
            section(&mut body, "Contracts (base case, per patient)");
            contracts(&mut body, "deterministic");
        } else {
            section(
                &mut body,
                "Contracts: means over the PSA samples (probabilistic, per patient)",
            );
            body.push_str("<p>A threshold price here is the one list price at which the arm's mean incremental net monetary benefit over the PSA samples is zero; the decision summary's value-based prices are the base case's, below.");
            if model.contracts.iter().any(|c| !c.kind.is_linear()) {
                body.push_str(" Threshold prices of terms not linear in the price are searched in the base case only.");
            }
            body.push_str("</p>\n");
            contracts(&mut body, "probabilistic");
            body.push_str("<h3>Contracts in the deterministic base case</h3>\n");
            contracts(&mut body, "deterministic");
        }
    }
    let basis = match results.decision.basis {
        crate::analysis::decision::Basis::Deterministic => "base case",
        crate::analysis::decision::Basis::Probabilistic => "means over the PSA samples",
    };
    section(&mut body, &format!("Efficiency frontier ({basis})"));
    let frontier = [
        "decision_set",
        "strategy",
        "contract",
        "cost",
        "qaly",
        "status",
        "reference_strategy",
        "inc_cost",
        "inc_qaly",
        "icer",
    ];
    body.push_str(&table_in(&dir.join("frontier.csv"), &frontier, &all));
    if dir.join("evsi.csv").exists() {
        section(&mut body, "Value of the contract registries' data (EVSI)");
        body.push_str("<p>What learning a parameter from a contract's registry of so many patients is worth to the decision, per patient of the decision population and for all of it, beside the parameter's EVPPI (its limit); the expected net benefit of sampling subtracts the registry's cost. Estimated by regression over the PSA samples: values carry their standard error in evsi.csv.</p>\n");
        let columns = [
            "registry",
            "decision_set",
            "parameter",
            "observation",
            "patients",
            "wtp",
            "evsi_per_patient",
            "evppi_per_patient",
            "evsi_population",
            "registry_cost",
            "enbs",
        ];
        body.push_str(&table_in(&dir.join("evsi.csv"), &columns, &all));
    }
    if dir.join("renegotiation.csv").exists() {
        section(&mut body, "Coverage with evidence development (two-stage decision)");
        body.push_str("<p>Adopt under the contract now, review on the registry's data after the stated years, then keep the contract, reprice the drug to its value-based price given the data, or withdraw it; each policy's expected incremental net monetary benefit against rejecting, per patient of the decision population and for all of it, and how often the review keeps, reprices or withdraws.</p>\n");
        let columns = [
            "registry",
            "strategy",
            "review_after_years",
            "review_patients",
            "wtp",
            "policy",
            "value_per_patient",
            "value_population",
            "share_keep",
            "share_reprice",
            "share_withdraw",
        ];
        body.push_str(&table_in(&dir.join("renegotiation.csv"), &columns, &all));
    }
    section(&mut body, "Lines of therapy (base case; time on treatment in years)");
    let cols = &super::tables::LINES_HEADER[..super::tables::LINES_HEADER.len() - 1];
    body.push_str(&table_in(&dir.join("lines.csv"), cols, &all));
    if dir.join("budget_impact_total.csv").exists() {
        section(&mut body, "Budget impact (totals, undiscounted)");
        if let Some(b) = &model.budget {
            // The analysis's assumptions, as ISPOR's good practice asks them stated.
            let strategies = &model.strategies;
            // Today's treatment mix: "chemo" alone, or "chemo (60 %), other (40 %)".
            let today = match b.current.as_slice() {
                [(s, _)] => strategies[*s].name.clone(),
                mix => mix
                    .iter()
                    .map(|(s, share)| {
                        format!(
                            "{} ({} %)",
                            strategies[*s].name,
                            super::tables::grouped(100.0 * share, 1)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let _ = writeln!(
                body,
                "<p>Assumptions: in the world without, the eligible patients get today's treatments, {}; in the world with, each year's uptake share ({}) gets {} and the rest today's treatments in the same proportions ({}). Eligible patients: {} diagnosed in year 1, growing {} % a year{}; each is followed from entry to the end of year {} as a newly diagnosed patient (prevalent ones too). Spend is undiscounted, counted in the calendar year it falls{}.</p>",
                esc(&today),
                b.uptake
                    .iter()
                    .map(|u| format!("{} %", super::tables::grouped(100.0 * u, 0)))
                    .collect::<Vec<_>>()
                    .join(", "),
                esc(&strategies[b.strategy].name),
                esc(&today),
                super::tables::grouped(b.incident, 0),
                super::tables::grouped(100.0 * b.growth, 1),
                if b.prevalent > 0.0 {
                    format!(
                        ", and {} already diagnosed entering in year 1",
                        super::tables::grouped(b.prevalent, 0)
                    )
                } else {
                    String::new()
                },
                b.years,
                b.members.map_or(String::new(), |n| format!(
                    "; per member per month on a plan of {} members",
                    super::tables::grouped(n, 0)
                )),
            );
        }
        let cols = [
            "contract",
            "year",
            "entrants",
            "entrants_new",
            "spend_with",
            "spend_without",
            "net_budget_impact",
            "cumulative_net_budget_impact",
        ];
        body.push_str(&table_in(&dir.join("budget_impact_total.csv"), &cols, &all));
        // The patients behind the money: clinical events per year in each world.
        let events = dir.join("budget_impact_events.csv");
        if events.exists() {
            let cols =
                ["year", "event", "patients_with", "patients_without", "patients_difference"];
            body.push_str(&table_in(&events, &cols, &all));
        }
    }
    section(&mut body, "Plots");
    for stem in super::figures::PLOTS {
        let Ok(svg) = std::fs::read_to_string(dir.join(format!("{stem}.svg"))) else { continue };
        // The SVG element itself, without an XML declaration.
        let start = svg.find("<svg").unwrap_or(0);
        let thinned =
            *stem == "ce_plane" && results.psa.len() > super::figures::CE_PLANE_MOST_SAMPLES;
        let mut caption = format!("{} ({stem}.png, {stem}.svg)", plot_caption(stem));
        if thinned {
            caption = format!(
                "{caption}: {} (the tables use every sample)",
                super::figures::ce_plane_basis(results.psa.len())
            );
        }
        let _ = write!(
            body,
            "<figure id=\"{stem}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            &svg[start..],
            esc(&caption)
        );
    }
    // The page is identical for any thread count and for a merge of shards, like the tables:
    // the process's own fields (threads, timings, memory, trajectories) are in run.json only.
    let shown = shown_manifest(manifest);
    section(&mut body, "Appendix: run manifest (run.json, without timings and thread count)");
    let _ = writeln!(body, "<pre>{}</pre>", esc(&shown));
    html.push_str("<nav><ul>\n");
    for (id, title) in &toc {
        let _ = writeln!(html, "<li><a href=\"#{id}\">{}</a></li>", esc(title));
    }
    html.push_str("</ul></nav>\n");
    html.push_str(&body);
    html.push_str("</body>\n</html>\n");
    std::fs::write(dir.join("report.html"), html)
}

/// How contract arms are compared (`scenario.comparator_contract`), where it matters: some
/// contract settles the comparator.
fn both_sides(model: &Model) -> String {
    let arms = model.arms();
    let settles_comparator =
        arms.iter().any(|a| a.strategy == model.meta.comparator && a.contract.is_some());
    if !settles_comparator {
        return String::new();
    }
    match model.meta.comparator_contract {
        crate::model::ComparatorContract::Same => {
            "; a contract's arms are compared with the comparator under the same contract where it gives the contracted drug (<code>comparator_contract = \"same\"</code>)".to_string()
        }
        crate::model::ComparatorContract::List => {
            "; a contract's arms are compared with the comparator at list, even where it gives the contracted drug (<code>comparator_contract = \"list\"</code>)".to_string()
        }
    }
}
