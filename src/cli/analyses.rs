//! `price`, `sensitivity` and `compare`: the analyses that re-simulate a scenario's base
//! case (threshold prices, one-way, threshold and two-way sensitivity) or several scenarios on
//! one seed.

use super::args::{Overrides, Sizes, Writing};
use super::common::{check_space, guard, load, note_displaced, simulate_with_progress, sizes_of};
use super::failure::{Failure, check_target, run_failure};
use super::progress::Progress;
use std::path::{Path, PathBuf};
use vbpsim::analysis::contracts::ThresholdPrice;
use vbpsim::output::folder::{Kind, Target};
use vbpsim::output::tables::grouped;
use vbpsim::scenario::Scenario;
use vbpsim::workflow::RunOptions;
use vbpsim::workflow::compare::Comparison;
use vbpsim::workflow::disk::Writes;
use vbpsim::workflow::guard::Workload;
use vbpsim::workflow::sensitivity::{Plan, PlanError, Runner};

/// `vbpsim price`: print the threshold (value-based) list price of each contract at each
/// threshold; without contracts, of each drug of each strategy (its price in every regimen
/// moved together, the other drugs at list).
pub fn price(loaded: Result<Scenario, Failure>, sizes: &Sizes) -> Result<(), Failure> {
    let s = loaded?;
    let m = &s.model;
    // Threshold prices are the base case's: PSA samples would be simulated for nothing.
    if sizes.samples.is_some_and(|n| n > 0) {
        return Err(Failure::input(
            "error: --samples: price computes the threshold prices of the base case, which has no PSA samples\n  = help: leave --samples out; `vbpsim run --samples N` gives each arm's probability of cost-effectiveness".to_string(),
        ));
    }
    let mut options = sizes.options();
    options.samples = Some(0);
    let (patients, samples) = sizes_of(&s, &options);
    let work = Workload::new(m, patients, 1 + samples, samples);
    guard(&s, "this run", work, options.threads, sizes.allow_large)?;
    let sim = simulate_with_progress(&s, &options, false)?;
    let currency = &m.meta.currency;
    outln!(
        "threshold (value-based) list price per cycle ({currency}) at each willingness to pay ({currency}/QALY), base case:"
    )?;
    // Each threshold's price, with the discount from list it implies.
    let at = |list: f64, prices: &[ThresholdPrice]| -> String {
        let described = m.meta.thresholds.iter().zip(prices).map(|(l, &p)| {
            let discount = p.price().filter(|_| list > 0.0).map(|p| 1.0 - p / list);
            price_at(*l, p, discount)
        });
        described.collect::<Vec<_>>().join("; ")
    };
    if m.contracts.is_empty() {
        outln!("  (no contracts: each drug priced with every other at list)")?;
        let rows = vbpsim::analysis::partners::drug_prices(m, &sim.arms, &sim.summary);
        for row in rows {
            let regimens: Vec<&str> = (m.regimens.iter())
                .filter(|r| r.drugs.iter().any(|d| d.drug == row.drug))
                .map(|r| r.name.as_str())
                .collect();
            let prices = match row.list_price {
                Some(list) => format!("list {} {currency}): {}", grouped(list, 2), at(list, &row.at)),
                None => "several list prices): none (name a contract with `regimens` to price one of them)".to_string(),
            };
            outln!(
                "  {} ({} in {}; {prices}",
                m.strategies[row.strategy].name,
                m.drugs[row.drug],
                regimens.join(", "),
            )?;
        }
        return Ok(());
    }
    // The headline's value-based prices: each contract row's list price and its prices.
    for (row, value) in sim.contracts.iter().zip(&sim.headline.prices) {
        let r = &sim.summary[row.arm];
        let c = &m.contracts[row.contract];
        let prices: Vec<ThresholdPrice> = value.at.iter().map(|(p, _)| *p).collect();
        // The regimens whose price the threshold price is (the contract's coverage).
        let covered: Vec<&str> = c.regimens.iter().map(|&g| m.regimens[g].name.as_str()).collect();
        outln!(
            "  {}/{} ({} on {} in {}; list {} {currency}): {}",
            m.strategies[r.strategy].name,
            c.name,
            c.kind.name(),
            m.drugs[c.drug],
            covered.join(", "),
            grouped(value.list, 2),
            at(value.list, &prices)
        )?;
    }
    Ok(())
}

