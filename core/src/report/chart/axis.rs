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

/// `10^e` by `powi` (multiplications, then one division for negative powers), in two
/// steps below `10^-300` so that subnormal powers stay above 0: not by `powf`, whose
/// code the browser bundle would carry for the axes alone. Exact from `10^-22` to
/// `10^22`; a few units in the last place off beyond, where chart values do not go.
fn pow10(e: i32) -> f64 {
    if e < -300 {
        10f64.powi(e + 300) * 1e-300
    } else {
        10f64.powi(e)
    }
}

/// The smallest 1-2-5 step at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = pow10(raw.log10().floor() as i32);
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
            // 10^x as e^(x ln 10): the bundle carries `exp` already, not `powf`.
            ((self.lo.log10() + f * (self.hi.log10() - self.lo.log10())) * std::f64::consts::LN_10)
                .exp()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten_read_as_their_decimal_form() {
        for e in -323..=308 {
            let expected: f64 = format!("1e{e}").parse().unwrap();
            let ours = pow10(e);
            // Exact where every factor is (10^0 to 10^22 and their inverses); a few
            // units in the last place beyond (rounded products), and above 0 down to
            // 10^-323.
            let ulps = (ours.to_bits() as i64 - expected.to_bits() as i64).abs();
            assert!(ulps <= 8, "10^{e}: {ours:e}, {ulps} ulps from {expected:e}");
            if (-22..=22).contains(&e) {
                assert_eq!(ours, expected, "10^{e}");
            }
        }
    }

    #[test]
    fn log_axis_values_are_powers_of_ten_at_the_ends() {
        let axis = Axis::log(3.0, 700.0);
        assert!((axis.value_at(0.0) / axis.lo - 1.0).abs() < 1e-12);
        assert!((axis.value_at(1.0) / axis.hi - 1.0).abs() < 1e-12);
        assert!((axis.value_at(0.5) / (axis.lo * axis.hi).sqrt() - 1.0).abs() < 1e-12);
    }
}
