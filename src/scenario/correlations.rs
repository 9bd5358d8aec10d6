//! `[[correlations]]`: groups of parameters drawn jointly through a Gaussian copula.

use super::reader::{Reader, Value, join};
use crate::model::*;

/// The parameter a list item names (its index and name), or a located error: not a string, or
/// no such parameter (with the defined ones as help).
pub(super) fn parameter_named<'v>(
    r: &mut Reader,
    nv: &'v Value<'_>,
    np: &str,
    parameters: &[Parameter],
) -> Option<(usize, &'v str)> {
    let name = r.string(nv, np)?;
    let Some(idx) = parameters.iter().position(|q| q.name == name) else {
        let defined = parameters.iter().map(|q| q.name.as_str());
        let help = Some(super::reader::defined_help(name, "parameter", defined));
        r.error_help(nv.span(), np, format!("undefined parameter `{name}`"), help);
        return None;
    };
    Some((idx, name))
}

/// `[[correlations]]`: `parameters = [names]`, `matrix = [[…]]` (symmetric, unit diagonal,
/// positive definite), over uncertain parameters not in a Dirichlet or another group.
pub(super) fn read_correlations(
    r: &mut Reader,
    v: &Value<'_>,
    parameters: &[Parameter],
    dirichlets: &[Vec<usize>],
) -> Option<Vec<Correlation>> {
    let items = r.array(v, "correlations")?;
    let mut out = Vec::new();
    let mut used: Vec<usize> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = format!("correlations[{i}]");
        let Some(t) = r.table(item, &p) else {
            ok = false;
            continue;
        };
        r.check_keys(t, &p, &["parameters", "matrix"]);
        let names = r
            .require(t, &item.span(), &p, "parameters", "the names of the correlated parameters")
            .and_then(|x| r.array(x, &join(&p, "parameters")));
        let Some(names) = names else {
            ok = false;
            continue;
        };
        let mut members = Vec::new();
        for (k, nv) in names.iter().enumerate() {
            let np = format!("{p}.parameters[{k}]");
            let Some((idx, name)) = parameter_named(r, nv, &np, parameters) else {
                ok = false;
                continue;
            };
            let why = if !parameters[idx].is_uncertain() {
                Some("is fixed: only uncertain parameters can be correlated")
            } else if dirichlets.iter().flatten().any(|&d| d == idx) {
                Some("is a Dirichlet share, already drawn jointly with its group")
            } else if used.contains(&idx) || members.contains(&idx) {
                Some("is already in a correlation group")
            } else {
                None
            };
            if let Some(why) = why {
                r.error(nv.span(), &np, format!("parameter `{name}` {why}"));
                ok = false;
                continue;
            }
            members.push(idx);
        }
        let n = names.len();
        let mp = join(&p, "matrix");
        let Some(mv) = r.require(
            t,
            &item.span(),
            &p,
            "matrix",
            "the correlation matrix, one row per parameter",
        ) else {
            ok = false;
            continue;
        };
        let Some(rows) = r.array(mv, &mp) else {
            ok = false;
            continue;
        };
        let mut m = vec![0.0; n * n];
        let mut shape_ok = rows.len() == n;
        for (a, row) in rows.iter().enumerate().take(n) {
            match r.array(row, &format!("{mp}[{a}]")) {
                Some(cells) if cells.len() == n => {
                    for (b, c) in cells.iter().enumerate() {
                        match r.number(c, &format!("{mp}[{a}][{b}]")) {
                            Some(x) => m[a * n + b] = x,
                            None => shape_ok = false,
                        }
                    }
                }
                _ => shape_ok = false,
            }
        }
        if !shape_ok {
            r.error(
                mv.span(),
                &mp,
                format!("expected a {n}×{n} matrix of numbers, one row per parameter"),
            );
            ok = false;
            continue;
        }
        let mut valid = true;
        for a in 0..n {
            for b in 0..n {
                let x = m[a * n + b];
                let bad = if a == b {
                    x != 1.0
                } else {
                    !(-1.0..=1.0).contains(&x) || (x - m[b * n + a]).abs() > 1e-12
                };
                if bad && valid {
                    r.error(
                        mv.span(),
                        &mp,
                        format!("expected a correlation matrix (symmetric, 1 on the diagonal, entries in [-1, 1]); entry [{a}][{b}] is {x}"),
                    );
                    valid = false;
                }
            }
        }
        if !valid {
            ok = false;
            continue;
        }
        let Some(cholesky) = cholesky(&m, n) else {
            r.error(mv.span(), &mp, "expected a positive definite correlation matrix: these correlations cannot hold together");
            ok = false;
            continue;
        };
        if members.len() == n {
            used.extend(&members);
            out.push(Correlation { members, cholesky });
        }
    }
    ok.then_some(out)
}

/// Lower-triangular L with L·Lᵀ = m (n×n, row-major), or `None` if m is not positive definite.
pub(super) fn cholesky(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = m[i * n + i] - s;
                if !(d > 1e-12) {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (m[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}