/// One threshold's price in words, with the discount from list it implies.
fn price_at(lambda: f64, p: ThresholdPrice, discount: Option<f64>) -> String {
    let l = grouped(lambda, 0);
    match p {
        ThresholdPrice::At(p) => {
            let vs = discount.map_or(String::new(), |d| {
                let side = if d >= 0.0 { "below" } else { "above" };
                format!(" ({} % {side} list)", grouped(100.0 * d.abs(), 0))
            });
            format!("at {l}: {}{vs}", grouped(p, 2))
        }
        ThresholdPrice::NotEvenFree => format!("at {l}: none (not cost-effective even free)"),
        ThresholdPrice::AnyPrice => {
            format!("at {l}: none (cost-effective at any price: the cost stops rising with it)")
        }
        ThresholdPrice::CostDoesNotRise => {
            format!("at {l}: none (the incremental cost does not rise with the price)")
        }
        ThresholdPrice::NotSearched => format!("at {l}: not computed"),
    }
}

/// `vbpsim design`: every candidate of the scenario's contract designs on the same patients,
/// and its folder.
pub fn design(
    loaded: Result<Scenario, Failure>,
    out: Option<PathBuf>,
    sizes: &Sizes,
    writing: &Writing,
) -> Result<(), Failure> {
    use vbpsim::workflow::design::{DesignRunError, run_designs};
    let (force, quiet) = (writing.force, writing.quiet);
    let s = loaded?;
    let m = &s.model;
    if m.designs.is_empty() {
        let e = DesignRunError::NoDesigns;
        return Err(Failure::refused(&e, e.help()));
    }
    let options = sizes.options();
    let target = Target::new(
        out.unwrap_or_else(|| Path::new("output").join(format!("{}-design", m.meta.name))),
        force,
        Kind::Design,
    );
    let (patients, samples) = sizes_of(&s, &options);
    // Each candidate settled one by one costs about a contract arm's settlement, about a
    // thirtieth of a patient's trajectory.
    let points: u64 = m.designs.iter().map(|d| d.points() as u64).sum();
    let work = Workload::new(m, patients, (1 + samples) * (1 + points / 30), 0);
    guard(&s, "this design search", work, options.threads, sizes.allow_large)?;
    let _lock = check_target(&target)?;
    check_space(&s, "this design search", &target, Writes::default())?;
    let mut progress =
        Progress::new(quiet, "{spinner} design [{bar:40}] {pos}/{len} patients, ETA {eta}");
    let failed = |e: DesignRunError| match e {
        DesignRunError::Run(e) => run_failure(e),
        other => Failure::refused(&other, other.help()),
    };
    let result = run_designs(&s, &options, &mut |d, t| progress.update(d, t)).map_err(failed)?;
    progress.finish();
    let displaced = target.displaces().then(|| target.aside());
    let provenance = vbpsim::workflow::run::provenance(&s);
    let dir = vbpsim::output::design_folder::write_folder(&target, m, &result, &provenance)
        .map_err(|e| run_failure(e.into()))?;
    note_displaced(&target, displaced);
    if !quiet {
        let frontier = result.candidates.iter().filter(|c| c.frontier[0]).count();
        say!(
            "settled {} candidate contract{} of {} design{} on {} patients × {} strategies{} in {:.2} s; {} on the frontier at {} {}/QALY; wrote {}",
            result.candidates.len(),
            if result.candidates.len() == 1 { "" } else { "s" },
            m.designs.len(),
            if m.designs.len() == 1 { "" } else { "s" },
            result.patients,
            m.strategies.len(),
            if result.samples > 0 {
                format!(" and {} PSA samples", result.samples)
            } else {
                String::new()
            },
            result.wall_seconds,
            frontier,
            grouped(m.meta.thresholds[0], 0),
            m.meta.currency,
            dir.display()
        );
    }
    Ok(())
}

/// What `vbpsim sensitivity` is asked for besides the scenario and its sizes.
pub struct Request {
    /// `--arm`: STRATEGY or STRATEGY/CONTRACT.
    pub arm: Option<String>,
    /// `--threshold`: one of the scenario's.
    pub threshold: Option<f64>,
    /// `--two-way A,B` and `--steps`.
    pub two_way: Option<(String, usize)>,
    pub allow_large: bool,
}

