//! Continuous discounting by closed forms.
//!
//! d(t) = (1+r)^(−t). A payment at t counts d(t); a flow at rate c over [a, b) counts
//! c·(d(a) − d(b))/ln(1+r); n cycle payments from t0 every `cycle` count
//! d(t0)·(1 − qⁿ)/(1 − q) with q = d(cycle). Exact integrals make a per-cycle loop and the
//! half-cycle correction unnecessary.

use std::sync::Arc;

/// A discount rate with its precomputed log, ln(1+r).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Discount {
    log_rate: f64,
}

impl Discount {
    /// `rate` is the annual rate (0.035 for 3.5 %); must be > −1. A rate too small to move
    /// any discounted sum ([`NEGLIGIBLE_LOG_RATE`]) is zero.
    pub fn new(rate: f64) -> Self {
        let log_rate = rate.ln_1p();
        Discount { log_rate: if log_rate.abs() < NEGLIGIBLE_LOG_RATE { 0.0 } else { log_rate } }
    }

    /// d(t) = (1+r)^(−t); exactly 1 at a zero rate (the budget view's, which calls this for
    /// every cut of every patient) and at t = 0 (diagnostic tests and treatment starting at
    /// diagnosis): the `exp` these skip would return exactly 1.
    #[inline]
    pub fn factor(&self, t: f64) -> f64 {
        if self.log_rate == 0.0 || t == 0.0 {
            return 1.0;
        }
        (-self.log_rate * t).exp()
    }

