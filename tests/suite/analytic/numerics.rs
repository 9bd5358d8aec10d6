//! Numerics written out directly: the time-to-event distributions, the complementary error
//! function, adaptive Gauss–Kronrod quadrature and discounting.

// ---------------------------------------------------------------------------------------------
// Time-to-event distributions (docs table, flexsurv parameterisation), written out directly.

#[derive(Clone, Copy, Debug)]
pub(super) enum Dist {
    Exponential { rate: f64 },
    Weibull { shape: f64, scale: f64 },
    LogLogistic { shape: f64, scale: f64 },
    LogNormal { meanlog: f64, sdlog: f64 },
    Gompertz { shape: f64, rate: f64 },
}

impl Dist {
    /// S(t) = P(T > t).
    pub(super) fn surv(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        match *self {
            Dist::Exponential { rate } => (-rate * t).exp(),
            Dist::Weibull { shape, scale } => (-(t / scale).powf(shape)).exp(),
            Dist::LogLogistic { shape, scale } => 1.0 / (1.0 + (t / scale).powf(shape)),
            Dist::LogNormal { meanlog, sdlog } => {
                0.5 * erfc((t.ln() - meanlog) / (sdlog * std::f64::consts::SQRT_2))
            }
            Dist::Gompertz { shape, rate } => {
                if shape == 0.0 {
                    (-rate * t).exp()
                } else {
                    (-(rate / shape) * (shape * t).exp_m1()).exp()
                }
            }
        }
    }

    /// Density f(t) = −S'(t) (of the finite part when there is a cure fraction).
    pub(super) fn dens(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        match *self {
            Dist::Exponential { rate } => rate * (-rate * t).exp(),
            Dist::Weibull { shape, scale } => {
                let z = (t / scale).powf(shape);
                shape / t * z * (-z).exp()
            }
            Dist::LogLogistic { shape, scale } => {
                let z = (t / scale).powf(shape);
                shape / t * z / ((1.0 + z) * (1.0 + z))
            }
            Dist::LogNormal { meanlog, sdlog } => {
                let z = (t.ln() - meanlog) / sdlog;
                (-0.5 * z * z).exp() / (sdlog * t * (2.0 * std::f64::consts::PI).sqrt())
            }
            Dist::Gompertz { shape, rate } => rate * (shape * t).exp() * self.surv(t),
        }
    }
}

/// Complementary error function, to ~1e-16 absolute (enough: it only enters survival
/// probabilities). erf(x) = 2/√π · e^{−x²} · Σ_n 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), a series of
/// positive terms (no cancellation); erfc(x) < 3e-17 beyond x = 6.
pub(super) fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 6.0 {
        return 0.0;
    }
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > 1e-18 * sum {
        n += 1.0;
        term *= 2.0 * x * x / (2.0 * n + 1.0);
        sum += term;
        if n > 1000.0 {
            break;
        }
    }
    let erf = 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp() * sum;
    1.0 - erf
}

// ---------------------------------------------------------------------------------------------
// Quadrature: globally adaptive Gauss–Kronrod 7/15 (QUADPACK QK15 nodes and weights). The panel
// with the largest error estimate is bisected until the summed estimate is below tolerance; this
// copes with the integrable t^(a−1) behaviour of Weibull densities at 0.

const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_5,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_48,
    0.000000000000000000000000000000000,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_224,
    0.063_092_092_629_978_56,
    0.104_790_010_322_250_19,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_42,
    0.204_432_940_075_298_89,
    0.209_482_141_084_727_82,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_64,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

fn gk15(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut kronrod = fc * WGK[7];
    let mut gauss = fc * WG[3];
    for j in 0..7 {
        let x = h * XGK[j];
        let pair = f(c - x) + f(c + x);
        kronrod += WGK[j] * pair;
        if j % 2 == 1 {
            gauss += WG[j / 2] * pair;
        }
    }
    (kronrod * h, ((kronrod - gauss) * h).abs())
}

/// ∫_a^b f, to an absolute error of about `tol`. Starts from panels at most `width` long.
fn integrate_with(f: &dyn Fn(f64) -> f64, a: f64, b: f64, tol: f64, width: f64) -> f64 {
    // Also catches NaN bounds.
    if b.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) {
        return 0.0;
    }
    let n0 = ((b - a) / width).ceil().max(1.0) as usize;
    let mut panels: Vec<(f64, f64, f64, f64)> = (0..n0)
        .map(|i| {
            let lo = a + (b - a) * i as f64 / n0 as f64;
            let hi = if i + 1 == n0 { b } else { a + (b - a) * (i + 1) as f64 / n0 as f64 };
            let (v, e) = gk15(f, lo, hi);
            (lo, hi, v, e)
        })
        .collect();
    for _ in 0..5000 {
        let err: f64 = panels.iter().map(|p| p.3).sum();
        if err <= tol {
            break;
        }
        let worst = (0..panels.len()).max_by(|&i, &j| panels[i].3.total_cmp(&panels[j].3)).unwrap();
        let (lo, hi, _, _) = panels.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        if !(mid > lo && mid < hi) {
            break;
        }
        let (v1, e1) = gk15(f, lo, mid);
        let (v2, e2) = gk15(f, mid, hi);
        panels.push((lo, mid, v1, e1));
        panels.push((mid, hi, v2, e2));
    }
    panels.sort_by(|p, q| p.0.total_cmp(&q.0));
    panels.iter().map(|p| p.2).sum()
}

/// Outer integrals (results of order 1 in years or probabilities).
pub(super) fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    integrate_with(f, a, b, 1e-10, 0.25)
}

/// Inner integrals of nested ones: coarser start, slightly tighter tolerance.
pub(super) fn integrate_inner(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    integrate_with(f, a, b, 1e-11, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Discounting (docs, "Discounting"): d(t) = (1+r)^(−t) = e^(−ρt) with ρ = ln(1+r).

#[derive(Clone, Copy)]
pub(super) struct Disc {
    rho: f64,
}

impl Disc {
    pub(super) fn annual(r: f64) -> Disc {
        Disc { rho: (1.0 + r).ln() }
    }
    pub(super) fn none() -> Disc {
        Disc { rho: 0.0 }
    }
    /// d(t)² is a discount factor with twice the log-rate (used for second moments).
    pub(super) fn squared(self) -> Disc {
        Disc { rho: 2.0 * self.rho }
    }
    pub(super) fn d(self, t: f64) -> f64 {
        (-self.rho * t).exp()
    }
    /// I(x) = ∫_0^x d(t) dt.
    pub(super) fn flow(self, x: f64) -> f64 {
        if self.rho == 0.0 { x } else { -(-self.rho * x).exp_m1() / self.rho }
    }
}
