//! Expected value of sample information of a contract's registry, by regression (Strong,
//! Oakley, Brennan & Breeze, Med Decis Making 2015;35:570–583).
//!
//! For each PSA sample s the registry's data are drawn given the sample's value θ_s of the
//! parameter they inform: responders X_s ~ Binomial(n, θ_s) among n patients for a
//! probability, or patients with the event by the follow-up F, X_s ~ Binomial(n,
//! 1 − e^{−θ_s·F}), for a rate (progression by a date). The summary statistic T_s = X_s / n
//! stands in for θ_s in the EVPPI's regression ([`super::evppi`]): the incremental cost and
//! QALYs of each arm of the contract's decision set are regressed on T across samples, and
//! EVSI(λ) = mean_s max_d ĝ_d(λ, T_s) − max_d mean_s ĝ_d(λ, T_s). As n grows T_s → θ_s and
//! the EVSI tends to the EVPPI of θ; with one patient it is near 0. The draws are addressed by
//! (seed, sample, registry, n): the same for any thread count.
//!
//! The expected net benefit of sampling is the population's EVSI less the registry's cost,
//! per patient followed and once: ENBS = N·EVSI − (c·n + C).

use super::decision::{Decision, table};
use super::psa::{PsaSample, Table};
use crate::model::Model;
use crate::model::registry::{Observation, Registry};
use crate::rng::{Process, ProcessKind, SampleKey};
use rand_distr::{Binomial, Distribution};

/// One registry at one size and threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct EvsiRow {
    pub registry: usize,
    pub patients: u64,
    pub wtp: f64,
    /// Per patient, with its standard error (the Monte Carlo error of the outer mean, the
    /// regression taken as known); `None` below [`super::evppi::MIN_SAMPLES`] samples.
    pub evsi: Option<(f64, f64)>,
    /// The EVPPI of the parameter on the same decision set (the EVSI's limit).
    pub evppi: Option<f64>,
    /// Of the decision's population (`None` without one).
    pub population: Option<f64>,
    /// The registry's cost: per patient × patients + once.
    pub cost: f64,
    /// Population EVSI less the cost.
    pub enbs: Option<f64>,
}

/// The random process of the registry's data on its k-th informed parameter with `n` patients
/// (the first parameter's keyed by the registry and its size alone).
fn process(registry: &Registry, (k, n): (usize, u64)) -> Process {
    let which = if k == 0 { n.to_string() } else { format!("{n}#{k}") };
    Process::named2(ProcessKind::Registry, &registry.name, &which)
}

/// The registry's summary statistic of its k-th informed parameter in one sample: the share of
/// its `n` patients observed with the outcome, drawn from `process` ([`process`]).
fn statistic(
    registry: &Registry,
    (k, n, process): (usize, u64, Process),
    theta: f64,
    key: SampleKey,
) -> f64 {
    let p = match registry.informs[k].observation {
        Observation::Binomial => theta,
        Observation::Exponential { follow_up } => -(-theta * follow_up).exp_m1(),
    };
    let mut stream = key.stream(process);
    // p is a probability by the scenario's checks; a NaN would give no data, not a panic.
    let x = Binomial::new(n, p.clamp(0.0, 1.0)).map_or(0, |b| b.sample(&mut stream));
    x as f64 / n as f64
}

/// The EVSI per patient (with its standard error) of `registry` with `n` patients for the
/// decision whose samples are `table`, the samples' parameter values and keys given, at each
/// willingness to pay.
pub fn evsi(
    registry: &Registry,
    n: u64,
    (thetas, keys): (&[Vec<f64>], &[SampleKey]),
    table: &Table,
    wtp: &[f64],
) -> Vec<Option<(f64, f64)>> {
    let stats = statistics(registry, n, (thetas, keys));
    let columns: Vec<&[f64]> = stats.iter().map(Vec::as_slice).collect();
    super::evppi::evppi(&columns, table, wtp)
}

