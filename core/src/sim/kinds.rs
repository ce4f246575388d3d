//! The synthetic plugin table, modelled on the original tool's plugins per kind.
//!
//! Kinds are coded as their index in [`TraceKind::KNOWN`], so one byte holds one.

use crate::trace::TraceKind;

pub(crate) const USERNAME: u8 = 0;
pub(crate) const EMAIL: u8 = 1;
pub(crate) const DOMAIN: u8 = 2;
pub(crate) const SUBDOMAIN: u8 = 3;
pub(crate) const IP: u8 = 4;
pub(crate) const URL: u8 = 5;
pub(crate) const PHONE: u8 = 6;
pub(crate) const NAME: u8 = 7;
pub(crate) const COMPANY: u8 = 8;
pub(crate) const REPOSITORY: u8 = 9;
pub(crate) const SOCIAL_PROFILE: u8 = 10;
pub(crate) const ASN: u8 = 11;
pub(crate) const NETBLOCK: u8 = 12;
pub(crate) const DNS_RECORD: u8 = 13;
pub(crate) const ADDRESS: u8 = 14;
pub(crate) const KEY: u8 = 15;
pub(crate) const WHOIS: u8 = 16;
pub(crate) const KIND_COUNT: u8 = 17;

/// The kind with code `code`, made without a clone (a kind may own a name).
///
/// # Panics
///
/// When `code` is not below [`KIND_COUNT`].
#[inline]
pub(crate) fn kind_of_code(code: u8) -> TraceKind {
    TraceKind::from_known_index(usize::from(code)).expect("a kind code is below KIND_COUNT")
}

/// The code of a known kind.
pub(crate) fn code_of_kind(kind: &TraceKind) -> Option<u8> {
    kind.known_index().and_then(|p| u8::try_from(p).ok())
}

/// One synthetic plugin.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Name within its kind.
    pub(crate) name: &'static str,
    /// Whether a call does I/O (and so sleeps); `url -> domain` does not.
    pub(crate) io: bool,
    /// Whether the plugin only acts on a share of its input (the social-site plugins:
    /// each takes the profiles of its own site and returns nothing for the others).
    pub(crate) filter: bool,
    /// Mean number of new traces per call, before the fan-out knob.
    pub(crate) mean: f64,
    /// Kinds emitted, with relative weights.
    pub(crate) emits: &'static [(u8, u32)],
}

const fn io(name: &'static str, mean: f64, emits: &'static [(u8, u32)]) -> Spec {
    Spec {
        name,
        io: true,
        filter: false,
        mean,
        emits,
    }
}

const fn social(name: &'static str) -> Spec {
    Spec {
        name,
        io: true,
        filter: true,
        mean: 1.2,
        emits: &[(NAME, 2), (EMAIL, 1), (URL, 1), (COMPANY, 1)],
    }
}

