//! What the measurement examples share: reading their whole-number arguments.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// The whole number in `arg` within `accepted`, `default` without one, or what is wrong.
pub(crate) fn whole<T>(
    arg: Option<&String>,
    name: &str,
    default: T,
    accepted: RangeInclusive<T>,
) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    let Some(a) = arg else {
        return Ok(default);
    };
    a.parse::<T>()
        .ok()
        .filter(|n| accepted.contains(n))
        .ok_or_else(|| {
            format!(
                "{name}: a whole number from {} to {}, got `{a}`",
                accepted.start(),
                accepted.end()
            )
        })
}
