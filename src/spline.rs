//! Royston–Parmar splines: a natural cubic spline s(x) in log time x = ln t (Royston & Parmar
//! 2002, Stat Med 21:2175; flexsurv's `flexsurvspline`), the log cumulative hazard of a
//! survival distribution, ln H(t) = s(ln t).
//!
//! With boundary knots k_min < k_max and internal knots k_1 < … < k_m between them,
//! s(x) = γ₀ + γ₁·x + Σⱼ γⱼ₊₁·vⱼ(x) with
//! vⱼ(x) = (x − kⱼ)₊³ − λⱼ·(x − k_min)₊³ − (1 − λⱼ)·(x − k_max)₊³ and
//! λⱼ = (k_max − kⱼ)/(k_max − k_min): a cubic between knots, linear beyond the boundary knots
//! (slope γ₁ on the left, s′(k_max) on the right). The fit of a data set and a scenario's
//! spline distribution share this one definition.

/// Why a set of knots and coefficients does not define a survival distribution.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SplineError {
    #[error("a spline needs 2 or more knots (the boundary knots and any between), found {0}")]
    TooFewKnots(usize),
    #[error("spline knots must be finite and increase strictly, found {0:?}")]
    KnotsNotIncreasing(Vec<f64>),
    #[error("a spline with {knots} knots has {knots} coefficients γ₀…γ{last}, found {found}", last = knots - 1)]
    Coefficients { knots: usize, found: usize },
    #[error("spline coefficient γ{index} must be finite, found {value}")]
    NotFinite { index: usize, value: f64 },
    #[error(
        "the log cumulative hazard must increase with time: its slope is {slope} at log time {at} (the survival would rise there)"
    )]
    Decreasing { at: f64, slope: f64 },
}

/// A natural cubic spline on the log-time scale: its knots (the boundary knots first and last)
/// and its coefficients γ₀…γ_{m+1}, one per knot.
#[derive(Clone, Debug, PartialEq)]
pub struct Spline {
    knots: Vec<f64>,
    gamma: Vec<f64>,
}

/// (u)₊³.
fn cube(u: f64) -> f64 {
    if u > 0.0 { u * u * u } else { 0.0 }
}

/// d/du (u)₊³ = 3(u)₊².
fn cube_slope(u: f64) -> f64 {
    if u > 0.0 { 3.0 * u * u } else { 0.0 }
}

/// d²/du² (u)₊³ = 6(u)₊.
fn cube_curvature(u: f64) -> f64 {
    if u > 0.0 { 6.0 * u } else { 0.0 }
}

/// The basis at x: out[0] = 1, out[1] = x, out[j + 1] = vⱼ(x) for each internal knot.
/// `out` has one entry per knot.
pub fn basis(knots: &[f64], x: f64, out: &mut [f64]) {
    each_term(knots, x, out, cube, 1.0, x);
}

/// The basis's derivatives at x: 0, 1, vⱼ′(x).
pub fn basis_slope(knots: &[f64], x: f64, out: &mut [f64]) {
    each_term(knots, x, out, cube_slope, 0.0, 1.0);
}

/// The basis's second derivatives at x: 0, 0, vⱼ″(x).
fn basis_curvature(knots: &[f64], x: f64, out: &mut [f64]) {
    each_term(knots, x, out, cube_curvature, 0.0, 0.0);
}

/// Fills `out` with the constant's and the linear term's entries, then g applied to each
/// internal knot's term: the three bases differ only in which derivative of (u)₊³ g takes.
fn each_term(
    knots: &[f64],
    x: f64,
    out: &mut [f64],
    g: impl Fn(f64) -> f64,
    first: f64,
    second: f64,
) {
    let n = knots.len();
    let (lo, hi) = (knots[0], knots[n - 1]);
    out[0] = first;
    out[1] = second;
    let (at_lo, at_hi) = (g(x - lo), g(x - hi));
    for j in 1..n - 1 {
        let lambda = (hi - knots[j]) / (hi - lo);
        out[j + 1] = g(x - knots[j]) - lambda * at_lo - (1.0 - lambda) * at_hi;
    }
}

/// Σ γᵢ·bᵢ.
fn dot(gamma: &[f64], b: &[f64]) -> f64 {
    gamma.iter().zip(b).map(|(g, b)| g * b).sum()
}

/// At most this many knots (3 internal): the basis lives on the stack.
pub const MAX_KNOTS: usize = 8;

