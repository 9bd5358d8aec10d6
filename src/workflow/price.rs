//! Threshold (value-based) prices that need re-simulation: for contracts whose payer cost is
//! not linear in the list price (absolute caps), the price at which an arm's incremental NMB
//! is zero is searched on the same patients.

use super::RunError;
use crate::analysis::cea::summarise_arms;
use crate::analysis::contracts::{ThresholdPrice, reference_units};
use crate::model::Model;
use crate::sim::{Prepared, SampleSpec, simulate_sample};

/// An arm at a trial price: its incremental NMB at λ, and the slope of its incremental cost
/// in the price (U_arm − U_comparator, per patient; the right derivative where a cap starts
/// to bind).
#[derive(Clone, Copy, Debug)]
struct AtPrice {
    nmb: f64,
    cost_slope: f64,
}

/// The contract in sums slot `slot` (its arm's) against its reference (the comparator at list
/// or under the same contract), with the price of contract `c`'s drug set to
/// `price` in the regimens the contract covers, on the same patients: among all of them, or
/// among those of subgroup level `level` (a flat index, as subgroups.csv orders the levels).
fn at_price(
    model: &Model,
    values: &[f64],
    spec: SampleSpec,
    (slot, c, level): (usize, usize, Option<usize>),
    price: f64,
    lambda: f64,
) -> Result<AtPrice, RunError> {
    // Only the drug's price moves: a parameter it shares with other fields keeps their values,
    // and so does the drug's price in regimens the contract does not cover.
    let mut prep = Prepared::new(model, values)?;
    prep.budget = None;
    prep.count_subgroups = level.is_some();
    let contract = &model.contracts[c];
    for &g in &contract.regimens {
        for d in prep.regimens[g].drugs.iter_mut().filter(|d| d.drug == contract.drug) {
            d.price = price;
        }
    }
    let sums = simulate_sample(&prep, spec, &mut |_, _| {});
    let (arms, n, contracts, comparator_units) = match level.and_then(|g| sums.subgroups.get(g)) {
        Some(g) => (&g.arms[..], g.patients, &g.contracts[..], &g.comparator_units[..]),
        None => (&sums.arms[..], sums.patients, &sums.contracts[..], &sums.comparator_units[..]),
    };
    let rows = summarise_arms((arms, n), &prep.arms, &prep.references, &[lambda]);
    let n = n as f64;
    let arm = prep.settlements.iter().find(|r| r.slot == slot).map_or(slot, |r| r.arm);
    let reference = prep.references[arm];
    let under_contract = prep.arms[reference].contract.is_some();
    let theirs = reference_units(contracts, comparator_units, reference, c, under_contract);
    let cost_slope = contracts[slot].units / n - theirs / n;
    Ok(AtPrice { nmb: rows[arm].inc_nmb[0].mean, cost_slope })
}

/// The list price (of contract `c`'s drug in the regimens it covers) at which the arm's
/// incremental NMB at λ is zero, found by re-simulating the same patients; or why there is no
/// such price. The statuses follow the linear formula's at the current price A₀: if the arm's
/// incremental cost does not rise there (a comparator buying more of the covered drug than
/// the arm), `cost_does_not_rise_with_price`. Otherwise the root is the one where NMB falls
/// through zero next to A₀:
/// - NMB ≥ 0 at A₀: a bracket is grown upwards (×4) until NMB < 0, then the Illinois variant
///   of regula falsi converges in a few re-simulations (capped refunds make the incremental
///   cost convex there, so NMB crosses zero once);
/// - NMB < 0 at A₀: the bracket is [0, A₀] if NMB ≥ 0 free. If not, NMB may still rise
///   above zero between 0 and A₀ when the incremental cost first falls with the price (a
///   money-back's refunds on the arm against a comparator's crossover at list) and then rises
///   (the caps binding): its maximum is found by bisection on the slope's sign, and the root
///   searched between it and A₀; without such a rise, `not_cost_effective_even_free`.
///
/// With `level`, the same search among the patients of that subgroup level (the whole
/// population simulated at each trial price, as the level's base case is).
pub(super) fn bisect_threshold_price(
    model: &Model,
    values: &[f64],
    spec: SampleSpec,
    (slot, c, level): (usize, usize, Option<usize>),
    lambda: f64,
) -> Result<ThresholdPrice, RunError> {
    let contract = &model.contracts[c];
    let current = model.list_price(c, values).map_or(1.0, |p| p.max(1.0));
    let at = |price: f64| at_price(model, values, spec, (slot, c, level), price, lambda);
    // A cohort-level refund fraction moves with the price, which the patients' ∂cost/∂price
    // leaves out: its slope is a forward difference (the right derivative, on the same
    // patients, unless a cap starts to bind within the step).
    let exact = !matches!(contract.kind, crate::contracts::Kind::Cohort(_));
    search(
        |price| {
            let here = at(price)?;
            if exact {
                return Ok(here);
            }
            let step = 1e-6 * price.max(1.0);
            let next = at(price + step)?;
            Ok(AtPrice { nmb: here.nmb, cost_slope: (here.nmb - next.nmb) / step })
        },
        current,
    )
}

