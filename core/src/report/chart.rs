//! Charts as standalone SVG strings, for the native HTML report and the web app alike.
//!
//! A chart is plain data ([`LineChart`], [`BarChart`]) turned into an `<svg>` element by
//! `to_svg`: pure Rust, no I/O, the same bytes on every target. The output has a
//! `viewBox`, embeds inline in HTML, and holds no script and no external reference.
//! [`report_charts`] builds every chart of a [`Report`]; the `*_chart` functions build
//! them one at a time.
//!
//! # Why not `plotters`
//!
//! `plotters` (svg backend, no default features) needs the size of every text it lays
//! out. On `wasm32-unknown-unknown` it measures text by inserting a `<span>` into the
//! page's DOM through `web-sys` (unwrapping the window and document, so it panics
//! outside a page, e.g. in a worker or a headless test), and natively without a font
//! backend it uses a fixed-width guess. Labelled axes would thus need a browser on one
//! target and font files on the other, and the two would lay out differently. The
//! charts here need only lines, bars, ticks and a legend, so a compact renderer with a
//! character-width estimate gives identical, readable output everywhere without a
//! dependency.
//!
//! # Examples
//!
//! ```
//! use tracepool::report::chart::{LineChart, ReferenceLine, Series};
//!
//! let svg = LineChart::new("Peak in flight", "limit C", "jobs")
//!     .with_series(Series::new("pool", vec![(10.0, 10.0), (50.0, 50.0)]))
//!     .with_reference(ReferenceLine::identity("limit C"))
//!     .to_svg();
//! assert!(svg.starts_with("<svg"));
//! ```

use std::fmt::Write as _;

use crate::report::record::{Report, RunRecord, ScenarioRun};

/// Series colours, in order: the Okabe–Ito palette, distinguishable with the common
/// forms of colour blindness (yellow, hard to see on white, is left out).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000",
];

/// Dash patterns of line series, in order, so that lines differ in more than colour.
const DASHES: [&str; 4] = ["", "7 3", "2 3", "9 3 2 3"];

/// Width of a chart unless set otherwise, in SVG user units (pixels at 100 %).
pub const DEFAULT_WIDTH: u32 = 640;
/// Height of a chart unless set otherwise, in SVG user units.
pub const DEFAULT_HEIGHT: u32 = 360;

const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";
const TITLE_SIZE: f64 = 15.0;
const LABEL_SIZE: f64 = 12.0;
const TICK_SIZE: f64 = 11.0;
const AXIS_COLOUR: &str = "#333333";
const GRID_COLOUR: &str = "#e3e3e3";
const REFERENCE_COLOUR: &str = "#666666";
/// Time series longer than this are drawn without point markers.
const MAX_MARKERS: usize = 40;

/// One named series of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points `(x, y)` in drawing order; points with a non-finite coordinate are skipped.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series named `name` through `points`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
}

/// A straight reference line `y = slope * x + intercept`, drawn dashed and listed in
/// the legend, e.g. the concurrency limit.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceLine {
    /// Legend entry.
    pub label: String,
    /// Slope.
    pub slope: f64,
    /// Value at `x = 0`.
    pub intercept: f64,
}

impl ReferenceLine {
    /// The horizontal line `y = value`.
    pub fn horizontal(label: impl Into<String>, value: f64) -> Self {
        Self {
            label: label.into(),
            slope: 0.0,
            intercept: value,
        }
    }

    /// The diagonal `y = x`.
    pub fn identity(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            slope: 1.0,
            intercept: 0.0,
        }
    }

    fn at(&self, x: f64) -> f64 {
        self.slope * x + self.intercept
    }
}

/// A line chart of several named series, with an optional logarithmic x axis and an
/// optional reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// Label of the x axis, with its unit.
    pub x_label: String,
    /// Label of the y axis, with its unit.
    pub y_label: String,
    /// The series, drawn in palette order.
    pub series: Vec<Series>,
    /// Logarithmic x axis; points with `x <= 0` are then skipped.
    pub log_x: bool,
    /// Optional reference line.
    pub reference: Option<ReferenceLine>,
    /// Width in SVG user units.
    pub width: u32,
    /// Height in SVG user units.
    pub height: u32,
}

