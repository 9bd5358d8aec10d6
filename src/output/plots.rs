//! Plots as PNG and SVG, drawn from result tables (never from the engine).
//!
//! Text is rendered with an embedded DejaVu Sans (Bitstream Vera licence, see
//! assets/fonts/LICENSE-DejaVu.txt), registered once, so plots render the same on a machine
//! without any installed font.

use super::legend::Swatch;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use std::path::Path;
use std::sync::Once;

pub(super) static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

const SIZE: (u32, u32) = (900, 560);
/// Dash and gap (pixels) of a dashed series.
const DASH: (u32, u32) = (8, 5);

/// Colours that stay distinct in print and for common colour-vision deficiencies (Okabe–Ito).
const PALETTE: [RGBColor; 16] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
    // Beyond eight series (a scenario with many contracts): Paul Tol's muted scheme.
    RGBColor(204, 102, 119),
    RGBColor(51, 34, 136),
    RGBColor(221, 204, 119),
    RGBColor(17, 119, 51),
    RGBColor(136, 204, 238),
    RGBColor(136, 34, 85),
    RGBColor(68, 170, 153),
    RGBColor(153, 153, 51),
];

/// Why a plot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The drawing or the encoding failed.
    #[error("cannot draw {path}: {message}")]
    Draw { path: String, message: String },
    /// The file could not be written (a full disk…).
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

impl PlotError {
    /// The error with its file named in the output folder `target`, not in the staging folder
    /// it was drawn in (the user knows the one, not the other).
    pub fn in_folder(self, target: &Path) -> Self {
        let moved = |path: String| {
            let name = Path::new(&path).file_name().map(|n| target.join(n));
            name.map_or(path, |p| p.display().to_string())
        };
        match self {
            PlotError::Draw { path, message } => PlotError::Draw { path: moved(path), message },
            PlotError::Write { path, source } => PlotError::Write { path: moved(path), source },
        }
    }
}

/// A named series of (x, y) points.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (e.g. PFS beside OS of the same strategy).
    pub dashed: bool,
    /// Colour index (series of one strategy share it).
    pub colour: usize,
}

/// What to draw.
#[derive(Clone, Debug)]
pub enum Chart {
    /// Lines over x; `y_range` fixes the y axis (e.g. probabilities in [0, 1]).
    Lines { series: Vec<Series>, y_range: Option<(f64, f64)> },
    /// Points, with lines through the origin of the given slopes (willingness-to-pay lines on
    /// the cost-effectiveness plane, y = λ·x), each labelled where it leaves the plot, and each
    /// series' mean (`means`, aligned with `series`; empty for none) drawn larger, outlined.
    Scatter { series: Vec<Series>, slopes: Vec<(String, f64)>, means: Vec<(f64, f64)> },
    /// Grouped bars: per group, (bar label, value).
    Bars { groups: Vec<(String, Vec<(String, f64)>)> },
    /// Small multiples on one y scale: per panel, stacked bars at x = 1, 2, … (positive
    /// segments up from zero, negative ones down) and a line with markers.
    StackedPanels { panels: Vec<Panel> },
    /// A tornado: one row per parameter (first on top), bars from the base value to the
    /// result at the parameter's low and high end; a vertical line at the base value and one
    /// at a reference (e.g. incremental NMB 0).
    Tornado { rows: Vec<TornadoRow>, base: f64, reference: Option<(String, f64)> },
    /// A grid of cells coloured by a value's sign and size (blue above zero, orange below):
    /// `values` row-major, y outer and x inner.
    Heatmap { xs: Vec<f64>, ys: Vec<f64>, values: Vec<f64> },
}

/// One row of [`Chart::Tornado`]: the result at each end, or a note when it is off the scale
/// (drawn to the edge: `false` the left one, `true` the right one).
#[derive(Clone, Debug)]
pub struct TornadoRow {
    pub label: String,
    pub low: TornadoEnd,
    pub high: TornadoEnd,
}

#[derive(Clone, Debug)]
pub enum TornadoEnd {
    At(f64),
    OffScale { right: bool, note: String },
}

