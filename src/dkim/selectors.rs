//! The built-in DKIM selectors asked at every domain: those of widely used mail
//! providers and a few generic names. The DNS cannot list a domain's selectors, so this
//! list decides what `none` means: no key among these names.

/// Selectors asked, in order: providers first, generic names last.
///
/// Not guessable, so absent: Amazon SES publishes one CNAME per random token
/// (`<token>._domainkey.<domain>`), and other providers that generate per-customer
/// selectors likewise.
pub const COMMON: &[&str] = &[
    // Google Workspace.
    "google",
    // Microsoft 365 (CNAMEs to the tenant's onmicrosoft.com keys, two for rotation).
    "selector1",
    "selector2",
    // Mailchimp (k1 to k3) and Mandrill, its transactional service (mte1, mte2).
    "k1",
    "k2",
    "k3",
    "mte1",
    "mte2",
    // SendGrid (s1, s2 by automated security; smtpapi the older default).
    "s1",
    "s2",
    "smtpapi",
    // Mailgun (mailo the current default; pic and krs older ones).
    "mailo",
    "pic",
    "krs",
    // Zoho Mail.
    "zmail",
    "zoho",
    // Fastmail (three keys, rotated).
    "fm1",
    "fm2",
    "fm3",
    // Proton Mail.
    "protonmail",
    "protonmail2",
    "protonmail3",
    // Yahoo.
    "s1024",
    "s2048",
    // Generic names: defaults of OpenDKIM, control panels and signing guides.
    "default",
    "dkim",
    "mail",
    "email",
    "selector",
    "key1",
    "key2",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Each selector once, and each a single DNS label of letters, digits and hyphens,
    /// so that `<selector>._domainkey.<domain>` asks exactly one name.
    #[test]
    fn selectors_are_distinct_single_labels() {
        let mut seen = std::collections::HashSet::new();
        for selector in COMMON {
            assert!(seen.insert(selector), "{selector} twice");
            assert!(
                !selector.is_empty()
                    && selector.len() <= 63
                    && selector
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{selector}"
            );
        }
        assert!((25..=35).contains(&COMMON.len()), "{}", COMMON.len());
    }
}
