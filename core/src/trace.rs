//! Traces: the typed values a crawl discovers, and how to read them from text.
//!
//! A [`Trace`] is a [`TraceKind`] plus a value, written `kind:value`
//! (`email:alice@example.org`). Two traces are the same only when both the kind and the
//! value match: `username:example.org` and `domain:example.org` are different traces.
//!
//! # Examples
//!
//! ```
//! use tracepool::trace::{parse_traces, Trace, TraceKind};
//!
//! let input = "\
//! ## seeds for a scan
//! username:alice
//! url:https://example.org/about
//! bob@example.org
//! 192.0.2.7
//! ";
//! let traces = parse_traces(input)?;
//! assert_eq!(traces[0], Trace::new(TraceKind::Username, "alice"));
//! assert_eq!(traces[1].value(), "https://example.org/about");
//! assert_eq!(traces[2].kind(), &TraceKind::Email);
//! assert_eq!(traces[3].to_string(), "ip:192.0.2.7");
//! # Ok::<(), tracepool::trace::ParseError>(())
//! ```

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The type of a trace.
///
/// The text form of a kind is its lowercase snake name (`social_profile`), used by
/// [`Display`](fmt::Display), [`FromStr`] and serde. Kinds outside the known list are
/// represented by [`TraceKind::Other`]; they can be produced by plugins and read back
/// by serde, but not written in text input, where an unknown `kind:` prefix is an
/// error (so that a typo is reported instead of silently creating a new kind).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TraceKind {
    /// An account name (`alice`).
    Username,
    /// An email address.
    Email,
    /// A registrable domain name (`example.org`).
    Domain,
    /// A host name below a domain (`api.example.org`).
    Subdomain,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A URL (`https://example.org/about`).
    Url,
    /// A phone number (`+44 20 7946 0958`).
    Phone,
    /// A person's name.
    Name,
    /// An organisation's name.
    Company,
    /// A source repository (`alice/tools`).
    Repository,
    /// A profile on a social site.
    SocialProfile,
    /// An autonomous system number (`AS64500`).
    Asn,
    /// An address block (`192.0.2.0/24`).
    Netblock,
    /// A DNS record (`MX 10 mail.example.org`).
    DnsRecord,
    /// A postal address.
    Address,
    /// A public key or its fingerprint.
    Key,
    /// A line of a WHOIS answer.
    Whois,
    /// A kind outside this list, by its name.
    Other(String),
}