/// One panel of [`Chart::StackedPanels`].
#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    /// (segment name, value at each x); every panel lists the same segments in one order.
    pub stacks: Vec<(String, Vec<f64>)>,
    /// (name, value at each x).
    pub line: (String, Vec<f64>),
    /// The line's 95 % interval at each x across PSA samples, drawn as error bars (empty
    /// without one).
    pub band: Vec<(f64, f64)>,
}

/// Labels and data of one plot.
#[derive(Clone, Debug)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub chart: Chart,
}

/// Give plotters the embedded font, once.
fn register() {
    REGISTER.call_once(|| {
        // The font is embedded and valid; a failure would leave plotters without text, which
        // the plot tests catch.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Draw `plot` as `<stem>.png` and `<stem>.svg` in `dir`.
///
/// Both are drawn in memory and written whole, and every write is checked: plotters' own
/// file output drops the error of its last buffered write, so a full disk would leave a
/// truncated image behind a success.
pub fn write(dir: &Path, stem: &str, plot: &Plot) -> Result<(), PlotError> {
    register();
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let fail =
        |path: &Path, e: String| PlotError::Draw { path: path.display().to_string(), message: e };
    let save = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes)
            .map_err(|source| PlotError::Write { path: path.display().to_string(), source })
    };
    let size = match &plot.chart {
        Chart::StackedPanels { panels } => {
            let rows = panels.len().div_ceil(PANEL_COLUMNS).max(1) as u32;
            (1200, 80 + 340 * rows)
        }
        Chart::Bars { groups } => {
            // Room for every group's row of bars.
            let bars = groups.first().map_or(1, |g| g.1.len().max(1)) as u32;
            let rows = groups.len() as u32 * (10 * bars + 12);
            (SIZE.0, SIZE.1.max(130 + rows))
        }
        _ => SIZE,
    };
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let canvas = super::png_text::PngCanvas::new(&mut pixels, size)
            .ok_or_else(|| fail(&png, "the embedded font cannot be read".into()))?;
        let root = canvas.into_drawing_area();
        render(&root, plot).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, e.to_string()))?;
    }
    // The encoder plotters uses to save a PNG, with its settings: the same bytes.
    let mut encoded = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut encoded),
        &pixels,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )
    .map_err(|e| fail(&png, e.to_string()))?;
    save(&png, &encoded)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        render(&root, plot).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.to_string()))?;
    }
    save(&svg, text.as_bytes())
}

/// The range of values with a margin; a single value gets a unit-wide range.
fn range(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { lo.abs().max(1.0) * 0.5 };
    (lo - pad, hi + pad)
}

/// A tick label: whole numbers for large spans (thousands separated: 300,000), else up to four
/// significant decimals, and no negative zero.
fn tick(v: f64, span: f64) -> String {
    let decimals =
        if span >= 100.0 { 0 } else { (2.0 - span.log10().floor()).clamp(0.0, 6.0) as usize };
    if decimals == 0 {
        let text = super::tables::grouped(v, 0);
        return if text == "-0" { "0".to_string() } else { text };
    }
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".to_string() } else { text }
}

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

use plotters::coord::types::RangedCoordf64;

type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The title's font: 22 px, smaller (down to 12) when the title would not fit the plot's width
/// (long arm names), so that it is never cut at the edges.
fn title_font<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> (&'static str, u32) {
    let room = root.dim_in_pixel().0.saturating_sub(24);
    let fits = |size: u32| {
        let style = TextStyle::from(("sans-serif", size));
        root.estimate_text_size(title, &style).is_ok_and(|(w, _)| w <= room)
    };
    ("sans-serif", (12..=22).rev().find(|&size| fits(size)).unwrap_or(12))
}

/// The series legend, boxed, at `position`.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(|e| e.to_string())
}