impl LineChart {
    /// An empty chart of [`DEFAULT_WIDTH`] x [`DEFAULT_HEIGHT`].
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            log_x: false,
            reference: None,
            width: DEFAULT_WIDTH,
            height: DEFAULT_HEIGHT,
        }
    }

    /// Adds a series.
    #[must_use]
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Sets whether the x axis is logarithmic.
    #[must_use]
    pub fn with_log_x(mut self, log_x: bool) -> Self {
        self.log_x = log_x;
        self
    }

    /// Sets the reference line.
    #[must_use]
    pub fn with_reference(mut self, reference: ReferenceLine) -> Self {
        self.reference = Some(reference);
        self
    }

    /// Whether the chart has no drawable point.
    pub fn is_empty(&self) -> bool {
        self.drawable_points().next().is_none()
    }

    fn drawable_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let log_x = self.log_x;
        self.series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(move |&(x, y)| x.is_finite() && y.is_finite() && (!log_x || x > 0.0))
    }

    /// The chart as a standalone `<svg>` element.
    pub fn to_svg(&self) -> String {
        let (mut x_min, mut x_max, mut y_min, mut y_max) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY);
        for (x, y) in self.drawable_points() {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_min = f64::min(y_min, y);
            y_max = y_max.max(y);
        }
        let empty = x_min > x_max;
        let x_axis = if empty {
            Axis::linear(0.0, 1.0)
        } else if self.log_x {
            Axis::log(x_min, x_max)
        } else {
            Axis::linear(x_min, x_max)
        };
        if let Some(r) = &self.reference {
            for x in [x_axis.lo, x_axis.hi] {
                let y = r.at(x);
                if y.is_finite() {
                    y_min = f64::min(y_min, y);
                    y_max = y_max.max(y);
                }
            }
        }
        if !y_max.is_finite() {
            y_max = 1.0;
        }
        let y_axis = Axis::linear(y_min, y_max);

        let mut legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry::line(&s.name, i))
            .collect();
        if let Some(r) = &self.reference {
            legend.push(LegendEntry::reference(&r.label));
        }
        let mut canvas = Canvas::new(self.width, self.height, &self.title);
        let frame = canvas.frame(&legend, &y_axis, 0.0);
        canvas.axes(
            &frame,
            &x_axis,
            &y_axis,
            &x_axis.tick_labels(),
            &self.x_label,
            &self.y_label,
        );

        if let Some(r) = &self.reference {
            let steps = if self.log_x && r.slope != 0.0 { 48 } else { 1 };
            let pts: Vec<(f64, f64)> = (0..=steps)
                .map(|i| {
                    let x = x_axis.value_at(i as f64 / steps as f64);
                    (frame.x(&x_axis, x), frame.y(&y_axis, r.at(x)))
                })
                .filter(|(px, py)| px.is_finite() && py.is_finite())
                .collect();
            canvas.polyline(&pts, REFERENCE_COLOUR, 1.5, "5 4");
        }
        for (i, s) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let mut pts: Vec<(f64, f64, f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|&(x, y)| x.is_finite() && y.is_finite() && (!self.log_x || x > 0.0))
                .map(|(x, y)| (frame.x(&x_axis, x), frame.y(&y_axis, y), x, y))
                .collect();
            pts.retain(|p| p.0.is_finite() && p.1.is_finite());
            let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
            canvas.polyline(&line, colour, 2.0, DASHES[i % DASHES.len()]);
            if pts.len() <= MAX_MARKERS {
                for &(px, py, x, y) in &pts {
                    let tip = format!("{}: ({}, {})", s.name, format_value(x), format_value(y));
                    let _ = write!(
                        canvas.out,
                        r#"<circle cx="{px:.1}" cy="{py:.1}" r="3" fill="{colour}"><title>{}</title></circle>"#,
                        escape(&tip)
                    );
                }
            }
        }
        if empty {
            canvas.no_data(&frame);
        }
        canvas.legend(&legend);
        canvas.finish()
    }
}

