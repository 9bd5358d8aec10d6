//! Incremental analysis: strong and extended dominance and the efficiency frontier, with ICERs
//! between frontier neighbours (the algorithm of dampack's `calculate_icers` and of textbook
//! incremental analysis, e.g. Drummond et al., Methods for the Economic Evaluation of Health
//! Care Programmes).

use crate::model::Arm;

/// Which arms are compared together: every strategy either at list (`contract = None`) or
/// under one contract (strategies without that contract stay at list; the comparator too
/// unless `scenario.comparator_contract = "same"` and it gives the contracted drug).
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionSet {
    pub contract: Option<usize>,
    /// Arm indices, one per strategy, in strategy order.
    pub arms: Vec<usize>,
}

/// The decision sets of a model: `list`, then one per contract with arms of its own (a `list`
/// contract settled on the list arms would repeat the `list` set).
pub fn decision_sets(
    arms: &[Arm],
    strategies: usize,
    contracts: usize,
    (comparator, same): (usize, bool),
) -> Vec<DecisionSet> {
    let find =
        |s: usize, c: Option<usize>| arms.iter().position(|a| a.strategy == s && a.contract == c);
    let list = |s| find(s, None).unwrap_or(0);
    let mut sets = vec![DecisionSet { contract: None, arms: (0..strategies).map(list).collect() }];
    for c in 0..contracts {
        if !arms.iter().any(|a| a.contract == Some(c)) {
            continue;
        }
        let arms = (0..strategies)
            .map(|s| {
                if s == comparator && !same {
                    list(s)
                } else {
                    find(s, Some(c)).unwrap_or_else(|| list(s))
                }
            })
            .collect();
        sets.push(DecisionSet { contract: Some(c), arms });
    }
    sets
}

/// An arm's place in the incremental analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontierStatus {
    /// On the efficiency frontier.
    Frontier,
    /// Another arm costs no more and gains no fewer QALYs (and differs), or an identical arm
    /// comes first.
    Dominated,
    /// A mix of two frontier neighbours would cost less per QALY (its ICER exceeds the next
    /// frontier arm's).
    ExtendedlyDominated,
}

impl FrontierStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FrontierStatus::Frontier => "frontier",
            FrontierStatus::Dominated => "dominated",
            FrontierStatus::ExtendedlyDominated => "extendedly_dominated",
        }
    }
}

/// One arm of a decision set in the incremental analysis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrontierRow {
    /// Position in the input.
    pub index: usize,
    pub status: FrontierStatus,
    /// For a frontier arm after the first: the previous frontier arm (input position) and
    /// the increments and ICER against it.
    pub reference: Option<usize>,
    pub inc_cost: Option<f64>,
    pub inc_qaly: Option<f64>,
    pub icer: Option<f64>,
}

