//! Realistic-looking values for simulated traces, with the node index encoded in them.
//!
//! Each kind has one format; [`format_value`] writes node `i`'s value and
//! [`parse_index`] reads `i` back (checking that formatting `i` gives the same text),
//! so the graph needs no table from values to nodes.

use std::cell::RefCell;
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

/// The value of node `i`, whose kind code is `kind`.
pub(crate) fn format_value(kind: u8, i: u32) -> String {
    // Allocated once (by `write_value`), with room for every format.
    let mut value = String::new();
    write_value(&mut value, kind, i);
    value
}

/// Writes the value of node `i`, whose kind code is `kind`, at the end of `value`.
#[inline]
pub(crate) fn write_value(value: &mut String, kind: u8, i: u32) {
    // Room for every format: no growth while writing.
    value.reserve(MAX_LEN);
    // Writing into a string cannot fail.
    let _ = try_write_value(value, kind, i);
}

/// Whether `value` is exactly what [`format_value`] writes for node `i` of `kind`,
/// compared piece by piece without writing it.
fn is_value(kind: u8, i: u32, value: &str) -> bool {
    let mut rest = Rest(value.as_bytes());
    try_write_value(&mut rest, kind, i).is_ok() && rest.0.is_empty()
}

/// The longest value of any format (44 bytes) and then some: a longer text is no
/// value.
const MAX_LEN: usize = 48;

/// A piece differs from the value compared.
#[derive(Debug)]
struct Mismatch;

/// Where a value goes, piece by piece, without `core::fmt`: values are formatted (or
/// checked) once per simulated call and per trace found.
trait Sink {
    fn put(&mut self, piece: &str) -> Result<(), Mismatch>;

    /// One ASCII byte.
    fn put_ascii(&mut self, byte: u8) -> Result<(), Mismatch>;

    fn num(&mut self, n: u64) -> Result<(), Mismatch> {
        self.put(itoa::Buffer::new().format(n))
    }

    /// `n` in decimal, zero-padded to `width` digits: the zeros put as one piece, not
    /// one by one.
    fn padded(&mut self, n: u64, width: usize) -> Result<(), Mismatch> {
        const ZEROS: &str = "0000000000000000";
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        let mut pad = width.saturating_sub(digits.len());
        while pad > 0 {
            let zeros = pad.min(ZEROS.len());
            self.put(&ZEROS[..zeros])?;
            pad -= zeros;
        }
        self.put(digits)
    }

    /// `n` in hexadecimal, zero-padded to `width` digits (at most 16): the digits put
    /// as one piece, not one by one.
    fn hex(&mut self, mut n: u64, width: usize, digits: &[u8; 16]) -> Result<(), Mismatch> {
        let mut buf = [b'0'; 16];
        let mut at = buf.len();
        while n > 0 || buf.len() - at < width {
            at -= 1;
            buf[at] = digits[(n % 16) as usize];
            n /= 16;
        }
        // The digits are ASCII: the check cannot fail.
        self.put(std::str::from_utf8(&buf[at..]).map_err(|_| Mismatch)?)
    }
}

impl Sink for String {
    #[inline]
    fn put(&mut self, piece: &str) -> Result<(), Mismatch> {
        self.push_str(piece);
        Ok(())
    }

    #[inline]
    fn put_ascii(&mut self, byte: u8) -> Result<(), Mismatch> {
        self.push(char::from(byte));
        Ok(())
    }
}

/// The part of a value not compared yet.
struct Rest<'a>(&'a [u8]);

impl Sink for Rest<'_> {
    #[inline]
    fn put(&mut self, piece: &str) -> Result<(), Mismatch> {
        self.0 = self.0.strip_prefix(piece.as_bytes()).ok_or(Mismatch)?;
        Ok(())
    }

    #[inline]
    fn put_ascii(&mut self, byte: u8) -> Result<(), Mismatch> {
        match self.0.split_first() {
            Some((&first, rest)) if first == byte => {
                self.0 = rest;
                Ok(())
            }
            _ => Err(Mismatch),
        }
    }
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