    /// ∫_a^b d(t) dt for a ≤ b (0 when b ≤ a).
    #[inline]
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        if b <= a {
            return 0.0;
        }
        if self.log_rate == 0.0 {
            return b - a;
        }
        // (d(a) − d(b))/ln(1+r) = d(a)·(1 − e^{−ρ(b−a)})/ρ, written with expm1 for accuracy.
        self.factor(a) * -(-self.log_rate * (b - a)).exp_m1() / self.log_rate
    }

    /// The same integral when d(a) is already known (saves an `exp` in the hot path).
    #[inline]
    pub fn integral_from(&self, factor_a: f64, a: f64, b: f64) -> f64 {
        if b <= a {
            return 0.0;
        }
        if self.log_rate == 0.0 {
            return b - a;
        }
        factor_a * -(-self.log_rate * (b - a)).exp_m1() / self.log_rate
    }

    /// ∫_a^b d(t) dt from the factors d(a) and d(b) already computed: (d(a) − d(b))/ln(1+r).
    /// The absolute error is that of the factors (≈1e-16/ln(1+r) years), which is what the hot
    /// path needs: it computes each factor once and uses it for several flows.
    #[inline]
    pub fn between(&self, factor_a: f64, factor_b: f64, a: f64, b: f64) -> f64 {
        if b <= a {
            0.0
        } else if self.log_rate == 0.0 {
            b - a
        } else if self.log_rate < 1e-6 {
            // d(a) − d(b) cancels for tiny rates; the expm1 form keeps full precision.
            self.integral_from(factor_a, a, b)
        } else {
            (factor_a - factor_b) / self.log_rate
        }
    }

    /// ∫_a^b (1 − c₁·t − c₂·t²)·d(t) dt for a ≤ b (0 when b ≤ a): a flow weighted by a
    /// quadratic in time, the multiplier of an age-adjusted utility. With s = t − a it is
    /// d(a)·Σ k_j·J_j, J_j = ∫_0^L s^j e^(−ρs) ds, L = b − a: by the recurrence
    /// J_j = (j·J_{j−1} − L^j e^(−ρL))/ρ when ρL ≥ 1/2 (its cancellation then costs at most a
    /// factor 4), else by the series L^(j+1)·Σ_n (−ρL)^n/(n!·(n+j+1)), to full precision.
    pub fn quadratic_integral(&self, a: f64, b: f64, (c1, c2): (f64, f64)) -> f64 {
        if b <= a {
            return 0.0;
        }
        let len = b - a;
        let (k0, k1, k2) = (1.0 - c1 * a - c2 * a * a, -c1 - 2.0 * c2 * a, -c2);
        let rho = self.log_rate;
        let x = rho * len;
        let j = if rho == 0.0 {
            [len, len * len / 2.0, len * len * len / 3.0]
        } else if x >= 0.5 {
            let e = (-x).exp();
            let j0 = -(-x).exp_m1() / rho;
            let j1 = (j0 - len * e) / rho;
            let j2 = (2.0 * j1 - len * len * e) / rho;
            [j0, j1, j2]
        } else {
            let mut sums = [0.0f64; 3];
            let mut term = 1.0; // (−x)^n / n!
            for n in 0..40 {
                for (k, sum) in sums.iter_mut().enumerate() {
                    *sum += term / (n + k + 1) as f64;
                }
                term *= -x / (n + 1) as f64;
                if term.abs() < 1e-18 {
                    break;
                }
            }
            [len * sums[0], len * len * sums[1], len * len * len * sums[2]]
        };
        self.factor(a) * (k0 * j[0] + k1 * j[1] + k2 * j[2])
    }

    /// ∫_a^b m(t)·d(t) dt for a ≤ b with m = `norms[k]`/`at_diagnosis` over the year of age
    /// k (ages from `first`, the last year's value beyond; the person `age` at t = 0): a
    /// flow weighted by a table of utility norms, summed year by year.
    pub fn steps_integral(
        &self,
        a: f64,
        b: f64,
        (age, first, norms, at_diagnosis): (f64, f64, &[f64], f64),
    ) -> f64 {
        if b <= a {
            return 0.0;
        }
        let last = norms.len() - 1;
        let mut k = ((age + a - first) as usize).min(last);
        let mut total = 0.0;
        loop {
            let start = a.max(first + k as f64 - age);
            let end = if k == last { b } else { b.min(first + (k + 1) as f64 - age) };
            if start >= b {
                break;
            }
            total += norms[k] * self.integral(start, end);
            if k == last || end >= b {
                break;
            }
            k += 1;
        }
        total / at_diagnosis
    }

    /// Σ_{k<n} qⁿ with q = d(cycle), for every n a horizon allows, so the hot path looks a
    /// payment stream up instead of calling `expm1` per drug per patient.
    ///
    /// A table depends only on ln q and its length, and every PSA sample's preparation asks
    /// for the same few (one per cycle length and rate): they are built once per thread and
    /// shared ([`TABLES`]), the same numbers whoever built them.
    pub fn cycle_sums(&self, cycle: f64, horizon: f64) -> CycleSums {
        let log_q = -self.log_rate * cycle;
        let expm1_log_q = log_q.exp_m1();
        let most = (horizon / cycle).ceil().min(CycleSums::MAX_TABLE as f64) as u64 + 1;
        let table = TABLES.with_borrow_mut(|tables| {
            let key = (log_q.to_bits(), most);
            if let Some((_, t)) = tables.iter().find(|(k, _)| *k == key) {
                return Arc::clone(t);
            }
            let t: Arc<[f64]> = (0..=most).map(|n| geometric_sum(log_q, expm1_log_q, n)).collect();
            if t.len() > TABLE_CACHED_MAX {
                return t;
            }
            if tables.len() == TABLES_KEPT {
                tables.remove(0);
            }
            tables.push((key, Arc::clone(&t)));
            t
        });
        CycleSums { table, log_q, expm1_log_q }
    }

    /// Σ_{k<n} d(start + k·cycle): the discounted count of n payments of 1, one per cycle.
    #[inline]
    pub fn cycle_sum(&self, start: f64, cycle: f64, n: u64) -> f64 {
        if n == 0 {
            return 0.0;
        }
        if self.log_rate == 0.0 {
            return n as f64;
        }
        let x = -self.log_rate * cycle; // ln q
        // (1 − qⁿ)/(1 − q) = expm1(n·x)/expm1(x), accurate for small rates or cycles.
        self.factor(start) * (x * n as f64).exp_m1() / x.exp_m1()
    }
}

/// Below this ln(1+r) a rate discounts nothing a double can show, and is taken as zero: the
/// longest time discounted is under 10^3 years (horizons are at most 200 years, and a cohort
/// settlement comes at most a window after a contract's last year), so ρ·t < 10^-17, under
/// half a unit in the last place of 1 (2^-54 ≈ 5.6·10^-17): d(t) = 1 − ρt + … rounds to 1, and
/// an integral or a cycle sum differs from the undiscounted one by a relative ρt/2 at most.
/// Above it, ρ·cycle stays far from the subnormal numbers (a cycle is at least a day).
pub const NEGLIGIBLE_LOG_RATE: f64 = 1e-20;

