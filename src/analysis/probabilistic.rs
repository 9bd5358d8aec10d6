//! The probabilistic summary: every arm's row of summary.csv on the means over the PSA
//! samples (each sample's mean per patient, averaged with equal weight), as HTA bodies expect
//! the base result of a probabilistic model (NICE's methods manual 2022, 4.7.5; ISPOR-SMDM
//! 2012), beside the deterministic base case's.

use super::cea::{ArmSummary, Estimate, icer_of};
use super::psa::PsaSample;

/// Mean and standard error of the mean of one number per sample.
fn across(values: impl Iterator<Item = f64> + Clone, n: usize) -> Estimate {
    let nf = n as f64;
    let mean = values.clone().sum::<f64>() / nf;
    let mcse = (n >= 2).then(|| {
        let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf - 1.0);
        (var / nf).sqrt()
    });
    Estimate { mean, mcse }
}

/// Each arm of `base` (the deterministic summary, for the arms' identities and references) on
/// the PSA samples' means: the costs by category, cost, QALYs and life-years, increments
/// against the same reference, the ICER of the mean increments and its quadrant, and the NMB
/// at each threshold. Standard errors are those of the means over samples (the spread across
/// samples / √S: parameter uncertainty and patient noise together). Empty without samples.
pub fn probabilistic_summary(
    base: &[ArmSummary],
    psa: &[PsaSample],
    thresholds: &[f64],
) -> Vec<ArmSummary> {
    let n = psa.len();
    if n == 0 {
        return Vec::new();
    }
    base.iter()
        .enumerate()
        .map(|(i, b)| {
            fn at(s: &PsaSample, i: usize) -> &super::psa::SampleArm {
                &s.arms[i]
            }
            let arm = move |s| at(s, i);
            let reference = move |s| at(s, b.reference);
            let categories: Vec<f64> = (0..b.categories.len())
                .map(|k| psa.iter().map(|s| arm(s).categories[k]).sum::<f64>() / n as f64)
                .collect();
            let mut cost = across(psa.iter().map(|s| arm(s).cost.mean), n);
            if !categories.is_empty() {
                cost.mean = categories.iter().sum();
            }
            let qaly = across(psa.iter().map(|s| arm(s).qaly.mean), n);
            let inc_cost = across(psa.iter().map(|s| arm(s).inc_cost.mean), n);
            let inc_qaly = across(psa.iter().map(|s| arm(s).inc_qaly.mean), n);
            let (icer, icer_status) = icer_of(inc_cost.mean, inc_qaly.mean, b.reference == i);
            let nmb = thresholds
                .iter()
                .map(|&l| {
                    let mut e =
                        across(psa.iter().map(|s| l * arm(s).qaly.mean - arm(s).cost.mean), n);
                    e.mean = l * qaly.mean - cost.mean;
                    e
                })
                .collect();
            let inc_nmb = (0..thresholds.len())
                .map(|k| across(psa.iter().map(|s| arm(s).inc_nmb[k].mean), n))
                .collect();
            ArmSummary {
                strategy: b.strategy,
                contract: b.contract,
                categories,
                cost,
                qaly,
                ly: across(psa.iter().map(|s| arm(s).ly.mean), n),
                ly_undiscounted: across(psa.iter().map(|s| arm(s).ly_undiscounted), n),
                inc_cost,
                inc_qaly,
                inc_ly: across(psa.iter().map(|s| arm(s).ly.mean - reference(s).ly.mean), n),
                icer,
                icer_status,
                reference: b.reference,
                nmb,
                inc_nmb,
            }
        })
        .collect()
}