impl TraceKind {
    /// Every kind except [`TraceKind::Other`], in declaration order.
    pub const KNOWN: &'static [TraceKind] = &[
        TraceKind::Username,
        TraceKind::Email,
        TraceKind::Domain,
        TraceKind::Subdomain,
        TraceKind::Ip,
        TraceKind::Url,
        TraceKind::Phone,
        TraceKind::Name,
        TraceKind::Company,
        TraceKind::Repository,
        TraceKind::SocialProfile,
        TraceKind::Asn,
        TraceKind::Netblock,
        TraceKind::DnsRecord,
        TraceKind::Address,
        TraceKind::Key,
        TraceKind::Whois,
    ];

    /// The text name of the kind (`social_profile`).
    pub fn as_str(&self) -> &str {
        match self {
            TraceKind::Username => "username",
            TraceKind::Email => "email",
            TraceKind::Domain => "domain",
            TraceKind::Subdomain => "subdomain",
            TraceKind::Ip => "ip",
            TraceKind::Url => "url",
            TraceKind::Phone => "phone",
            TraceKind::Name => "name",
            TraceKind::Company => "company",
            TraceKind::Repository => "repository",
            TraceKind::SocialProfile => "social_profile",
            TraceKind::Asn => "asn",
            TraceKind::Netblock => "netblock",
            TraceKind::DnsRecord => "dns_record",
            TraceKind::Address => "address",
            TraceKind::Key => "key",
            TraceKind::Whois => "whois",
            TraceKind::Other(name) => name,
        }
    }

    /// The position of the kind in [`TraceKind::KNOWN`]; `None` for
    /// [`TraceKind::Other`].
    pub(crate) fn known_index(&self) -> Option<usize> {
        Some(match self {
            TraceKind::Username => 0,
            TraceKind::Email => 1,
            TraceKind::Domain => 2,
            TraceKind::Subdomain => 3,
            TraceKind::Ip => 4,
            TraceKind::Url => 5,
            TraceKind::Phone => 6,
            TraceKind::Name => 7,
            TraceKind::Company => 8,
            TraceKind::Repository => 9,
            TraceKind::SocialProfile => 10,
            TraceKind::Asn => 11,
            TraceKind::Netblock => 12,
            TraceKind::DnsRecord => 13,
            TraceKind::Address => 14,
            TraceKind::Key => 15,
            TraceKind::Whois => 16,
            TraceKind::Other(_) => return None,
        })
    }

    /// The kind at `index` in [`TraceKind::KNOWN`], if any: the inverse of
    /// [`known_index`](Self::known_index), made without a clone.
    #[inline]
    pub(crate) fn from_known_index(index: usize) -> Option<TraceKind> {
        Some(match index {
            0 => TraceKind::Username,
            1 => TraceKind::Email,
            2 => TraceKind::Domain,
            3 => TraceKind::Subdomain,
            4 => TraceKind::Ip,
            5 => TraceKind::Url,
            6 => TraceKind::Phone,
            7 => TraceKind::Name,
            8 => TraceKind::Company,
            9 => TraceKind::Repository,
            10 => TraceKind::SocialProfile,
            11 => TraceKind::Asn,
            12 => TraceKind::Netblock,
            13 => TraceKind::DnsRecord,
            14 => TraceKind::Address,
            15 => TraceKind::Key,
            16 => TraceKind::Whois,
            _ => return None,
        })
    }

    /// The known kind with this text name, if any (never [`TraceKind::Other`]).
    pub fn known(name: &str) -> Option<TraceKind> {
        TraceKind::KNOWN
            .iter()
            .find(|k| k.as_str() == name)
            .cloned()
    }
}

impl fmt::Display for TraceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`TraceKind`] from a name that is not a known kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKindError {
    name: String,
}

impl UnknownKindError {
    /// The rejected name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for UnknownKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown trace kind `{}`", self.name)
    }
}

impl std::error::Error for UnknownKindError {}

impl FromStr for TraceKind {
    type Err = UnknownKindError;

    /// Parses a known kind name; any other name is an error (see [`TraceKind`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceKind::known(s).ok_or_else(|| UnknownKindError { name: s.to_owned() })
    }
}

impl Serialize for TraceKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TraceKind {
    /// Reads a known name as its variant and any other name as [`TraceKind::Other`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(TraceKind::known(&name).unwrap_or(TraceKind::Other(name)))
    }
}

/// A typed value found by a crawl: a kind and a value, written `kind:value`.
///
/// Equality, hashing and ordering use the kind first, then the value, so a set of
/// traces deduplicates on the pair, never on the value alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Trace {
    kind: TraceKind,
    value: String,
}

impl Trace {
    /// A trace of `kind` with `value`, taken as is.
    pub fn new(kind: TraceKind, value: impl Into<String>) -> Self {
        Trace {
            kind,
            value: value.into(),
        }
    }

    /// The kind of the trace.
    pub fn kind(&self) -> &TraceKind {
        &self.kind
    }

    /// The value of the trace.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Splits the trace into its kind and value.
    pub fn into_parts(self) -> (TraceKind, String) {
        (self.kind, self.value)
    }

    /// The bytes the value's buffer holds.
    #[inline]
    pub(crate) fn value_capacity(&self) -> usize {
        self.value.capacity()
    }

    /// Makes this trace one of `kind` whose value `write` writes into its emptied
    /// buffer.
    #[inline]
    pub(crate) fn overwrite(&mut self, kind: TraceKind, write: impl FnOnce(&mut String)) {
        self.kind = kind;
        self.value.clear();
        write(&mut self.value);
    }