/// Σ_{k<n} qᵏ = (1 − qⁿ)/(1 − q) = expm1(n·ln q)/expm1(ln q), or n when q = 1.
fn geometric_sum(log_q: f64, expm1_log_q: f64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else if log_q == 0.0 {
        n as f64
    } else {
        (log_q * n as f64).exp_m1() / expm1_log_q
    }
}

/// d(t) at the payer's and the manufacturer's rates for a fixed delay t: a payment or refund
/// t after a patient's treatment start counts d(t0)·d(t), the same as d(t0 + t) to a unit or
/// two in the last place, without an `exp` per patient.
pub type Steps = (f64, f64);

/// Cycle-sum tables built on this thread, by (ln q bits, length): a PSA preparation's tables
/// (a few KB each) are those of the previous sample unless a cycle length or rate is
/// uncertain, and building them took a third of a small sample's fixed cost.
const TABLES_KEPT: usize = 16;

/// Longer tables (cycles of days over a century) are built for each preparation, not kept.
const TABLE_CACHED_MAX: usize = 1 << 16;

/// Tables kept, by (ln q bits, length).
type Tables = Vec<((u64, u64), Arc<[f64]>)>;

thread_local! {
    static TABLES: std::cell::RefCell<Tables> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Discounted payment counts of one cycle length: entry n is Σ_{k<n} qᵏ (shared, read-only).
#[derive(Clone, Debug, PartialEq)]
pub struct CycleSums {
    table: Arc<[f64]>,
    log_q: f64,
    expm1_log_q: f64,
}

impl CycleSums {
    /// Longest table kept (about 8 MB); longer streams use the formula.
    pub const MAX_TABLE: usize = 1 << 20;

    /// Σ_{k<n} qᵏ = (1 − qⁿ)/(1 − q), or n when q = 1.
    #[inline]
    pub fn get(&self, n: u64) -> f64 {
        match self.table.get(n as usize) {
            Some(x) => *x,
            None => geometric_sum(self.log_q, self.expm1_log_q, n),
        }
    }
}

/// Cycle starts closer than this (in cycle lengths) to a stop time count as at the stop time.
pub const CYCLE_TOLERANCE: f64 = 1e-9;

/// A cycle length with its reciprocal, so that counting cycles multiplies instead of divides
/// (a division is several times slower, and the count runs several times per patient).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cycle {
    pub length: f64,
    per_year: f64,
}

impl Cycle {
    /// `length` in years (> 0).
    pub fn new(length: f64) -> Self {
        Cycle { length, per_year: 1.0 / length }
    }
}

/// Number of cycle starts start + k·cycle (k = 0, 1, …) strictly before `end`, and with
/// k < `max_cycles` and k·cycle < `max_duration`.
#[inline]
pub fn cycles_before(
    start: f64,
    end: f64,
    cycle: Cycle,
    max_cycles: u64,
    max_duration: f64,
) -> u64 {
    // k·cycle < span  ⇔  k < span/cycle  ⇔  k ≤ ceil(span/cycle) − 1. A cycle start within
    // 1e-9 cycle lengths of the end counts as at the end (not paid): 196 days / 28 days is
    // 7.000000000000001 in floating point and must give 7 cycles, not 8: the tolerance also
    // covers span/cycle taken as span × (1/cycle), a unit or two in the last place from the
    // quotient. An empty or negative span gives q = 0, so no cycles; a NaN end is capped at
    // `max_duration` (`f64::min` ignores a NaN), an endless one counting every cycle allowed.
    let span = (end - start).min(max_duration);
    let q = (span * cycle.per_year - CYCLE_TOLERANCE).max(0.0);
    if q >= TWO_52 {
        // Every double this large is whole (an endless stream): the conversion saturates.
        return (q as u64).min(max_cycles);
    }
    // Without a data-dependent branch: whether a stream reaches its cap is a coin flip to the
    // processor.
    ceiling(q).min(max_cycles)
}

/// Whether a first cycle starting at `start` starts strictly before `end`: the same as
/// `cycles_before(start, end, cycle, 1, ∞) == 1` (one start within 1e-9 cycle lengths of the
/// end counts as at the end), without the ceiling. A one-off therapy's contracts ask this
/// several times per patient.
#[inline]
pub fn first_cycle_before(start: f64, end: f64, cycle: Cycle) -> bool {
    // ⌈q⌉ ≥ 1 ⇔ q > 0, for q = max(span/cycle − 1e-9, 0). The span is capped at an endless
    // duration as there, which also makes a NaN end count as endless.
    let span = (end - start).min(f64::INFINITY);
    span * cycle.per_year - CYCLE_TOLERANCE > 0.0
}

