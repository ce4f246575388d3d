//! The SVG canvas every chart draws on: the palette, the frame of the plot area, the
//! title, the legend, polylines, and the escaping of text.

use std::fmt::Write as _;

use super::axis::Axis;

/// Series colours, in order: the Okabe–Ito palette, distinguishable with the common
/// forms of colour blindness (yellow, hard to see on white, is left out).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000",
];

/// Dash patterns of line series, in order, so that lines differ in more than colour.
pub(super) const DASHES: [&str; 4] = ["", "7 3", "2 3", "9 3 2 3"];

/// Width of a chart unless set otherwise, in SVG user units (pixels at 100 %).
pub const DEFAULT_WIDTH: u32 = 640;
/// Height of a chart unless set otherwise, in SVG user units.
pub const DEFAULT_HEIGHT: u32 = 360;

const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";
const TITLE_SIZE: f64 = 15.0;
const LABEL_SIZE: f64 = 12.0;
pub(super) const TICK_SIZE: f64 = 11.0;
const AXIS_COLOUR: &str = "#333333";
const GRID_COLOUR: &str = "#e3e3e3";
pub(super) const REFERENCE_COLOUR: &str = "#666666";

/// The plot area inside a chart, in SVG coordinates.
#[derive(Debug)]
pub(super) struct Frame {
    pub(super) left: f64,
    right: f64,
    top: f64,
    pub(super) bottom: f64,
}

impl Frame {
    pub(super) fn width(&self) -> f64 {
        self.right - self.left
    }

    pub(super) fn x(&self, axis: &Axis, v: f64) -> f64 {
        self.left + axis.fraction(v) * self.width()
    }

    pub(super) fn y(&self, axis: &Axis, v: f64) -> f64 {
        self.bottom - axis.fraction(v) * (self.bottom - self.top)
    }
}

#[derive(Debug)]
enum Swatch {
    Line {
        colour: &'static str,
        dash: &'static str,
    },
    Bar {
        colour: &'static str,
    },
    Reference,
}

#[derive(Debug)]
pub(super) struct LegendEntry {
    label: String,
    swatch: Swatch,
}

impl LegendEntry {
    pub(super) fn line(label: &str, i: usize) -> Self {
        let swatch = Swatch::Line {
            colour: PALETTE[i % PALETTE.len()],
            dash: DASHES[i % DASHES.len()],
        };
        Self {
            label: truncate(label, 40),
            swatch,
        }
    }

    pub(super) fn bar(label: &str, i: usize) -> Self {
        Self {
            label: truncate(label, 40),
            swatch: Swatch::Bar {
                colour: PALETTE[i % PALETTE.len()],
            },
        }
    }

    pub(super) fn reference(label: &str) -> Self {
        Self {
            label: truncate(label, 40),
            swatch: Swatch::Reference,
        }
    }

    fn width(&self) -> f64 {
        24.0 + text_width(&self.label, LABEL_SIZE) + 16.0
    }
}

/// Accumulates the SVG text of one chart.
#[derive(Debug)]
pub(super) struct Canvas {
    pub(super) out: String,
    width: f64,
    height: f64,
    /// Top of the legend rows, below the title.
    legend_top: f64,
}