/// The search of [`bisect_threshold_price`] on an arm evaluated by `f` at trial prices, from
/// the current price `current`.
fn search<E>(
    mut f: impl FnMut(f64) -> Result<AtPrice, E>,
    current: f64,
) -> Result<ThresholdPrice, E> {
    let here = f(current)?;
    if here.cost_slope <= 0.0 {
        return Ok(ThresholdPrice::CostDoesNotRise);
    }
    let root = |f: &mut dyn FnMut(f64) -> Result<AtPrice, E>, lo: (f64, f64), hi: (f64, f64)| {
        // Stop when the NMB is zero to 1e-9 of the price's effect, or the bracket is that
        // narrow.
        let tolerance = 1e-9 * (lo.1 - hi.1);
        let nmb = |price: f64| f(price).map(|p| p.nmb);
        crate::analysis::roots::illinois(nmb, lo, hi, tolerance).map(ThresholdPrice::At)
    };
    if here.nmb >= 0.0 {
        let mut lo = (current, here);
        loop {
            let price = lo.0 * 4.0;
            if price > 1e12 {
                return Ok(ThresholdPrice::AnyPrice);
            }
            let hi = (price, f(price)?);
            if hi.1.nmb < 0.0 {
                return root(&mut f, (lo.0, lo.1.nmb), (price, hi.1.nmb));
            }
            if hi.1.cost_slope <= 0.0 {
                // The incremental cost rose at `lo` and no longer does at `hi` (an expenditure
                // cap binding while the comparator pays list): NMB may dip below zero in
                // between, at its minimum, found by bisection on the slope's sign.
                let (mut falling, mut rising) = (lo.0, price);
                while rising - falling > 1e-9 * rising {
                    let mid = 0.5 * (falling + rising);
                    let at = f(mid)?;
                    if at.nmb < 0.0 {
                        return root(&mut f, (lo.0, lo.1.nmb), (mid, at.nmb));
                    }
                    if at.cost_slope > 0.0 { falling = mid } else { rising = mid }
                }
                // No dip: NMB rises from here on (the incremental cost no longer rising).
                return Ok(ThresholdPrice::AnyPrice);
            }
            lo = hi;
        }
    }
    let free = f(0.0)?;
    // (NMB exactly zero free and rising from there: the root sought is further on.)
    if free.nmb > 0.0 || (free.nmb == 0.0 && free.cost_slope >= 0.0) {
        return root(&mut f, (0.0, free.nmb), (current, here.nmb));
    }
    // NMB < 0 both free and at A₀, falling at A₀: it can exceed zero in between only if it
    // rises from 0 first.
    let (mut rising, mut falling) = (0.0, current);
    if free.cost_slope < 0.0 {
        while falling - rising > 1e-9 * current {
            let mid = 0.5 * (rising + falling);
            let at = f(mid)?;
            // Above zero: NMB falls through zero once between here and A₀.
            if at.nmb > 0.0 {
                return root(&mut f, (mid, at.nmb), (current, here.nmb));
            }
            if at.nmb == 0.0 && at.cost_slope >= 0.0 {
                return Ok(ThresholdPrice::At(mid));
            }
            if at.cost_slope < 0.0 { rising = mid } else { falling = mid }
        }
    }
    Ok(ThresholdPrice::NotEvenFree)
}

