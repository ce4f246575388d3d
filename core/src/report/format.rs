//! Numbers as the findings and the report writers show them: counts with thousands
//! separators, three significant digits, seconds, rates, mebibytes, percentages.
//!
//! # Examples
//!
//! ```
//! use tracepool::report::format::{format_count, format_number, format_percent};
//!
//! assert_eq!(format_count(10_000), "10,000");
//! assert_eq!(format_number(1234.5), "1,235");
//! assert_eq!(format_percent(0.0123), "1.23 %");
//! ```

/// `n` with thousands separators: `10000` → `10,000`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value with three significant digits (whole numbers from 100 on, with thousands
/// separators), trailing zeros dropped: `4.10` → `4.1`, `1234.5` → `1,235`,
/// `0.01234` → `0.0123`. Not-a-number and infinities read `n/a`.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_owned();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a.round() >= 100.0 {
        // The value is finite and at least 100, so the cast cannot truncate meaningfully.
        return format!("{sign}{}", format_count(a.round() as u64));
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 9) as usize;
    let mut s = format!("{a:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "0" {
        return s;
    }
    format!("{sign}{s}")
}

/// Seconds with three significant digits and the unit: `4.1 s`.
pub fn format_seconds(s: f64) -> String {
    format!("{} s", format_number(s))
}

/// A rate per second without the unit: `1,234` or `95.5`.
pub fn format_rate(per_s: f64) -> String {
    format_number(per_s)
}

/// Bytes as mebibytes with the unit: `12.5 MiB`.
pub fn format_mib(bytes: u64) -> String {
    format!("{} MiB", format_number(bytes as f64 / (1024.0 * 1024.0)))
}

/// Bytes as mebibytes with the unit, from a median of bytes: `n/a` when it is not a
/// number (the runs do not have the figure).
pub(crate) fn format_mib_of(bytes: f64) -> String {
    if bytes.is_finite() {
        format_mib(bytes as u64)
    } else {
        "n/a".to_owned()
    }
}

/// An OS figure a record may not have, as a number: not-a-number where it is missing,
/// which medians skip and [`format_number`] reads `n/a`.
pub(crate) fn available(figure: Option<u64>) -> f64 {
    figure.map_or(f64::NAN, |v| v as f64)
}

/// A fraction as a percentage with the unit: `0.0123` → `1.23 %`.
pub fn format_percent(fraction: f64) -> String {
    format!("{} %", format_number(fraction * 100.0))
}

/// A speed-up factor: `1.5x`.
pub(crate) fn format_factor(f: f64) -> String {
    if f.is_finite() && f >= 10.0 {
        format!("{}x", format_number(f))
    } else if f.is_finite() && (f - 1.0).abs() < 0.1 {
        format!("{f:.2}x")
    } else if f.is_finite() {
        format!("{f:.1}x")
    } else {
        "n/a".to_owned()
    }
}
