//! Realistic-looking values for simulated traces, with the node index encoded in them.
//!
//! Each kind has one format; [`format_value`] writes node `i`'s value and
//! [`parse_index`] reads `i` back (checking that formatting `i` gives the same text),
//! so the graph needs no table from values to nodes.

use std::fmt;
use std::net::Ipv4Addr;

use super::kinds::*;

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe",
];
const LAST: &[&str] = &[
    "Smith", "Jones", "Garcia", "Martin", "Lee", "Walker", "Young", "Khan", "Novak", "Silva",
];
const TLDS: &[&str] = &["org", "com", "net", "io"];
const HOSTS: &[&str] = &[
    "api", "mail", "dev", "vpn", "cdn", "shop", "blog", "git", "intranet", "static",
];
const PATHS: &[&str] = &["about", "contact", "team", "blog/post", "login"];
const COMPANIES: &[&str] = &[
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
];
const COMPANY_FORMS: &[&str] = &["Ltd", "GmbH", "Inc", "SA", "LLC"];
const PROJECTS: &[&str] = &["tools", "dotfiles", "scanner", "notes", "website"];
const STREETS: &[&str] = &["High Street", "Station Road", "Main Street", "Church Lane"];
/// The social sites, in the order of the social-profile plugins.
pub(crate) const SITES: &[&str] = &[
    "twitter",
    "mastodon",
    "reddit",
    "instagram",
    "linkedin",
    "youtube",
    "tiktok",
];
const KEY_MASK: u64 = 0x5A17_C0DE_0000_0000;
const IP_BASE: u32 = 0x0A00_0000;

fn pick<'a>(list: &[&'a str], i: u32) -> &'a str {
    list[i as usize % list.len()]
}

/// A name with its first letter in upper case.
struct Capitalised<'a>(&'a str);

impl fmt::Display for Capitalised<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        match chars.next() {
            Some(c) => write!(f, "{}{}", c.to_ascii_uppercase(), chars.as_str()),
            None => Ok(()),
        }
    }
}

/// The value of node `i`, whose kind code is `kind`.
pub(crate) fn format_value(kind: u8, i: u32) -> String {
    // Room for the longest formats, so that writing never grows the string.
    let mut s = String::with_capacity(48);
    write_value(&mut s, kind, i);
    s
}

/// Whether `value` is exactly what [`format_value`] writes for node `i` of `kind`,
/// compared as it is written, without allocating.
fn is_value(kind: u8, i: u32, value: &str) -> bool {
    /// Consumes the expected text as the format writes it; fails at the first
    /// difference.
    struct Expect<'a>(&'a str);

    impl fmt::Write for Expect<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.0.strip_prefix(s) {
                Some(rest) => {
                    self.0 = rest;
                    Ok(())
                }
                None => Err(fmt::Error),
            }
        }
    }

    let mut expect = Expect(value);
    try_write_value(&mut expect, kind, i).is_ok() && expect.0.is_empty()
}

/// Writes the value of node `i` of kind code `kind` into `s`.
fn write_value(s: &mut String, kind: u8, i: u32) {
    // Writing to a String cannot fail.
    let _ = try_write_value(s, kind, i);
}

fn try_write_value(s: &mut impl fmt::Write, kind: u8, i: u32) -> fmt::Result {
    let first = pick(FIRST, i);
    let tld = pick(TLDS, i / 3);
    match kind {
        USERNAME => write!(s, "{first}{i}"),
        EMAIL => write!(s, "{first}{i}@mail-{}.example", i % 10),
        DOMAIN => write!(s, "example-{i}.{tld}"),
        SUBDOMAIN => write!(s, "{}{i}.example-{}.{tld}", pick(HOSTS, i / 7), i % 97),
        IP => write!(s, "{}", Ipv4Addr::from(IP_BASE.wrapping_add(i))),
        URL => write!(s, "https://www.example-{i}.{tld}/{}", pick(PATHS, i / 5)),
        PHONE => write!(s, "+1 555 {i:07}"),
        NAME => write!(s, "{} {} {i}", Capitalised(first), pick(LAST, i / 11)),
        COMPANY => write!(
            s,
            "{} {i} {}",
            pick(COMPANIES, i),
            pick(COMPANY_FORMS, i / 8)
        ),
        REPOSITORY => write!(s, "{first}{i}/{}", pick(PROJECTS, i / 4)),
        SOCIAL_PROFILE => write!(
            s,
            "https://{}.example/@{first}{i}",
            SITES[i as usize % SITES.len()]
        ),
        ASN => write!(s, "AS{i}"),
        NETBLOCK => write!(s, "2001:db8:{:x}:{:x}::/64", i >> 16, i & 0xffff),
        DNS_RECORD => match i % 4 {
            0 => write!(s, "CNAME edge{i}.cdn.example.net"),
            1 => write!(s, "NS ns{i}.example.net"),
            2 => write!(s, "MX mx{i}.example.net"),
            _ => write!(s, "TXT \"site-verification={i}\""),
        },
        ADDRESS => write!(s, "{i} {}, Springfield", pick(STREETS, i / 13)),
        KEY => write!(s, "0x{:016X}", u64::from(i) ^ KEY_MASK),
        _ => match i % 3 {
            0 => write!(s, "Registrar: Registrar {i} Inc"),
            1 => write!(s, "Registrant Organization: Holdings {i}"),
            _ => write!(s, "Name Server: ns{i}.example.net"),
        },
    }
}

/// The node index encoded in `value` for a trace of kind code `kind`, if `value` is
/// exactly what [`format_value`] writes for it.
pub(crate) fn parse_index(kind: u8, value: &str) -> Option<u32> {
    let i = match kind {
        IP => u32::from(value.parse::<Ipv4Addr>().ok()?).wrapping_sub(IP_BASE),
        NETBLOCK => {
            let rest = value.strip_prefix("2001:db8:")?.strip_suffix("::/64")?;
            let (hi, lo) = rest.split_once(':')?;
            let hi = u32::from_str_radix(hi, 16).ok()?;
            let lo = u32::from_str_radix(lo, 16).ok()?;
            if hi > 0xffff || lo > 0xffff {
                return None;
            }
            (hi << 16) | lo
        }
        KEY => {
            let x = u64::from_str_radix(value.strip_prefix("0x")?, 16).ok()? ^ KEY_MASK;
            u32::try_from(x).ok()?
        }
        PHONE => value.strip_prefix("+1 555 ")?.parse().ok()?,
        _ => {
            let start = value.find(|c: char| c.is_ascii_digit())?;
            let digits = &value[start..];
            let end = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            digits[..end].parse().ok()?
        }
    };
    is_value(kind, i, value).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for kind in 0..KIND_COUNT {
            for i in [0, 1, 7, 17, 999, 65_536, 1_000_000, 99_999_999] {
                let value = format_value(kind, i);
                assert_eq!(parse_index(kind, &value), Some(i), "{kind} {value}");
            }
        }
    }

    #[test]
    fn rejects_foreign_values() {
        assert_eq!(parse_index(USERNAME, "alice"), None);
        assert_eq!(parse_index(USERNAME, "bob0"), None);
        assert_eq!(parse_index(EMAIL, "alice0@mail-1.example"), None);
        assert_eq!(parse_index(PHONE, "+1 555 12"), None);
    }
}
