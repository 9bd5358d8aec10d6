//! `vbpsim design` against independent computations: runs of the same contracts on the same
//! patients (the candidates are corrections settled beside the arms, the runs are contract
//! arms of their own), the closed form of a share and a price the payer's cost is linear in,
//! the brute-force Pareto set, the PSA's samples, and bad input.

use crate::support::{expect, fixture, load, run, vbpsim};
use vbpsim::analysis::design::Candidate;
use vbpsim::scenario::Scenario;
use vbpsim::workflow::RunOptions;
use vbpsim::workflow::design::run_designs;
use vbpsim::workflow::run::Simulation;

fn options(patients: u64, samples: u64) -> RunOptions {
    RunOptions { patients: Some(patients), samples: Some(samples), ..RunOptions::default() }
}

fn designs(s: &Scenario, o: &RunOptions) -> Vec<Candidate> {
    run_designs(s, o, &mut |_, _| {}).unwrap_or_else(|e| panic!("{e}")).candidates
}

/// The run's (incremental NMB per threshold, manufacturer revenue, incremental cost) of
/// strategy `targeted` under contract `name`, with their standard errors.
fn arm(s: &Scenario, sim: &Simulation, name: &str) -> (Vec<(f64, f64)>, f64, (f64, f64)) {
    let c = s.model.contracts.iter().position(|c| c.name == name).unwrap();
    let row = sim.contracts.iter().find(|r| r.contract == c).unwrap();
    let a = &sim.summary[row.arm];
    let nmb = a.inc_nmb.iter().map(|e| (e.mean, e.mcse.unwrap())).collect();
    (nmb, row.manufacturer_net_revenue, (a.inc_cost.mean, a.inc_cost.mcse.unwrap()))
}

fn close(a: f64, b: f64, scale: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * scale, "{what}: {a} vs {b}");
}

/// A scenario layer over `design/base.toml` (written to a temporary folder), loaded with
/// `sets`; the folder lives as long as the returned guard.
fn layer(text: &str, sets: &[String]) -> (tempfile::TempDir, Scenario) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.toml");
    let base = fixture("design/base.toml");
    let text = format!("extends = {:?}\n{text}", base.display().to_string());
    std::fs::write(&path, text).unwrap();
    let s = vbpsim::scenario::load_with(Some(&path), sets).unwrap_or_else(|e| panic!("{e}"));
    (dir, s)
}

/// `[[designs]]` entries with the templates' own terms, one per contract.
fn templates(contracts: &[&str]) -> String {
    contracts
        .iter()
        .map(|c| format!("[[designs]]\nname = \"t_{c}\"\ncontract = \"{c}\"\n"))
        .collect()
}

#[test]
fn a_design_of_the_templates_own_terms_is_the_runs_contract_arm() {
    // Every template as its own single candidate: the same figures as the run's contract arms
    // (different sums of the same patients' cash: equal to rounding).
    let names = ["d0", "d1", "m0", "m1"];
    let (_dir, s) = layer(&format!("{BUDGET}{}", templates(&names)), &[]);
    let o = options(3000, 0);
    let sim = run(&s, &o);
    let found = designs(&s, &o);
    assert_eq!(found.len(), 4);
    for (c, name) in found.iter().zip(names) {
        let (nmb, revenue, cost) = arm(&s, &sim, name);
        let scale = cost.0.abs() + revenue.abs() + 1.0;
        close(c.inc_cost.mean, cost.0, scale, name);
        close(c.inc_cost.mcse.unwrap(), cost.1, scale, name);
        close(c.manufacturer.mean, revenue, scale, name);
        for (k, (m, se)) in nmb.iter().enumerate() {
            close(c.inc_nmb[k].mean, *m, scale, name);
            close(c.inc_nmb[k].mcse.unwrap(), *se, scale, name);
        }
        let budget = net_budget_impact(&s, &sim, name);
        close(c.budget_impact.unwrap(), budget, budget.abs(), name);
    }
}

/// A budget impact over three years for the targeted strategy.
const BUDGET: &str = "[budget_impact]\nstrategy = \"targeted\"\nyears = 3\nincident = 400\nuptake = [0.3, 0.5, 0.6]\n";

/// The run's net budget impact over the budget's years with the new strategy under contract
/// `name` (budget_impact.csv's total rows).
fn net_budget_impact(s: &Scenario, sim: &Simulation, name: &str) -> f64 {
    let c = s.model.contracts.iter().position(|c| c.name == name).unwrap();
    let rows = sim.budget.iter().filter(|r| r.contract == Some(c) && r.category.is_none());
    rows.map(|r| r.net()).sum()
}