/// One named series of a [`BarChart`]: one value per category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    /// Legend entry.
    pub name: String,
    /// One value per category, in category order; a non-finite value draws no bar.
    pub values: Vec<f64>,
}

impl BarSeries {
    /// A series named `name` with `values`.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }
}

/// A grouped bar chart: for each category, one bar per series side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// Label of the category axis.
    pub x_label: String,
    /// Label of the value axis, with its unit.
    pub y_label: String,
    /// Category names, left to right.
    pub categories: Vec<String>,
    /// The series, drawn in palette order within each category.
    pub series: Vec<BarSeries>,
    /// Width in SVG user units.
    pub width: u32,
    /// Height in SVG user units.
    pub height: u32,
}

impl BarChart {
    /// An empty chart of [`DEFAULT_WIDTH`] x [`DEFAULT_HEIGHT`].
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            categories: Vec::new(),
            series: Vec::new(),
            width: DEFAULT_WIDTH,
            height: DEFAULT_HEIGHT,
        }
    }

    /// Sets the categories.
    #[must_use]
    pub fn with_categories(mut self, categories: Vec<String>) -> Self {
        self.categories = categories;
        self
    }

    /// Adds a series.
    #[must_use]
    pub fn with_series(mut self, series: BarSeries) -> Self {
        self.series.push(series);
        self
    }

    /// Whether the chart has no drawable bar.
    pub fn is_empty(&self) -> bool {
        let n = self.categories.len();
        !self
            .series
            .iter()
            .any(|s| s.values.iter().take(n).any(|v| v.is_finite()))
    }

    /// The chart as a standalone `<svg>` element.
    pub fn to_svg(&self) -> String {
        let n = self.categories.len();
        let (mut lo, mut hi) = (0.0_f64, f64::NEG_INFINITY);
        for v in self
            .series
            .iter()
            .flat_map(|s| s.values.iter().take(n))
            .filter(|v| v.is_finite())
        {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
        let empty = !hi.is_finite();
        let y_axis = Axis::linear(lo, if empty { 1.0 } else { hi });

        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry::bar(&s.name, i))
            .collect();
        let labels: Vec<String> = self.categories.iter().map(|c| truncate(c, 28)).collect();
        // Category labels are turned when they do not fit their slot.
        let plot_guess = f64::from(self.width) - 100.0;
        let slot_guess = plot_guess / n.max(1) as f64;
        let widest = labels
            .iter()
            .map(|l| text_width(l, TICK_SIZE))
            .fold(0.0, f64::max);
        let turned = widest > slot_guess - 6.0;
        let extra_bottom = if turned { widest * 0.5 } else { 0.0 };

        let mut canvas = Canvas::new(self.width, self.height, &self.title);
        let frame = canvas.frame(&legend, &y_axis, extra_bottom);
        let x_axis = Axis {
            lo: 0.0,
            hi: n.max(1) as f64,
            log: false,
            ticks: Vec::new(),
        };
        canvas.axes(&frame, &x_axis, &y_axis, &[], &self.x_label, &self.y_label);

        let slot = frame.width() / n.max(1) as f64;
        let group = slot * 0.8;
        let bar = group / self.series.len().max(1) as f64;
        let zero = frame.y(&y_axis, 0.0);
        for (c, label) in labels.iter().enumerate() {
            let cx = frame.left + slot * (c as f64 + 0.5);
            let ty = frame.bottom + 16.0;
            if turned {
                let _ = write!(
                    canvas.out,
                    r#"<text x="{cx:.1}" y="{ty:.1}" font-size="{TICK_SIZE}" text-anchor="end" transform="rotate(-30 {cx:.1} {ty:.1})">{}</text>"#,
                    escape(label)
                );
            } else {
                let _ = write!(
                    canvas.out,
                    r#"<text x="{cx:.1}" y="{ty:.1}" font-size="{TICK_SIZE}" text-anchor="middle">{}</text>"#,
                    escape(label)
                );
            }
            for (i, s) in self.series.iter().enumerate() {
                let Some(&v) = s.values.get(c) else { continue };
                if !v.is_finite() {
                    continue;
                }
                let x = cx - group / 2.0 + bar * i as f64;
                let y = frame.y(&y_axis, v);
                let (top, h) = if y < zero {
                    (y, zero - y)
                } else {
                    (zero, y - zero)
                };
                let tip = format!("{}, {}: {}", s.name, self.categories[c], format_value(v));
                let _ = write!(
                    canvas.out,
                    r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                    x + 0.5,
                    (bar - 1.0).max(0.5),
                    h.max(if v == 0.0 { 0.0 } else { 0.5 }),
                    PALETTE[i % PALETTE.len()],
                    escape(&tip)
                );
            }
        }
        if empty {
            canvas.no_data(&frame);
        }
        canvas.legend(&legend);
        canvas.finish()
    }
}

