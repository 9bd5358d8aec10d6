//! Text in PNG plots, placed where the font puts each glyph.
//!
//! plotters 0.3.7 draws ab_glyph text by putting each glyph's ink box at the pen position,
//! dropping the glyph's left side bearing and rounding the pen to whole pixels at every glyph:
//! letters drift by up to a pixel or two each, so "cycle" reads "cyde" and "probability"
//! "probab ility". [`PngCanvas`] is plotters' bitmap backend with its text drawing replaced:
//! each glyph is outlined at its exact (fractional) pen position, bearing included, with the
//! font's kerning, and blended by its coverage. Layout (the text's box, its anchor, rotation)
//! and the vertical placement stay plotters' own, so charts keep their geometry. SVG plots name
//! the font and leave drawing to the viewer, which needs no fix.

use super::plots::FONT;
use ab_glyph::{Font, FontRef, ScaleFont, point};
use plotters::backend::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// plotters' bitmap backend, drawing text glyph by glyph at the font's positions.
pub struct PngCanvas<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> PngCanvas<'a> {
    /// A canvas over an RGB buffer of `size` pixels (`None` if the embedded font cannot be
    /// read, which the plot tests would catch).
    pub fn new(buffer: &'a mut [u8], size: (u32, u32)) -> Option<Self> {
        let font = FontRef::try_from_slice(FONT).ok()?;
        Some(PngCanvas { inner: BitMapBackend::with_buffer(buffer, size), font })
    }
}

/// Every ink pixel of `text` at font size `size`, relative to the pen's start on the line that
/// plotters places the text on (its baseline `size / 2` below the top of the text's box), with
/// its coverage in (0, 1].
pub fn glyph_pixels(font: &FontRef<'_>, size: f64, text: &str) -> Vec<(i32, i32, f32)> {
    let scaled = font.as_scaled(size as f32);
    let baseline = (size / 2.0) as f32;
    let mut pixels = Vec::new();
    let mut pen = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(scaled.scale(), point(pen, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| {
                if coverage > 0.0 {
                    pixels.push((x0 + x as i32, y0 + y as i32, coverage.min(1.0)));
                }
            });
        }
        pen += scaled.h_advance(id);
    }
    pixels
}

impl DrawingBackend for PngCanvas<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, (w, h), src)
    }

    /// As plotters' default (the text's box from the style's layout, moved by its anchor and
    /// turned by its transform), with the glyphs of [`glyph_pixels`].
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let turn = style.transform();
        let (w, h) = self.get_size();
        for (x, y, coverage) in glyph_pixels(&self.font, style.size(), text) {
            let (x, y) = turn.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let ink = BackendColor { alpha: color.alpha * f64::from(coverage), rgb: color.rgb };
                self.draw_pixel((x, y), ink)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns holding ink, as runs of consecutive columns (a glyph's box when glyphs do
    /// not touch).
    fn ink_runs(pixels: &[(i32, i32, f32)]) -> Vec<(i32, i32)> {
        let mut columns: Vec<i32> = pixels.iter().filter(|p| p.2 > 0.2).map(|p| p.0).collect();
        columns.sort_unstable();
        columns.dedup();
        let mut runs: Vec<(i32, i32)> = Vec::new();
        for c in columns {
            match runs.last_mut() {
                Some(r) if r.1 + 1 == c => r.1 = c,
                _ => runs.push((c, c)),
            }
        }
        runs
    }

    /// Each letter of a word whose letters do not touch starts where the font puts it: the
    /// pen (advances and kerning summed exactly) plus the glyph's left side bearing, to a
    /// pixel, over the whole word (plotters' own drawing starts each letter at the pen, its
    /// bearing dropped: a few pixels early for `l` at this size).
    #[test]
    fn letters_start_at_the_pen_plus_their_bearing() {
        let font = FontRef::try_from_slice(FONT).unwrap();
        let size = 40.0;
        let scaled = font.as_scaled(size as f32);
        for word in ["cycle", "probability", "willingness"] {
            let runs = ink_runs(&glyph_pixels(&font, size, word));
            // Expected: from the font's metrics, in f64.
            let mut pen = 0f64;
            let mut previous = None;
            let mut starts = Vec::new();
            for c in word.chars() {
                let id = scaled.glyph_id(c);
                if let Some(p) = previous {
                    pen += f64::from(scaled.kern(p, id));
                }
                previous = Some(id);
                starts.push(pen + f64::from(scaled.h_side_bearing(id)));
                pen += f64::from(scaled.h_advance(id));
            }
            assert_eq!(runs.len(), starts.len(), "{word}: letters touch at this size: {runs:?}");
            for ((run, want), c) in runs.iter().zip(&starts).zip(word.chars()) {
                assert!(
                    (f64::from(run.0) - want).abs() <= 1.0,
                    "{word}: `{c}` starts at {} where the font puts it at {want:.2}",
                    run.0
                );
            }
        }
    }
}
