//! Grouped bar charts: for each category, one bar per series side by side.

use std::fmt::Write as _;

use super::axis::{Axis, format_value};
use super::svg::{
    Canvas, DEFAULT_HEIGHT, DEFAULT_WIDTH, LegendEntry, PALETTE, TICK_SIZE, escape, text_width,
    truncate,
};

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
