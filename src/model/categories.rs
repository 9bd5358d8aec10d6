//! The cost categories of a model: their names (the rows of costs.csv) and their positions in a
//! patient's ledger, one table shared by the engine, the analyses and the writers.

use super::Model;

/// Positions of the cost categories in a ledger, matching [`crate::model::Model::categories`]:
/// testing, one per drug, administration, adverse events, progression-free state, progressed
/// state, post-progression therapy, terminal care.
#[derive(Clone, Copy, Debug)]
pub struct CategoryIndex {
    pub drugs: usize,
    pub contracts: usize,
}

impl CategoryIndex {
    pub const TESTING: usize = 0;
    #[inline]
    pub fn drug(self, d: usize) -> usize {
        1 + d
    }
    #[inline]
    pub fn administration(self) -> usize {
        1 + self.drugs
    }
    #[inline]
    pub fn adverse_events(self) -> usize {
        2 + self.drugs
    }
    #[inline]
    pub fn progression_free(self) -> usize {
        3 + self.drugs
    }
    #[inline]
    pub fn progressed(self) -> usize {
        4 + self.drugs
    }
    #[inline]
    pub fn post_progression(self) -> usize {
        5 + self.drugs
    }
    #[inline]
    pub fn terminal_care(self) -> usize {
        6 + self.drugs
    }
    /// `rebate:<contract>`: refunds, as negative costs.
    #[inline]
    pub fn rebate(self, c: usize) -> usize {
        7 + self.drugs + c
    }
    #[inline]
    pub fn contract_admin(self) -> usize {
        7 + self.drugs + self.contracts
    }
    /// Scenarios without contracts have no rebate or contract_admin categories.
    pub fn len(self) -> usize {
        if self.contracts == 0 { 7 + self.drugs } else { 8 + self.drugs + self.contracts }
    }
    pub fn is_empty(self) -> bool {
        false
    }
}

impl Model {
    /// Cost categories of the model, in the order of costs.csv.
    pub fn categories(&self) -> Vec<String> {
        let mut c = vec!["testing".to_string()];
        c.extend(self.drugs.iter().map(|d| format!("drug:{d}")));
        c.extend(
            [
                "administration",
                "adverse_events",
                "state:progression_free",
                "state:progressed",
                "post_progression",
                "terminal_care",
            ]
            .map(String::from),
        );
        if !self.contracts.is_empty() {
            c.extend(self.contracts.iter().map(|k| format!("rebate:{}", k.name)));
            c.push("contract_admin".to_string());
        }
        c
    }
}
