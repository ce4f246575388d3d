//! The app's views, one component per file. Each takes what it shows as props and
//! reports what the user does through callbacks; none holds state of its own beyond
//! what the DOM needs.

mod app;
mod charts;
mod field;
mod findings;
mod header;
mod live;
mod notice;
mod report_file;
mod results;
mod run_form;
mod svg;
mod table;

pub use app::App;

use std::ops::Deref;
use std::rc::Rc;

use tracepool::report::record::Report;

/// A report as a property: equal when it is the same report. Reports are never
/// changed in place (a change makes a new one), so comparing addresses is exact and
/// spares comparing every run on each render.
#[derive(Debug, Clone)]
pub(crate) struct ReportRef(pub(crate) Rc<Report>);

impl PartialEq for ReportRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for ReportRef {
    type Target = Report;

    fn deref(&self) -> &Report {
        &self.0
    }
}