fn try_write_value(s: &mut impl Sink, kind: u8, i: u32) -> Result<(), Mismatch> {
    let first = pick(FIRST, i);
    let tld = pick(TLDS, i / 3);
    let n = u64::from(i);
    match kind {
        USERNAME => {
            s.put(first)?;
            s.num(n)
        }
        EMAIL => {
            s.put(first)?;
            s.num(n)?;
            s.put("@mail-")?;
            s.num(n % 10)?;
            s.put(".example")
        }
        DOMAIN => {
            s.put("example-")?;
            s.num(n)?;
            s.put(".")?;
            s.put(tld)
        }
        SUBDOMAIN => {
            s.put(pick(HOSTS, i / 7))?;
            s.num(n)?;
            s.put(".example-")?;
            s.num(n % 97)?;
            s.put(".")?;
            s.put(tld)
        }
        IP => {
            let [a, b, c, d] = IP_BASE.wrapping_add(i).to_be_bytes();
            s.num(u64::from(a))?;
            for octet in [b, c, d] {
                s.put(".")?;
                s.num(u64::from(octet))?;
            }
            Ok(())
        }
        URL => {
            s.put("https://www.example-")?;
            s.num(n)?;
            s.put(".")?;
            s.put(tld)?;
            s.put("/")?;
            s.put(pick(PATHS, i / 5))
        }
        PHONE => {
            s.put("+1 555 ")?;
            s.padded(n, 7)
        }
        NAME => {
            // The first names are ASCII and lower case: upper-case the first letter.
            s.put_ascii(first.as_bytes()[0].to_ascii_uppercase())?;
            s.put(&first[1..])?;
            s.put(" ")?;
            s.put(pick(LAST, i / 11))?;
            s.put(" ")?;
            s.num(n)
        }
        COMPANY => {
            s.put(pick(COMPANIES, i))?;
            s.put(" ")?;
            s.num(n)?;
            s.put(" ")?;
            s.put(pick(COMPANY_FORMS, i / 8))
        }
        REPOSITORY => {
            s.put(first)?;
            s.num(n)?;
            s.put("/")?;
            s.put(pick(PROJECTS, i / 4))
        }
        SOCIAL_PROFILE => {
            s.put("https://")?;
            s.put(SITES[i as usize % SITES.len()])?;
            s.put(".example/@")?;
            s.put(first)?;
            s.num(n)
        }
        ASN => {
            s.put("AS")?;
            s.num(n)
        }
        NETBLOCK => {
            s.put("2001:db8:")?;
            s.hex(n >> 16, 1, LOWER_HEX)?;
            s.put(":")?;
            s.hex(n & 0xffff, 1, LOWER_HEX)?;
            s.put("::/64")
        }
        DNS_RECORD => {
            let (before, after) = match i % 4 {
                0 => ("CNAME edge", ".cdn.example.net"),
                1 => ("NS ns", ".example.net"),
                2 => ("MX mx", ".example.net"),
                _ => ("TXT \"site-verification=", "\""),
            };
            s.put(before)?;
            s.num(n)?;
            s.put(after)
        }
        ADDRESS => {
            s.num(n)?;
            s.put(" ")?;
            s.put(pick(STREETS, i / 13))?;
            s.put(", Springfield")
        }
        KEY => {
            s.put("0x")?;
            s.hex(n ^ KEY_MASK, 16, UPPER_HEX)
        }
        _ => {
            let (before, after) = match i % 3 {
                0 => ("Registrar: Registrar ", " Inc"),
                1 => ("Registrant Organization: Holdings ", ""),
                _ => ("Name Server: ns", ".example.net"),
            };
            s.put(before)?;
            s.num(n)?;
            s.put(after)
        }
    }
}

/// The node index encoded in `value` for a trace of kind code `kind`, if `value` is
/// exactly what [`format_value`] writes for it.
///
/// The last value read on this thread is remembered: a crawl calls every plugin of a
/// trace one after the other, each reading the same value, and comparing it with the
/// last costs a fraction of reading it (the answer is a function of `kind` and
/// `value` alone, so the memo is right whatever asks).
pub(crate) fn parse_index(kind: u8, value: &str) -> Option<u32> {
    thread_local! {
        static LAST: RefCell<(u8, String, Option<u32>)> =
            const { RefCell::new((u8::MAX, String::new(), None)) };
    }
    LAST.with(|last| {
        // A value longer than every format is not kept; neither is one read by a
        // reentrant call (none is made).
        let Ok(mut last) = last.try_borrow_mut() else {
            return read_index(kind, value);
        };
        if value.len() > MAX_LEN {
            return read_index(kind, value);
        }
        if last.0 != kind || last.1 != value {
            let index = read_index(kind, value);
            last.0 = kind;
            last.1.clear();
            last.1.push_str(value);
            last.2 = index;
        }
        last.2
    })
}