/// Title, x-y axes over `xs` × `ys` with their labels and ticks, and the grid.
fn axes<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    plot: &Plot,
    xs: (f64, f64),
    ys: (f64, f64),
    y_area: u32,
) -> Result<Chart2d<'a, DB>, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut builder = ChartBuilder::on(root);
    // (No caption when the title was drawn over the whole plot, legend column included.)
    if !plot.title.is_empty() {
        builder.caption(&plot.title, title_font(root, &plot.title));
    }
    let mut chart = builder
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xs.0..xs.1, ys.0..ys.1)
        .map_err(err)?;
    let (xspan, yspan) = (xs.1 - xs.0, ys.1 - ys.0);
    chart
        .configure_mesh()
        .x_desc(&plot.x_label)
        .y_desc(&plot.y_label)
        .x_label_formatter(&|v| tick(*v, xspan))
        .y_label_formatter(&|v| tick(*v, yspan))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

fn render<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, plot: &Plot) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    match &plot.chart {
        Chart::Lines { series, y_range } => {
            let xs = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), false);
            let ys = y_range.unwrap_or_else(|| {
                range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), true)
            });
            // One entry per name: a curve drawn in pieces (a CEAF by optimal arm) is listed once.
            let mut entries: Vec<(String, Swatch)> = Vec::new();
            for s in series {
                if !entries.iter().any(|(name, _)| *name == s.name) {
                    let dash = s.dashed.then_some(DASH);
                    entries.push((s.name.clone(), Swatch::Line { colour: colour(s.colour), dash }));
                }
            }
            let area = super::legend::beside(root, &entries)?;
            let mut chart = axes(&area, plot, xs, ys, 80)?;
            for s in series {
                let style = ShapeStyle::from(colour(s.colour)).stroke_width(2);
                let points = s.points.iter().copied();
                if s.dashed {
                    let (dash, gap) = DASH;
                    chart.draw_series(DashedLineSeries::new(points, dash, gap, style))
                } else {
                    chart.draw_series(LineSeries::new(points, style))
                }
                .map_err(err)?;
            }
        }
        Chart::Scatter { series, slopes, means } => {
            let points = || series.iter().flat_map(|s| s.points.iter()).chain(means.iter());
            let xs = range(points().map(|p| p.0), true);
            let ys = range(points().map(|p| p.1), true);
            let grey = RGBColor(120, 120, 120);
            // Each willingness-to-pay line with a dash of its own.
            let dash = |k: usize| (6 + 3 * k as u32, 4);
            let lines = slopes.iter().enumerate().map(|(k, (name, _))| {
                (name.clone(), Swatch::Line { colour: grey, dash: Some(dash(k)) })
            });
            // Past the palette's sixteen colours, rings: no two arms look alike below 32.
            let hollow = |s: &Series| s.colour / PALETTE.len() % 2 == 1;
            let dots = series.iter().map(|s| {
                let c = colour(s.colour);
                (s.name.clone(), if hollow(s) { Swatch::Ring(c) } else { Swatch::Dot(c) })
            });
            let mean = (!means.is_empty())
                .then(|| ("mean of each arm (outlined)".to_string(), Swatch::Ring(BLACK)));
            let entries: Vec<(String, Swatch)> = lines.chain(dots).chain(mean).collect();
            let area = super::legend::beside(root, &entries)?;
            let mut chart = axes(&area, plot, xs, ys, 90)?;
            let label = TextStyle::from(("sans-serif", 12)).color(&grey);
            let mut placed: Vec<(i32, i32)> = Vec::new();
            for (k, (name, slope)) in slopes.iter().enumerate() {
                let style = ShapeStyle::from(grey).stroke_width(1);
                let line = vec![(xs.0, slope * xs.0), (xs.1, slope * xs.1)];
                let (d, gap) = dash(k);
                chart.draw_series(DashedLineSeries::new(line, d, gap, style)).map_err(err)?;
                // Labelled where the line leaves the plot: at its right edge, or at the top or
                // bottom when it leaves there first.
                let x =
                    if *slope == 0.0 { xs.1 } else { (ys.1 / slope).max(ys.0 / slope).min(xs.1) };
                let (px, mut py) = chart.backend_coord(&(x, slope * x));
                // Below a label already there, not over it (lines close at the edge).
                while placed
                    .iter()
                    .any(|&(qx, qy): &(i32, i32)| (qx - px).abs() < 120 && (qy - py).abs() < 14)
                {
                    py += 14;
                }
                placed.push((px, py));
                let at = Text::new(
                    name.clone(),
                    (px - 4, py + 4),
                    label.clone().pos(Pos::new(HPos::Right, VPos::Top)),
                );
                area.draw(&at).map_err(err)?;
            }
            for s in series {
                let c = colour(s.colour);
                let style = if hollow(s) { c.stroke_width(1) } else { c.mix(0.6).filled() };
                let radius = if hollow(s) { 3 } else { 2 };
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, radius, style)))
                    .map_err(err)?;
            }
            for (s, &m) in series.iter().zip(means) {
                let c = colour(s.colour);
                chart.draw_series([Circle::new(m, 6, c.filled())]).map_err(err)?;
                chart.draw_series([Circle::new(m, 6, BLACK.stroke_width(2))]).map_err(err)?;
            }
        }
        Chart::Bars { groups } => render_bars(root, plot, groups)?,
        Chart::StackedPanels { panels } => render_panels(root, plot, panels)?,
        Chart::Tornado { rows, base, reference } => {
            render_tornado(root, plot, rows, *base, reference.as_ref())?
        }
        Chart::Heatmap { xs, ys, values } => render_heatmap(root, plot, xs, ys, values)?,
    }
    Ok(())
}

