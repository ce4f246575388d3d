//! Charts as standalone SVG strings, for the native HTML report and the web app alike.
//!
//! A chart is plain data ([`LineChart`], [`BarChart`]) turned into an `<svg>` element by
//! `to_svg`: pure Rust, no I/O, the same bytes on every target. The output has a
//! `viewBox`, embeds inline in HTML, and holds no script and no external reference.
//! [`report_charts`] builds every chart of a
//! [`Report`](crate::report::record::Report); the `*_chart` functions build them one at
//! a time.
//!
//! The generic pieces know nothing of reports: the SVG canvas (title, legend, frame,
//! escaping) and the axes (1-2-5 ticks, logarithmic decades) under the line and bar
//! charts. The report's charts are built on them in one place.
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

mod axis;
mod bar;
mod line;
mod report_charts;
mod svg;

pub use axis::nice_ticks;
pub use bar::{BarChart, BarSeries};
pub use line::{LineChart, ReferenceLine, Series};
pub use report_charts::{
    NamedChart, cpu_chart, cpu_over_time_chart, error_rate_chart, in_flight_over_time_chart,
    peak_in_flight_vs_limit_chart, peak_rss_chart, report_charts, rss_over_time_chart,
    throughput_vs_concurrency_chart, wall_time_chart,
};
pub use svg::{DEFAULT_HEIGHT, DEFAULT_WIDTH, PALETTE, escape};
