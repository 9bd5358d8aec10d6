//! The parameter values of one PSA sample.

use crate::model::Model;
use crate::rng::SampleKey;
use crate::scenario::MAX_MAGNITUDE;

#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error(
        "PSA sample {sample}: parameter `{parameter}` ({dist}) drew {value}, beyond the magnitude limit 1e12; narrow its distribution"
    )]
    OutOfRange { sample: u64, parameter: String, dist: &'static str, value: f64 },
}

/// The value table of sample `sample` (0: the base case, every parameter at its point value).
/// Each uncertain parameter draws `quantile(U)`, U the sample's uniform for that parameter.
pub fn sample_values(model: &Model, seed: u64, sample: u64) -> Result<Vec<f64>, DrawError> {
    let mut values = model.values.clone();
    if sample == 0 {
        return Ok(values);
    }
    let key = SampleKey::new(seed, sample);
    for p in model.parameters.iter().filter(|p| p.is_uncertain()) {
        let slot = p.slot.0 as usize;
        let value = p.dist.quantile(key.uniform(p.process, 0), model.values[slot]);
        if !(value.abs() <= MAX_MAGNITUDE) {
            return Err(DrawError::OutOfRange {
                sample,
                parameter: p.name.clone(),
                dist: p.dist.name(),
                value,
            });
        }
        values[slot] = value;
    }
    Ok(values)
}