/// Cell edges: midpoints between grid values, half a step beyond the ends.
fn edges(v: &[f64]) -> Vec<f64> {
    let step = if v.len() > 1 { v[1] - v[0] } else { 1.0 };
    let mut e = vec![v[0] - step / 2.0];
    e.extend(v.windows(2).map(|w| 0.5 * (w[0] + w[1])));
    e.push(v[v.len() - 1] + step / 2.0);
    e
}

/// The segments of the line where a field sampled at the grid points (`values[j·X + i]` at
/// (xs[i], ys[j])) is zero, by marching squares: on each square's edges the crossing is
/// interpolated linearly, so that a field linear in x and y gives its exact zero line. At a
/// saddle (signs alternating round the square) the square's mean decides the pairing.
pub(super) fn zero_contour(xs: &[f64], ys: &[f64], values: &[f64]) -> Vec<[(f64, f64); 2]> {
    let at = |i: usize, j: usize| values[j * xs.len() + i];
    let mut out = Vec::new();
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..xs.len().saturating_sub(1) {
            // Corners counter-clockwise from (i, j); edge k joins corner k to corner k + 1.
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let v = corners.map(|(a, b)| at(a, b));
            let p = corners.map(|(a, b)| (xs[a], ys[b]));
            let mut crossings = Vec::with_capacity(4);
            for k in 0..4 {
                let (a, b) = (v[k], v[(k + 1) % 4]);
                if (a < 0.0) != (b < 0.0) {
                    let t = a / (a - b);
                    let (pa, pb) = (p[k], p[(k + 1) % 4]);
                    crossings.push((pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1)));
                }
            }
            match crossings.len() {
                2 => out.push([crossings[0], crossings[1]]),
                4 => {
                    // Corner 0's sign rules the middle when the mean has it: join round it.
                    let mean = v.iter().sum::<f64>() / 4.0;
                    if (mean < 0.0) == (v[0] < 0.0) {
                        out.push([crossings[0], crossings[1]]);
                        out.push([crossings[2], crossings[3]]);
                    } else {
                        out.push([crossings[3], crossings[0]]);
                        out.push([crossings[1], crossings[2]]);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A value's colour on the heatmap's diverging scale: white at 0, blue above, orange below,
/// full at ±`largest`.
fn shade(v: f64, largest: f64) -> RGBColor {
    let base = if v >= 0.0 { colour(0) } else { colour(1) };
    let t = (v.abs() / largest).clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - t * (255.0 - f64::from(c))).round() as u8;
    RGBColor(mix(base.0), mix(base.1), mix(base.2))
}

fn render_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot,
    xs: &[f64],
    ys: &[f64],
    values: &[f64],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    if xs.is_empty() || ys.is_empty() {
        return Err("an empty grid".into());
    }
    let (ex, ey) = (edges(xs), edges(ys));
    let (x0, x1, y0, y1) = (ex[0], ex[ex.len() - 1], ey[0], ey[ey.len() - 1]);
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    // The colour scale in a column at the right, under the legend of the zero line.
    let entry = [("incremental NMB = 0".to_string(), Swatch::Line { colour: BLACK, dash: None })];
    let (w, _) = root.dim_in_pixel();
    let column = super::legend::width(root, &entry).max(170);
    // The title over the whole width: the axes under it are narrower.
    let titled = root.titled(&plot.title, title_font(root, &plot.title)).map_err(err)?;
    let (area, side) = titled.split_horizontally(w - column);
    let untitled = Plot { title: String::new(), ..plot.clone() };
    let mut chart = axes(&area, &untitled, (x0, x1), (y0, y1), 80)?;
    for (c, v) in values.iter().enumerate() {
        let (i, j) = (c % xs.len(), c / xs.len());
        let cell =
            Rectangle::new([(ex[i], ey[j]), (ex[i + 1], ey[j + 1])], shade(*v, largest).filled());
        chart.draw_series(std::iter::once(cell)).map_err(err)?;
    }
    let line = ShapeStyle::from(BLACK).stroke_width(3);
    let contour = zero_contour(xs, ys, values);
    chart.draw_series(contour.iter().map(|s| PathElement::new(s.to_vec(), line))).map_err(err)?;
    super::legend::draw(&side, &entry)?;
    // The scale: a bar of the colours from −largest to +largest with its ticks.
    let scale_area = side.margin(super::legend::TOP + 24, 60, 20, 10);
    let mut bar = ChartBuilder::on(&scale_area)
        .caption("incremental NMB", ("sans-serif", 13))
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..1.0, -largest..largest)
        .map_err(err)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|v| tick(*v, 2.0 * largest))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(err)?;
    let steps = 100;
    bar.draw_series((0..steps).map(|k| {
        let (a, b) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
        let (lo, hi) = (-largest + 2.0 * largest * a, -largest + 2.0 * largest * b);
        Rectangle::new([(0.0, lo), (1.0, hi)], shade(0.5 * (lo + hi), largest).filled())
    }))
    .map_err(err)?;
    Ok(())
}