#[cfg(test)]
mod tests {
    use super::{AtPrice, search};
    use crate::analysis::contracts::ThresholdPrice;

    /// An arm whose incremental NMB at price A is λΔq − (base + Σ slope_k·(A − a_k)⁺) (a
    /// piecewise-linear incremental cost, kinks at a_k), searched from `current`.
    fn searched(base: f64, kinks: &[(f64, f64)], current: f64) -> ThresholdPrice {
        let cost = |a: f64| base + kinks.iter().map(|&(at, s)| s * (a - at).max(0.0)).sum::<f64>();
        let slope = |a: f64| kinks.iter().filter(|&&(at, _)| a >= at).map(|&(_, s)| s).sum::<f64>();
        let f = |a: f64| Ok::<_, ()>(AtPrice { nmb: 1000.0 - cost(a), cost_slope: slope(a) });
        search(f, current).unwrap()
    }

    fn price(t: ThresholdPrice) -> f64 {
        match t {
            ThresholdPrice::At(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_rising_cost_has_its_root_above_or_below_the_current_price() {
        // Cost 200 + 2A: NMB 0 at A = 400, from above or below.
        for current in [100.0, 1000.0, 1e6] {
            let p = price(searched(200.0, &[(0.0, 2.0)], current));
            assert!((p - 400.0).abs() < 1e-6, "{p}");
        }
        // Too costly even free; a cost that rises too slowly to matter below 1e12.
        assert_eq!(searched(2000.0, &[(0.0, 2.0)], 100.0), ThresholdPrice::NotEvenFree);
        assert_eq!(searched(0.0, &[(0.0, 1e-12)], 100.0), ThresholdPrice::AnyPrice);
    }

    #[test]
    fn a_cost_falling_at_the_current_price_does_not_rise_with_it() {
        assert_eq!(searched(5000.0, &[(0.0, -1.0)], 100.0), ThresholdPrice::CostDoesNotRise);
        // Falling first, flat once the caps bind: still not rising at the current price.
        let kinks = [(0.0, -1.0), (50.0, 1.0)];
        assert_eq!(searched(1500.0, &kinks, 100.0), ThresholdPrice::CostDoesNotRise);
    }

    #[test]
    fn a_cost_that_stops_rising_above_the_current_price_is_searched_for_a_dip() {
        // Cost 2A up to 600, then falling by 1 per unit (an expenditure cap binding while the
        // comparator pays list): NMB 1000 − 2A falls through zero at 500, rises again after
        // 800; growth from 100 steps from 400 to 1600, over the dip.
        let kinks = [(0.0, 2.0), (600.0, -3.0)];
        let p = price(searched(0.0, &kinks, 100.0));
        assert!((p - 500.0).abs() < 1e-6, "{p}");
        // A dip that stays above zero: cost-effective at any price from here.
        let kinks = [(0.0, 2.0), (400.0, -3.0)];
        assert_eq!(searched(0.0, &kinks, 100.0), ThresholdPrice::AnyPrice);
    }

    #[test]
    fn a_cost_that_falls_then_rises_is_searched_between_free_and_the_current_price() {
        // Cost 1500 − A up to 600, then rising by 2 per unit: NMB −500 free, +100 at 600,
        // zero again at 650; at the current price 1000, −700.
        let kinks = [(0.0, -1.0), (600.0, 3.0)];
        let p = price(searched(1500.0, &kinks, 1000.0));
        assert!((p - 650.0).abs() < 1e-6, "{p}");
        // A trial price on the rising side with NMB exactly 0 is not the root sought.
        let kinks = [(0.0, -1.0), (700.0, 3.0)];
        let p = price(searched(1500.0, &kinks, 1000.0));
        assert!((p - 800.0).abs() < 1e-6, "{p}");
        // The same shape never reaching NMB 0: not cost-effective at any price.
        let kinks = [(0.0, -1.0), (400.0, 3.0)];
        assert_eq!(searched(1500.0, &kinks, 1000.0), ThresholdPrice::NotEvenFree);
    }
}
