use yew::prelude::*;

/// The page's header: what the app is.
#[component]
pub(crate) fn Header() -> Html {
    html! {
        <header class="app-header">
            <h1>{ "tracepool" }<span class="subtitle">{ " in the browser" }</span></h1>
            <p>
                { "Benchmarks of a bounded worker pool for crawling OSINT traces, against the \
                   models it replaced, on a simulated crawl: the benchmarking plan's scenarios, \
                   run by the same Rust code as the native runner, here on your browser's \
                   event loop. Nothing leaves this page." }
            </p>
        </header>
    }
}
