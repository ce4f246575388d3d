//! Parsing trace input, kinds and the text form of traces.

use proptest::prelude::*;
use tracepool::trace::{ParseErrorKind, Trace, TraceKind, classify, parse_lines, parse_traces};

fn t(kind: TraceKind, value: &str) -> Trace {
    Trace::new(kind, value)
}

#[test]
fn parses_prefixed_lines_comments_and_blanks() {
    let input = "# seeds\n\nusername:alice\n  email : bob@example.org  \n# done\nsocial_profile:https://x.example/@a\n";
    let traces = parse_traces(input).unwrap();
    assert_eq!(
        traces,
        [
            t(TraceKind::Username, "alice"),
            t(TraceKind::Email, "bob@example.org"),
            t(TraceKind::SocialProfile, "https://x.example/@a"),
        ]
    );
}

#[test]
fn splits_on_the_first_colon_of_a_known_kind_only() {
    let url: Trace = "url:https://x".parse().unwrap();
    assert_eq!(url, t(TraceKind::Url, "https://x"));
    let ip: Trace = "ip:2001:db8::1".parse().unwrap();
    assert_eq!(ip, t(TraceKind::Ip, "2001:db8::1"));
    let dns: Trace = "dns_record:TXT \"a:b\"".parse().unwrap();
    assert_eq!(dns.value(), "TXT \"a:b\"");
}

#[test]
fn classifies_bare_values() {
    let cases = [
        ("https://example.org/a", TraceKind::Url),
        ("ftp://files.example.org", TraceKind::Url),
        ("alice@example.org", TraceKind::Email),
        ("192.0.2.1", TraceKind::Ip),
        ("2001:db8::1", TraceKind::Ip),
        ("::1", TraceKind::Ip),
        ("+44 20 7946 0958", TraceKind::Phone),
        ("+1-555-0100123", TraceKind::Phone),
        ("example.org", TraceKind::Domain),
        ("api.dev.example.co", TraceKind::Domain),
    ];
    for (value, kind) in cases {
        let trace: Trace = value.parse().unwrap();
        assert_eq!(trace, t(kind.clone(), value), "{value}");
        assert_eq!(classify(value), Some(kind));
    }
    for value in [
        "alice",
        "1.2.3",
        "example.o",
        "-a.example.org",
        "+12",
        "a b.org",
    ] {
        assert_eq!(classify(value), None, "{value}");
    }
}

#[test]
fn errors_name_the_line_and_the_problem() {
    let input = "username:alice\n\n# c\nfoo:bar\n";
    let err = parse_traces(input).unwrap_err();
    assert_eq!(err.line(), 4);
    assert_eq!(err.kind(), &ParseErrorKind::UnknownKind("foo".into()));
    assert_eq!(err.to_string(), "line 4: unknown trace kind `foo`");

    let err = parse_traces("email:a@b.io\nemail:  \n").unwrap_err();
    assert_eq!(err.line(), 2);
    assert_eq!(err.kind(), &ParseErrorKind::EmptyValue(TraceKind::Email));

    let err = parse_traces("alice\n").unwrap_err();
    assert_eq!(err.line(), 1);
    assert_eq!(err.kind(), &ParseErrorKind::Unrecognized("alice".into()));
    assert!(
        err.to_string()
            .starts_with("line 1: cannot tell the kind of `alice`")
    );

    assert_eq!(
        "  # only a comment".parse::<Trace>().unwrap_err().kind(),
        &ParseErrorKind::Empty
    );
}

#[test]
fn parse_lines_reports_every_error() {
    let results: Vec<_> = parse_lines("x:1\nusername:a\nzzz\n").collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap_err().line(), 1);
    assert!(results[1].is_ok());
    assert_eq!(results[2].as_ref().unwrap_err().line(), 3);
}

#[test]
fn dedup_key_is_kind_and_value() {
    let a = t(TraceKind::Username, "example.org");
    let b = t(TraceKind::Domain, "example.org");
    assert_ne!(a, b);
    let set: std::collections::HashSet<_> = [a.clone(), b, a].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn kinds_use_snake_names_everywhere() {
    assert_eq!(TraceKind::SocialProfile.to_string(), "social_profile");
    assert_eq!("dns_record".parse::<TraceKind>(), Ok(TraceKind::DnsRecord));
    assert!("Username".parse::<TraceKind>().is_err());
    let json = serde_json::to_string(&t(TraceKind::SocialProfile, "x")).unwrap();
    assert_eq!(json, r#"{"kind":"social_profile","value":"x"}"#);
    let other: TraceKind = serde_json::from_str(r#""certificate""#).unwrap();
    assert_eq!(other, TraceKind::Other("certificate".into()));
    assert_eq!(serde_json::to_string(&other).unwrap(), r#""certificate""#);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Trace>();
    check::<TraceKind>();
    check::<tracepool::trace::ParseError>();
    check::<tracepool::Registry>();
    check::<tracepool::PluginError>();
}

fn known_kind() -> impl Strategy<Value = TraceKind> {
    proptest::sample::select(TraceKind::KNOWN.to_vec())
}

proptest! {
    #[test]
    fn display_then_parse_round_trips(kind in known_kind(), value in "[^\\s#][^\\n\\r]{0,40}[^\\s]") {
        let trace = Trace::new(kind, value.trim());
        let text = trace.to_string();
        prop_assert_eq!(text.parse::<Trace>(), Ok(trace.clone()));
        let json = serde_json::to_string(&trace).unwrap();
        prop_assert_eq!(serde_json::from_str::<Trace>(&json).unwrap(), trace);
    }

    #[test]
    fn parsing_never_panics(input in "\\PC{0,200}") {
        let _ = parse_traces(&input);
    }
}