fn render_tornado<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot,
    rows: &[TornadoRow],
    base: f64,
    reference: Option<&(String, f64)>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let ends = rows.iter().flat_map(|r| [&r.low, &r.high]).filter_map(|e| match e {
        TornadoEnd::At(x) => Some(*x),
        TornadoEnd::OffScale { .. } => None,
    });
    let refs = reference.map(|r| r.1);
    let (lo, hi) = range(ends.chain([base]).chain(refs), false);
    let n = rows.len().max(1);
    // Row k (from the top) sits at y = n − k − 0.5.
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, title_font(root, &plot.title))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(260)
        .build_cartesian_2d(lo..hi, 0.0..n as f64 + 0.8)
        .map_err(err)?;
    let span = hi - lo;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(&plot.x_label)
        .x_label_formatter(&|v| tick(*v, span))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    let label = TextStyle::from(("sans-serif", 13)).pos(Pos::new(HPos::Right, VPos::Center));
    for (k, text) in labels.iter().enumerate() {
        let y = n as f64 - k as f64 - 0.5;
        let (x, y) = chart.backend_coord(&(lo, y));
        root.draw(&Text::new(text.clone(), (x - 8, y), label.clone())).map_err(err)?;
    }
    let note = TextStyle::from(("sans-serif", 12)).pos(Pos::new(HPos::Center, VPos::Center));
    for (which, (name, c)) in
        [("low end", colour(0)), ("high end", colour(1))].into_iter().enumerate()
    {
        let mut notes = Vec::new();
        let bars: Vec<Rectangle<(f64, f64)>> = rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let y = n as f64 - k as f64 - 0.5;
                let end = if which == 0 { &r.low } else { &r.high };
                let x = match end {
                    TornadoEnd::At(x) => *x,
                    TornadoEnd::OffScale { right, note } => {
                        let edge = if *right { hi } else { lo };
                        notes.push((
                            (base + edge) / 2.0,
                            y + if which == 0 { 0.2 } else { -0.2 },
                            note.clone(),
                        ));
                        edge
                    }
                };
                let (y0, y1) = if which == 0 { (y, y + 0.38) } else { (y - 0.38, y) };
                Rectangle::new([(base.min(x), y0), (base.max(x), y1)], c.mix(0.85).filled())
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        for (x, y, text) in notes {
            let (px, py) = chart.backend_coord(&(x, y));
            root.draw(&Text::new(text, (px, py), note.clone())).map_err(err)?;
        }
    }
    let top = n as f64 + 0.8;
    let base_style = ShapeStyle::from(BLACK).stroke_width(2);
    chart
        .draw_series(LineSeries::new([(base, 0.0), (base, top)], base_style))
        .map_err(err)?
        .label("base case")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], base_style));
    if let Some((name, x)) = reference {
        let grey = RGBColor(120, 120, 120);
        let style = ShapeStyle::from(grey).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new([(*x, 0.0), (*x, top)], 6, 4, style))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Panels per row of [`Chart::StackedPanels`].