    /// Makes this trace a copy of `from`, reusing the value's buffer (no allocation
    /// when it is large enough).
    #[inline]
    pub(crate) fn assign(&mut self, from: TraceRef<'_>) {
        self.kind.clone_from(from.kind());
        self.value.clear();
        self.value.push_str(from.value());
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

impl FromStr for Trace {
    type Err = ParseError;

    /// Parses one trace as [`parse_line`] does, with line number 1; a blank or comment
    /// line is an [`ParseErrorKind::Empty`] error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_line(s, 1)?.ok_or(ParseError {
            line: 1,
            kind: ParseErrorKind::Empty,
        })
    }
}

/// A trace borrowed from where it is stored (a crawl's
/// [`Discovered`](crate::crawl::Discovered) graph keeps its values in one arena): its
/// kind and value, without an allocation of its own.
///
/// It compares, hashes and orders as the [`Trace`] it stands for, and equals that
/// trace (`trace_ref == trace`).
///
/// # Examples
///
/// ```
/// use tracepool::trace::{Trace, TraceKind, TraceRef};
///
/// let kind = TraceKind::Domain;
/// let borrowed = TraceRef::new(&kind, "example.org");
/// assert_eq!(borrowed.to_string(), "domain:example.org");
/// assert_eq!(borrowed, Trace::new(TraceKind::Domain, "example.org"));
/// assert_eq!(borrowed.to_trace(), Trace::new(TraceKind::Domain, "example.org"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceRef<'a> {
    kind: &'a TraceKind,
    value: &'a str,
}

impl<'a> TraceRef<'a> {
    /// A borrowed trace of `kind` with `value`.
    pub fn new(kind: &'a TraceKind, value: &'a str) -> Self {
        TraceRef { kind, value }
    }

    /// The kind of the trace.
    pub fn kind(&self) -> &'a TraceKind {
        self.kind
    }

    /// The value of the trace.
    pub fn value(&self) -> &'a str {
        self.value
    }

    /// An owned copy.
    pub fn to_trace(&self) -> Trace {
        Trace::new(self.kind.clone(), self.value)
    }
}

impl fmt::Display for TraceRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

impl<'a> From<&'a Trace> for TraceRef<'a> {
    fn from(trace: &'a Trace) -> Self {
        TraceRef::new(&trace.kind, &trace.value)
    }
}

impl PartialEq<Trace> for TraceRef<'_> {
    fn eq(&self, other: &Trace) -> bool {
        self.kind == &other.kind && self.value == other.value
    }
}

/// Why a line of trace input was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The line has a `name:` prefix that looks like a kind but is not a known kind,
    /// and the line is not a recognisable bare value either.
    UnknownKind(String),
    /// The line names a kind but its value is empty (`email:`).
    EmptyValue(TraceKind),
    /// The line has no kind prefix and its value matches none of the bare patterns.
    Unrecognized(String),
    /// The input is blank or a comment (only from [`Trace::from_str`]).
    Empty,
}

/// A rejected line of trace input, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    line: usize,
    kind: ParseErrorKind,
}