/// Incremental analysis of arms with mean `(cost, qaly)`. Rows come back in order of
/// increasing cost (ties: more QALYs first, then input order).
pub fn frontier(points: &[(f64, f64)]) -> Vec<FrontierRow> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[b].1.total_cmp(&points[a].1))
            .then(a.cmp(&b))
    });
    let mut status = vec![FrontierStatus::Frontier; points.len()];
    // Strong dominance: in cost order, an arm is dominated unless it gains strictly more QALYs
    // than every cheaper-or-equal arm before it.
    let mut best: Option<f64> = None;
    for &i in &order {
        match best {
            Some(q) if points[i].1 <= q => status[i] = FrontierStatus::Dominated,
            _ => best = Some(points[i].1),
        }
    }
    // Extended dominance: drop an arm whose ICER from the previous frontier arm exceeds the
    // next one's, until ICERs rise along the frontier.
    loop {
        let live: Vec<usize> =
            order.iter().copied().filter(|&i| status[i] == FrontierStatus::Frontier).collect();
        let icer = |a: usize, b: usize| (points[b].0 - points[a].0) / (points[b].1 - points[a].1);
        let mut dropped = false;
        for w in live.windows(3) {
            if icer(w[0], w[1]) > icer(w[1], w[2]) {
                status[w[1]] = FrontierStatus::ExtendedlyDominated;
                dropped = true;
                break;
            }
        }
        if !dropped {
            break;
        }
    }
    let mut previous: Option<usize> = None;
    order
        .iter()
        .map(|&i| {
            let mut row = FrontierRow {
                index: i,
                status: status[i],
                reference: None,
                inc_cost: None,
                inc_qaly: None,
                icer: None,
            };
            if status[i] == FrontierStatus::Frontier {
                if let Some(p) = previous {
                    let (dc, dq) = (points[i].0 - points[p].0, points[i].1 - points[p].1);
                    row.reference = Some(p);
                    row.inc_cost = Some(dc);
                    row.inc_qaly = Some(dq);
                    row.icer = Some(dc / dq);
                }
                previous = Some(i);
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_and_extended_dominance_by_hand() {
        // A (0, 0); B (100, 1); C (250, 1.5); D (200, 0.8) costs more than B for fewer QALYs;
        // E (400, 2.5). ICER B→C = 300 exceeds C→E = 150: C is extendedly dominated, and the
        // frontier A → B → E has ICERs 100 and 200.
        let points = [(0.0, 0.0), (100.0, 1.0), (250.0, 1.5), (200.0, 0.8), (400.0, 2.5)];
        let rows = frontier(&points);
        let order: Vec<usize> = rows.iter().map(|r| r.index).collect();
        assert_eq!(order, vec![0, 1, 3, 2, 4], "rows in order of cost");
        let status = |i: usize| rows.iter().find(|r| r.index == i).unwrap();
        assert_eq!(status(3).status, FrontierStatus::Dominated);
        assert_eq!(status(2).status, FrontierStatus::ExtendedlyDominated);
        assert_eq!(status(0).status, FrontierStatus::Frontier);
        assert_eq!(status(0).icer, None);
        assert_eq!((status(1).reference, status(1).icer), (Some(0), Some(100.0)));
        assert_eq!((status(4).reference, status(4).icer), (Some(1), Some(200.0)));
        assert_eq!(status(4).inc_cost, Some(300.0));
    }

    #[test]
    fn ties_and_repeated_extended_dominance() {
        // Equal cost: the one with more QALYs stays; an identical arm after the first is
        // dominated. Two arms extendedly dominated in a row are both dropped.
        let points = [
            (0.0, 0.0),
            (100.0, 1.0),
            (100.0, 0.5),
            (100.0, 1.0),
            (150.0, 1.2),
            (190.0, 1.4),
            (200.0, 2.0),
        ];
        let rows = frontier(&points);
        let status = |i: usize| rows.iter().find(|r| r.index == i).unwrap().status;
        assert_eq!(status(2), FrontierStatus::Dominated);
        assert_eq!(status(3), FrontierStatus::Dominated);
        // B (100, 1) → (150, 1.2): 250; → (190, 1.4): 200; → (200, 2): 10/0.6 ≈ 16.7: the two
        // middle arms go; B → (200, 2) is 100 per QALY, after A → B at 100: not above it.
        assert_eq!(status(4), FrontierStatus::ExtendedlyDominated);
        assert_eq!(status(5), FrontierStatus::ExtendedlyDominated);
        assert_eq!(status(6), FrontierStatus::Frontier);
        let last = rows.iter().find(|r| r.index == 6).unwrap();
        assert_eq!((last.reference, last.icer), (Some(1), Some(100.0)));
    }

    #[test]
    fn decision_sets_put_the_comparator_under_the_same_contract_or_keep_it_at_list() {
        // Strategy 0 (comparator) and 1 both give the drug: arms 0 (s0 list), 1 (s0 c0),
        // 2 (s1 list), 3 (s1 c0).
        let arms = [
            Arm { strategy: 0, contract: None },
            Arm { strategy: 0, contract: Some(0) },
            Arm { strategy: 1, contract: None },
            Arm { strategy: 1, contract: Some(0) },
        ];
        let sets = decision_sets(&arms, 2, 1, (0, false));
        assert_eq!(sets[0], DecisionSet { contract: None, arms: vec![0, 2] });
        assert_eq!(sets[1], DecisionSet { contract: Some(0), arms: vec![0, 3] });
        let same = decision_sets(&arms, 2, 1, (0, true));
        assert_eq!(same[0], sets[0]);
        assert_eq!(same[1], DecisionSet { contract: Some(0), arms: vec![1, 3] });
    }
}