/// ⌈x⌉ for 0 ≤ x < 2^52, without a branch (`f64::ceil` is a library call without SSE4.1):
/// x + 2^52 rounds x to the nearest whole number and holds it in the low bits of its
/// mantissa; one more if it rounded down.
#[inline]
pub fn ceiling(x: f64) -> u64 {
    let shifted = x + TWO_52;
    shifted.to_bits() - TWO_52.to_bits() + u64::from(shifted - TWO_52 < x)
}

/// A count as a double, the same as `n as f64` for every count below 2^63: converting it as
/// signed takes one instruction, as unsigned several (without AVX-512), and the contracts
/// convert counts of cycles, parts and years for every patient.
#[inline(always)]
pub fn count_f64(n: u64) -> f64 {
    debug_assert!(n < 1 << 63);
    n as i64 as f64
}

/// 2^52: from here on every double is a whole number.
const TWO_52: f64 = 4_503_599_627_370_496.0;

#[cfg(test)]
mod tests {
    /// The quadratic-weighted flow against composite Simpson, for rates 0, tiny, small and
    /// large and intervals short and long (both branches of the closed form).
    #[test]
    fn a_quadratically_weighted_flow_matches_quadrature() {
        for rate in [0.0, 1e-9, 0.001, 0.015, 0.035, 0.5] {
            let d = Discount::new(rate);
            for (a, b) in [(0.0, 0.01), (0.3, 1.2), (2.0, 40.0), (10.0, 10.5), (0.0, 80.0)] {
                let c = (0.004, 0.00005);
                let f = |t: f64| (1.0 - c.0 * t - c.1 * t * t) * (1.0f64 + rate).powf(-t);
                let n = 20_000;
                let h = (b - a) / n as f64;
                let simpson: f64 = (0..=n)
                    .map(|i| {
                        let w = if i == 0 || i == n {
                            1.0
                        } else if i % 2 == 1 {
                            4.0
                        } else {
                            2.0
                        };
                        w * f(a + i as f64 * h)
                    })
                    .sum::<f64>()
                    * h
                    / 3.0;
                let got = d.quadratic_integral(a, b, c);
                assert!(
                    (got - simpson).abs() <= 1e-11 * simpson.abs().max(1e-3),
                    "{rate} {a} {b}: {got} vs {simpson}"
                );
                // Without a weight it is the plain integral.
                let plain = d.quadratic_integral(a, b, (0.0, 0.0));
                assert!(
                    (plain - d.integral(a, b)).abs() <= 1e-13 * plain.max(1e-3),
                    "{rate} {a} {b}"
                );
            }
        }
    }

    use super::*;

    #[test]
    fn a_first_cycle_before_is_one_cycle_counted() {
        let ends =
            [-1.0, 0.0, 1e-12, 1e-10, 0.076_66, 0.076_67, 0.5, 1.0, 7.0, 1e300, f64::INFINITY];
        for length in [28.0 / 365.25, 1.0, 1e-3] {
            let cycle = Cycle::new(length);
            for start in [0.0, 0.25, 3.0] {
                for &end in &ends {
                    for end in
                        [end, start + end, start + length * (1.0 + 1e-9), start + 2e-9 * length]
                    {
                        let one = cycles_before(start, end, cycle, 1, f64::INFINITY) == 1;
                        assert_eq!(
                            first_cycle_before(start, end, cycle),
                            one,
                            "{start} {end} {length}"
                        );
                    }
                }
            }
        }
        let nan = cycles_before(0.0, f64::NAN, Cycle::new(1.0), 1, f64::INFINITY) == 1;
        assert_eq!(first_cycle_before(0.0, f64::NAN, Cycle::new(1.0)), nan);
    }

    #[test]
    fn counts_convert_as_unsigned_would() {
        let mut n = 1u64;
        while n < 1 << 62 {
            for k in [n - 1, n, n + 1, 3 * n, 3 * n + 7] {
                assert_eq!(count_f64(k).to_bits(), (k as f64).to_bits(), "{k}");
            }
            n <<= 1;
        }
        assert_eq!(count_f64((1 << 63) - 1), ((1u64 << 63) - 1) as f64);
    }

    fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
        let h = (b - a) / n as f64;
        let mut s = f(a) + f(b);
        for i in 1..n {
            s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
    }

    #[test]
    fn flow_integral_matches_numerical_integration() {
        for &r in &[0.0, 0.015, 0.035, 0.2] {
            let d = Discount::new(r);
            for &(a, b) in &[(0.0, 1.0), (0.3, 7.25), (2.0, 40.0), (5.0, 5.0001)] {
                let exact = d.integral(a, b);
                let numeric = simpson(|t| (1.0 + r).powf(-t), a, b, 2000);
                assert!((exact - numeric).abs() < 1e-12 * exact.max(1.0), "r={r} [{a},{b})");
                assert!(
                    (d.integral_from(d.factor(a), a, b) - exact).abs() < 1e-15 * exact.max(1.0)
                );
            }
        }
        assert_eq!(Discount::new(0.03).integral(2.0, 1.0), 0.0);
        // Tiny rates (regression: (d(a) − d(b))/ln(1+r) cancelled to 0).
        for r in [1e-12, 1e-15, 1e-300] {
            let d = Discount::new(r);
            let v = d.between(d.factor(0.0), d.factor(1.0), 0.0, 1.0);
            assert!((v - 1.0).abs() < 1e-9, "r = {r}: {v}");
        }
    }

    /// Regression: a discount rate of 5e-324 passed `check` and made `run` fail after
    /// simulating: ρ·cycle underflowed to 0 and a cycle sum was 0/0. Every rate below the
    /// negligible one gives the undiscounted values exactly, and rates around it agree with
    /// them and with numerical integration.
    #[test]
    fn tiny_rates_discount_as_zero_does() {
        let zero = Discount::new(0.0);
        let (day, horizon) = (1.0 / 365.25, 200.0);
        for r in [5e-324, 1e-310, 1e-300, 1e-200, 1e-30, 9.9e-21, 1.01e-20, 1e-19, 1e-17] {
            let d = Discount::new(r);
            if r < NEGLIGIBLE_LOG_RATE {
                assert_eq!(d, zero, "{r}");
            }
            let close = |x: f64, y: f64, what: &str| {
                assert!(
                    x.is_finite() && (x - y).abs() <= 1e-14 * y.abs().max(1.0),
                    "{r} {what}: {x} vs {y}"
                );
            };
            for (a, b) in [(0.0, 0.3), (0.3, 7.25), (2.0, horizon), (5.0, 5.0 + day)] {
                close(d.factor(b), 1.0, "factor");
                close(d.integral(a, b), zero.integral(a, b), "integral");
                close(d.integral_from(d.factor(a), a, b), b - a, "integral_from");
                close(d.between(d.factor(a), d.factor(b), a, b), b - a, "between");
                let numeric = simpson(|t| (1.0 + r).powf(-t), a, b, 200);
                close(d.integral(a, b), numeric, "numerical integration");
            }
            for (cycle, n) in [(day, 1u64), (21.0 * day, 17), (28.0 * day, 2609), (1.0, 200)] {
                close(d.cycle_sum(0.5, cycle, n), n as f64, "cycle_sum");
                close(d.cycle_sums(cycle, horizon).get(n), n as f64, "cycle_sums");
            }
        }
    }

    #[test]
    fn cycle_sum_matches_the_loop() {
        for &r in &[0.0, 0.03, 0.035] {
            let d = Discount::new(r);
            for &(start, cycle, n) in
                &[(0.0, 28.0 / 365.25, 1u64), (0.04, 21.0 / 365.25, 17), (1.5, 1.0 / 12.0, 240)]
            {
                let looped: f64 = (0..n).map(|k| (1.0 + r).powf(-(start + k as f64 * cycle))).sum();
                let closed = d.cycle_sum(start, cycle, n);
                assert!(
                    (closed - looped).abs() < 1e-12 * looped,
                    "r={r} n={n}: {closed} vs {looped}"
                );
            }
            assert_eq!(d.cycle_sum(0.0, 0.1, 0), 0.0);
        }
    }