const PANEL_COLUMNS: usize = 3;

/// The stacked ends of each x: (lowest, highest) of the negative and positive segments.
fn stack_ends(p: &Panel, x: usize) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for (_, v) in &p.stacks {
        let v = v.get(x).copied().unwrap_or(0.0);
        if v >= 0.0 { hi += v } else { lo += v }
    }
    (lo, hi)
}

/// Grouped horizontal bars: one row of bars per group (first on top), its name at the left
/// of the axis (never overlapping its neighbours', however many groups), the values along x,
/// and the legend beside.
fn render_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot,
    groups: &[(String, Vec<(String, f64)>)],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let bars = groups.first().map_or(0, |g| g.1.len()).max(1);
    let names = groups.first().map(|g| g.1.iter().map(|b| b.0.clone()).collect::<Vec<_>>());
    let entries: Vec<(String, Swatch)> = (names.unwrap_or_default().into_iter().enumerate())
        .map(|(b, name)| (name, Swatch::Block(colour(b))))
        .collect();
    // The title over the whole width, the legend beside the bars under it.
    let titled = root.titled(&plot.title, title_font(root, &plot.title)).map_err(err)?;
    let area = super::legend::beside(&titled, &entries)?;
    let xs = range(groups.iter().flat_map(|g| g.1.iter().map(|b| b.1)), true);
    let n = groups.len().max(1);
    let font = TextStyle::from(("sans-serif", 13));
    let widest = (groups.iter())
        .map(|g| area.estimate_text_size(&g.0, &font).map_or(0, |(w, _)| w))
        .max()
        .unwrap_or(0);
    let most = area.dim_in_pixel().0 * 2 / 5;
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size((widest + 14).min(most))
        .build_cartesian_2d(xs.0..xs.1, 0.0..n as f64)
        .map_err(err)?;
    let xspan = xs.1 - xs.0;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(6)
        .x_label_formatter(&|v| tick(*v, xspan))
        .x_desc(&plot.y_label)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    // Group i's band is [n − i − 1, n − i): the first group on top. Its label is placed in
    // the canvas's pixels (the whole `root`: the chart's area starts below the title).
    let label = font.pos(Pos::new(HPos::Right, VPos::Center));
    for (i, g) in groups.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(xs.0, (n - i) as f64 - 0.5));
        root.draw(&Text::new(g.0.clone(), (x - 8, y), label.clone())).map_err(err)?;
    }
    let height = 0.8 / bars as f64;
    for b in 0..bars {
        let c = colour(b);
        chart
            .draw_series(groups.iter().enumerate().filter_map(|(i, g)| {
                let v = g.1.get(b)?.1;
                let top = (n - i) as f64 - 0.1 - b as f64 * height;
                Some(Rectangle::new([(0.0, top), (v, top - height * 0.9)], c.filled()))
            }))
            .map_err(err)?;
    }
    Ok(())
}

