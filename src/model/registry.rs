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

#[derive(Clone, Debug)]
pub struct Registry {
    pub name: String,
    /// The contract whose registry collects the data: its decision set is the decision the
    /// information serves.
    pub contract: usize,
    /// The uncertain parameter the data inform ([`super::Model::parameters`]).
    pub parameter: usize,
    pub observation: Observation,
    /// Registry sizes to value (patients followed).
    pub patients: Vec<u64>,
    /// What collecting the data costs: per patient followed, and once.
    pub cost_per_patient: f64,
    pub fixed_cost: f64,
}