/// Tick values with 1-2-5 steps (1, 2 or 5 times a power of ten) covering `[min, max]`.
///
/// Returns about `target` ticks (at most `target + 2`); the first is at or below `min`,
/// the last at or above `max`. A degenerate range (`min == max`) is widened around the
/// value. Returns an empty vector when a bound is not finite or `min > max`.
///
/// # Examples
///
/// ```
/// assert_eq!(tracepool::report::chart::nice_ticks(0.0, 97.0, 5), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
/// ```
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    if !min.is_finite() || !max.is_finite() || min > max {
        return Vec::new();
    }
    let (min, max) = if min == max {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.5 };
        (min - pad, max + pad)
    } else {
        (min, max)
    };
    let target = target.max(1) as f64;
    let raw = (max - min) / target;
    if !raw.is_finite() || raw <= 0.0 {
        return Vec::new();
    }
    let step = nice_step(raw);
    let first = (min / step).floor();
    let last = (max / step).ceil();
    let count = (last - first).round() as usize;
    (0..=count)
        .map(|i| {
            let v = (first + i as f64) * step;
            if v == 0.0 { 0.0 } else { v }
        })
        .collect()
}

/// The smallest 1-2-5 step at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let mantissa = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    mantissa * magnitude
}

/// Ticks of a logarithmic axis over `[10^lo, 10^hi]`: 1, 2 and 5 per decade when the
/// axis spans few decades, powers of ten otherwise.
fn log_ticks(lo: i32, hi: i32) -> Vec<f64> {
    let mantissas: &[f64] = if hi - lo <= 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    for e in lo..=hi {
        for &m in mantissas {
            if e == hi && m > 1.0 {
                break;
            }
            ticks.push(m * 10f64.powi(e));
        }
    }
    ticks
}

/// One axis: its domain and ticks.
#[derive(Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl Axis {
    fn linear(min: f64, max: f64) -> Self {
        let ticks = nice_ticks(min, max, 5);
        match (ticks.first(), ticks.last()) {
            (Some(&lo), Some(&hi)) if hi > lo => Self {
                lo,
                hi,
                log: false,
                ticks,
            },
            _ => Self {
                lo: 0.0,
                hi: 1.0,
                log: false,
                ticks: vec![0.0, 0.5, 1.0],
            },
        }
    }

    fn log(min: f64, max: f64) -> Self {
        let lo = min.log10().floor().clamp(-300.0, 300.0) as i32;
        let mut hi = max.log10().ceil().clamp(-300.0, 300.0) as i32;
        if hi <= lo {
            hi = lo + 1;
        }
        Self {
            lo: 10f64.powi(lo),
            hi: 10f64.powi(hi),
            log: true,
            ticks: log_ticks(lo, hi),
        }
    }

    /// Fraction of the axis (0 at `lo`, 1 at `hi`) where `v` lies.
    fn fraction(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The value at fraction `f` of the axis.
    fn value_at(&self, f: f64) -> f64 {
        if self.log {
            10f64.powf(self.lo.log10() + f * (self.hi.log10() - self.lo.log10()))
        } else {
            self.lo + f * (self.hi - self.lo)
        }
    }

    fn tick_labels(&self) -> Vec<(f64, String)> {
        if self.log {
            return self.ticks.iter().map(|&t| (t, format_value(t))).collect();
        }
        let step = if self.ticks.len() > 1 {
            self.ticks[1] - self.ticks[0]
        } else {
            1.0
        };
        self.ticks
            .iter()
            .map(|&t| (t, format_tick(t, step)))
            .collect()
    }
}

