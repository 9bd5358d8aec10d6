//! A contract's outcome registry as a source of evidence (`[[registries]]`): the data it would
//! collect on a stated number of patients, whose expected value of sample information a run
//! with PSA samples estimates (evsi.csv).

/// What the registry observes of each of its patients, informing one uncertain parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Observation {
    /// Whether the patient has the outcome whose probability the parameter is (a response
    /// read at assessment): responders among the patients, binomial.
    Binomial,
    /// Time to the event whose rate (per year) the parameter is, followed for `follow_up`
    /// years: events and time at risk, exponential.
    Exponential { follow_up: f64 },
}

/// A parameter a registry's data inform ([`super::Model::parameters`]) and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Informed {
    pub parameter: usize,
    pub observation: Observation,
}

#[derive(Clone, Debug)]
pub struct Registry {
    pub name: String,
    /// The contract whose registry collects the data: its decision set is the decision the
    /// information serves.
    pub contract: usize,
    /// The uncertain parameters the data inform, each with what the registry observes of it
    /// (1 to 5).
    pub informs: Vec<Informed>,
    /// Registry sizes to value (patients followed).
    pub patients: Vec<u64>,
    /// What collecting the data costs: per patient followed, and once.
    pub cost_per_patient: f64,
    pub fixed_cost: f64,
    /// A two-stage decision on the registry's data (coverage with evidence development).
    pub review: Option<Review>,
}

/// Adopt now under the contract, review after `after_years` on the registry's data from
/// `patients` patients, then keep the contract, reprice to the value-based price given the
/// data, or withdraw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Review {
    /// Whole years of the decision's population treated before the review.
    pub after_years: u64,
    /// The registry's size at the review.
    pub patients: u64,
    /// The payer's irrecoverable cost of withdrawing (money, once).
    pub withdrawal_cost: f64,
}