const USERNAME_PLUGINS: &[Spec] = &[
    io("site_probe", 3.0, &[(SOCIAL_PROFILE, 4), (URL, 1)]),
    io("github", 1.5, &[(REPOSITORY, 3), (NAME, 1), (EMAIL, 1)]),
    io("gitlab", 1.0, &[(REPOSITORY, 2), (NAME, 1)]),
    io("keybase", 0.8, &[(KEY, 2), (SOCIAL_PROFILE, 1)]),
    io("gravatar", 0.6, &[(NAME, 1), (URL, 1), (EMAIL, 1)]),
    io("pgp_keyserver", 0.6, &[(KEY, 2), (EMAIL, 1)]),
    io("company_profile", 0.4, &[(COMPANY, 1)]),
];
const DOMAIN_PLUGINS: &[Spec] = &[
    io("cert_transparency", 3.0, &[(SUBDOMAIN, 1)]),
    io("dns", 1.5, &[(DNS_RECORD, 3), (IP, 1)]),
    io("whois", 1.2, &[(WHOIS, 3), (COMPANY, 1), (EMAIL, 1)]),
    io("email_harvest", 1.0, &[(EMAIL, 1)]),
    io("website", 1.0, &[(URL, 2), (PHONE, 1), (NAME, 1)]),
];
const SUBDOMAIN_PLUGINS: &[Spec] = &[
    io("resolve", 0.8, &[(IP, 1)]),
    io("dns_records", 1.0, &[(DNS_RECORD, 1)]),
    io("contacts", 0.4, &[(EMAIL, 1), (PHONE, 1)]),
];
const EMAIL_PLUGINS: &[Spec] = &[io(
    "email_lookup",
    1.5,
    &[(NAME, 2), (COMPANY, 1), (USERNAME, 2)],
)];
const IP_PLUGINS: &[Spec] = &[io(
    "ip_info",
    1.2,
    &[(ASN, 1), (NETBLOCK, 1), (COMPANY, 1), (SUBDOMAIN, 1)],
)];
const URL_PLUGINS: &[Spec] = &[Spec {
    name: "url_domain",
    io: false,
    filter: false,
    mean: 1.0,
    emits: &[(DOMAIN, 1)],
}];
const COMPANY_PLUGINS: &[Spec] = &[io(
    "company_lookup",
    0.8,
    &[(COMPANY, 1), (NAME, 2), (ADDRESS, 1)],
)];
const REPOSITORY_PLUGINS: &[Spec] = &[io(
    "repo_contributors",
    1.2,
    &[(NAME, 1), (EMAIL, 1), (USERNAME, 2)],
)];
const SOCIAL_PLUGINS: &[Spec] = &[
    social("twitter"),
    social("mastodon"),
    social("reddit"),
    social("instagram"),
    social("linkedin"),
    social("youtube"),
    social("tiktok"),
];

/// The plugins of kind code `kind` (empty for a dead end).
pub(crate) fn specs(kind: u8) -> &'static [Spec] {
    // A table, not a `match`: looked up several times per simulated call.
    SPECS.get(usize::from(kind)).copied().unwrap_or(&[])
}

/// The plugins of each kind code.
static SPECS: [&[Spec]; KIND_COUNT as usize] = {
    let mut specs: [&[Spec]; KIND_COUNT as usize] = [&[]; KIND_COUNT as usize];
    specs[USERNAME as usize] = USERNAME_PLUGINS;
    specs[EMAIL as usize] = EMAIL_PLUGINS;
    specs[DOMAIN as usize] = DOMAIN_PLUGINS;
    specs[SUBDOMAIN as usize] = SUBDOMAIN_PLUGINS;
    specs[IP as usize] = IP_PLUGINS;
    specs[URL as usize] = URL_PLUGINS;
    specs[COMPANY as usize] = COMPANY_PLUGINS;
    specs[REPOSITORY as usize] = REPOSITORY_PLUGINS;
    specs[SOCIAL_PROFILE as usize] = SOCIAL_PLUGINS;
    specs
};

/// Whether traces of kind code `kind` have plugins.
pub(crate) fn productive(kind: u8) -> bool {
    !specs(kind).is_empty()
}

/// Whether plugin `plugin` of a node of kind code `kind` with index `node` acts on it.
pub(crate) fn active(kind: u8, plugin: usize, node: u32) -> bool {
    let all = specs(kind);
    all.get(plugin)
        .is_some_and(|s| !s.filter || node as usize % all.len() == plugin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_known_kinds() {
        assert_eq!(usize::from(KIND_COUNT), TraceKind::KNOWN.len());
        assert_eq!(kind_of_code(WHOIS), TraceKind::Whois);
        for code in 0..KIND_COUNT {
            assert_eq!(code_of_kind(&kind_of_code(code)), Some(code));
        }
    }

    #[test]
    fn every_productive_kind_can_emit_a_productive_kind_on_every_node() {
        for kind in 0..KIND_COUNT {
            let all = specs(kind);
            assert!(all.len() <= 8, "plugin index must fit in 3 bits");
            for node in 0..all.len() as u32 {
                if productive(kind) {
                    assert!(all.iter().enumerate().any(|(p, s)| active(kind, p, node)
                        && s.emits.iter().any(|&(k, _)| productive(k))));
                }
            }
        }
    }
}