/// [`parse_index`], without the memo.
fn read_index(kind: u8, value: &str) -> Option<u32> {
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
            // The first run of ASCII digits, read byte by byte.
            let bytes = value.as_bytes();
            let start = bytes.iter().position(u8::is_ascii_digit)?;
            let mut n: u32 = 0;
            for &b in bytes[start..].iter().take_while(|b| b.is_ascii_digit()) {
                n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
            }
            n
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

    /// The formats as `core::fmt` writes them: the pieces above must write the same.
    fn reference(kind: u8, i: u32) -> String {
        let first = pick(FIRST, i);
        let tld = pick(TLDS, i / 3);
        let capitalised = first[..1].to_ascii_uppercase() + &first[1..];
        match kind {
            USERNAME => format!("{first}{i}"),
            EMAIL => format!("{first}{i}@mail-{}.example", i % 10),
            DOMAIN => format!("example-{i}.{tld}"),
            SUBDOMAIN => format!("{}{i}.example-{}.{tld}", pick(HOSTS, i / 7), i % 97),
            IP => Ipv4Addr::from(IP_BASE.wrapping_add(i)).to_string(),
            URL => format!("https://www.example-{i}.{tld}/{}", pick(PATHS, i / 5)),
            PHONE => format!("+1 555 {i:07}"),
            NAME => format!("{capitalised} {} {i}", pick(LAST, i / 11)),
            COMPANY => format!("{} {i} {}", pick(COMPANIES, i), pick(COMPANY_FORMS, i / 8)),
            REPOSITORY => format!("{first}{i}/{}", pick(PROJECTS, i / 4)),
            SOCIAL_PROFILE => format!(
                "https://{}.example/@{first}{i}",
                SITES[i as usize % SITES.len()]
            ),
            ASN => format!("AS{i}"),
            NETBLOCK => format!("2001:db8:{:x}:{:x}::/64", i >> 16, i & 0xffff),
            DNS_RECORD => match i % 4 {
                0 => format!("CNAME edge{i}.cdn.example.net"),
                1 => format!("NS ns{i}.example.net"),
                2 => format!("MX mx{i}.example.net"),
                _ => format!("TXT \"site-verification={i}\""),
            },
            ADDRESS => format!("{i} {}, Springfield", pick(STREETS, i / 13)),
            KEY => format!("0x{:016X}", u64::from(i) ^ KEY_MASK),
            _ => match i % 3 {
                0 => format!("Registrar: Registrar {i} Inc"),
                1 => format!("Registrant Organization: Holdings {i}"),
                _ => format!("Name Server: ns{i}.example.net"),
            },
        }
    }

    #[test]
    fn pieces_write_what_the_formats_say() {
        for kind in 0..KIND_COUNT {
            for i in (0..2_000).chain([65_535, 65_536, 9_999_999, u32::MAX - 1, u32::MAX]) {
                let value = format_value(kind, i);
                assert_eq!(value, reference(kind, i), "kind {kind}, node {i}");
                assert!(value.len() <= MAX_LEN, "kind {kind}, node {i}: {value}");
                assert!(is_value(kind, i, &value));
                assert!(!is_value(kind, i, ""));
                assert!(!is_value(kind, i.wrapping_add(1), &value));
                assert!(!is_value(kind, i, &value[..value.len() - 1]));
                assert!(!is_value(kind, i, &(value.clone() + "0")));
            }
        }
    }

    #[test]
    fn the_remembered_value_answers_only_for_its_kind_and_text() {
        let name = format_value(NAME, 12);
        let username = format_value(USERNAME, 12);
        for _ in 0..2 {
            assert_eq!(parse_index(NAME, &name), Some(12));
            assert_eq!(parse_index(NAME, &name), Some(12));
            // The same text as another kind, a text one byte off, then the first again.
            assert_eq!(parse_index(USERNAME, &name), None);
            assert_eq!(parse_index(USERNAME, &username), Some(12));
            assert_eq!(parse_index(USERNAME, &username[..username.len() - 1]), None);
            assert_eq!(parse_index(USERNAME, &(username.clone() + "0")), None);
        }
        let long = "9".repeat(MAX_LEN + 1);
        assert_eq!(parse_index(ASN, &long), None);
        assert_eq!(parse_index(ASN, "AS7"), Some(7));
    }

    #[test]
    fn rejects_foreign_values() {
        assert_eq!(parse_index(USERNAME, "alice"), None);
        assert_eq!(parse_index(USERNAME, "bob0"), None);
        assert_eq!(parse_index(EMAIL, "alice0@mail-1.example"), None);
        assert_eq!(parse_index(PHONE, "+1 555 12"), None);
    }
}