impl ParseError {
    /// The 1-based number of the rejected line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// What was wrong with the line.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            ParseErrorKind::UnknownKind(name) => write!(f, "unknown trace kind `{name}`"),
            ParseErrorKind::EmptyValue(kind) => write!(f, "empty value for kind `{kind}`"),
            ParseErrorKind::Unrecognized(value) => write!(
                f,
                "cannot tell the kind of `{value}` (write it as `kind:value`)"
            ),
            ParseErrorKind::Empty => f.write_str("no trace (blank or comment)"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses trace input: one trace per line; blank lines and lines starting with `#`
/// are skipped.
///
/// A line is either `kind:value`, where `kind` is a known kind name (the line is split
/// at its first `:` only, so `url:https://x` is the url `https://x`), or a bare value
/// whose kind is recognised by its shape, in this order:
///
/// | shape | kind |
/// |---|---|
/// | `scheme://rest` | [`TraceKind::Url`] |
/// | `local@domain.tld` | [`TraceKind::Email`] |
/// | an IPv4 or IPv6 address | [`TraceKind::Ip`] |
/// | `+` then at least 7 digits, spaces, `-`, `.`, `(`, `)` | [`TraceKind::Phone`] |
/// | dotted labels with an alphabetic last label (`a.example.org`) | [`TraceKind::Domain`] |
///
/// Anything else (a bare word such as `alice`) is an error: write `username:alice`.
/// Values are trimmed but not otherwise checked against their kind.
///
/// # Errors
///
/// The first rejected line, as a [`ParseError`] naming its line number. Use
/// [`parse_lines`] to see every error.
pub fn parse_traces(input: &str) -> Result<Vec<Trace>, ParseError> {
    parse_lines(input).collect()
}

/// Parses trace input line by line, as [`parse_traces`] does, yielding one result per
/// non-blank, non-comment line.
pub fn parse_lines(input: &str) -> impl Iterator<Item = Result<Trace, ParseError>> + '_ {
    input
        .lines()
        .enumerate()
        .filter_map(|(i, line)| parse_line(line, i + 1).transpose())
}

/// Parses one line of trace input (see [`parse_traces`]); `Ok(None)` for a blank or
/// comment line. `line_number` is only used in the error.
///
/// # Errors
///
/// A [`ParseError`] carrying `line_number` when the line names an unknown kind, has
/// an empty value, or is a bare value of no recognisable shape.
pub fn parse_line(line: &str, line_number: usize) -> Result<Option<Trace>, ParseError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let error = |kind| ParseError {
        line: line_number,
        kind,
    };
    let mut unknown_prefix = None;
    if let Some((prefix, rest)) = line.split_once(':') {
        let prefix = prefix.trim();
        if let Some(kind) = TraceKind::known(prefix) {
            let value = rest.trim();
            if value.is_empty() {
                return Err(error(ParseErrorKind::EmptyValue(kind)));
            }
            return Ok(Some(Trace::new(kind, value)));
        }
        if is_identifier(prefix) {
            unknown_prefix = Some(prefix);
        }
    }
    if let Some(kind) = classify(line) {
        return Ok(Some(Trace::new(kind, line)));
    }
    Err(error(match unknown_prefix {
        Some(prefix) => ParseErrorKind::UnknownKind(prefix.to_owned()),
        None => ParseErrorKind::Unrecognized(line.to_owned()),
    }))
}

/// Recognises the kind of a bare value by its shape (see [`parse_traces`]).
pub fn classify(value: &str) -> Option<TraceKind> {
    if is_url(value) {
        Some(TraceKind::Url)
    } else if is_email(value) {
        Some(TraceKind::Email)
    } else if value.parse::<IpAddr>().is_ok() {
        Some(TraceKind::Ip)
    } else if is_phone(value) {
        Some(TraceKind::Phone)
    } else if is_domain(value) {
        Some(TraceKind::Domain)
    } else {
        None
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.contains(char::is_whitespace)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty() && !local.contains(char::is_whitespace) && is_domain(domain)
}

fn is_phone(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('+') else {
        return false;
    };
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        && rest.chars().filter(char::is_ascii_digit).count() >= 7
}

fn is_domain(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 || s.len() > 253 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(|l| label_ok(l))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_bare_values() {
        assert_eq!(classify("https://x"), Some(TraceKind::Url));
        assert_eq!(classify("a@b.io"), Some(TraceKind::Email));
        assert_eq!(classify("10.0.0.1"), Some(TraceKind::Ip));
        assert_eq!(classify("2001:db8::1"), Some(TraceKind::Ip));
        assert_eq!(classify("+44 20 7946 0958"), Some(TraceKind::Phone));
        assert_eq!(classify("api.example.org"), Some(TraceKind::Domain));
        assert_eq!(classify("alice"), None);
        assert_eq!(classify("1.2.3"), None);
        assert_eq!(classify("+12"), None);
    }

    #[test]
    fn kind_names_round_trip() {
        for (index, kind) in TraceKind::KNOWN.iter().enumerate() {
            assert_eq!(kind.known_index(), Some(index));
            assert_eq!(TraceKind::from_known_index(index).as_ref(), Some(kind));
            assert_eq!(kind.as_str().parse::<TraceKind>().as_ref(), Ok(kind));
        }
        assert_eq!(TraceKind::from_known_index(TraceKind::KNOWN.len()), None);
    }
}