    #[test]
    fn cycles_are_counted_strictly_before_the_end() {
        let c = Cycle::new(0.1);
        assert_eq!(cycles_before(0.0, 0.05, c, u64::MAX, f64::INFINITY), 1);
        assert_eq!(cycles_before(0.0, 0.25, c, u64::MAX, f64::INFINITY), 3);
        assert_eq!(cycles_before(1.0, 0.5, c, u64::MAX, f64::INFINITY), 0);
        assert_eq!(cycles_before(0.0, 10.0, c, 4, f64::INFINITY), 4);
        assert_eq!(cycles_before(0.0, 10.0, c, u64::MAX, 0.35), 4);
        assert_eq!(cycles_before(0.0, f64::INFINITY, c, 6, f64::INFINITY), 6);
        // Exact multiples (regression: 196 days / 28 days rounds to 7.000000000000001).
        let (day, week) = (1.0 / 365.25, 7.0 / 365.25);
        assert_eq!(cycles_before(0.0, 10.0, Cycle::new(28.0 * day), u64::MAX, 196.0 * day), 7);
        assert_eq!(cycles_before(0.0, 10.0, Cycle::new(3.0 * week), u64::MAX, 15.0 * week), 5);
        assert_eq!(cycles_before(0.0, 10.0, Cycle::new(21.0 * day), u64::MAX, 609.0 * day), 29);
        assert_eq!(
            cycles_before(0.0, 196.0 * day, Cycle::new(28.0 * day), u64::MAX, f64::INFINITY),
            7
        );
        for k in 1..2000u32 {
            for cycle_days in [1.0, 7.0, 14.0, 21.0, 28.0, 30.0, 42.0] {
                let cycle = cycle_days * day;
                let end = f64::from(k) * cycle_days * day;
                assert_eq!(
                    cycles_before(0.0, end, Cycle::new(cycle), u64::MAX, f64::INFINITY),
                    u64::from(k)
                );
            }
        }
        // Brute force over awkward values.
        for i in 0..500 {
            let end = i as f64 * 0.0137;
            let cycle = 0.0767;
            let brute = (0..).take_while(|k| (*k as f64) * cycle < end && *k < 5).count() as u64;
            assert_eq!(
                cycles_before(0.0, end, Cycle::new(cycle), 5, f64::INFINITY),
                brute,
                "end {end}"
            );
        }
    }

    /// The ceiling as it was written before it lost its branches: the reference (with the
    /// same quotient, span × (1/cycle)).
    fn cycles_before_branching(
        start: f64,
        end: f64,
        cycle: f64,
        max_cycles: u64,
        max_duration: f64,
    ) -> u64 {
        let span = (end - start).min(max_duration);
        if !(span > 0.0) {
            return 0;
        }
        let q = span * (1.0 / cycle) - CYCLE_TOLERANCE;
        if !(q > 0.0) {
            return 0;
        }
        if q >= max_cycles as f64 {
            return max_cycles;
        }
        let whole = q as u64;
        if (whole as f64) < q { whole + 1 } else { whole }
    }

    #[test]
    fn branch_free_ceiling_matches_the_branching_one() {
        let (day, big) = (1.0 / 365.25, TWO_52);
        let ends = [
            -1.0,
            0.0,
            1e-12,
            0.05,
            28.0 * day,
            196.0 * day,
            1.0 - 1e-15,
            7.5,
            40.0,
            1e6,
            big * 0.1,
            big * 0.1 + 0.1,
            big * 0.7,
            big - 0.75,
            big - 0.5,
            big - 0.25,
            big,
            big + 2.0,
            1e17,
            1e19,
            1e30,
            f64::INFINITY,
            f64::NAN,
        ];
        let cycles = [day, 21.0 * day, 28.0 * day, 0.1, 1.0, 0.5 + 1e-13];
        let caps = [0, 1, 3, 7, 1 << 52, (1 << 53) + 1, u64::MAX - 1, u64::MAX];
        let durations = [0.0, 196.0 * day, 2.0, f64::INFINITY, f64::NAN];
        for &end in &ends {
            for &start in &[0.0, 0.3, -0.2, 1e-300] {
                for &cycle in &cycles {
                    for &cap in &caps {
                        for &duration in &durations {
                            assert_eq!(
                                cycles_before(start, end, Cycle::new(cycle), cap, duration),
                                cycles_before_branching(start, end, cycle, cap, duration),
                                "start {start} end {end} cycle {cycle} cap {cap} max {duration}"
                            );
                        }
                    }
                }
            }
        }
    }
}
