//! Small dense linear algebra on row-major slices: the Cholesky factor of a symmetric positive
//! definite matrix and solves with it. Enough for regression normal equations (EVPPI) and the
//! covariance of a maximum-likelihood fit (the inverse of a few-parameter information matrix),
//! where matrices have a handful of rows and a library's generality buys nothing.

/// A·x for A row-major k × k, k = x's length.
pub fn mat_vec(a: &[f64], x: &[f64]) -> Vec<f64> {
    let k = x.len();
    (0..k).map(|i| (0..k).map(|j| a[i * k + j] * x[j]).sum()).collect()
}

/// A·S·Aᵀ for A and symmetric S row-major k × k (a covariance carried through a linear map):
/// A·S first, then its products with A's rows, the lower triangle mirrored so that the result
/// is exactly symmetric.
pub fn congruence(a: &[f64], s: &[f64], k: usize) -> Vec<f64> {
    let as_: Vec<f64> = (0..k * k)
        .map(|ij| (0..k).map(|l| a[(ij / k) * k + l] * s[l * k + ij % k]).sum())
        .collect();
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let x: f64 = (0..k).map(|l| as_[i * k + l] * a[j * k + l]).sum();
            out[i * k + j] = x;
            out[j * k + i] = x;
        }
    }
    out
}

/// The lower Cholesky factor L (row-major p × p, A = L·Lᵀ) of a symmetric positive definite A,
/// read from its lower triangle; `None` if A is not positive definite.
pub fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut sum = a[i * p + j];
            for m in 0..j {
                sum -= l[i * p + m] * l[j * p + m];
            }
            if i == j {
                if !(sum > 0.0) {
                    return None;
                }
                l[i * p + i] = sum.sqrt();
            } else {
                l[i * p + j] = sum / l[j * p + j];
            }
        }
    }
    Some(l)
}

/// Solve A·X = B for symmetric positive definite A (p × p) by Cholesky, B with `k` columns
/// (row-major p × k); `None` if A is not positive definite.
pub fn cholesky_solve(a: &[f64], p: usize, b: &[f64], k: usize) -> Option<Vec<f64>> {
    let l = cholesky(a, p)?;
    let mut x = b.to_vec();
    for c in 0..k {
        for i in 0..p {
            let mut sum = x[i * k + c];
            for m in 0..i {
                sum -= l[i * p + m] * x[m * k + c];
            }
            x[i * k + c] = sum / l[i * p + i];
        }
        for i in (0..p).rev() {
            let mut sum = x[i * k + c];
            for m in i + 1..p {
                sum -= l[m * p + i] * x[m * k + c];
            }
            x[i * k + c] = sum / l[i * p + i];
        }
    }
    Some(x)
}