/// `vbpsim sensitivity`: one-way, threshold and (with `--two-way`) two-way sensitivity of the
/// base case on the same patients, and its folder.
pub fn sensitivity(
    loaded: Result<Scenario, Failure>,
    out: Option<PathBuf>,
    options: &RunOptions,
    request: Request,
    writing: &Writing,
) -> Result<(), Failure> {
    let (force, quiet) = (writing.force, writing.quiet);
    let s = loaded?;
    let m = &s.model;
    let two_way = request.two_way.as_ref().map(|(names, steps)| (names.as_str(), *steps));
    let refused = |e: PlanError| Failure::refused(&e, e.help().as_deref());
    let plan = Plan::new(&s, request.threshold, two_way).map_err(refused)?;
    let target = Target::new(
        out.unwrap_or_else(|| Path::new("output").join(format!("{}-sensitivity", m.meta.name))),
        force,
        Kind::Sensitivity,
    );
    let (patients, _) = sizes_of(&s, options);
    let work = Workload::new(m, patients, plan.simulations(), 0);
    guard(&s, "this sensitivity analysis", work, options.threads, request.allow_large)?;
    let _lock = check_target(&target)?;
    check_space(&s, "this sensitivity analysis", &target, Writes::default())?;
    let arm = plan.arm(m, request.arm.as_deref()).map_err(refused)?;
    let mut progress =
        Progress::new(quiet, "{spinner} sensitivity [{bar:40}] {pos}/{len} simulations, ETA {eta}");
    let started = std::time::Instant::now();
    let runner = Runner::new(m, options).map_err(run_failure)?;
    let result = plan.run(&runner, arm, &mut |d, t| progress.update(d, t)).map_err(run_failure)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let displaced = target.displaces().then(|| target.aside());
    let dir =
        vbpsim::workflow::sensitivity::write_outputs(&s, &result, &target).map_err(run_failure)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        let one_way = &result.one_way;
        let varied = one_way.rows.len();
        let grid = plan.two_way.as_ref().map_or(0, |(_, steps)| steps * steps);
        say!(
            "varied {varied} parameter{} one way{} ({} simulations of {} patients × {} strategies) in {seconds:.2} s; wrote {}",
            if varied == 1 { "" } else { "s" },
            plan.two_way.as_ref().map_or(String::new(), |(_, steps)| format!(
                " and two of them over a {steps} × {steps} grid"
            )),
            1 + 2 * varied + grid,
            one_way.patients,
            m.strategies.len(),
            dir.display()
        );
        let fixed: Vec<&str> = (m.parameters.iter().enumerate())
            .filter(|(i, _)| !plan.ranges.iter().any(|r| r.parameter == *i))
            .map(|(_, p)| p.name.as_str())
            .collect();
        if !fixed.is_empty() {
            say!("{}", not_varied(&fixed));
        }
    }
    Ok(())
}

/// The parameters a one-way analysis leaves at their point values (neither a `range` nor a
/// distribution), the first eight by name.
fn not_varied(fixed: &[&str]) -> String {
    let shown = fixed.iter().take(8).copied().collect::<Vec<_>>().join(", ");
    let more = fixed.len().saturating_sub(8);
    format!(
        "  not varied (no range and no distribution): {shown}{}",
        if more > 0 { format!(" and {more} more") } else { String::new() }
    )
}

/// `vbpsim compare`: simulate every scenario on one seed and at one set of thresholds, and
/// write the comparison folder.
pub fn compare(
    paths: &[PathBuf],
    out: Option<PathBuf>,
    thresholds: Vec<f64>,
    sizes: &Sizes,
    overrides: &Overrides,
    writing: &Writing,
) -> Result<(), Failure> {
    let (force, quiet) = (writing.force, writing.quiet);
    // Every scenario is checked before any is simulated; all their errors are shown at once.
    let mut scenarios = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for p in paths {
        match load(Some(p), overrides) {
            Ok(s) => scenarios.push(s),
            Err(f) => errors.push(f.message),
        }
    }
    if !errors.is_empty() {
        return Err(Failure::input(errors.join("\n\n")));
    }
    let thresholds = vbpsim::workflow::compare::check(&scenarios, thresholds)
        .map_err(|e| Failure::refused(&e, e.help()))?;
    let out = out.unwrap_or_else(|| Path::new("output").join("compare"));
    let target = Target::new(out, force, Kind::Comparison);
    let options = sizes.options();
    let mut work = Workload::new(&scenarios[0].model, 0, 0, 0);
    for s in &scenarios {
        let (patients, samples) = sizes_of(s, &options);
        work = work.and(Workload::new(&s.model, patients, 1 + samples, samples));
    }
    guard(&scenarios[0], "this comparison", work, options.threads, sizes.allow_large)?;
    let _lock = check_target(&target)?;
    check_space(&scenarios[0], "this comparison", &target, Writes::default())?;
    let mut progress =
        Progress::new(quiet, "{spinner} comparing [{bar:40}] {pos}/{len} scenarios, ETA {eta}");
    let failed = run_failure;
    let comparison =
        vbpsim::workflow::compare::run(scenarios, thresholds, &options, &mut |d, t| {
            progress.update(d, t)
        })
        .map_err(failed)?;
    progress.finish();
    let displaced = target.displaces().then(|| target.aside());
    let (dir, drawn) =
        vbpsim::workflow::compare::write_outputs(&comparison, &target).map_err(failed)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        say!(
            "compared {} scenarios on seed {}; wrote {}",
            comparison.entries.len(),
            comparison.seed,
            dir.display()
        );
        if !drawn {
            say!(
                "note: no arm (strategy/contract) is common to every scenario, so comparison.png is not drawn; comparison.csv has every arm"
            );
        }
        print_comparison(&comparison);
    }
    Ok(())
}

