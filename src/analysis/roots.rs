//! Root finding on re-simulations of the same patients.

/// A zero of `f` in [lo, hi] given f(lo) and f(hi) of opposite signs, by the Illinois variant
/// of regula falsi (the retained end's value is halved when the same side moves twice, which
/// keeps the linear convergence of the false position from stalling). Stops when |f| is within
/// `tolerance`, or the bracket within 1e-12 of its ends; after 200 steps (a step in f, which
/// discrete patient events can make, has no exact zero) returns the bracket's midpoint.
pub fn illinois<E>(
    mut f: impl FnMut(f64) -> Result<f64, E>,
    (mut lo, mut f_lo): (f64, f64),
    (mut hi, mut f_hi): (f64, f64),
    tolerance: f64,
) -> Result<f64, E> {
    let lo_positive = f_lo > 0.0;
    let mut side = 0i8;
    for _ in 0..200 {
        let x = hi - f_hi * (hi - lo) / (f_hi - f_lo);
        let fx = f(x)?;
        if fx.abs() <= tolerance || (hi - lo).abs() <= 1e-12 * hi.abs().max(lo.abs()) {
            return Ok(x);
        }
        if (fx > 0.0) == lo_positive {
            (lo, f_lo) = (x, fx);
            if side == 1 {
                f_hi *= 0.5;
            }
            side = 1;
        } else {
            (hi, f_hi) = (x, fx);
            if side == -1 {
                f_lo *= 0.5;
            }
            side = -1;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::illinois;

    #[test]
    fn finds_roots_of_smooth_and_step_functions() {
        let cubic = |x: f64| Ok::<f64, ()>(x * x * x - 2.0);
        let r = illinois(cubic, (0.0, -2.0), (2.0, 6.0), 1e-12).unwrap();
        assert!((r - 2f64.cbrt()).abs() < 1e-9, "{r}");
        // Decreasing, the positive end first (as for an NMB falling with a price).
        let line = |x: f64| Ok::<f64, ()>(3.0 - 0.5 * x);
        assert!((illinois(line, (0.0, 3.0), (10.0, -2.0), 1e-12).unwrap() - 6.0).abs() < 1e-9);
        // A step: no zero, the step's place.
        let step = |x: f64| Ok::<f64, ()>(if x < 1.5 { 1.0 } else { -1.0 });
        assert!((illinois(step, (0.0, 1.0), (4.0, -1.0), 1e-12).unwrap() - 1.5).abs() < 1e-9);
    }
}
