//! Legends beside the data: a column at the right of a plot, outside its axes, so that no
//! legend hides a curve or a point (a CEAC's curves reach both 0 and 1 at both ends, so no
//! corner inside the axes is free). Each swatch is drawn as its series is: solid or dashed
//! lines with the same dash, dots.

use plotters::coord::Shift;
use plotters::prelude::*;

/// What an entry's swatch shows.
#[derive(Clone, Copy, Debug)]
pub enum Swatch {
    /// A line of this colour, dashed (`Some((dash, gap))` in pixels) or solid.
    Line { colour: RGBColor, dash: Option<(u32, u32)> },
    /// A filled dot.
    Dot(RGBColor),
    /// A filled square (a bar's colour).
    Block(RGBColor),
    /// A ring (an outlined marker).
    Ring(RGBColor),
}

/// The font of legend labels.
const FONT: (&str, u32) = ("sans-serif", 14);
/// Pixels: the swatch's length, the gap after it, the column's padding and the row height.
const SWATCH: i32 = 28;
const GAP: i32 = 8;
const PAD: i32 = 12;
pub(super) const ROW: i32 = 22;
/// Where the first row sits below the top of the plot (under the title).
pub(super) const TOP: i32 = 64;
/// The widest a legend column may be, as a share of the plot's width.
const MOST: f64 = 0.42;

/// The width of the legend column for `entries` on `root` (0 without entries).
pub fn width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    let style = TextStyle::from(FONT);
    let text = entries
        .iter()
        .map(|(name, _)| root.estimate_text_size(name, &style).map_or(0, |(w, _)| w))
        .max()
        .unwrap_or(0);
    // A viewer drawing the SVG with its own sans-serif may set the labels wider than the
    // embedded font measures: room for 15 % more.
    let wanted = (f64::from(text) * 1.15) as i32 + SWATCH + GAP + 2 * PAD;
    let most = (f64::from(root.dim_in_pixel().0) * MOST) as i32;
    wanted.min(most).max(0) as u32
}

/// Split `root` into the area for the chart and, at its right, the legend column, and draw the
/// legend there. Returns the chart's area.
pub fn beside<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Result<DrawingArea<DB, Shift>, String> {
    let column = width(root, entries);
    if column == 0 {
        return Ok(root.clone());
    }
    let (w, _) = root.dim_in_pixel();
    let (chart, legend) = root.split_horizontally(w - column);
    draw(&legend, entries)?;
    Ok(chart)
}

/// The entries, one per row from the top of `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let label = TextStyle::from(FONT).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ));
    for (k, (name, swatch)) in entries.iter().enumerate() {
        let y = TOP + k as i32 * ROW;
        let (x0, x1) = (PAD, PAD + SWATCH);
        match *swatch {
            Swatch::Line { colour, dash: None } => {
                let path = PathElement::new(vec![(x0, y), (x1, y)], colour.stroke_width(2));
                area.draw(&path).map_err(err)?;
            }
            Swatch::Line { colour, dash: Some((dash, gap)) } => {
                let mut x = x0;
                while x < x1 {
                    let end = (x + dash as i32).min(x1);
                    let path = PathElement::new(vec![(x, y), (end, y)], colour.stroke_width(2));
                    area.draw(&path).map_err(err)?;
                    x = end + gap as i32;
                }
            }
            Swatch::Block(colour) => {
                let square = Rectangle::new([(x0 + 7, y - 7), (x0 + 21, y + 7)], colour.filled());
                area.draw(&square).map_err(err)?;
            }
            Swatch::Ring(colour) => {
                let ring = Circle::new((x0 + SWATCH / 2, y), 6, colour.stroke_width(2));
                area.draw(&ring).map_err(err)?;
            }
            Swatch::Dot(colour) => {
                area.draw(&Circle::new((x0 + SWATCH / 2, y), 4, colour.filled())).map_err(err)?;
            }
        }
        area.draw(&Text::new(name.clone(), (x1 + GAP, y), label.clone())).map_err(err)?;
    }
    Ok(())
}
