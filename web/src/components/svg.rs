use yew::prelude::*;

/// Properties of [`Svg`].
#[derive(Properties, PartialEq)]
pub(crate) struct SvgProps {
    /// A standalone `<svg>` element drawn by `tracepool::report::chart`.
    pub svg: AttrValue,
}

/// Puts an SVG chart of core's chart module in the page.
///
/// The markup is core's: every text from a report is escaped there, and the output
/// holds no script and no external reference.
#[component]
pub(crate) fn Svg(props: &SvgProps) -> Html {
    Html::from_html_unchecked(props.svg.clone())
}