/// The plot area inside a chart, in SVG coordinates.
#[derive(Debug)]
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn width(&self) -> f64 {
        self.right - self.left
    }

    fn x(&self, axis: &Axis, v: f64) -> f64 {
        self.left + axis.fraction(v) * self.width()
    }

    fn y(&self, axis: &Axis, v: f64) -> f64 {
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
struct LegendEntry {
    label: String,
    swatch: Swatch,
}

impl LegendEntry {
    fn line(label: &str, i: usize) -> Self {
        let swatch = Swatch::Line {
            colour: PALETTE[i % PALETTE.len()],
            dash: DASHES[i % DASHES.len()],
        };
        Self {
            label: truncate(label, 40),
            swatch,
        }
    }

    fn bar(label: &str, i: usize) -> Self {
        Self {
            label: truncate(label, 40),
            swatch: Swatch::Bar {
                colour: PALETTE[i % PALETTE.len()],
            },
        }
    }

    fn reference(label: &str) -> Self {
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
struct Canvas {
    out: String,
    width: f64,
    height: f64,
    /// Top of the legend rows, below the title.
    legend_top: f64,
}

impl Canvas {
    fn new(width: u32, height: u32, title: &str) -> Self {
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

    fn frame(&self, legend: &[LegendEntry], y_axis: &Axis, extra_bottom: f64) -> Frame {
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

    fn axes(
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

    fn polyline(&mut self, points: &[(f64, f64)], colour: &str, width: f64, dash: &str) {
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

    fn no_data(&mut self, frame: &Frame) {
        let _ = write!(
            self.out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#888888">no data</text>"##,
            (frame.left + frame.right) / 2.0,
            (frame.top + frame.bottom) / 2.0
        );
    }

    fn legend(&mut self, legend: &[LegendEntry]) {
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

    fn finish(mut self) -> String {
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
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max_chars - 1).collect();
        s.push('…');
        s
    }
}

/// A tick label: `v` with as many decimals as `step` needs, large values with a k/M/G
/// suffix.
fn format_tick(v: f64, step: f64) -> String {
    let (scale, suffix) = si_scale(v.abs().max(step.abs()));
    let scaled_step = step / scale;
    let decimals = if scaled_step >= 1.0 {
        0
    } else {
        (-scaled_step.log10().floor()).clamp(0.0, 9.0) as usize
    };
    let s = format!("{:.*}{suffix}", decimals, v / scale);
    if s.starts_with("-0")
        && s.trim_start_matches(['-', '0', '.'])
            .chars()
            .all(|c| !c.is_ascii_digit())
    {
        s[1..].to_owned()
    } else {
        s
    }
}

/// A value in a tooltip or log-axis label: about four significant digits.
fn format_value(v: f64) -> String {
    let (scale, suffix) = si_scale(v.abs());
    let x = v / scale;
    let s = if x == x.trunc() {
        format!("{x:.0}")
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    format!("{s}{suffix}")
}

fn si_scale(magnitude: f64) -> (f64, &'static str) {
    if magnitude >= 1e9 {
        (1e9, "G")
    } else if magnitude >= 1e6 {
        (1e6, "M")
    } else if magnitude >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// A chart of a report, rendered: what the HTML report and the web app embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedChart {
    /// Stable identifier, usable as an HTML id or a file name (`[a-z0-9-]`).
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// The standalone `<svg>` element.
    pub svg: String,
}

/// Every chart of a report, in reading order: throughput and peak in-flight against
/// the concurrency limit, wall time, peak RSS, CPU and error rate per run, then the
/// in-flight, RSS and CPU time series of each (scenario, limit) that has samples.
pub fn report_charts(report: &Report) -> Vec<NamedChart> {
    let mut charts = Vec::new();
    let mut push = |id: String, title: &str, svg: String| {
        charts.push(NamedChart {
            id,
            title: title.to_owned(),
            svg,
        });
    };
    let c = throughput_vs_concurrency_chart(report);
    push("throughput-vs-concurrency".into(), &c.title, c.to_svg());
    let c = peak_in_flight_vs_limit_chart(report);
    push("peak-in-flight-vs-limit".into(), &c.title, c.to_svg());
    for (id, c) in [
        ("wall-time", wall_time_chart(report)),
        ("peak-rss", peak_rss_chart(report)),
        ("cpu", cpu_chart(report)),
        ("error-rate", error_rate_chart(report)),
    ] {
        push(id.into(), &c.title, c.to_svg());
    }
    for (scenario, concurrency) in run_groups(report) {
        let runs: Vec<&ScenarioRun> = report
            .runs
            .iter()
            .filter(|r| r.scenario == scenario && r.record.concurrency == concurrency)
            .collect();
        if runs.iter().all(|r| r.series.is_empty()) {
            continue;
        }
        let suffix = slug(&format!("{scenario}-c{concurrency}"));
        for (kind, c) in [
            ("in-flight", in_flight_over_time_chart(&runs)),
            ("rss", rss_over_time_chart(&runs)),
            ("cpu", cpu_over_time_chart(&runs)),
        ] {
            push(format!("series-{kind}-{suffix}"), &c.title, c.to_svg());
        }
    }
    charts
}

/// The scenario that sweeps the concurrency limit: the one with the most distinct
/// limits (the first such in report order), or `None` for a report without runs.
pub fn sweep_scenario(report: &Report) -> Option<&str> {
    let mut best: Option<(&str, usize)> = None;
    for scenario in report.scenarios() {
        let mut limits: Vec<u64> = report
            .runs_of(scenario)
            .map(|r| r.record.concurrency)
            .collect();
        limits.sort_unstable();
        limits.dedup();
        if best.is_none_or(|(_, n)| limits.len() > n) {
            best = Some((scenario, limits.len()));
        }
    }
    best.map(|(s, _)| s)
}

/// One line per model through the runs of the [`sweep_scenario`], `metric` against C.
fn sweep_chart(
    report: &Report,
    title: &str,
    y_label: &str,
    metric: fn(&RunRecord) -> f64,
) -> LineChart {
    let scenario = sweep_scenario(report).unwrap_or("");
    let title = if scenario.is_empty() {
        title.to_owned()
    } else {
        format!("{title} ({scenario})")
    };
    let mut chart = LineChart::new(title, "concurrency limit C (jobs)", y_label);
    let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
    for model in report.models() {
        let mut points: Vec<(f64, f64)> = report
            .runs_of(scenario)
            .filter(|r| r.record.model == model)
            .map(|r| (r.record.concurrency as f64, metric(&r.record)))
            .collect();
        if points.is_empty() {
            continue;
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(x, _) in &points {
            lo = lo.min(x);
            hi = hi.max(x);
        }
        chart.series.push(Series::new(model, points));
    }
    chart.log_x = lo > 0.0 && hi / lo >= 10.0;
    chart
}

/// Throughput against the concurrency limit, one line per model, over the runs of the
/// [`sweep_scenario`]. The x axis is logarithmic when the limits span a factor of 10.
pub fn throughput_vs_concurrency_chart(report: &Report) -> LineChart {
    sweep_chart(
        report,
        "Throughput vs concurrency limit",
        "throughput (jobs/s)",
        |r| r.throughput_per_s,
    )
}

/// Peak jobs in flight against the concurrency limit, one line per model, with the
/// line `y = C`: a model that respects its limit stays on or under it.
pub fn peak_in_flight_vs_limit_chart(report: &Report) -> LineChart {
    sweep_chart(
        report,
        "Peak in flight vs limit",
        "peak jobs in flight",
        |r| r.peak_in_flight as f64,
    )
    .with_reference(ReferenceLine::identity("limit C (y = C)"))
}

/// Distinct (scenario, concurrency) pairs in report order.
fn run_groups(report: &Report) -> Vec<(&str, u64)> {
    let mut groups: Vec<(&str, u64)> = Vec::new();
    for r in &report.runs {
        let g = (r.scenario.as_str(), r.record.concurrency);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups
}

/// Grouped bars: one category per (scenario, C), one series per model.
fn per_run_chart(
    report: &Report,
    title: &str,
    y_label: &str,
    metric: fn(&RunRecord) -> f64,
) -> BarChart {
    let groups = run_groups(report);
    let mut chart = BarChart::new(title, "scenario and concurrency limit C", y_label)
        .with_categories(groups.iter().map(|(s, c)| format!("{s} C={c}")).collect());
    for model in report.models() {
        let values = groups
            .iter()
            .map(|&(s, c)| {
                report
                    .runs
                    .iter()
                    .find(|r| {
                        r.scenario == s && r.record.concurrency == c && r.record.model == model
                    })
                    .map_or(f64::NAN, |r| metric(&r.record))
            })
            .collect();
        chart.series.push(BarSeries::new(model, values));
    }
    chart
}

/// Wall time of each run, grouped by scenario and limit, one bar per model.
pub fn wall_time_chart(report: &Report) -> BarChart {
    per_run_chart(report, "Wall time per run", "wall time (s)", |r| r.wall_s)
}

/// Peak resident memory of each run, in MiB.
pub fn peak_rss_chart(report: &Report) -> BarChart {
    per_run_chart(report, "Peak RSS per run", "peak RSS (MiB)", |r| {
        mib(r.peak_rss_bytes)
    })
}

/// Mean CPU use of each run, in percent of one core.
pub fn cpu_chart(report: &Report) -> BarChart {
    per_run_chart(report, "CPU use per run", "CPU (% of one core)", |r| {
        r.cpu_percent
    })
}

/// Error rate of each run, in percent of jobs.
pub fn error_rate_chart(report: &Report) -> BarChart {
    per_run_chart(
        report,
        "Error rate per run",
        "error rate (% of jobs)",
        |r| r.error_rate * 100.0,
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A title suffix naming what `runs` share, e.g. `high-load C=50`.
fn runs_label(runs: &[&ScenarioRun]) -> String {
    match runs {
        [] => String::new(),
        [one] => format!(
            " — {} {} C={}",
            one.scenario, one.record.model, one.record.concurrency
        ),
        [first, rest @ ..] => {
            if rest.iter().all(|r| {
                r.scenario == first.scenario && r.record.concurrency == first.record.concurrency
            }) {
                format!(" — {} C={}", first.scenario, first.record.concurrency)
            } else {
                String::new()
            }
        }
    }
}

fn time_series_chart(
    runs: &[&ScenarioRun],
    title: &str,
    y_label: &str,
    metric: fn(&crate::report::record::Sample) -> f64,
) -> LineChart {
    let mut chart = LineChart::new(
        format!("{title}{}", runs_label(runs)),
        "time since start (s)",
        y_label,
    );
    for run in runs {
        let points = run.series.iter().map(|s| (s.t_s, metric(s))).collect();
        let name = run.record.model.clone();
        chart.series.push(Series::new(name, points));
    }
    chart
}

/// Jobs in flight over time, one line per run (named by model), with the limit C as a
/// horizontal line when all runs share it.
pub fn in_flight_over_time_chart(runs: &[&ScenarioRun]) -> LineChart {
    let chart = time_series_chart(runs, "Jobs in flight over time", "jobs in flight", |s| {
        s.in_flight as f64
    });
    match runs.first() {
        Some(first)
            if runs
                .iter()
                .all(|r| r.record.concurrency == first.record.concurrency) =>
        {
            let c = first.record.concurrency;
            chart.with_reference(ReferenceLine::horizontal(
                format!("limit C = {c}"),
                c as f64,
            ))
        }
        _ => chart,
    }
}

/// Resident memory over time, in MiB, one line per run.
pub fn rss_over_time_chart(runs: &[&ScenarioRun]) -> LineChart {
    time_series_chart(runs, "RSS over time", "RSS (MiB)", |s| mib(s.rss_bytes))
}

/// CPU use over time, in percent of one core, one line per run.
pub fn cpu_over_time_chart(runs: &[&ScenarioRun]) -> LineChart {
    time_series_chart(runs, "CPU use over time", "CPU (% of one core)", |s| {
        s.cpu_percent
    })
}

/// `text` reduced to `[a-z0-9-]`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}
