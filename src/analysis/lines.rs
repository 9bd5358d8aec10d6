//! The lines of therapy of each strategy (lines.csv): who starts each line, who responds on
//! it, and for how long they are treated, from the base case's counts.

use super::cea::{Estimate, estimate};
use crate::model::Model;
pub use crate::sim::accumulator::Line;
use crate::sim::accumulator::SampleSums;

/// One line of therapy of a strategy, over its patients in the base case.
#[derive(Clone, Debug, PartialEq)]
pub struct LineRow {
    pub strategy: usize,
    pub line: Line,
    /// Index into `Model::regimens`.
    pub regimen: usize,
    /// For a pathway line: (pathway, state) indices.
    pub state: Option<(usize, usize)>,
    /// Share of the strategy's patients who start the line before the horizon.
    pub started: f64,
    /// Share of those who started who respond (first and second lines, and the lines of
    /// pathways that mark a state `response`; none when nobody started).
    pub response: Option<f64>,
    /// Mean years on treatment per patient who started, undiscounted, within the horizon
    /// (none when nobody started).
    pub time_on_treatment: Option<Estimate>,
}

/// A line strategy's patients can start: on which regimen, in which pathway state (a pathway
/// line), and where it is counted among the strategy's line sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineOf {
    pub line: Line,
    pub regimen: usize,
    pub state: Option<(usize, usize)>,
    pub slot: usize,
}

/// The lines strategy `s` can start, in the table's order: bridging, first lines, second lines
/// (each by regimen, in model order), then the treated states of the pathways it reaches.
pub fn lines_of(model: &Model, s: usize) -> Vec<LineOf> {
    let strategy = &model.strategies[s];
    let n = model.regimens.len();
    let mut first: Vec<usize> = strategy.rules.iter().map(|&(_, r)| r).collect();
    first.push(strategy.default);
    first.sort_unstable();
    first.dedup();
    let mut second: Vec<usize> = first
        .iter()
        .filter_map(|&r| model.regimens[r].second_line.as_ref())
        .flat_map(|sl| sl.regimens())
        .collect();
    second.sort_unstable();
    second.dedup();
    let on = |line: Line, regimen: usize| LineOf {
        line,
        regimen,
        state: None,
        slot: line.slot(regimen, n),
    };
    let mut out: Vec<LineOf> = strategy.bridging.iter().map(|&b| on(Line::Bridging, b)).collect();
    out.extend(first.iter().map(|&r| on(Line::First, r)));
    out.extend(second.iter().map(|&r| on(Line::Second, r)));
    for (p, k, slot) in model.pathway_slots(s) {
        if let Some(regimen) = model.pathways[p].states[k].regimen {
            let slot = Line::Pathway.slot(slot, n);
            out.push(LineOf { line: Line::Pathway, regimen, state: Some((p, k)), slot });
        }
    }
    out
}

/// Every strategy's lines of therapy from the base case's sums.
pub fn line_rows(model: &Model, sums: &SampleSums) -> Vec<LineRow> {
    let n = sums.patients;
    let mut rows = Vec::new();
    for (s, lines) in sums.lines.iter().enumerate() {
        for LineOf { line, regimen, state, slot } in lines_of(model, s) {
            let x = lines[slot];
            let started = (x.started > 0).then_some(x.started);
            rows.push(LineRow {
                strategy: s,
                line,
                regimen,
                state,
                started: x.started as f64 / n as f64,
                response: started
                    .filter(|_| reads_response(model, line, state))
                    .map(|k| x.responded as f64 / k as f64),
                time_on_treatment: started.map(|k| estimate(x.time, x.time2, k)),
            });
        }
    }
    rows
}

/// Whether a line has a response: first and second lines do; a pathway state's line does when
/// its pathway marks a state `response` (a course's response is entering one).
fn reads_response(model: &Model, line: Line, state: Option<(usize, usize)>) -> bool {
    match (line, state) {
        (Line::First | Line::Second, _) => true,
        (Line::Pathway, Some((p, _))) => model.pathways[p].states.iter().any(|s| s.response),
        _ => false,
    }
}
