//! Tables of report.html, read from the folder's CSVs and formatted for reading: human column
//! headers with their units, money to whole units with thousands separators, QALYs and
//! life-years to three decimals, shares and probabilities as percentages. The CSVs keep every
//! digit; the page is for a meeting.

use super::tables::grouped;
use std::fmt::Write as _;
use std::path::Path;

/// HTML text: `&`, `<`, `>` and quotes escaped.
pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// How a column's numbers are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    /// Names, statuses: as written.
    Text,
    /// Whole numbers of patients, years, months: grouped.
    Count,
    /// Money and ratios of money (ICERs, prices, NMB): whole units, grouped.
    Money,
    /// QALYs and life-years: three decimals.
    Measure,
    /// Shares and probabilities in [0, 1]: a percentage with one decimal.
    Share,
    /// A parameter's values, in its own unit: four significant digits (grouped above 1,000).
    Value,
}

/// A threshold's suffix `_<λ>` of a column, as a grouped number (`inc_nmb_100000` →
/// ("inc_nmb", "100,000")).
fn threshold(column: &str) -> Option<(&str, String)> {
    let (stem, last) = column.rsplit_once('_')?;
    let l: f64 = last.parse().ok()?;
    Some((stem, grouped(l, if l.fract() == 0.0 { 0 } else { 2 })))
}

/// The format of a column, by its name.
fn format_of(column: &str) -> Format {
    let stem = threshold(column).map_or(column, |(s, _)| s);
    match stem {
        "strategy" | "contract" | "kind" | "drug" | "subgroup" | "level" | "icer_status"
        | "threshold_status" | "decision_set" | "status" | "reference_strategy"
        | "reference_contract" | "basis" | "line" | "regimen" | "category" | "parameter"
        | "range_source" | "scenario" | "scenario_file" | "event" | "design" | "robust"
        | "frontier" | "cost_effective" | "registry" | "observation" | "policy" => Format::Text,
        "qaly" | "ly" | "ly_undiscounted" | "inc_qaly" | "inc_ly" | "time_on_treatment" => {
            Format::Measure
        }
        "value_base" | "value_low" | "value_high" | "switch_value" => Format::Value,
        "prob_ce"
        | "prob_best"
        | "share"
        | "treated_share"
        | "triggered_share"
        | "effective_discount"
        | "started"
        | "response"
        | "alive"
        | "discount"
        | "refund"
        | "prob_cost_effective"
        | "share_keep"
        | "share_reprice"
        | "share_withdraw" => Format::Share,
        "from_months" | "until_months" | "window_months" | "assess_at_months"
        | "max_paid_months" | "interval_months" => Format::Value,
        "patients"
        | "year"
        | "month"
        | "entrants"
        | "entrants_new"
        | "samples"
        | "wtp"
        | "patients_with"
        | "patients_without"
        | "patients_difference"
        | "candidate"
        | "max_cycles"
        | "instalments"
        | "review_after_years"
        | "review_patients" => Format::Count,
        _ => Format::Money,
    }
}