fn render_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot,
    panels: &[Panel],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let root = root.titled(&plot.title, title_font(root, &plot.title)).map_err(err)?;
    let n = panels.iter().map(|p| p.line.1.len()).max().unwrap_or(0).max(1);
    // One y scale for every panel, so contracts compare at a glance.
    let ends = panels.iter().flat_map(|p| {
        (0..n).flat_map(move |x| {
            let (lo, hi) = stack_ends(p, x);
            let band = p.band.get(x).copied().unwrap_or((0.0, 0.0));
            [lo, hi, p.line.1.get(x).copied().unwrap_or(0.0), band.0, band.1]
        })
    });
    let ys = range(ends, true);
    // One legend for every panel (they list the same segments in one order), beside them.
    let mut entries: Vec<(String, Swatch)> = panels.first().map_or(Vec::new(), |p| {
        (p.stacks.iter().enumerate())
            .map(|(k, (name, _))| (name.clone(), Swatch::Block(colour(k))))
            .collect()
    });
    if let Some(p) = panels.first() {
        entries.push((p.line.0.clone(), Swatch::Line { colour: BLACK, dash: None }));
    }
    if panels.iter().any(|p| !p.band.is_empty()) {
        let name = format!("{}: 95 % PSA interval", line_name(panels));
        entries.push((name, Swatch::Line { colour: BAND, dash: None }));
    }
    let area = super::legend::beside(&root, &entries)?;
    let columns = panels.len().clamp(1, PANEL_COLUMNS);
    let rows = panels.len().div_ceil(columns).max(1);
    let areas = area.split_evenly((rows, columns));
    for (area, p) in areas.iter().zip(panels) {
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0.5..n as f64 + 0.5, ys.0..ys.1)
            .map_err(err)?;
        let yspan = ys.1 - ys.0;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(10))
            .x_label_formatter(&|v| format!("{}", v.round()))
            .y_label_formatter(&|v| tick(*v, yspan))
            .x_desc(&plot.x_label)
            .y_desc(&plot.y_label)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        let (mut up, mut down) = (vec![0.0; n], vec![0.0; n]);
        for (k, (_, values)) in p.stacks.iter().enumerate() {
            let c = colour(k);
            let bars: Vec<Rectangle<(f64, f64)>> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(x, &v)| {
                    let base = if v >= 0.0 { &mut up[x] } else { &mut down[x] };
                    let (from, to) = (*base, *base + v);
                    *base = to;
                    let xc = x as f64 + 1.0;
                    Rectangle::new([(xc - 0.35, from), (xc + 0.35, to)], c.mix(0.85).filled())
                })
                .collect();
            chart.draw_series(bars).map_err(err)?;
        }
        // The interval first, so that the line and its points sit on it.
        let band = ShapeStyle::from(BAND).stroke_width(2);
        for (x, &(lo, hi)) in p.band.iter().enumerate() {
            let xc = x as f64 + 1.0;
            let bar = [((xc, lo), (xc, hi)), ((xc - 0.2, lo), (xc + 0.2, lo))];
            for (a, b) in bar.into_iter().chain([((xc - 0.2, hi), (xc + 0.2, hi))]) {
                chart
                    .draw_series(std::iter::once(PathElement::new(vec![a, b], band)))
                    .map_err(err)?;
            }
        }
        let points: Vec<(f64, f64)> =
            p.line.1.iter().enumerate().map(|(x, &v)| (x as f64 + 1.0, v)).collect();
        let style = ShapeStyle::from(BLACK).stroke_width(2);
        chart.draw_series(LineSeries::new(points.iter().copied(), style)).map_err(err)?;
        chart
            .draw_series(points.iter().map(|&q| Circle::new(q, 4, BLACK.filled())))
            .map_err(err)?;
    }
    Ok(())
}