/// Per informed parameter, the samples' statistics of `n` registry patients.
pub(super) fn statistics(
    registry: &Registry,
    n: u64,
    (thetas, keys): (&[Vec<f64>], &[SampleKey]),
) -> Vec<Vec<f64>> {
    thetas
        .iter()
        .enumerate()
        .map(|(k, theta)| {
            // The process named once, not once per sample.
            let at = (k, n, process(registry, (k, n)));
            theta.iter().zip(keys).map(|(&th, &key)| statistic(registry, at, th, key)).collect()
        })
        .collect()
}

/// The decision a registry's data inform (its contract's decision set) and the samples'
/// values of the parameter they inform; `None` when either is missing (a contract without a
/// set of its own, a parameter without a distribution: the scenario's checks refuse both).
pub(super) fn informed<'a>(
    model: &Model,
    registry: &Registry,
    decision: &'a Decision,
    psa: &[PsaSample],
) -> Option<(&'a super::decision::SetAnalysis, Vec<Vec<f64>>)> {
    let analysis = decision.sets.iter().find(|a| a.set.contract == Some(registry.contract))?;
    let uncertain: Vec<usize> =
        (0..model.parameters.len()).filter(|&i| model.parameters[i].is_uncertain()).collect();
    let thetas = registry
        .informs
        .iter()
        .map(|i| {
            let column = uncertain.iter().position(|&u| u == i.parameter)?;
            Some(psa.iter().map(|s| s.values[column]).collect())
        })
        .collect::<Option<Vec<Vec<f64>>>>()?;
    Some((analysis, thetas))
}