/// A column's header for readers (`inc_nmb_100000` → "Incremental NMB at 100,000 (USD)").
fn label(column: &str, currency: &str) -> String {
    let (stem, at) = match threshold(column) {
        Some((s, l)) => (s, format!(" at {l}")),
        None => (column, String::new()),
    };
    let known = match stem {
        "strategy" => "Strategy",
        "contract" => "Contract",
        "kind" => "Kind",
        "drug" => "Drug",
        "subgroup" => "Subgroup",
        "level" => "Level",
        "patients" => "Patients",
        "share" => "Share of patients",
        "cost" => "Cost",
        "qaly" => "QALYs",
        "ly" => "Life-years",
        "inc_cost" => "Incremental cost",
        "inc_qaly" => "Incremental QALYs",
        "inc_ly" => "Incremental life-years",
        "icer" => "ICER",
        "icer_status" => "ICER status",
        "inc_nmb" => "Incremental NMB",
        "nmb" => "NMB",
        "prob_ce" => "Probability cost-effective",
        "treated_share" => "Treated",
        "list_spend" => "List spend",
        "paid" => "Paid",
        "refunds" => "Refunds",
        "contract_spend" => "Contract spend",
        "contract_admin" => "Administration",
        "effective_discount" => "Effective discount",
        "triggered_share" => "Triggered",
        "manufacturer_net_revenue" => "Manufacturer net revenue",
        "threshold_price" => "Threshold price",
        "threshold_status" => "Threshold price status",
        "decision_set" => "Decision set",
        "status" => "Status",
        "reference_strategy" => "Against strategy",
        "reference_contract" => "Against contract",
        "basis" => "Basis",
        "line" => "Line",
        "regimen" => "Regimen",
        "started" => "Started",
        "response" => "Response",
        "time_on_treatment" => "Time on treatment (years)",
        "year" => "Year",
        "entrants" => "Entrants",
        "entrants_new" => "New entrants",
        "spend_with" => "Spend with",
        "event" => "Event",
        "patients_with" => "Patients, world with",
        "patients_without" => "Patients, world without",
        "patients_difference" => "Difference",
        "spend_without" => "Spend without",
        "net_budget_impact" => "Net budget impact",
        "cumulative_net_budget_impact" => "Net impact so far",
        "parameter" => "Parameter",
        "value_base" => "Base value",
        "value_low" => "Low value",
        "value_high" => "High value",
        "switch_value" => "Value where the decision switches",
        "inc_nmb_low" => "Incremental NMB at the low value",
        "inc_nmb_high" => "Incremental NMB at the high value",
        "swing" => "Swing",
        "scenario" => "Scenario",
        "wtp" => "Threshold",
        "prob_best" => "Probability best",
        "design" => "Design",
        "candidate" => "Candidate",
        "price" => "Price per cycle",
        "discount" => "Discount",
        "refund" => "Refund",
        "cap" => "Refund cap",
        "from_months" => "Discount from (months)",
        "until_months" => "Discount until (months)",
        "window_months" => "Window (months)",
        "assess_at_months" => "Assessed at (months)",
        "max_paid_months" => "Paid for (months)",
        "max_cycles" => "Paid cycles",
        "interval_months" => "Instalment interval (months)",
        "instalments" => "Instalments",
        "manufacturer_revenue" => "Manufacturer revenue",
        "budget_impact" => "Net budget impact",
        "prob_cost_effective" => "Probability cost-effective",
        "robust" => "Robust",
        "registry" => "Registry",
        "observation" => "Data",
        "evsi_per_patient" => "EVSI per patient",
        "evppi_per_patient" => "EVPPI per patient",
        "evsi_population" => "Population EVSI",
        "registry_cost" => "Registry cost",
        "enbs" => "Expected net benefit of sampling",
        "review_after_years" => "Review after (years)",
        "review_patients" => "Registry patients at review",
        "policy" => "Policy",
        "value_per_patient" => "Value per patient",
        "value_population" => "Population value",
        "share_keep" => "Keep",
        "share_reprice" => "Reprice",
        "share_withdraw" => "Withdraw",
        other => &other.replace('_', " "),
    };
    let unit = match (format_of(column), stem) {
        (_, "icer") => format!(" ({currency}/QALY)"),
        (Format::Money, _) => format!(" ({currency})"),
        _ => String::new(),
    };
    format!("{known}{at}{unit}")
}

/// A cell for readers.
fn shown(format: Format, cell: &str) -> String {
    let Ok(x) = cell.parse::<f64>() else { return cell.to_string() };
    match format {
        Format::Text => cell.to_string(),
        Format::Count | Format::Money => grouped(x, 0),
        Format::Measure => grouped(x, 3),
        Format::Share => format!("{} %", grouped(100.0 * x, 1)),
        Format::Value if x.abs() >= 1000.0 || x == 0.0 => grouped(x, 0),
        Format::Value => {
            // Four significant digits, trailing zeros dropped.
            let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
            let text = format!("{x:.decimals$}");
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            };
            if text == "-0" { "0".into() } else { text }
        }
    }
}

/// A CSV file's header and rows (`None` when it cannot be read).
fn read(path: &Path) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let header = reader.headers().ok()?.iter().map(String::from).collect();
    let rows = reader.records().flatten().map(|r| r.iter().map(String::from).collect()).collect();
    Some((header, rows))
}

/// A CSV file as an HTML table: the named columns (all when empty), rows kept by `keep` (given
/// the header and the row), headers and cells formatted for reading; an empty `icer` cell shows
/// the row's `icer_status`.
pub(super) fn table(
    path: &Path,
    columns: &[&str],
    currency: &str,
    keep: impl Fn(&[String], &[String]) -> bool,
) -> String {
    let Some((header, rows)) = read(path) else { return String::new() };
    let rows: Vec<Vec<String>> = rows.into_iter().filter(|r| keep(&header, r)).collect();
    let picked: Vec<usize> = if columns.is_empty() {
        (0..header.len()).collect()
    } else {
        columns.iter().filter_map(|c| header.iter().position(|h| h == c)).collect()
    };
    render(&header, &rows, &picked, currency)
}

