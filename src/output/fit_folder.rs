//! The folder of `vbpsim fit`, written atomically: the fits and their statistics (fits.csv,
//! fit_parameters.csv, fit_covariance.csv, fit_times.csv), the data's Kaplan–Meier estimate
//! (kaplan_meier.csv), plots of each group's data against every fit, a scenario snippet per fit
//! that carries its uncertainty into a PSA, and run.json.

use super::OutputError;
use super::folder::{FolderError, Kind, Staging, Target};
use super::manifest::json;
use super::plots::{Chart, Plot, Series, write};
use super::tables::number;
use crate::fit::families::{Effect, Family, Quantity};
use crate::fit::mle::Fit;
use crate::fit::{GroupFits, name_part, slug};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

/// What the folder describes besides the fits.
pub struct FitRun<'a> {
    /// The data file as given, and its SHA-256.
    pub data_file: &'a str,
    pub data_sha256: String,
    /// The data's time unit, plural (`months`).
    pub unit: &'a str,
    /// The prefix of the snippets' parameter names.
    pub name: &'a str,
    /// Times (in the unit) of fit_times.csv's landmark survival and restricted means.
    pub at: &'a [f64],
    /// The extrapolation plots' end (in the unit).
    pub horizon: f64,
    pub groups: &'a [GroupFits],
    pub wall_seconds: f64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    kind: &'static str,
    data_file: &'a str,
    data_sha256: &'a str,
    unit: &'a str,
    groups: Vec<&'a str>,
    families: Vec<&'static str>,
    observations: usize,
    events: usize,
    at: &'a [f64],
    horizon: f64,
    wall_seconds: f64,
}

/// The unit `per month` of a plural unit `months`.
fn per(unit: &str) -> String {
    format!("per {}", unit.strip_suffix('s').unwrap_or(unit))
}

/// The stem of a group's files: `fit_<what>` for a data set without groups, else
/// `fit_<what>_<group>`.
fn stem(run: &FitRun, what: &str, group: &str) -> String {
    if run.groups.len() == 1 && group == "all" {
        format!("fit_{what}")
    } else {
        format!("fit_{what}_{}", slug(group))
    }
}

/// Whether a family's fit has a scenario snippet: every family is a scenario distribution.
fn in_scenarios(_family: Family) -> bool {
    true
}

/// Write the folder of `run` into `target`.
pub fn write_folder(target: &Target, run: &FitRun) -> Result<PathBuf, OutputError> {
    let staging = Staging::new(target)?;
    let shown = |name: &str| target.join(name).display().to_string();
    staging.table("fits.csv", |f| write_fits(f, run))?;
    staging.table("fit_parameters.csv", |f| write_parameters(f, run))?;
    staging.table("fit_covariance.csv", |f| write_covariance(f, run))?;
    staging.table("fit_times.csv", |f| write_times(f, run))?;
    staging.table("kaplan_meier.csv", |f| write_km(f, run))?;
    for g in run.groups {
        for f in g.fits.iter().filter(|f| f.failure.is_none() && in_scenarios(f.family)) {
            let name = format!("{}.toml", snippet_stem(run, g, f.family));
            std::fs::write(staging.file(&name), snippet(run, g, f))
                .map_err(|source| FolderError::Write { path: shown(&name), source })?;
        }
        write_plots(&staging, run, g).map_err(|e| e.in_folder(target))?;
    }
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: Kind::Fit.name(),
        data_file: run.data_file,
        data_sha256: &run.data_sha256,
        unit: run.unit,
        groups: run.groups.iter().map(|g| g.group.as_str()).collect(),
        families: run
            .groups
            .first()
            .map_or(Vec::new(), |g| g.fits.iter().map(|f| f.family.name()).collect()),
        observations: run.groups.iter().map(|g| g.fits.first().map_or(0, |f| f.observations)).sum(),
        events: run.groups.iter().map(|g| g.fits.first().map_or(0, |f| f.events)).sum(),
        at: run.at,
        horizon: run.horizon,
        wall_seconds: run.wall_seconds,
    };
    std::fs::write(staging.file("run.json"), json(&manifest))
        .map_err(|source| FolderError::Write { path: shown("run.json"), source })?;
    Ok(staging.commit()?)
}