/// Each scenario's arms against its comparator at the first threshold, on the console.
fn print_comparison(comparison: &Comparison) {
    let lambda = comparison.thresholds[0];
    for e in &comparison.entries {
        let m = &e.scenario.model;
        let arms = e.sim.summary.iter().enumerate();
        for (_, a) in arms.filter(|&(i, a)| a.reference != i) {
            let arm = m.arm_name(a.strategy, a.contract);
            let icer = a.icer.map_or(a.icer_status.as_str().to_string(), |x| {
                format!("ICER {x:.0} {}/QALY", m.meta.currency)
            });
            say!(
                "  {:<24} {:<32} inc. cost {:>11.0}  inc. QALY {:>7.4}  inc. NMB at {lambda} {:>11.0}  {}",
                e.label,
                arm,
                a.inc_cost.mean,
                a.inc_qaly.mean,
                a.inc_nmb[0].mean,
                icer
            );
        }
    }
}

/// `vbpsim fit`: the fits, then per group each family's AIC, BIC and median, best AIC first.
pub fn fit(
    request: &vbpsim::workflow::fit::FitRequest,
    out: Option<PathBuf>,
    writing: &Writing,
) -> Result<(), Failure> {
    use vbpsim::workflow::fit::{FitError, default_name, run_fit};
    let name = default_name(&request.data);
    let target = Target::new(
        out.unwrap_or_else(|| Path::new("output").join(format!("{name}-fit"))),
        writing.force,
        Kind::Fit,
    );
    let _lock = check_target(&target)?;
    let displaced = target.displaces().then(|| target.aside());
    let (dir, groups) = run_fit(request, &target).map_err(|e| match e {
        FitError::Output(o) => run_failure(vbpsim::workflow::RunError::Output(o)),
        other => Failure::refused(&other, None),
    })?;
    note_displaced(&target, displaced);
    if writing.quiet {
        return Ok(());
    }
    for g in &groups {
        let first = &g.fits[0];
        say!(
            "{} ({} observations, {} events, {}):",
            g.group,
            first.observations,
            first.events,
            request.unit
        );
        // Converged fits by AIC, then the others.
        let mut order: Vec<&vbpsim::fit::mle::Fit> = g.fits.iter().collect();
        order.sort_by(|a, b| {
            let key = |f: &vbpsim::fit::mle::Fit| (f.failure.is_some(), f.aic());
            key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal)
        });
        for f in order {
            match &f.failure {
                None => say!(
                    "  {:<12} AIC {:>12.2}  BIC {:>12.2}  median {}",
                    f.family.name(),
                    f.aic(),
                    f.bic(),
                    f.median().map_or("none".into(), |m| format!("{m:.4}"))
                ),
                Some(why) => say!("  {:<12} not converged: {why}", f.family.name()),
            }
        }
    }
    say!("wrote {}", dir.display());
    Ok(())
}

/// `vbpsim reconstruct`: the data file, then how many patients and events it holds.
pub fn reconstruct(
    (curve, at_risk): (&Path, &Path),
    events: Option<u64>,
    (out, force): (&Path, bool),
    quiet: bool,
) -> Result<(), Failure> {
    let observations =
        vbpsim::workflow::fit::reconstruct_file(curve, at_risk, events, (out, force)).map_err(
            |e| match e {
                vbpsim::workflow::fit::ReconstructError::Write { .. } => {
                    Failure::other(format!("error: {e}"))
                }
                other => Failure::refused(&other, None),
            },
        )?;
    if !quiet {
        let d = observations.iter().filter(|o| o.event).count();
        say!(
            "rebuilt {} patients ({d} events, {} censored) from {}; wrote {}",
            observations.len(),
            observations.len() - d,
            curve.display(),
            out.display()
        );
    }
    Ok(())
}