/// A long CSV file (one row per key and threshold, a `wtp` column) as a wide HTML table for
/// reading: one row per key (the `keys` columns, in the file's order), then the `joined`
/// columns of another file on the row of the same key (kept by `keep` too), then each of
/// `values` at each threshold, threshold by threshold (`inc_nmb` at 100000 reads "Incremental NMB at
/// 100,000"; an empty threshold price shows its `threshold_status`). Rows are kept by `keep`
/// before they are gathered.
pub(super) fn wide_table(
    path: &Path,
    keys: &[&str],
    (joined, values): (Option<(&Path, &[&str])>, &[&str]),
    currency: &str,
    keep: impl Fn(&[String], &[String]) -> bool,
) -> String {
    let Some((header, rows)) = read(path) else { return String::new() };
    // Columns of another file, on the row of the same key, shown after the key.
    let joined = joined.and_then(|(other, columns)| {
        let (h, rows) = read(other)?;
        let at = |c: &str| h.iter().position(|x| x == c);
        let keys = keys.iter().map(|c| at(c)).collect::<Option<Vec<_>>>()?;
        let picked: Vec<usize> = columns.iter().filter_map(|c| at(c)).collect();
        let names: Vec<String> = picked.iter().map(|&i| h[i].clone()).collect();
        let rows: Vec<(Vec<String>, Vec<String>)> = rows
            .iter()
            .filter(|r| keep(&h, r))
            .map(|r| {
                let key = keys.iter().map(|&i| r[i].clone()).collect();
                (key, picked.iter().map(|&i| r[i].clone()).collect())
            })
            .collect();
        Some((names, rows))
    });
    let at = |c: &str| header.iter().position(|h| h == c);
    let (Some(wtp), Some(keys)) =
        (at("wtp"), keys.iter().map(|c| at(c)).collect::<Option<Vec<_>>>())
    else {
        return String::new();
    };
    let values: Vec<usize> = values.iter().filter_map(|c| at(c)).collect();
    // A threshold price without a value shows its status in its place (as an ICER does).
    let (price, status) = (at("threshold_price"), at("threshold_status"));
    let mut thresholds: Vec<String> = Vec::new();
    // Per key, in the file's order: its cells at each threshold.
    type AtThresholds = Vec<(String, Vec<String>)>;
    let mut wide: Vec<(Vec<String>, AtThresholds)> = Vec::new();
    for row in rows.iter().filter(|r| keep(&header, r)) {
        let key: Vec<String> = keys.iter().map(|&i| row[i].clone()).collect();
        let l = row[wtp].clone();
        if !thresholds.contains(&l) {
            thresholds.push(l.clone());
        }
        let cells = values
            .iter()
            .map(|&i| match status {
                Some(k) if Some(i) == price && row[i].is_empty() => status_words(&row[k]),
                _ => row[i].clone(),
            })
            .collect();
        match wide.iter_mut().find(|(k, _)| *k == key) {
            Some((_, at)) => at.push((l, cells)),
            None => wide.push((key, vec![(l, cells)])),
        }
    }
    let mut wide_header: Vec<String> = keys.iter().map(|&i| header[i].clone()).collect();
    if let Some((names, _)) = &joined {
        wide_header.extend(names.iter().cloned());
    }
    for l in &thresholds {
        wide_header.extend(values.iter().map(|&i| format!("{}_{l}", header[i])));
    }
    let wide_rows: Vec<Vec<String>> = wide
        .into_iter()
        .map(|(key, at)| {
            let mut row = key.clone();
            if let Some((names, rows)) = &joined {
                match rows.iter().find(|(k, _)| *k == key) {
                    Some((_, cells)) => row.extend(cells.iter().cloned()),
                    None => row.extend(names.iter().map(|_| String::new())),
                }
            }
            for l in &thresholds {
                match at.iter().find(|(x, _)| x == l) {
                    Some((_, cells)) => row.extend(cells.iter().cloned()),
                    None => row.extend(values.iter().map(|_| String::new())),
                }
            }
            row
        })
        .collect();
    let picked: Vec<usize> = (0..wide_header.len()).collect();
    render(&wide_header, &wide_rows, &picked, currency)
}