/// The stem of a fit's snippet file.
fn snippet_stem(run: &FitRun, g: &GroupFits, family: Family) -> String {
    stem(run, family.name(), &g.group)
}

/// fits.csv: one row per group and family.
fn write_fits<W: Write>(out: W, run: &FitRun) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "group",
        "family",
        "observations",
        "events",
        "parameters",
        "log_likelihood",
        "aic",
        "bic",
        "delta_aic",
        "median",
        "converged",
        "note",
        "snippet",
    ])?;
    for g in run.groups {
        let best = g
            .fits
            .iter()
            .filter(|f| f.failure.is_none())
            .map(Fit::aic)
            .fold(f64::INFINITY, f64::min);
        for f in &g.fits {
            let ok = f.failure.is_none();
            let snippet = (ok && in_scenarios(f.family))
                .then(|| format!("{}.toml", snippet_stem(run, g, f.family)));
            let opt = |x: Option<f64>| x.filter(|x| x.is_finite()).map(number).unwrap_or_default();
            w.write_record([
                g.group.clone(),
                f.family.name().to_string(),
                f.observations.to_string(),
                f.events.to_string(),
                f.k().to_string(),
                opt(ok.then_some(f.log_likelihood)),
                opt(ok.then(|| f.aic())),
                opt(ok.then(|| f.bic())),
                opt(ok.then(|| f.aic() - best)),
                opt(ok.then(|| f.median()).flatten()),
                ok.to_string(),
                f.failure.clone().or_else(|| falling_note(f)).unwrap_or_default(),
                snippet.unwrap_or_default(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// A converged spline's warning: the share of draws from its uncertainty whose log
/// cumulative hazard falls, which a scenario's PSA refuses.
fn falling_note(f: &Fit) -> Option<String> {
    f.falling_draws.filter(|&share| share > 0.0).map(|share| {
        format!(
            "{}% of draws from the fit's uncertainty make the spline fall: a PSA of its snippet stops at such a sample (fewer knots, or a family without the constraint)",
            number(100.0 * share)
        )
    })
}

/// The unit of a parameter in the data's unit.
fn unit_of(quantity: Quantity, unit: &str) -> String {
    match quantity {
        Quantity::Number => String::new(),
        Quantity::Time => unit.to_string(),
        Quantity::Rate => per(unit),
        Quantity::LogTime => format!("log {unit}"),
        Quantity::Coefficient => String::new(),
        Quantity::HazardRatio => "hazard ratio".into(),
        Quantity::TimeRatio => "time ratio".into(),
    }
}

/// fit_parameters.csv: one row per group, family and parameter.
fn write_parameters<W: Write>(out: W, run: &FitRun) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "group",
        "family",
        "parameter",
        "estimate",
        "se",
        "unit",
        "estimation_scale",
        "estimation_estimate",
        "estimation_se",
    ])?;
    for g in run.groups {
        for f in &g.fits {
            // A failed fit's point is not an estimate (fits.csv's note gives it): empty cells.
            let ok = f.failure.is_none();
            let natural = f.model.natural(&f.theta);
            let (se, nse) = (f.standard_errors(), f.natural_standard_errors());
            for (i, p) in f.model.parameters().iter().enumerate() {
                let cell = |x: &Option<Vec<f64>>| {
                    x.as_ref().filter(|_| ok).map(|v| number(v[i])).unwrap_or_default()
                };
                w.write_record([
                    g.group.clone(),
                    f.family.name().to_string(),
                    p.name.to_string(),
                    if ok { number(natural[i]) } else { String::new() },
                    cell(&nse),
                    unit_of(p.quantity, run.unit),
                    (if p.log { "log" } else { "identity" }).to_string(),
                    if ok { number(f.theta[i]) } else { String::new() },
                    cell(&se),
                ])?;
            }
            // A spline's knots, placed on the data rather than estimated.
            for (i, k) in f.model.knots.iter().enumerate() {
                w.write_record([
                    g.group.clone(),
                    f.family.name().to_string(),
                    format!("knot{i}"),
                    number(*k),
                    String::new(),
                    format!("log {}", run.unit),
                    "fixed".to_string(),
                    number(*k),
                    String::new(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// fit_covariance.csv: each fit's covariance on the estimation scale, one row per pair of
/// parameters (every row and column of the matrix).
fn write_covariance<W: Write>(out: W, run: &FitRun) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["group", "family", "row", "column", "covariance"])?;
    for g in run.groups {
        for f in &g.fits {
            let Some(c) = f.covariance.as_ref().filter(|_| f.failure.is_none()) else { continue };
            let params = f.model.parameters();
            let k = params.len();
            for (i, a) in params.iter().enumerate() {
                for (j, b) in params.iter().enumerate() {
                    w.write_record([
                        g.group.clone(),
                        f.family.name().to_string(),
                        a.name.to_string(),
                        b.name.to_string(),
                        number(c[i * k + j]),
                    ])?;
                }
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// fit_times.csv: the Kaplan–Meier estimate's and every fit's survival and restricted mean at
/// each requested time.
fn write_times<W: Write>(out: W, run: &FitRun) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["group", "source", "time", "survival", "restricted_mean"])?;
    for g in run.groups {
        for &t in run.at {
            // The Kaplan–Meier estimate says nothing beyond the last observed time.
            let (s, m) = if t <= g.last_time {
                (number(g.km.survival_at(t)), number(g.km.restricted_mean(t)))
            } else {
                (String::new(), String::new())
            };
            w.write_record([g.group.clone(), "kaplan_meier".into(), number(t), s, m])?;
        }
        for f in g.fits.iter().filter(|f| f.failure.is_none()) {
            for &t in run.at {
                w.write_record([
                    g.group.clone(),
                    f.family.name().to_string(),
                    number(t),
                    number(f.survival(t)),
                    number(crate::fit::restricted_mean(|x| f.survival(x), t)),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// kaplan_meier.csv: each group's Kaplan–Meier steps.
fn write_km<W: Write>(out: W, run: &FitRun) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "group", "time", "at_risk", "events", "censored", "survival", "se", "lower", "upper",
    ])?;
    for g in run.groups {
        for s in &g.km.steps {
            w.write_record([
                g.group.clone(),
                number(s.time),
                number(s.at_risk),
                number(s.events),
                number(s.censored),
                number(s.survival),
                number(s.se),
                number(s.lower),
                number(s.upper),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// A fit's scenario snippet: its parameters as uncertain parameters jointly normal on the
/// estimation scale with the fit's covariance (a lognormal for a log-scale parameter, a normal
/// for another, joined by `[[correlations]]`: a Gaussian copula of those marginals is exactly
/// that multivariate normal), and the distribution that uses them, to paste where a
/// time-to-event goes.
fn snippet(run: &FitRun, g: &GroupFits, f: &Fit) -> String {
    let family = f.family;
    let params = f.model.parameters();
    let prefix = if run.groups.len() == 1 && g.group == "all" {
        format!("{}_{}", slug(run.name), family.name())
    } else {
        format!("{}_{}_{}", slug(run.name), slug(&g.group), family.name())
    };
    let base = family.parameters().len();
    let names: Vec<String> = params[..base]
        .iter()
        .map(|p| format!("{prefix}_{}", p.name.to_lowercase()))
        .chain(f.model.terms.iter().map(|t| {
            let kind = match family.effect() {
                Effect::ProportionalHazards => "hr",
                Effect::AcceleratedFailureTime => "tr",
            };
            format!("{prefix}_{kind}_{}_{}", name_part(&t.covariate), name_part(&t.level))
        }))
        .collect();
    let se = f.standard_errors().unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} fit to {} (group {}): {} observations, {} events, times in {}.",
        family.name(),
        run.data_file,
        g.group,
        f.observations,
        f.events,
        run.unit
    );
    let _ = writeln!(
        out,
        "# Maximum likelihood (vbpsim fit): log-likelihood {}, AIC {}, BIC {}.",
        number(f.log_likelihood),
        number(f.aic()),
        number(f.bic())
    );
    if let Some(note) = falling_note(f) {
        let _ = writeln!(out, "# WARNING: {note}.");
    }
    let _ = writeln!(
        out,
        "# The parameters are jointly normal on the estimation scale with the fit's covariance: a"
    );
    let _ = writeln!(
        out,
        "# lognormal (log scale) or normal marginal, joined by the correlation matrix below."
    );
    let _ = writeln!(out, "# The distribution, to use where a time-to-event goes:");
    let _ = writeln!(out, "#   {}", distribution(family, &f.model.knots, &names[..base], run.unit));
    if !f.model.terms.is_empty() {
        let mut references: Vec<String> =
            f.model.terms.iter().map(|t| format!("{} = {}", t.covariate, t.reference)).collect();
        references.dedup();
        let _ = writeln!(
            out,
            "# It is the distribution at the reference level of every covariate ({}).",
            references.join(", ")
        );
        for (t, name) in f.model.terms.iter().zip(&names[base..]) {
            let level = format!("{} = {{ \"{}\" = ", t.covariate, t.level);
            let _ = match family.effect() {
                Effect::ProportionalHazards => writeln!(
                    out,
                    "# {} = {} against {}: hazard ratio `{name}`, for a regimen's\n#   `prognosis = {{ {level}{{ EVENT = \"{name}\" }} }} }}` (EVENT the time-to-event fitted:\n#   progression, death_before_progression or after_progression) or a pathway transition's\n#   `prognosis = {{ {level}\"{name}\" }} }}`.",
                    t.covariate, t.level, t.reference
                ),
                Effect::AcceleratedFailureTime => writeln!(
                    out,
                    "# {} = {} against {}: time ratio `{name}`, for a pathway transition's\n#   `time_ratio = {{ {level}\"{name}\" }} }}` (a regimen's times take hazard ratios only).",
                    t.covariate, t.level, t.reference
                ),
            };
        }
    }
    let _ = writeln!(out, "\n[parameters]");
    for (i, p) in params.iter().enumerate() {
        let (x, s) = (f.theta[i], se.get(i).copied().unwrap_or(0.0));
        let value = match (p.log, p.quantity) {
            (true, Quantity::Number | Quantity::HazardRatio | Quantity::TimeRatio) => {
                format!(
                    "{{ dist = \"lognormal\", meanlog = {}, sdlog = {} }}",
                    number(x),
                    number(s)
                )
            }
            (true, Quantity::Time) => format!(
                "{{ dist = \"lognormal\", median = \"{} {}\", sdlog = {} }}",
                number(x.exp()),
                run.unit,
                number(s)
            ),
            (true, _) => format!(
                "{{ dist = \"lognormal\", median = \"{} {}\", sdlog = {} }}",
                number(x.exp()),
                per(run.unit),
                number(s)
            ),
            (false, Quantity::Rate) => format!(
                "{{ dist = \"normal\", mean = \"{} {}\", sd = \"{} {}\" }}",
                number(x),
                per(run.unit),
                number(s),
                per(run.unit)
            ),
            (false, _) => {
                format!("{{ dist = \"normal\", mean = {}, sd = {} }}", number(x), number(s))
            }
        };
        let _ = writeln!(out, "{} = {value}", names[i]);
    }
    let k = params.len();
    if let (true, Some(c)) = (k > 1, &f.covariance) {
        let _ = writeln!(out, "\n[[correlations]]");
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let _ = writeln!(out, "parameters = [{}]", quoted.join(", "));
        let rows: Vec<String> = (0..k)
            .map(|i| {
                let row: Vec<String> = (0..k)
                    .map(|j| {
                        if i == j {
                            "1".to_string()
                        } else {
                            number(c[i * k + j] / (c[i * k + i] * c[j * k + j]).sqrt())
                        }
                    })
                    .collect();
                format!("[{}]", row.join(", "))
            })
            .collect();
        let _ = writeln!(out, "matrix = [{}]", rows.join(", "));
    }
    out
}

/// The scenario distribution of a family with its parameters named (and a spline's knots).
fn distribution(family: Family, knots: &[f64], names: &[String], unit: &str) -> String {
    let quoted =
        |names: &[String]| names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    match family {
        Family::Exponential => format!("{{ dist = \"exponential\", rate = \"{}\" }}", names[0]),
        Family::Weibull => {
            format!("{{ dist = \"weibull\", shape = \"{}\", scale = \"{}\" }}", names[0], names[1])
        }
        Family::Gompertz => {
            format!("{{ dist = \"gompertz\", shape = \"{}\", rate = \"{}\" }}", names[0], names[1])
        }
        Family::LogLogistic => format!(
            "{{ dist = \"loglogistic\", shape = \"{}\", scale = \"{}\" }}",
            names[0], names[1]
        ),
        Family::LogNormal => format!(
            "{{ dist = \"lognormal\", meanlog = \"{}\", sdlog = \"{}\", unit = \"{unit}\" }}",
            names[0], names[1]
        ),
        Family::Gamma => {
            format!("{{ dist = \"gamma\", shape = \"{}\", rate = \"{}\" }}", names[0], names[1])
        }
        Family::GenGamma => format!(
            "{{ dist = \"gengamma\", mu = \"{}\", sigma = \"{}\", Q = \"{}\", unit = \"{unit}\" }}",
            names[0], names[1], names[2]
        ),
        Family::Spline(_) => format!(
            "{{ dist = \"spline\", knots = [{}], gamma = [{}], unit = \"{unit}\" }}",
            knots.iter().map(|k| number(*k)).collect::<Vec<_>>().join(", "),
            quoted(names)
        ),
    }
}

/// The data's colour in the plots: black (the palette's seventh), the fits taking the others.
const KM: usize = 6;

/// A family's colour, the same in every plot whichever fits converged: the parametric families
/// the palette's first eight but black, the splines (dashed) three of its darker ones, apart
/// from those.
fn colour_of(family: Family) -> usize {
    match family {
        Family::Exponential => 0,
        Family::Weibull => 1,
        Family::Gompertz => 2,
        Family::LogLogistic => 3,
        Family::LogNormal => 4,
        Family::Gamma => 5,
        Family::GenGamma => 7,
        Family::Spline(1) => 9,
        Family::Spline(2) => 11,
        Family::Spline(_) => 13,
    }
}

/// The survival plots (over the data, and extrapolated to the horizon) and the hazard plot of
/// one group.
fn write_plots(
    staging: &Staging,
    run: &FitRun,
    g: &GroupFits,
) -> Result<(), super::plots::PlotError> {
    let fits: Vec<&Fit> = g.fits.iter().filter(|f| f.failure.is_none()).collect();
    let km_series = |end: f64| {
        let mut steps = vec![(0.0, 1.0)];
        let (mut lower, mut upper) = (vec![(0.0, 1.0)], vec![(0.0, 1.0)]);
        let mut last = (1.0, 1.0, 1.0);
        for s in g.km.steps.iter().filter(|s| s.time <= end) {
            steps.push((s.time, last.0));
            steps.push((s.time, s.survival));
            lower.push((s.time, last.1));
            lower.push((s.time, s.lower));
            upper.push((s.time, last.2));
            upper.push((s.time, s.upper));
            last = (s.survival, s.lower, s.upper);
        }
        let tail = g.last_time.min(end);
        steps.push((tail, last.0));
        lower.push((tail, last.1));
        upper.push((tail, last.2));
        // Black, drawn after the fits (on top of them); the legend lists the limits once.
        vec![
            Series { name: "Kaplan–Meier".into(), points: steps, dashed: false, colour: KM },
            Series { name: "95 % limits".into(), points: lower, dashed: true, colour: KM },
            Series { name: "95 % limits".into(), points: upper, dashed: true, colour: KM },
        ]
    };
    let curves = |end: f64, value: &dyn Fn(&Fit, f64) -> f64| -> Vec<Series> {
        fits.iter()
            .map(|f| Series {
                name: f.family.name().into(),
                points: (1..=200)
                    .map(|k| end * k as f64 / 200.0)
                    .map(|t| (t, value(f, t)))
                    .filter(|(_, y)| y.is_finite())
                    .collect(),
                dashed: matches!(f.family, Family::Spline(_)),
                colour: colour_of(f.family),
            })
            .collect()
    };
    let survival = |f: &Fit, t: f64| f.survival(t);
    let label = if run.groups.len() == 1 && g.group == "all" {
        String::new()
    } else {
        format!(" (group {})", g.group)
    };
    let unit = run.unit;
    for (what, end, title) in [
        ("survival", g.last_time, format!("Kaplan–Meier and fitted survival{label}")),
        ("extrapolation", run.horizon, format!("Fitted survival extrapolated{label}")),
    ] {
        let mut series = curves(end, &survival);
        series.extend(km_series(end));
        let plot = Plot {
            title,
            x_label: unit.to_string(),
            y_label: "survival".into(),
            chart: Chart::Lines { series, y_range: Some((0.0, 1.02)) },
        };
        write(&staging.dir, &stem(run, what, &g.group), &plot)?;
    }
    // Hazards: the smoothed empirical one within the data (a bandwidth in from either end),
    // every fit's to the horizon, left out above three times the empirical one's largest
    // value (the line stops at the plot's top rather than running along it).
    let b = crate::fit::hazard::bandwidth(&g.km);
    let inner: Vec<(f64, f64)> = (0..=200)
        .map(|k| b + (g.last_time - 2.0 * b) * k as f64 / 200.0)
        .filter(|t| *t > 0.0)
        .map(|t| (t, crate::fit::hazard::smoothed(&g.km, b, t)))
        .collect();
    let top = 3.0 * inner.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-12);
    let hazard = |f: &Fit, t: f64| {
        let h = f.hazard(t);
        if h <= top { h } else { f64::NAN }
    };
    let mut series = curves(run.horizon, &hazard);
    series.push(Series { name: "smoothed data".into(), points: inner, dashed: true, colour: KM });
    let plot = Plot {
        title: format!("Hazard: smoothed data and fits{label}"),
        x_label: unit.to_string(),
        y_label: format!("hazard ({})", per(unit)),
        chart: Chart::Lines { series, y_range: Some((0.0, top * 1.02)) },
    };
    write(&staging.dir, &stem(run, "hazard", &g.group), &plot)
}

/// Write reconstructed observations as the data file `fit` reads (`time,event`, with `entry`
/// when some patient enters late), to a temporary file beside `path` moved into place, so that
/// a failed write leaves no half-written file.
pub fn write_data_file(
    path: &std::path::Path,
    observations: &[crate::fit::km::Observation],
) -> std::io::Result<()> {
    let delayed = observations.iter().any(|o| o.entry > 0.0);
    let mut text = String::from(if delayed { "time,event,entry\n" } else { "time,event\n" });
    for o in observations {
        let _ = write!(text, "{},{}", number(o.time), u8::from(o.event));
        if delayed {
            let _ = write!(text, ",{}", number(o.entry));
        }
        text.push('\n');
    }
    // The file's folder is made if missing, as an output folder's parents are.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.vbpsim-{}", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}