impl Canvas {
    pub(super) fn new(width: u32, height: u32, title: &str) -> Self {
        let (w, h) = (width.max(160), height.max(120));
        let mut out = String::with_capacity(8 * 1024);
        let title = escape(title);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}" font-family="{FONT}" font-size="{LABEL_SIZE}" fill="{AXIS_COLOUR}"><title>{title}</title><rect width="{w}" height="{h}" fill="#ffffff"/><text x="{:.1}" y="22" font-size="{TITLE_SIZE}" font-weight="bold" text-anchor="middle">{title}</text>"##,
            f64::from(w) / 2.0
        );
        Self {
            out,
            width: f64::from(w),
            height: f64::from(h),
            legend_top: 34.0,
        }
    }

    /// Legend rows: each row is a list of (entry index, x offset).
    fn legend_rows(&self, legend: &[LegendEntry]) -> Vec<Vec<(usize, f64)>> {
        let available = self.width - 32.0;
        let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
        let mut x = 0.0;
        for (i, entry) in legend.iter().enumerate() {
            let w = entry.width();
            match rows.last_mut() {
                Some(row) if x + w <= available => row.push((i, x)),
                _ => {
                    rows.push(vec![(i, 0.0)]);
                    x = 0.0;
                }
            }
            x += w;
        }
        rows
    }

    pub(super) fn frame(&self, legend: &[LegendEntry], y_axis: &Axis, extra_bottom: f64) -> Frame {
        let rows = self.legend_rows(legend).len() as f64;
        let top = self.legend_top + rows * 18.0 + 12.0;
        let widest_tick = y_axis
            .tick_labels()
            .iter()
            .map(|(_, l)| text_width(l, TICK_SIZE))
            .fold(0.0, f64::max);
        let left = 22.0 + widest_tick + 10.0;
        let bottom = (self.height - 46.0 - extra_bottom).max(top + 40.0);
        Frame {
            left,
            right: self.width - 20.0,
            top,
            bottom,
        }
    }

    pub(super) fn axes(
        &mut self,
        frame: &Frame,
        x_axis: &Axis,
        y_axis: &Axis,
        x_ticks: &[(f64, String)],
        x_label: &str,
        y_label: &str,
    ) {
        let out = &mut self.out;
        for (t, label) in y_axis.tick_labels() {
            let y = frame.y(y_axis, t);
            let _ = write!(
                out,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID_COLOUR}" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="end">{}</text>"#,
                frame.left,
                frame.right,
                frame.left - 6.0,
                y + 4.0,
                escape(&label)
            );
        }
        for (t, label) in x_ticks {
            let x = frame.x(x_axis, *t);
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{AXIS_COLOUR}" stroke-width="1"/><text x="{x:.1}" y="{:.1}" font-size="{TICK_SIZE}" text-anchor="middle">{}</text>"#,
                frame.bottom,
                frame.bottom + 5.0,
                frame.bottom + 18.0,
                escape(label)
            );
        }
        let _ = write!(
            out,
            r#"<path d="M{l:.1} {t:.1}V{b:.1}H{r:.1}" fill="none" stroke="{AXIS_COLOUR}" stroke-width="1"/>"#,
            l = frame.left,
            t = frame.top,
            b = frame.bottom,
            r = frame.right
        );
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            (frame.left + frame.right) / 2.0,
            self.height - 10.0,
            escape(x_label)
        );
        let cy = (frame.top + frame.bottom) / 2.0;
        let _ = write!(
            out,
            r#"<text x="16" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 16 {cy:.1})">{}</text>"#,
            escape(y_label)
        );
    }

    pub(super) fn polyline(&mut self, points: &[(f64, f64)], colour: &str, width: f64, dash: &str) {
        if points.len() < 2 {
            return;
        }
        self.out.push_str(r#"<polyline fill="none" points=""#);
        for (i, (x, y)) in points.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            let _ = write!(self.out, "{sep}{x:.1},{y:.1}");
        }
        let _ = write!(
            self.out,
            r#"" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round""#
        );
        if !dash.is_empty() {
            let _ = write!(self.out, r#" stroke-dasharray="{dash}""#);
        }
        self.out.push_str("/>");
    }

    pub(super) fn no_data(&mut self, frame: &Frame) {
        let _ = write!(
            self.out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#888888">no data</text>"##,
            (frame.left + frame.right) / 2.0,
            (frame.top + frame.bottom) / 2.0
        );
    }

    pub(super) fn legend(&mut self, legend: &[LegendEntry]) {
        let rows = self.legend_rows(legend);
        for (r, row) in rows.iter().enumerate() {
            let row_width: f64 = row.iter().map(|&(i, _)| legend[i].width()).sum::<f64>() - 16.0;
            let start = ((self.width - row_width) / 2.0).max(16.0);
            let y = self.legend_top + r as f64 * 18.0 + 9.0;
            for &(i, offset) in row {
                let entry = &legend[i];
                let x = start + offset;
                let _ = match entry.swatch {
                    Swatch::Line { colour, dash } => write!(
                        self.out,
                        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>"#,
                        x + 18.0
                    ),
                    Swatch::Bar { colour } => write!(
                        self.out,
                        r#"<rect x="{:.1}" y="{:.1}" width="12" height="12" fill="{colour}"/>"#,
                        x + 3.0,
                        y - 6.0
                    ),
                    Swatch::Reference => write!(
                        self.out,
                        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="1.5" stroke-dasharray="5 4"/>"#,
                        x + 18.0
                    ),
                };
                let _ = write!(
                    self.out,
                    r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                    x + 24.0,
                    y + 4.0,
                    escape(&entry.label)
                );
            }
        }
    }

    pub(super) fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// Escapes text for XML, SVG and HTML content and attribute values; drops characters
/// XML forbids. Shared by every writer of markup from report data.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Estimated width of `text` at `size`: text here is short labels in a sans-serif face.
pub(super) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max_chars - 1).collect();
        s.push('…');
        s
    }
}