impl Spline {
    /// A spline from its knots (increasing, boundary knots first and last) and coefficients,
    /// refused unless s increases (s′ ≥ 0 everywhere, γ₁ > 0): a log cumulative hazard that
    /// falls would make the survival rise.
    pub fn new(knots: Vec<f64>, gamma: Vec<f64>) -> Result<Self, SplineError> {
        let spline = Self::unchecked(knots, gamma)?;
        let (at, slope) = spline.min_slope();
        if !(slope >= 0.0) || !(spline.gamma[1] > 0.0) {
            let (at, slope) = if spline.gamma[1] > 0.0 {
                (at, slope)
            } else {
                (spline.knots[0], spline.gamma[1])
            };
            return Err(SplineError::Decreasing { at, slope });
        }
        Ok(spline)
    }

    /// The knots and coefficients checked for shape only (the likelihood of a fit reads a
    /// falling stretch as outside the domain itself).
    pub fn unchecked(knots: Vec<f64>, gamma: Vec<f64>) -> Result<Self, SplineError> {
        if knots.len() < 2 || knots.len() > MAX_KNOTS {
            return Err(SplineError::TooFewKnots(knots.len()));
        }
        if knots.iter().any(|k| !k.is_finite()) || knots.windows(2).any(|w| !(w[0] < w[1])) {
            return Err(SplineError::KnotsNotIncreasing(knots));
        }
        if gamma.len() != knots.len() {
            return Err(SplineError::Coefficients { knots: knots.len(), found: gamma.len() });
        }
        if let Some((index, &value)) = gamma.iter().enumerate().find(|(_, g)| !g.is_finite()) {
            return Err(SplineError::NotFinite { index, value });
        }
        Ok(Self { knots, gamma })
    }

    pub fn knots(&self) -> &[f64] {
        &self.knots
    }

    pub fn gamma(&self) -> &[f64] {
        &self.gamma
    }

    /// s(x).
    pub fn value(&self, x: f64) -> f64 {
        let mut b = [0.0; MAX_KNOTS];
        basis(&self.knots, x, &mut b[..self.knots.len()]);
        dot(&self.gamma, &b)
    }

    /// s′(x).
    pub fn slope(&self, x: f64) -> f64 {
        let mut b = [0.0; MAX_KNOTS];
        basis_slope(&self.knots, x, &mut b[..self.knots.len()]);
        dot(&self.gamma, &b)
    }

    fn curvature(&self, x: f64) -> f64 {
        let mut b = [0.0; MAX_KNOTS];
        basis_curvature(&self.knots, x, &mut b[..self.knots.len()]);
        dot(&self.gamma, &b)
    }

    /// The smallest slope over the whole line and where it is: s′ is γ₁ left of the first
    /// knot, a quadratic between knots (least at an end or where s″, linear there, is 0) and
    /// constant beyond the last knot, so the knots and those turning points are all to check.
    pub fn min_slope(&self) -> (f64, f64) {
        let mut best = (self.knots[0], self.gamma[1]);
        let mut consider = |x: f64| {
            let s = self.slope(x);
            if s < best.1 {
                best = (x, s);
            }
        };
        for w in self.knots.windows(2) {
            let (a, b) = (w[0], w[1]);
            consider(a);
            consider(b);
            let (ca, cb) = (self.curvature(a), self.curvature(b));
            if ca < 0.0 && cb > 0.0 {
                consider(a + (b - a) * (-ca) / (cb - ca));
            }
        }
        best
    }

    /// The x with s(x) = y, for a spline that increases: in closed form on the linear tails,
    /// between knots by Newton steps kept inside a bracket (bisection when a step would leave
    /// it) until the bracket is below 10⁻¹⁴·max(1, |x|) wide or s(x) = y exactly: a time
    /// t = eˣ exact to a relative 10⁻¹⁴, far below anything a simulation resolves. +∞ when the
    /// spline is flat beyond its last knot and stays below y (a cure).
    pub fn inverse(&self, y: f64) -> f64 {
        let n = self.knots.len();
        let (first, last) = (self.knots[0], self.knots[n - 1]);
        let s_first = self.value(first);
        if y <= s_first {
            return first - (s_first - y) / self.gamma[1];
        }
        let s_last = self.value(last);
        if y >= s_last {
            let slope = self.slope(last);
            return if slope > 0.0 { last + (y - s_last) / slope } else { f64::INFINITY };
        }
        // The knot interval holding y, then the root inside it.
        let (mut lo, mut hi) = (first, last);
        for &k in &self.knots[1..n - 1] {
            if self.value(k) < y {
                lo = k
            } else {
                hi = k.min(hi)
            }
            if hi < last {
                break;
            }
        }
        let mut x = 0.5 * (lo + hi);
        for _ in 0..200 {
            let f = self.value(x) - y;
            if f == 0.0 {
                return x;
            }
            if f < 0.0 {
                lo = x
            } else {
                hi = x
            }
            if hi - lo <= 1e-14 * x.abs().max(1.0) {
                break;
            }
            let slope = self.slope(x);
            let newton = x - f / slope;
            x = if slope > 0.0 && newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
        }
        x
    }

