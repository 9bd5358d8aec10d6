//! report.html: one self-contained page of a run for a meeting — the scenario, plain-language
//! decision, the key tables, every plot (inline SVG) and the run manifest. It reads the files
//! already written to the folder (so the page shows exactly what the CSVs hold) and fetches
//! nothing: no scripts, no stylesheets, no images by address.

use crate::analysis::results::Results;
use crate::model::Model;
use std::fmt::Write as _;
use std::path::Path;

/// HTML text: `&`, `<`, `>` and quotes escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A CSV file as an HTML table: the named columns (all when empty), rows kept by `keep`
/// (given the header and the row). Numbers are shown to 6 significant digits; the CSV keeps
/// full precision.
fn table(path: &Path, columns: &[&str], keep: impl Fn(&[String], &[String]) -> bool) -> String {
    let Ok(mut reader) = csv::Reader::from_path(path) else { return String::new() };
    let Ok(header) = reader.headers().map(|h| h.iter().map(String::from).collect::<Vec<_>>())
    else {
        return String::new();
    };
    let picked: Vec<usize> = if columns.is_empty() {
        (0..header.len()).collect()
    } else {
        columns.iter().filter_map(|c| header.iter().position(|h| h == c)).collect()
    };
    let mut out = String::from("<div class=\"wide\"><table>\n<tr>");
    for &i in &picked {
        let _ = write!(out, "<th>{}</th>", esc(&header[i]));
    }
    out.push_str("</tr>\n");
    for record in reader.records().flatten() {
        let row: Vec<String> = record.iter().map(String::from).collect();
        if !keep(&header, &row) {
            continue;
        }
        out.push_str("<tr>");
        for &i in &picked {
            let cell = row.get(i).map_or("", String::as_str);
            let shown = match cell.parse::<f64>() {
                Ok(x) if cell.contains('.') || cell.contains('e') => {
                    format!("{x:.6}").trim_end_matches('0').trim_end_matches('.').to_string()
                }
                _ => cell.to_string(),
            };
            let class = if cell.parse::<f64>().is_ok() { " class=\"n\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(&shown));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
    out
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
    let mut html = String::new();
    let title = if m.title.is_empty() { m.name.clone() } else { m.title.clone() };
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}}\n\
         .wide{{overflow-x:auto}}\ntable{{border-collapse:collapse;margin:1em 0;font-size:0.85em}}\n\
         th,td{{border:1px solid #ccc;padding:0.25em 0.5em}}\nth{{background:#f0f0f0}}\ntd.n{{text-align:right}}\n\
         figure{{margin:1em 0}}\nfigure svg{{max-width:100%;height:auto}}\npre{{background:#f7f7f7;padding:1em;overflow-x:auto}}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let strategies: Vec<String> = model.strategies.iter().map(|s| s.name.clone()).collect();
    let contracts: Vec<String> = model.contracts.iter().map(|c| c.name.clone()).collect();
    let _ = write!(
        html,
        "<h2>Scenario</h2>\n<ul>\n<li>scenario <code>{}</code>; horizon {} years; discount rates {} (costs) and {} (outcomes) a year; currency {}</li>\n\
         <li>{} patients per strategy, seed {}, {} PSA samples; thresholds {} per QALY</li>\n\
         <li>strategies: {} (comparator: {})</li>\n<li>contracts: {}</li>\n</ul>\n",
        esc(&m.name),
        m.horizon,
        m.discount_costs,
        m.discount_outcomes,
        esc(&m.currency),
        results.patients,
        results.seed,
        results.psa.len(),
        m.thresholds.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
        esc(&strategies.join(", ")),
        esc(&strategies[m.comparator]),
        esc(&if contracts.is_empty() { "none".to_string() } else { contracts.join(", ") }),
    );
    if let Some(p) = &model.population {
        let _ = writeln!(
            html,
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
    html.push_str("<h2>Decision</h2>\n");
    let lines = super::headline::lines(model, results);
    if let Some((head, items)) = lines.split_first() {
        let _ = writeln!(html, "<p>{}</p>\n<ul>", esc(head));
        for line in items {
            let _ = writeln!(html, "<li>{}</li>", esc(line.trim_start()));
        }
        html.push_str("</ul>\n");
    }
    for w in &results.warnings {
        let _ = writeln!(html, "<p><strong>Warning:</strong> {}</p>", esc(w));
    }
    let lambda: Vec<String> = m.thresholds.iter().map(|t| t.to_string()).collect();
    let mut columns: Vec<String> = [
        "strategy",
        "contract",
        "cost",
        "qaly",
        "ly",
        "inc_cost",
        "inc_qaly",
        "icer",
        "icer_status",
    ]
    .map(String::from)
    .to_vec();
    for l in &lambda {
        columns.push(format!("inc_nmb_{l}"));
        columns.push(format!("prob_ce_{l}"));
    }
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let all = |_: &[String], _: &[String]| true;
    html.push_str("<h2>Summary (means per patient, discounted)</h2>\n");
    html.push_str(&table(&dir.join("summary.csv"), &cols, all));
    if dir.join("subgroups.csv").exists() {
        let mut columns: Vec<String> =
            ["subgroup", "level", "patients", "share", "strategy", "contract", "cost", "qaly"]
                .map(String::from)
                .to_vec();
        columns.extend(["inc_cost", "inc_qaly", "icer", "icer_status"].map(String::from));
        for l in &lambda {
            columns.push(format!("inc_nmb_{l}"));
            columns.push(format!("prob_ce_{l}"));
        }
        let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
        html.push_str(
            "<h2>Subgroups</h2>\n<p>Each level's patients among the same simulated patients (their true status and characteristics at diagnosis), every arm against the comparator at list among them: the base case, and the probability of cost-effectiveness over the PSA samples. The first rows (<code>all</code>) are the whole population; the levels of a subgroup, weighted by their patients, add up to them. subgroup_ceac.csv and subgroup_evpi.csv hold each level's CEAC, CEAF and EVPI.</p>\n",
        );
        html.push_str(&table(&dir.join("subgroups.csv"), &cols, all));
        if dir.join("subgroup_contracts.csv").exists() {
            let mut columns: Vec<String> = [
                "subgroup",
                "level",
                "strategy",
                "contract",
                "treated_share",
                "contract_spend",
                "refunds",
                "manufacturer_net_revenue",
            ]
            .map(String::from)
            .to_vec();
            columns.extend(lambda.iter().map(|l| format!("threshold_price_{l}")));
            let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
            html.push_str("<h3>Contracts by subgroup (base case)</h3>\n");
            html.push_str(&table(&dir.join("subgroup_contracts.csv"), &cols, all));
        }
    }
    if dir.join("contracts.csv").exists() {
        let mut cols = vec![
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
        let prices: Vec<String> = lambda.iter().map(|l| format!("threshold_price_{l}")).collect();
        cols.extend(prices.iter().map(String::as_str));
        html.push_str("<h2>Contracts</h2>\n");
        html.push_str(&table(&dir.join("contracts.csv"), &cols, all));
    }
    html.push_str("<h2>Efficiency frontier</h2>\n");
    html.push_str(&table(&dir.join("frontier.csv"), &[], all));
    html.push_str("<h2>Lines of therapy (base case; time on treatment in years)</h2>\n");
    let cols = &super::tables::LINES_HEADER[..super::tables::LINES_HEADER.len() - 1];
    html.push_str(&table(&dir.join("lines.csv"), cols, all));
    if dir.join("budget_impact.csv").exists() {
        html.push_str("<h2>Budget impact (totals, undiscounted)</h2>\n");
        let total = |h: &[String], r: &[String]| {
            h.iter().position(|c| c == "category").is_some_and(|i| r[i] == "total")
        };
        let cols = [
            "contract",
            "year",
            "entrants",
            "entrants_new",
            "spend_with",
            "spend_without",
            "net_budget_impact",
        ];
        html.push_str(&table(&dir.join("budget_impact.csv"), &cols, total));
    }
    html.push_str("<h2>Plots</h2>\n");
    for stem in super::figures::PLOTS {
        let Ok(svg) = std::fs::read_to_string(dir.join(format!("{stem}.svg"))) else { continue };
        // The SVG element itself, without an XML declaration.
        let start = svg.find("<svg").unwrap_or(0);
        let thinned =
            *stem == "ce_plane" && results.psa.len() > super::figures::CE_PLANE_MOST_SAMPLES;
        let caption = if thinned {
            format!(
                "{stem}: {} (the tables use every sample)",
                super::figures::ce_plane_basis(results.psa.len())
            )
        } else {
            stem.to_string()
        };
        let _ = write!(
            html,
            "<figure id=\"{stem}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            &svg[start..],
            esc(&caption)
        );
    }
    // The page is identical for any thread count and for a merge of shards, like the tables:
    // the process's own fields (threads, timings, memory, trajectories) are in run.json only.
    let shown = match serde_json::from_str::<serde_json::Value>(manifest) {
        Ok(serde_json::Value::Object(mut fields)) => {
            for key in super::manifest::PROCESS_FIELDS {
                fields.remove(*key);
            }
            serde_json::to_string_pretty(&fields).unwrap_or_default()
        }
        _ => manifest.to_string(),
    };
    let _ = write!(
        html,
        "<h2>Run manifest (run.json, without timings and thread count)</h2>\n<pre>{}</pre>\n</body>\n</html>\n",
        esc(&shown)
    );
    std::fs::write(dir.join("report.html"), html)
}
