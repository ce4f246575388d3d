//! What the app asks of the page: the browser's description, its memory, local
//! storage, file downloads. Thin wrappers over `web-sys`; every failure is a value,
//! never a panic (a page may forbid storage, and some browsers have no memory API).

use tracepool::report::record::Environment;
use wasm_bindgen::JsCast;

use crate::persist::STORAGE_KEY;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The browser as a report's environment: its user agent as the OS, its logical
/// cores (`navigator.hardwareConcurrency`), the time now. What a page cannot know
/// (CPU model, load) reads `unknown` or 0.
pub fn environment() -> Environment {
    let navigator = window().map(|w| w.navigator());
    Environment {
        cpu_model: "unknown (not exposed to web pages)".to_owned(),
        cores: navigator
            .as_ref()
            .map_or(0, |n| n.hardware_concurrency().max(0.0) as u64),
        os: navigator
            .and_then(|n| n.user_agent().ok())
            .unwrap_or_else(|| "unknown browser".to_owned()),
        rustc: "unknown".to_owned(),
        git_commit: "unknown".to_owned(),
        timestamp: String::from(js_sys::Date::new_0().to_iso_string()),
        // A page has no load average.
        load_avg_1m: None,
        ..Environment::default()
    }
}

/// The app's memory in bytes, where the browser tells it: the JavaScript heap in use
/// (`performance.memory`, Chromium only) plus the WebAssembly memory. `None` elsewhere.
pub fn memory_bytes() -> Option<u64> {
    let performance = window()?.performance()?;
    let memory = js_sys::Reflect::get(&performance, &"memory".into()).ok()?;
    if memory.is_undefined() || memory.is_null() {
        return None;
    }
    let js_heap = js_sys::Reflect::get(&memory, &"usedJSHeapSize".into())
        .ok()?
        .as_f64()?;
    let wasm = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()));
    Some((js_heap + wasm) as u64)
}

/// Adds a mark named `name` to the page's performance timeline (User Timing), for
/// the browser's developer tools and the end-to-end test.
pub fn mark(name: &str) {
    if let Some(performance) = window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

fn storage() -> Option<web_sys::Storage> {
    window()?.local_storage().ok()?
}

/// The text stored by [`save`], if any.
pub fn load() -> Option<String> {
    storage()?.get_item(STORAGE_KEY).ok()?
}

/// Stores `text` in the page's local storage.
///
/// # Errors
///
/// When the page may not use local storage or it is full.
pub fn save(text: &str) -> Result<(), String> {
    let storage = storage().ok_or("local storage is not available")?;
    storage
        .set_item(STORAGE_KEY, text)
        .map_err(|_| "local storage is full or not writable".to_owned())
}

/// Offers `text` as a file named `name` to download.
///
/// # Errors
///
/// When the page cannot create the file.
pub fn download(name: &str, text: &str) -> Result<(), String> {
    let fail = |what: &str| format!("could not save {name}: {what}");
    let document = window()
        .and_then(|w| w.document())
        .ok_or_else(|| fail("no document"))?;
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| fail("cannot create the file"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| fail("cannot link the file"))?;
    let anchor = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| fail("cannot create a link"))?;
    anchor.set_href(&url);
    anchor.set_download(name);
    let body = document.body().ok_or_else(|| fail("no page body"))?;
    let _ = body.append_child(&anchor);
    anchor.click();
    anchor.remove();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
