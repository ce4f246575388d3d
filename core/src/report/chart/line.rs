//! Line charts: named series of points, an optional logarithmic x axis and an optional
//! reference line.

use std::fmt::Write as _;

use super::axis::{Axis, format_value};
use super::svg::{
    Canvas, DASHES, DEFAULT_HEIGHT, DEFAULT_WIDTH, LegendEntry, PALETTE, REFERENCE_COLOUR, escape,
};

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