fn term(c: &Candidate, key: &str) -> f64 {
    c.terms.iter().find(|t| t.0 == key).unwrap_or_else(|| panic!("no {key}")).1
}

#[test]
fn shares_and_prices_follow_the_closed_form_and_the_frontier_is_the_pareto_set() {
    // The payer's incremental NMB of a discount or an uncapped money-back guarantee at share
    // s and price P is A − P·B + P·s·C, and the manufacturer's revenue P·(α − s·β): the
    // coefficients come from runs of the templates at s = 0 and 1 and at two prices, each a
    // contract arm of its own.
    let o = options(3000, 0);
    let (p0, p1) = (6000.0, 2000.0);
    let base = load("design/base.toml", &[]);
    let at_p0 = run(&base, &o);
    let cheap = load("design/base.toml", &["parameters.x_price={value=2000}".into()]);
    let at_p1 = run(&cheap, &o);
    let grid = load("design/grid.toml", &[]);
    let found = designs(&grid, &o);
    assert_eq!(found.len(), 18);
    let thresholds = grid.model.meta.thresholds.len();
    // Per candidate and threshold: the closed form's (NMB, revenue).
    let mut predicted = vec![Vec::new(); thresholds];
    for c in &found {
        let design = &grid.model.designs[c.design];
        let (zero, one, share) = match design.name.as_str() {
            "disc" => ("d0", "d1", term(c, "discount")),
            _ => ("m0", "m1", term(c, "refund")),
        };
        let price = term(c, "price");
        let (n00, r00, _) = arm(&base, &at_p0, zero);
        let (n01, r01, _) = arm(&base, &at_p0, one);
        let (n10, r10, _) = arm(&cheap, &at_p1, zero);
        let (alpha, beta) = (r00 / p0, (r00 - r01) / p0);
        // The revenue is linear in the price through zero (no administration of its own).
        close(r10, p1 * alpha, r00, "revenue at the second price");
        let revenue = price * (alpha - share * beta);
        close(c.manufacturer.mean, revenue, r00, "revenue");
        for k in 0..thresholds {
            let b = (n10[k].0 - n00[k].0) / (p0 - p1);
            let a = n00[k].0 + p0 * b;
            let cc = (n01[k].0 - n00[k].0) / p0;
            let nmb = a - price * b + price * share * cc;
            close(c.inc_nmb[k].mean, nmb, a.abs() + p0 * b.abs(), "incremental NMB");
            predicted[k].push((nmb, revenue));
        }
    }
    // The frontier: cost-effective, and no other cost-effective candidate at least as good for
    // both sides and better for one (by brute force over pairs).
    for (k, points) in predicted.iter().enumerate() {
        let ce = |i: usize| points[i].0 >= 0.0;
        let mut on = 0;
        let mut off = 0;
        for i in 0..points.len() {
            let (n, r) = points[i];
            let dominated = (0..points.len()).any(|j| {
                let (nj, rj) = points[j];
                j != i && ce(j) && nj >= n && rj >= r && (nj > n || rj > r)
            });
            let frontier = ce(i) && !dominated;
            assert_eq!(found[i].frontier[k], frontier, "candidate {i} at threshold {k}");
            on += usize::from(frontier);
            off += usize::from(ce(i) && !frontier);
            // No near-tie that rounding could turn either way.
            for j in (0..points.len()).filter(|&j| j != i) {
                let gap = (points[j].0 - n).abs().max((points[j].1 - r).abs());
                assert!(gap > 1e-3, "candidates {i} and {j} nearly tie");
            }
        }
        assert!(on >= 2 && off >= 1, "threshold {k}: {on} on the frontier, {off} off it");
    }
}