    /// The same spline with x measured from a different origin: s̃(x) = s(x + shift), that is
    /// knots k − shift and γ₀ + γ₁·shift (each vⱼ depends on x only through x − k). A change of
    /// time unit: with t̃ = t/c, ln t̃ = ln t − ln c, so the spline in t̃ is `shifted(ln c)`.
    pub fn shifted(&self, shift: f64) -> Self {
        let mut gamma = self.gamma.clone();
        gamma[0] += self.gamma[1] * shift;
        Self { knots: self.knots.iter().map(|k| k - shift).collect(), gamma }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spline with three internal knots whose cubic pieces bend both ways.
    fn example() -> Spline {
        Spline::new(vec![-1.0, 0.2, 0.9, 1.5, 2.5], vec![-0.8, 1.3, 0.12, -0.3, 0.25]).unwrap()
    }

    /// Beyond the boundary knots s is linear: its second differences vanish there, and between
    /// knots the third differences of a cubic are constant.
    #[test]
    fn the_spline_is_natural() {
        let s = example();
        let h = 0.1;
        for x0 in [-3.0, -1.5, 2.6, 4.0, 9.0] {
            let d2 = s.value(x0 + h) - 2.0 * s.value(x0) + s.value(x0 - h);
            assert!(d2.abs() < 1e-12, "second difference {d2} at {x0}");
        }
        // s′ left of the first knot is γ₁; right of the last, its value at the last knot.
        assert!((s.slope(-5.0) - 1.3).abs() < 1e-15);
        assert!((s.slope(7.0) - s.slope(2.5)).abs() < 1e-12);
        // Continuity of s, s′ and s″ at each knot.
        for &k in s.knots() {
            let e = 1e-7;
            assert!((s.value(k + e) - s.value(k - e)).abs() < 1e-6);
            assert!((s.slope(k + e) - s.slope(k - e)).abs() < 1e-6);
            assert!((s.curvature(k + e) - s.curvature(k - e)).abs() < 1e-5);
        }
    }

    /// The slope and curvature bases against central differences of the value.
    #[test]
    fn derivatives_match_differences() {
        let s = example();
        for i in 0..80 {
            let x = -2.0 + 0.061 * f64::from(i);
            let h = 1e-5;
            let d1 = (s.value(x + h) - s.value(x - h)) / (2.0 * h);
            assert!((s.slope(x) - d1).abs() < 1e-8, "slope at {x}");
            let d2 = (s.slope(x + h) - s.slope(x - h)) / (2.0 * h);
            assert!((s.curvature(x) - d2).abs() < 1e-7, "curvature at {x}");
        }
    }

    #[test]
    fn inverse_undoes_the_spline_everywhere() {
        let s = example();
        for i in 0..400 {
            let x = -6.0 + 0.03 * f64::from(i);
            let back = s.inverse(s.value(x));
            assert!((back - x).abs() < 1e-12 * x.abs().max(1.0), "{x} came back as {back}");
        }
    }

    /// The smallest slope against a fine grid, on a spline that is not monotone.
    #[test]
    fn min_slope_finds_the_least_slope() {
        let knots = vec![-1.0, 0.0, 1.0];
        let s = Spline::unchecked(knots.clone(), vec![0.0, 0.2, 0.4]).unwrap();
        let (_, least) = s.min_slope();
        let grid =
            (0..=40_000).map(|i| s.slope(-2.0 + 1e-4 * f64::from(i))).fold(f64::INFINITY, f64::min);
        assert!(least <= grid + 1e-12 && least > grid - 1e-6, "{least} vs grid {grid}");
        assert!(least < 0.0);
        assert!(matches!(
            Spline::new(knots, vec![0.0, 0.2, 0.4]),
            Err(SplineError::Decreasing { .. })
        ));
    }

    #[test]
    fn a_shift_moves_the_origin_only() {
        let s = example();
        let c = 2.7_f64.ln();
        let t = s.shifted(c);
        for x in [-3.0, 0.1, 1.0, 2.0, 5.0] {
            assert!((t.value(x - c) - s.value(x)).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_knots_and_coefficients_are_refused() {
        assert_eq!(Spline::unchecked(vec![1.0], vec![0.0]), Err(SplineError::TooFewKnots(1)));
        assert!(matches!(
            Spline::unchecked(vec![0.0, 0.0, 1.0], vec![0.0; 3]),
            Err(SplineError::KnotsNotIncreasing(_))
        ));
        assert_eq!(
            Spline::unchecked(vec![0.0, 1.0], vec![0.0; 3]),
            Err(SplineError::Coefficients { knots: 2, found: 3 })
        );
        assert!(matches!(
            Spline::new(vec![0.0, 1.0], vec![0.0, -1.0]),
            Err(SplineError::Decreasing { .. })
        ));
    }
}
