//! The browser entry point: mounts the app on the page's `<body>`.
#![forbid(unsafe_code)]

// The standard library's allocator on wasm32 is dlmalloc; talc does the same work in
// less code (the bundle's size is a target) and less time.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    yew::Renderer::<tracepool_web::App>::new().render();
}