#[test]
fn the_probability_of_cost_effectiveness_counts_the_runs_samples() {
    // The same PSA samples (drawn values, patients) as a run: a candidate is cost-effective in
    // a sample where its incremental NMB against the comparator is ≥ 0, as computed from the
    // run's per-sample arm means.
    let names = ["m1", "d0"];
    let (_dir, s) = layer(&templates(&names), &[]);
    let o = options(600, 24);
    let sim = run(&s, &o);
    let found = designs(&s, &o);
    let comparator = sim.summary.iter().position(|a| a.strategy == 0 && a.contract.is_none());
    let r = comparator.unwrap();
    let mut between = 0;
    for (c, name) in found.iter().zip(names) {
        let contract = s.model.contracts.iter().position(|k| k.name == name).unwrap();
        let a = sim.summary.iter().position(|x| x.contract == Some(contract)).unwrap();
        for (k, &lambda) in s.model.meta.thresholds.iter().enumerate() {
            let yes = sim.psa.iter().filter(|p| {
                let (x, y) = (&p.arms[a], &p.arms[r]);
                lambda * (x.qaly.mean - y.qaly.mean) - (x.cost.mean - y.cost.mean) >= 0.0
            });
            let share = yes.count() as f64 / sim.psa.len() as f64;
            assert_eq!(c.prob_cost_effective[k], share, "{name} at {lambda}");
            between += usize::from(share > 0.0 && share < 1.0);
        }
    }
    assert!(between > 0, "every probability is 0 or 1: the test would not tell");
}

#[test]
fn the_manufacturers_administration_is_charged_per_treated_patient() {
    // Treatment starts at diagnosis here: d(0) = 1, so the administration lowers the revenue
    // per patient by exactly its amount times the share of patients treated.
    let text = format!("{}manufacturer_admin = 175\n", templates(&["m1"]));
    let (_dir, s) = layer(&text, &[]);
    let o = options(2000, 0);
    let sim = run(&s, &o);
    let c = &designs(&s, &o)[0];
    let contract = s.model.contracts.iter().position(|k| k.name == "m1").unwrap();
    let row = sim.contracts.iter().find(|r| r.contract == contract).unwrap();
    assert!(row.treated_share > 0.2, "{}", row.treated_share);
    let expected = row.manufacturer_net_revenue - 175.0 * row.treated_share;
    close(c.manufacturer.mean, expected, row.manufacturer_net_revenue, "revenue net of admin");
}

#[test]
fn a_capped_guarantee_is_settled_candidate_by_candidate_as_a_run_settles_it() {
    // A cap in money makes the cost non-linear in the refund and the price: each candidate
    // must equal the run of a contract with its cap at its price.
    let contract = |cap: u32| {
        format!(
            "[[contracts]]\nname = \"cap{cap}\"\ndrug = \"x\"\nkind = \"money_back\"\nfailure = \"progression_or_death\"\nwindow = \"4 months\"\nrefund = 0.8\ncap = {cap}\n"
        )
    };
    let text = format!(
        "{BUDGET}{}{}[[designs]]\nname = \"capped\"\ncontract = \"cap3000\"\ncap = [3000, 9000]\nprice = [6000, 2000]\n",
        contract(3000),
        contract(9000)
    );
    let (_dir, s) = layer(&text, &[]);
    let o = options(2500, 0);
    let found = designs(&s, &o);
    assert_eq!(found.len(), 4);
    for price in [6000.0, 2000.0] {
        let set = format!("parameters.x_price={{value={price}}}");
        let (_d, at) = layer(&text, &[set]);
        let sim = run(&at, &o);
        for cap in [3000.0, 9000.0] {
            let c =
                found.iter().find(|c| term(c, "cap") == cap && term(c, "price") == price).unwrap();
            let (nmb, revenue, cost) = arm(&at, &sim, &format!("cap{cap}"));
            let scale = cost.0.abs() + revenue.abs() + 1.0;
            close(c.inc_cost.mean, cost.0, scale, "capped cost");
            close(c.manufacturer.mean, revenue, scale, "capped revenue");
            close(c.inc_nmb[0].mean, nmb[0].0, scale, "capped NMB");
            let budget = net_budget_impact(&at, &sim, &format!("cap{cap}"));
            close(c.budget_impact.unwrap(), budget, budget.abs(), "capped budget impact");
        }
    }
}

#[test]
fn design_folders_are_the_same_for_any_thread_count_and_list_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("design/grid.toml");
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let args = ["design", scenario.to_str().unwrap(), "--patients", "1500", "--samples", "6"];
        let mut cmd = vbpsim();
        cmd.args(args).args(["--threads", threads, "--quiet", "--out"]).arg(&out);
        expect(&mut cmd, 0);
        outputs.push(std::fs::read(out.join("design.csv")).unwrap());
        let mut files = crate::support::listing(&out);
        files.retain(|f| f != "run.json");
        assert_eq!(
            files,
            ["design.csv", "design_frontier.png", "design_frontier.svg", "report.html"]
        );
        // The page says the decision in words at each threshold, and shows the frontier.
        let page = std::fs::read_to_string(out.join("report.html")).unwrap();
        for l in ["100,000", "200,000"] {
            assert!(page.contains(&format!("At {l} USD/QALY, ")), "{l}");
            assert!(page.contains(&format!("The frontier at {l} USD/QALY")), "{l}");
        }
        assert!(page.contains("Best for the payer: ") && page.contains("<svg"));
    }
    assert_eq!(outputs[0], outputs[1], "design.csv differs between 1 and 2 threads");
}

