//! The browser entry point: mounts the app on the page's `<body>`.
#![forbid(unsafe_code)]

fn main() {
    yew::Renderer::<tracepool_web::App>::new().render();
}