/// A threshold status in words, in place of a missing threshold price.
fn status_words(status: &str) -> String {
    match status {
        "not_cost_effective_even_free" => "none: not cost-effective even free",
        "cost_does_not_rise_with_price" => "none: the cost does not rise with the price",
        "cost_effective_at_any_price" => "any price",
        "not_computed" => "not computed",
        other => other,
    }
    .to_string()
}

/// Rows as an HTML table of the `picked` columns.
fn render(header: &[String], rows: &[Vec<String>], picked: &[usize], currency: &str) -> String {
    let mut out = String::from("<table>\n<tr>");
    for &i in picked {
        let _ = write!(out, "<th>{}</th>", esc(&label(&header[i], currency)));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        // An ICER without a value shows its status (dominated, dominant…) in its place.
        let status = header.iter().position(|h| h == "icer_status").and_then(|k| row.get(k));
        for &i in picked {
            let mut cell = row.get(i).map_or("", String::as_str);
            if cell.is_empty() && header[i] == "icer" {
                cell = status.map_or("", String::as_str);
            }
            let numeric = cell.parse::<f64>().is_ok();
            let text = shown(if numeric { format_of(&header[i]) } else { Format::Text }, cell);
            if numeric {
                let _ = write!(out, "<td class=\"n\">{}</td>", esc(&text));
            } else {
                // Names break after their underscores and slashes, not inside a word.
                let breakable = esc(&text).replace('_', "_<wbr>").replace('/', "/<wbr>");
                let _ = write!(out, "<td>{breakable}</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_as_words_with_units() {
        assert_eq!(label("inc_nmb_100000", "USD"), "Incremental NMB at 100,000 (USD)");
        assert_eq!(label("icer", "EUR"), "ICER (EUR/QALY)");
        assert_eq!(label("qaly", "USD"), "QALYs");
        assert_eq!(label("prob_ce_150000", "USD"), "Probability cost-effective at 150,000");
        assert_eq!(label("something_new", "USD"), "something new (USD)");
        assert_eq!(label("strategy", "USD"), "Strategy");
        assert_eq!(label("parameter", "USD"), "Parameter");
    }

    #[test]
    fn cells_are_rounded_for_reading() {
        assert_eq!(shown(format_of("cost"), "92473.123"), "92,473");
        assert_eq!(shown(format_of("qaly"), "0.70321"), "0.703");
        assert_eq!(shown(format_of("prob_ce_100000"), "0.875"), "87.5 %");
        assert_eq!(shown(format_of("icer"), "-1234.6"), "-1,235");
        assert_eq!(shown(format_of("strategy"), "chemo_for_all"), "chemo_for_all");
        assert_eq!(shown(format_of("value_low"), "0.1218005801671988"), "0.1218");
        assert_eq!(shown(format_of("value_high"), "24.5"), "24.5");
        assert_eq!(shown(format_of("switch_value"), "14763.2"), "14,763");
    }

    #[test]
    fn a_long_table_reads_one_row_per_key_and_a_column_per_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("long.csv");
        std::fs::write(
            &long,
            "strategy,wtp,threshold_price,threshold_status\n\
             a,100000,5,price\na,150000,,not_cost_effective_even_free\nb,100000,7,price\n",
        )
        .unwrap();
        let other = dir.path().join("other.csv");
        std::fs::write(&other, "strategy,revenue\nb,2\na,1\n").unwrap();
        let columns: &[&str] = &["revenue"];
        let html = wide_table(
            &long,
            &["strategy"],
            (Some((&other, columns)), &["threshold_price"]),
            "USD",
            |_, _| true,
        );
        let header = "<tr><th>Strategy</th><th>revenue (USD)</th><th>Threshold price at 100,000 (USD)</th><th>Threshold price at 150,000 (USD)</th></tr>";
        assert!(html.contains(header), "{html}");
        // The status in place of a missing price; an empty cell where a key lacks a threshold.
        assert!(html.contains("<tr><td>a</td><td class=\"n\">1</td><td class=\"n\">5</td><td>none: not cost-effective even free</td></tr>"), "{html}");
        assert!(
            html.contains(
                "<tr><td>b</td><td class=\"n\">2</td><td class=\"n\">7</td><td></td></tr>"
            ),
            "{html}"
        );
    }
}