/// The name of the panels' line (the same in every panel).
fn line_name(panels: &[Panel]) -> &str {
    panels.first().map_or("", |p| p.line.0.as_str())
}

/// The colour of a PSA interval's error bars.
const BAND: RGBColor = RGBColor(200, 30, 60);

#[cfg(test)]
mod tests {
    use super::*;

    /// The zero line of a field linear in x and y is found exactly: every segment's ends lie
    /// on 2x + 3y = 7 (to rounding), within the grid, and the segments join into one line
    /// across it; a field of one sign has none.
    #[test]
    fn the_zero_contour_of_a_plane_is_its_zero_line() {
        let xs: Vec<f64> = (0..7).map(|i| 0.5 * i as f64).collect();
        let ys: Vec<f64> = (0..5).map(|j| 0.6 * j as f64).collect();
        let field = |x: f64, y: f64| 2.0 * x + 3.0 * y - 7.0;
        let values: Vec<f64> =
            ys.iter().flat_map(|&y| xs.iter().map(move |&x| field(x, y))).collect();
        let segments = zero_contour(&xs, &ys, &values);
        assert!(segments.len() >= 4, "{segments:?}");
        for s in &segments {
            for &(x, y) in s {
                assert!(field(x, y).abs() < 1e-12, "({x}, {y}) off the line");
                assert!((0.0..=3.0).contains(&x) && (0.0..=2.4).contains(&y), "({x}, {y})");
            }
        }
        // Joined: every inner end is shared by two segments.
        let ends: Vec<(f64, f64)> = segments.iter().flatten().copied().collect();
        let shared = |p: &(f64, f64)| {
            ends.iter().filter(|q| (q.0 - p.0).abs() < 1e-12 && (q.1 - p.1).abs() < 1e-12).count()
        };
        assert_eq!(ends.iter().filter(|p| shared(p) == 1).count(), 2, "one open line");
        let positive: Vec<f64> = values.iter().map(|v| v.abs() + 1.0).collect();
        assert!(zero_contour(&xs, &ys, &positive).is_empty());
    }

    /// A legend never covers data: a curve that sweeps the whole plot (0 to 1 and back, across
    /// every x, where a legend inside the axes would have to sit on it) leaves no pixel of its
    /// colour in the legend column but its swatch's.
    #[test]
    fn the_legend_sits_beside_the_data() {
        let zigzag: Vec<(f64, f64)> = (0..=40).map(|i| (i as f64, (i % 2) as f64)).collect();
        let plot = Plot {
            title: "title".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            chart: Chart::Lines {
                series: vec![Series {
                    name: "a curve with a long enough name".into(),
                    points: zigzag,
                    dashed: false,
                    colour: 0,
                }],
                y_range: Some((0.0, 1.0)),
            },
        };
        register();
        let mut pixels = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
        let column;
        {
            let canvas = super::super::png_text::PngCanvas::new(&mut pixels, SIZE).unwrap();
            let root = canvas.into_drawing_area();
            let entries = [("a curve with a long enough name".to_string(), Swatch::Dot(BLACK))];
            column = super::super::legend::width(&root, &entries) as usize;
            render(&root, &plot).unwrap();
            root.present().unwrap();
        }
        assert!(column > 100, "{column}");
        let c = colour(0);
        let left = SIZE.0 as usize - column;
        let (mut in_data, mut in_legend) = (0, 0);
        for y in 0..SIZE.1 as usize {
            for x in 0..SIZE.0 as usize {
                let i = 3 * (y * SIZE.0 as usize + x);
                if pixels[i..i + 3] != [c.0, c.1, c.2] {
                    continue;
                }
                if x < left {
                    in_data += 1;
                    continue;
                }
                in_legend += 1;
                // Only the swatch: its row, within the column's first 40 pixels.
                let row = super::super::legend::TOP as usize;
                assert!(y.abs_diff(row) <= 2 && x < left + 44, "curve pixel at ({x}, {y})");
            }
        }
        assert!(in_data > 1000 && in_legend > 10, "{in_data} {in_legend}");
    }
}
