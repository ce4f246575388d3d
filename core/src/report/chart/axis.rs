//! Axes: their domain, their ticks (1-2-5 steps, or decades on a logarithmic axis) and
//! the tick and tooltip labels.

/// Tick values with 1-2-5 steps (1, 2 or 5 times a power of ten) covering `[min, max]`.
///
/// Returns about `target` ticks (at most `target + 2`); the first is at or below `min`,
/// the last at or above `max`. A degenerate range (`min == max`) is widened around the
/// value. Returns an empty vector when a bound is not finite or `min > max`.
///
/// # Examples
///
/// ```
/// assert_eq!(tracepool::report::chart::nice_ticks(0.0, 97.0, 5), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
/// ```
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    if !min.is_finite() || !max.is_finite() || min > max {
        return Vec::new();
    }
    let (min, max) = if min == max {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.5 };
        (min - pad, max + pad)
    } else {
        (min, max)
    };
    let target = target.max(1) as f64;
    let raw = (max - min) / target;
    if !raw.is_finite() || raw <= 0.0 {
        return Vec::new();
    }
    let step = nice_step(raw);
    let first = (min / step).floor();
    let last = (max / step).ceil();
    let count = (last - first).round() as usize;
    (0..=count)
        .map(|i| {
            let v = (first + i as f64) * step;
            if v == 0.0 { 0.0 } else { v }
        })
        .collect()
}

/// The smallest 1-2-5 step at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let mantissa = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    mantissa * magnitude
}

/// Ticks of a logarithmic axis over `[10^lo, 10^hi]`: 1, 2 and 5 per decade when the
/// axis spans few decades, powers of ten otherwise.
fn log_ticks(lo: i32, hi: i32) -> Vec<f64> {
    let mantissas: &[f64] = if hi - lo <= 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    for e in lo..=hi {
        for &m in mantissas {
            if e == hi && m > 1.0 {
                break;
            }
            ticks.push(m * 10f64.powi(e));
        }
    }
    ticks
}

/// One axis: its domain and ticks.
#[derive(Debug)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) log: bool,
    pub(super) ticks: Vec<f64>,
}

impl Axis {
    pub(super) fn linear(min: f64, max: f64) -> Self {
        let ticks = nice_ticks(min, max, 5);
        match (ticks.first(), ticks.last()) {
            (Some(&lo), Some(&hi)) if hi > lo => Self {
                lo,
                hi,
                log: false,
                ticks,
            },
            _ => Self {
                lo: 0.0,
                hi: 1.0,
                log: false,
                ticks: vec![0.0, 0.5, 1.0],
            },
        }
    }

    pub(super) fn log(min: f64, max: f64) -> Self {
        let lo = min.log10().floor().clamp(-300.0, 300.0) as i32;
        let mut hi = max.log10().ceil().clamp(-300.0, 300.0) as i32;
        if hi <= lo {
            hi = lo + 1;
        }
        Self {
            lo: 10f64.powi(lo),
            hi: 10f64.powi(hi),
            log: true,
            ticks: log_ticks(lo, hi),
        }
    }

    /// Fraction of the axis (0 at `lo`, 1 at `hi`) where `v` lies.
    pub(super) fn fraction(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The value at fraction `f` of the axis.
    pub(super) fn value_at(&self, f: f64) -> f64 {
        if self.log {
            10f64.powf(self.lo.log10() + f * (self.hi.log10() - self.lo.log10()))
        } else {
            self.lo + f * (self.hi - self.lo)
        }
    }

    pub(super) fn tick_labels(&self) -> Vec<(f64, String)> {
        if self.log {
            return self.ticks.iter().map(|&t| (t, format_value(t))).collect();
        }
        let step = if self.ticks.len() > 1 {
            self.ticks[1] - self.ticks[0]
        } else {
            1.0
        };
        self.ticks
            .iter()
            .map(|&t| (t, format_tick(t, step)))
            .collect()
    }
}

/// A tick label: `v` with as many decimals as `step` needs, large values with a k/M/G
/// suffix.
fn format_tick(v: f64, step: f64) -> String {
    let (scale, suffix) = si_scale(v.abs().max(step.abs()));
    let scaled_step = step / scale;
    let decimals = if scaled_step >= 1.0 {
        0
    } else {
        (-scaled_step.log10().floor()).clamp(0.0, 9.0) as usize
    };
    let s = format!("{:.*}{suffix}", decimals, v / scale);
    if s.starts_with("-0")
        && s.trim_start_matches(['-', '0', '.'])
            .chars()
            .all(|c| !c.is_ascii_digit())
    {
        s[1..].to_owned()
    } else {
        s
    }
}

/// A value in a tooltip or log-axis label: about four significant digits.
pub(super) fn format_value(v: f64) -> String {
    let (scale, suffix) = si_scale(v.abs());
    let x = v / scale;
    let s = if x == x.trunc() {
        format!("{x:.0}")
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    format!("{s}{suffix}")
}

fn si_scale(magnitude: f64) -> (f64, &'static str) {
    if magnitude >= 1e9 {
        (1e9, "G")
    } else if magnitude >= 1e6 {
        (1e6, "M")
    } else if magnitude >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}