#[test]
fn bad_designs_are_refused_with_their_place_and_exit_2() {
    let cases: &[(&str, &str)] = &[
        (
            "[[designs]]\nname = \"a\"\ncontract = \"d0\"\nwindow = \"3 months\"\n",
            "designs[0].window: `window` is not a term of a discount contract",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"d0\"\ndiscount = []\n",
            "designs[0].discount: expected at least one value, found an empty array",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"d0\"\nprice = { from = 3000, to = 2000, step = 100 }\n",
            "designs[0].price.to: expected `to` at least `from` (3000), found 2000",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"m0\"\nwindow = { from = \"1 month\", to = \"9 months\", step = \"1 day\" }\ncap = { from = 0, to = 100, step = 1 }\n",
            "designs[0]: expected at most 10000 candidates settled one by one",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"m0\"\nwindow = \"12 years\"\n",
            "designs[0].window: expected dates before the horizon (10 years)",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"nope\"\n",
            "designs[0].contract: undefined contract `nope`",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"m0\"\nrefund = [0.5, 0.5]\n",
            "designs[0].refund: expected distinct values",
        ),
        (
            "[[designs]]\nname = \"a\"\ncontract = \"d0\"\nfrom = [\"2 months\"]\nuntil = [\"1 month\", \"6 months\"]\n",
            "designs[0]: expected every `until` after every `from` (the discount window would be empty)",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let base = fixture("design/base.toml");
    for (i, (entry, message)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, format!("extends = {:?}\n{entry}", base.display().to_string()))
            .unwrap();
        let out = dir.path().join(format!("out{i}"));
        let mut cmd = vbpsim();
        cmd.arg("design").arg(&path).arg("--out").arg(&out);
        let stderr = crate::support::text_of(&expect(&mut cmd, 2).stderr);
        assert!(stderr.contains(&format!("bad{i}.toml:")), "no file and line:\n{stderr}");
        assert!(stderr.contains(message), "expected {message:?}:\n{stderr}");
        assert!(!out.exists(), "a refused design wrote {}", out.display());
    }
    // A template also settled on the comparator: refused when the design starts, naming it.
    let path = dir.path().join("comparator.toml");
    let text = "[[contracts]]\nname = \"cy\"\ndrug = \"y\"\nkind = \"discount\"\ndiscount = 0.1\n[[designs]]\nname = \"on_chemo\"\ncontract = \"cy\"\n";
    std::fs::write(&path, format!("extends = {:?}\n{text}", base.display().to_string())).unwrap();
    let mut cmd = vbpsim();
    cmd.arg("design").arg(&path).arg("--out").arg(dir.path().join("comparator"));
    let stderr = crate::support::text_of(&expect(&mut cmd, 2).stderr);
    let message = "design `on_chemo`: contract `cy` is also settled on the comparator `chemo`";
    assert!(stderr.contains(message), "{stderr}");
    assert!(!dir.path().join("comparator").exists());
    // A scenario without designs.
    let mut cmd = vbpsim();
    cmd.arg("design").arg(&base).arg("--out").arg(dir.path().join("none"));
    let stderr = crate::support::text_of(&expect(&mut cmd, 2).stderr);
    assert!(stderr.contains("the scenario has no [[designs]]"), "{stderr}");
}

#[test]
fn a_registrys_evsi_tends_to_the_evppi_and_its_net_benefit_counts_its_cost() {
    let s = load("design/registry.toml", &[]);
    let sim = run(&s, &options(1500, 400));
    let rows = &sim.evsi;
    // Three registries: 3, 2 and 2 sizes, each at the two thresholds; the third informs two
    // parameters (regressions on both statistics jointly, a Gaussian process).
    assert_eq!(rows.len(), (3 + 2 + 2) * 2);
    let mut informative = 0;
    for row in rows {
        let registry = &s.model.registries[row.registry];
        let (evsi, se) = row.evsi.unwrap();
        let evppi = row.evppi.unwrap();
        let cost = registry.cost_per_patient * row.patients as f64 + registry.fixed_cost;
        assert_eq!(row.cost, cost);
        assert_eq!(row.enbs, Some(row.population.unwrap() - cost));
        if row.patients == 1_000_000 {
            // The registry then tells the parameter to a thousandth: the EVPPI's regression.
            assert!((evsi - evppi).abs() <= 4.0 * se + 1e-9 * evppi, "{row:?}");
            informative += usize::from(evppi > 0.0);
        }
        if row.patients == 1 {
            assert!(evsi <= 0.1 * evppi + 1e-12, "one patient: {row:?}");
        }
    }
    assert!(informative >= 3, "no threshold where the parameters matter: {rows:?}");
    // The joint EVPPI of the two parameters is at least either's alone (within its error).
    for &l in &s.model.meta.thresholds {
        let evppi = |r: usize| rows.iter().find(|x| x.registry == r && x.wtp == l).unwrap().evppi;
        let (one, two, both) = (evppi(0).unwrap(), evppi(1).unwrap(), evppi(2).unwrap());
        let se = rows.iter().find(|x| x.registry == 2 && x.wtp == l).unwrap().evsi.unwrap().1;
        assert!(both >= one.max(two) - 4.0 * se, "at {l}: joint {both}, alone {one} and {two}");
    }
    // The registry's default cost per patient is its contract's tracking cost.
    assert_eq!(s.model.registries[0].cost_per_patient, 300.0);
}

#[test]
fn registry_data_are_the_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("design/registry.toml");
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let mut cmd = vbpsim();
        cmd.args(["run", scenario.to_str().unwrap(), "--patients", "300", "--samples", "90"]);
        cmd.args(["--threads", threads, "--quiet", "--out"]).arg(&out);
        expect(&mut cmd, 0);
        outputs.push(std::fs::read(out.join("evsi.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1], "evsi.csv differs between 1 and 2 threads");
}

#[test]
fn bad_registries_are_refused_with_their_place_and_exit_2() {
    let entry = |body: &str| format!("[[registries]]\nname = \"g\"\n{body}\n");
    let cases: Vec<(String, &str)> = vec![
        (
            entry("contract = \"m1\"\nparameter = \"x_price\"\npatients = [10]"),
            "registries[0].parameter: expected an uncertain probability",
        ),
        (
            entry("contract = \"m1\"\nparameter = \"x_response\"\npatients = []"),
            "registries[0].patients: expected 1 to 20 sizes, found 0",
        ),
        (
            entry("contract = \"m1\"\nparameter = \"x_response\"\npatients = [0]"),
            "registries[0].patients[0]: expected a whole number of at least 1, found 0",
        ),
        (
            entry(
                "contract = \"m1\"\nparameter = \"x_response\"\npatients = [10]\nfollow_up = \"6 months\"",
            ),
            "registries[0].follow_up: expected no `follow_up` for probabilities only",
        ),
        (
            entry("contract = \"m9\"\nparameter = \"x_response\"\npatients = [10]"),
            "registries[0].contract: undefined contract `m9`",
        ),
        (
            entry(
                "contract = \"m1\"\nparameter = \"x_response\"\npatients = [10]\ncost = { per_patient = -1 }",
            ),
            "registries[0].cost.per_patient: expected a number of 0 or more",
        ),
        (
            entry("contract = \"m1\"\nparameter = \"x_response\"\npatients = [10, 20, 10]"),
            "registries[0].patients: expected distinct sizes, found 10 twice",
        ),
        (
            format!(
                "[payer]\npopulation = 100\n[[contracts]]\nname = \"mcap\"\ndrug = \"x\"\nkind = \"money_back\"\nwindow = \"4 months\"\nrefund = 1.0\ncap = 2000\n{}",
                entry(
                    "contract = \"mcap\"\nparameter = \"x_response\"\npatients = [10]\nreview = { after = \"1 year\", patients = 10 }"
                )
            ),
            "registries[0].review: expected a contract whose cost is linear in the price for a review",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let base = fixture("design/base.toml");
    for (i, (text, message)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, format!("extends = {:?}\n{text}", base.display().to_string()))
            .unwrap();
        let mut cmd = vbpsim();
        cmd.arg("check").arg(&path);
        let stderr = crate::support::text_of(&expect(&mut cmd, 2).stderr);
        assert!(stderr.contains(&format!("bad{i}.toml:")), "no file and line:\n{stderr}");
        assert!(stderr.contains(message), "expected {message:?}:\n{stderr}");
    }
}

#[test]
fn the_two_stage_decision_beats_its_fixed_policies_and_at_once_is_worth_the_evsi() {
    let s = load("design/registry.toml", &[]);
    let sim = run(&s, &options(1500, 400));
    let rows = &sim.renegotiation;
    // Two registries with a review, one non-comparator strategy, two thresholds, 7 policies.
    assert_eq!(rows.len(), 2 * 2 * 7);
    // The decision population: 2,000 patients a year over the decision's years, discounted at
    // 3 % as cohorts at the start of each year; the review after 2 years sees the first two.
    let years = s.model.meta.decision_years;
    let cohorts: Vec<f64> = (0..years).map(|t| 2000.0 * 1.03f64.powi(-(t as i32))).collect();
    let population: f64 = cohorts.iter().sum();
    let value = |r: usize, l: f64, p: &str| {
        let row = rows.iter().find(|x| x.registry == r && x.wtp == l && x.policy.as_str() == p);
        row.unwrap().clone()
    };
    let mut gains = 0;
    for r in 0..2 {
        let registry = &s.model.registries[r];
        let review = registry.review.unwrap();
        let w = cohorts.iter().take(review.after_years as usize).sum::<f64>() / population;
        for &l in &s.model.meta.thresholds {
            let contract = value(r, l, "adopt_under_contract").value.0;
            let two = value(r, l, "two_stage");
            let fixed = ["review_always_keep", "review_always_reprice", "review_always_withdraw"];
            let best = fixed.iter().map(|p| value(r, l, p).value.0).fold(f64::MIN, f64::max);
            assert!(
                two.value.0 >= best - 1e-9 * best.abs(),
                "registry {r} at {l}: {two:?} < {best}"
            );
            gains += usize::from(two.value.0 > best + 1e-6 * best.abs());
            let shares = two.choices.unwrap();
            assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            // The registry's cost beyond the contract's tracking (300 a patient, in its arm):
            // its fixed cost and, per registry patient at the review, what it costs above that.
            let above = (registry.cost_per_patient - 300.0).max(0.0) * review.patients as f64;
            let registry_cost = (registry.fixed_cost + above) / population;
            // Withdrawing at the review: the patients before it under the contract, the
            // irrecoverable and registry costs spread over the population.
            let costs = review.withdrawal_cost / population + registry_cost;
            let withdraw = value(r, l, "review_always_withdraw").value.0;
            let scale = contract.abs() + 1.0;
            close(withdraw, w * contract - costs, scale, "always withdraw");
            // Keeping: the contract's value less the registry's cost (the regression keeps the
            // mean).
            let keep = value(r, l, "review_always_keep").value.0;
            close(keep, contract - registry_cost, scale, "always keep");
        }
    }
    assert!(gains >= 1, "the review never adds value: the test would not tell");
    // Reviewed at once on 40 patients' data without costs: the gain over the better of keeping
    // and withdrawing is the EVSI of 40 patients (evsi.csv's row).
    for &l in &s.model.meta.thresholds {
        let two = value(0, l, "two_stage").value.0;
        let keep = value(0, l, "review_always_keep").value.0;
        let evsi = sim.evsi.iter().find(|e| e.registry == 0 && e.patients == 40 && e.wtp == l);
        let evsi = evsi.unwrap().evsi.unwrap().0;
        close(two - keep.max(0.0), evsi, keep.abs() + evsi.abs() + 1.0, "two-stage gain");
    }
}

#[test]
fn check_lists_the_designs_and_registries() {
    let mut cmd = vbpsim();
    cmd.arg("check").arg(fixture("design/grid.toml"));
    let out = crate::support::text_of(&expect(&mut cmd, 0).stdout);
    assert!(out.contains("design     disc: discount on the terms of d0; varies discount (3 values, valued linearly), price (3 values, valued linearly): 9 candidates, 1 settled one by one"), "{out}");
    let mut cmd = vbpsim();
    cmd.arg("check").arg(fixture("design/registry.toml"));
    let out = crate::support::text_of(&expect(&mut cmd, 0).stdout);
    assert!(out.contains("registry   progression: m1 informs x_responder_rate; 30, 1000000 patients; cost 450 a patient + 5000; review after 2 years on 30 patients"), "{out}");
}