/// Every registry's EVSI at each of its sizes and each of the scenario's thresholds (empty
/// without PSA samples or registries).
pub fn evsi_rows(model: &Model, decision: &Decision, psa: &[PsaSample], seed: u64) -> Vec<EvsiRow> {
    if psa.is_empty() {
        return Vec::new();
    }
    let thresholds = &model.meta.thresholds;
    let cohorts = super::psa::decision_population(model);
    let mut rows = Vec::new();
    for (ri, registry) in model.registries.iter().enumerate() {
        let Some((analysis, thetas)) = informed(model, registry, decision, psa) else { continue };
        let t = table(psa, &analysis.set);
        let keys: Vec<SampleKey> = psa.iter().map(|s| SampleKey::new(seed, s.sample)).collect();
        let columns: Vec<&[f64]> = thetas.iter().map(Vec::as_slice).collect();
        let evppi = super::evppi::evppi(&columns, &t, thresholds);
        for &n in &registry.patients {
            let evsi = evsi(registry, n, (&thetas, &keys), &t, thresholds);
            let cost = registry.cost_per_patient * n as f64 + registry.fixed_cost;
            for (k, &wtp) in thresholds.iter().enumerate() {
                let population = evsi[k].and_then(|(v, _)| cohorts.map(|c| v * c));
                rows.push(EvsiRow {
                    registry: ri,
                    patients: n,
                    wtp,
                    evsi: evsi[k],
                    evppi: evppi[k].map(|v| v.0),
                    population,
                    cost,
                    enbs: population.map(|p| p - cost),
                });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::registry::Informed;
    use statrs::distribution::{Beta, ContinuousCDF};
    use statrs::function::gamma::ln_gamma;

    /// θ ~ Beta(6, 14) at S stratified quantiles; arm 1 gains θ QALYs at cost 0.28 against arm
    /// 0 (λ = 1): its incremental NMB θ − 0.28 is linear in θ, so E[NMB | X] is linear in the
    /// responders X (the beta-binomial posterior mean), and the preposterior value is a finite
    /// sum over x.
    fn conjugate(samples: usize) -> (Vec<f64>, Table) {
        let prior = Beta::new(6.0, 14.0).unwrap();
        let theta: Vec<f64> =
            (0..samples).map(|i| prior.inverse_cdf((i as f64 + 0.5) / samples as f64)).collect();
        let table = theta.iter().map(|&t| vec![(0.0, 0.0), (0.28, t)]).collect();
        (theta, table)
    }

    /// Σ_x P(X = x) max(0, E[θ | x] − c) − max(0, E[θ] − c), X ~ BetaBinomial(n, a, b).
    fn exact_evsi(n: u64, (a, b): (f64, f64), c: f64) -> f64 {
        let ln_beta = |x: f64, y: f64| ln_gamma(x) + ln_gamma(y) - ln_gamma(x + y);
        let nf = n as f64;
        let mut total = 0.0;
        for x in 0..=n {
            let xf = x as f64;
            let ln_choose = ln_gamma(nf + 1.0) - ln_gamma(xf + 1.0) - ln_gamma(nf - xf + 1.0);
            let p = (ln_choose + ln_beta(xf + a, nf - xf + b) - ln_beta(a, b)).exp();
            total += p * ((a + xf) / (a + b + nf) - c).max(0.0);
        }
        total - (a / (a + b) - c).max(0.0)
    }

    fn registry() -> Registry {
        Registry {
            name: "r".into(),
            contract: 0,
            informs: vec![Informed { parameter: 0, observation: Observation::Binomial }],
            patients: vec![],
            cost_per_patient: 0.0,
            fixed_cost: 0.0,
            review: None,
        }
    }

    #[test]
    fn a_beta_binomial_registry_has_the_exact_preposterior_value() {
        let samples = 20_000;
        let (theta, table) = conjugate(samples);
        let keys: Vec<SampleKey> = (1..=samples as u64).map(|s| SampleKey::new(7, s)).collect();
        for n in [1u64, 5, 20, 100] {
            let (got, se) =
                evsi(&registry(), n, (std::slice::from_ref(&theta), &keys), &table, &[1.0])[0]
                    .unwrap();
            let want = exact_evsi(n, (6.0, 14.0), 0.28);
            // (+ 1e-12: the exact sum's rounding where both are 0 — one patient cannot change
            // this decision.)
            assert!((got - want).abs() < 4.0 * se + 1e-12, "n = {n}: {got} ± {se} vs exact {want}");
        }
    }

    #[test]
    fn the_evsi_grows_to_the_evppi_and_shrinks_to_nothing() {
        let samples = 20_000;
        let (theta, table) = conjugate(samples);
        let keys: Vec<SampleKey> = (1..=samples as u64).map(|s| SampleKey::new(3, s)).collect();
        // The EVPPI of θ: E[max(0, θ − c)] − max(0, E θ − c), in closed form for the beta.
        let (a, b, c) = (6.0, 14.0, 0.28);
        let upper = Beta::new(a + 1.0, b).unwrap();
        let prior = Beta::new(a, b).unwrap();
        let evppi =
            a / (a + b) * (1.0 - upper.cdf(c)) - c * (1.0 - prior.cdf(c)) - (a / (a + b) - c);
        let large =
            evsi(&registry(), 1_000_000, (std::slice::from_ref(&theta), &keys), &table, &[1.0])[0]
                .unwrap();
        assert!((large.0 - evppi).abs() < 4.0 * large.1, "{large:?} vs EVPPI {evppi}");
        let one =
            evsi(&registry(), 1, (std::slice::from_ref(&theta), &keys), &table, &[1.0])[0].unwrap();
        assert!(one.0 < 0.05 * evppi, "one patient: {one:?}, EVPPI {evppi}");
        // A rate observed as events by the follow-up: as many patients tell the rate exactly.
        let rates: Vec<f64> = theta.iter().map(|t| 2.0 * t).collect();
        let observation = Observation::Exponential { follow_up: 0.5 };
        let by_date =
            Registry { informs: vec![Informed { parameter: 0, observation }], ..registry() };
        let table: Table = rates.iter().map(|&r| vec![(0.0, 0.0), (0.56, r)]).collect();
        let large =
            evsi(&by_date, 1_000_000, (std::slice::from_ref(&rates), &keys), &table, &[1.0])[0]
                .unwrap();
        let rate_evppi = super::super::evppi::evppi(&[&rates], &table, &[1.0])[0].unwrap().0;
        assert!((large.0 - rate_evppi).abs() < 4.0 * large.1, "{large:?} vs {rate_evppi}");
    }
}
