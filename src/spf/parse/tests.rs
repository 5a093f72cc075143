use super::*;

fn spec(raw: &str) -> DomainSpec {
    domain_spec(raw).expect("test spec must be valid")
}

fn only_term(record: &str) -> TermKind {
    let parsed = parse(record).unwrap_or_else(|e| panic!("{record:?}: {e}"));
    assert_eq!(parsed.terms.len(), 1, "{record:?}");
    parsed.terms.into_iter().next().map(|t| t.kind).unwrap()
}

fn vectors() -> Vec<serde_json::Value> {
    serde_json::from_str(include_str!("../../../tests/data/spf-record-syntax.json"))
        .expect("vector file is JSON")
}

#[test]
fn parse_vectors() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for v in vectors().iter().filter(|v| v["kind"] == "parse") {
        let record = v["record"].as_str().unwrap();
        let valid = v["valid"].as_bool().unwrap();
        let result = parse(record);
        if result.is_ok() == valid {
            passed += 1;
        } else {
            failures.push(format!(
                "{}: {record:?} valid={valid} got {result:?}",
                v["test"]
            ));
        }
    }
    println!(
        "spf parse vectors: {passed} passed, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, 76);
}

#[test]
fn select_vectors() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for v in vectors().iter().filter(|v| v["kind"] == "select") {
        let joined = v["joined"].as_str().unwrap().to_owned();
        let expected = v["is_spf_record"].as_bool().unwrap();
        if (select_records(std::slice::from_ref(&joined)).len() == 1) == expected {
            passed += 1;
        } else {
            failures.push(format!("{joined:?} expected {expected}"));
        }
    }
    println!(
        "spf select vectors: {passed} passed, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, 194);
}

#[test]
fn select_indices_among_several() {
    let txts: Vec<String> = [
        "google-site-verification=abc",
        "v=spf1 -all",
        "v=spf10 +all",
        "V=SPF1",
        " v=spf1 -all",
        "v=spf1\t-all",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(select_records(&txts), vec![1, 3]);
    assert!(select_records(&[]).is_empty());
}

#[test]
fn error_kinds() {
    use ParseErrorKind::*;
    let cases: &[(&str, ParseErrorKind, &str, usize)] = &[
        (
            "v=spf1 a:ex\u{e4}mple.com",
            NotAscii,
            "a:ex\u{e4}mple.com",
            7,
        ),
        ("v=spf1 a\t-all", ControlCharacter, "a\t-all", 7),
        (
            "v=spf1 a:x.example.com\0",
            ControlCharacter,
            "a:x.example.com\0",
            7,
        ),
        ("v=spf2.0/pra -all", BadVersion, "v=spf2.0/pra", 0),
        ("", BadVersion, "", 0),
        ("v=spf1-all", BadVersion, "v=spf1-all", 0),
        (
            "v=spf1 inclde:spf.example.com",
            UnknownMechanism,
            "inclde:spf.example.com",
            7,
        ),
        (
            "v=spf1 redirect:_spf.example.com",
            UnknownMechanism,
            "redirect:_spf.example.com",
            7,
        ),
        (
            "v=spf1 -redirect=_spf.example.com",
            UnknownMechanism,
            "-redirect=_spf.example.com",
            7,
        ),
        ("v=spf1 a -", MissingMechanism, "-", 9),
        ("v=spf1 -all:foo", UnexpectedArgument, "-all:foo", 7),
        ("v=spf1 -all/8", UnexpectedCidr, "-all/8", 7),
        ("v=spf1 ptr/0", UnexpectedCidr, "ptr/0", 7),
        (
            "v=spf1 ptr:example.com/24",
            UnexpectedCidr,
            "ptr:example.com/24",
            7,
        ),
        (
            "v=spf1 include:x.example.com/24",
            UnexpectedCidr,
            "include:x.example.com/24",
            7,
        ),
        (
            "v=spf1 exists:x.example.com//64",
            UnexpectedCidr,
            "exists:x.example.com//64",
            7,
        ),
        ("v=spf1 include", MissingDomainSpec, "include", 7),
        ("v=spf1 exists/24", MissingDomainSpec, "exists/24", 7),
        ("v=spf1 include:", EmptyDomainSpec, "include:", 7),
        ("v=spf1 a:/24", EmptyDomainSpec, "a:/24", 7),
        ("v=spf1 redirect=", EmptyDomainSpec, "redirect=", 7),
        ("v=spf1 exp=", EmptyDomainSpec, "exp=", 7),
        ("v=spf1 a:museum", InvalidDomainSpec, "a:museum", 7),
        ("v=spf1 a:192.0.2.1", InvalidDomainSpec, "a:192.0.2.1", 7),
        (
            "v=spf1 mx:example.com:25",
            InvalidDomainSpec,
            "mx:example.com:25",
            7,
        ),
        ("v=spf1 a:%{d}.", InvalidDomainSpec, "a:%{d}.", 7),
        (
            "v=spf1 redirect=-all",
            InvalidDomainSpec,
            "redirect=-all",
            7,
        ),
        (
            "v=spf1 exists:%{x}.example.com",
            InvalidMacro,
            "exists:%{x}.example.com",
            7,
        ),
        (
            "v=spf1 exists:%{d.example.com",
            InvalidMacro,
            "exists:%{d.example.com",
            7,
        ),
        (
            "v=spf1 exists:%{}.example.com",
            InvalidMacro,
            "exists:%{}.example.com",
            7,
        ),
        (
            "v=spf1 exists:%{d0}.example.com",
            InvalidMacro,
            "exists:%{d0}.example.com",
            7,
        ),
        (
            "v=spf1 exists:%{d2x}.example.com",
            InvalidMacro,
            "exists:%{d2x}.example.com",
            7,
        ),
        (
            "v=spf1 exists:%{dr2}.example.com",
            InvalidMacro,
            "exists:%{dr2}.example.com",
            7,
        ),
        (
            "v=spf1 exists:a%b.example.com",
            InvalidMacro,
            "exists:a%b.example.com",
            7,
        ),
        (
            "v=spf1 exists:a.example.com%",
            InvalidMacro,
            "exists:a.example.com%",
            7,
        ),
        ("v=spf1 foo=%x", InvalidMacro, "foo=%x", 7),
        (
            "v=spf1 exists:%{c}.example.com",
            ExplanationOnlyMacro,
            "exists:%{c}.example.com",
            7,
        ),
        (
            "v=spf1 exp=%{T}.example.com",
            ExplanationOnlyMacro,
            "exp=%{T}.example.com",
            7,
        ),
        (
            "v=spf1 ip4:192.0.2.0/33",
            InvalidCidr,
            "ip4:192.0.2.0/33",
            7,
        ),
        (
            "v=spf1 ip4:192.0.2.0/024",
            InvalidCidr,
            "ip4:192.0.2.0/024",
            7,
        ),
        ("v=spf1 ip4:192.0.2.0/", InvalidCidr, "ip4:192.0.2.0/", 7),
        (
            "v=spf1 ip4:192.0.2.0//24",
            InvalidCidr,
            "ip4:192.0.2.0//24",
            7,
        ),
        (
            "v=spf1 ip6:2001:db8::/129",
            InvalidCidr,
            "ip6:2001:db8::/129",
            7,
        ),
        (
            "v=spf1 ip6:2001:db8::/0128",
            InvalidCidr,
            "ip6:2001:db8::/0128",
            7,
        ),
        ("v=spf1 a/24/64", InvalidCidr, "a/24/64", 7),
        ("v=spf1 mx//129", InvalidCidr, "mx//129", 7),
        (
            "v=spf1 a:example.com/00",
            InvalidCidr,
            "a:example.com/00",
            7,
        ),
        ("v=spf1 ip4", MissingAddress, "ip4", 7),
        ("v=spf1 ip6:", MissingAddress, "ip6:", 7),
        ("v=spf1 ip4:192.0.2", InvalidIp4, "ip4:192.0.2", 7),
        ("v=spf1 ip4:192.0.2.1:25", InvalidIp4, "ip4:192.0.2.1:25", 7),
        ("v=spf1 ip4:192.0.2.01", InvalidIp4, "ip4:192.0.2.01", 7),
        ("v=spf1 ip4:2001:db8::1", InvalidIp4, "ip4:2001:db8::1", 7),
        ("v=spf1 ip6::CAFE::BABE", InvalidIp6, "ip6::CAFE::BABE", 7),
        ("v=spf1 ip6:192.0.2.1", InvalidIp6, "ip6:192.0.2.1", 7),
        ("v=spf1 1up=foo", InvalidModifier, "1up=foo", 7),
        ("v=spf1 =all", InvalidModifier, "=all", 7),
        ("v=spf1 foo!=bar", InvalidModifier, "foo!=bar", 7),
        (
            "v=spf1 redirect=a.example.com REDIRECT=b.example.com",
            DuplicateModifier,
            "REDIRECT=b.example.com",
            30,
        ),
        (
            "v=spf1 exp=a.example.com  exp=a.example.com",
            DuplicateModifier,
            "exp=a.example.com",
            26,
        ),
    ];
    for &(record, kind, term, offset) in cases {
        let err = parse(record).expect_err(record);
        assert_eq!(
            err,
            ParseError {
                kind,
                term: term.to_owned(),
                offset
            },
            "{record:?}"
        );
        // Every message names the term's position for the admin.
        let msg = err.to_string();
        assert!(msg.contains(&format!("at offset {offset}")), "{msg}");
    }
}

#[test]
fn error_messages() {
    let msg = |r: &str| parse(r).unwrap_err().to_string();
    assert_eq!(
        msg("v=spf1 inclde:spf.example.com -all"),
        "unknown mechanism \"inclde:spf.example.com\" at offset 7"
    );
    assert!(msg("v=spf1 redirect:x.example.com").contains("\"redirect=_spf.example.com\""));
    assert!(msg("v=spf1 a:192.0.2.1").contains("use ip4: or ip6:"));
    assert!(msg("v=spf1 a:x.example.com\r-all").contains("\\r"));
    assert!(msg("v=spf1 exists").contains("\"exists:<domain>\""));
    assert_eq!(
        ParseErrorKind::DuplicateModifier.as_str(),
        "duplicate_modifier"
    );
    let err: Box<dyn std::error::Error> = Box::new(parse("x").unwrap_err());
    assert!(err.to_string().contains("v=spf1"));
}

#[test]
fn terms_keep_text_and_offsets() {
    let text = "V=SPF1  ip4:192.0.2.0/24   ~all ";
    let record = parse(text).unwrap();
    let got: Vec<(&str, usize)> = record
        .terms
        .iter()
        .map(|t| (t.text.as_str(), t.offset))
        .collect();
    assert_eq!(got, vec![("ip4:192.0.2.0/24", 8), ("~all", 27)]);
    for t in &record.terms {
        assert_eq!(&text[t.offset..t.offset + t.text.len()], t.text);
    }
    assert!(parse("v=spf1").unwrap().terms.is_empty());
    assert!(parse("v=spf1   ").unwrap().terms.is_empty());
}

#[test]
fn qualifiers() {
    let q = |r: &str| match only_term(r) {
        TermKind::Directive(q, Mechanism::All) => q,
        other => panic!("{other:?}"),
    };
    assert_eq!(q("v=spf1 all"), Qualifier::Pass);
    assert_eq!(q("v=spf1 +all"), Qualifier::Pass);
    assert_eq!(q("v=spf1 -ALL"), Qualifier::Fail);
    assert_eq!(q("v=spf1 ~All"), Qualifier::SoftFail);
    assert_eq!(q("v=spf1 ?all"), Qualifier::Neutral);
}

#[test]
fn mechanisms() {
    let dir = |m| TermKind::Directive(Qualifier::Pass, m);
    let cidr = |v4, v6| DualCidr { v4, v6 };
    let v4: Ipv4Addr = "192.0.2.0".parse().unwrap();
    let v6: Ipv6Addr = "2001:db8::".parse().unwrap();
    let cases: Vec<(&str, TermKind)> = vec![
        (
            "include:_spf.example.com",
            dir(Mechanism::Include(spec("_spf.example.com"))),
        ),
        (
            "INCLUDE:_spf.example.com.",
            dir(Mechanism::Include(spec("_spf.example.com."))),
        ),
        ("a", dir(Mechanism::A(None, cidr(None, None)))),
        ("a/24", dir(Mechanism::A(None, cidr(Some(24), None)))),
        ("a//64", dir(Mechanism::A(None, cidr(None, Some(64))))),
        ("a/0//0", dir(Mechanism::A(None, cidr(Some(0), Some(0))))),
        (
            "a:example.com",
            dir(Mechanism::A(Some(spec("example.com")), cidr(None, None))),
        ),
        (
            "A:example.com/32//128",
            dir(Mechanism::A(
                Some(spec("example.com")),
                cidr(Some(32), Some(128)),
            )),
        ),
        (
            "a:foo:bar/baz.example.com",
            dir(Mechanism::A(
                Some(spec("foo:bar/baz.example.com")),
                cidr(None, None),
            )),
        ),
        (
            "a:%{d}/24",
            dir(Mechanism::A(Some(spec("%{d}")), cidr(Some(24), None))),
        ),
        ("mx", dir(Mechanism::Mx(None, cidr(None, None)))),
        ("mx/30", dir(Mechanism::Mx(None, cidr(Some(30), None)))),
        ("mx//48", dir(Mechanism::Mx(None, cidr(None, Some(48))))),
        (
            "mx:mail.example.com/28//56",
            dir(Mechanism::Mx(
                Some(spec("mail.example.com")),
                cidr(Some(28), Some(56)),
            )),
        ),
        ("ptr", dir(Mechanism::Ptr(None))),
        (
            "ptr:example.com",
            dir(Mechanism::Ptr(Some(spec("example.com")))),
        ),
        ("ip4:192.0.2.0", dir(Mechanism::Ip4(v4, None))),
        ("ip4:192.0.2.0/24", dir(Mechanism::Ip4(v4, Some(24)))),
        ("ip4:192.0.2.0/0", dir(Mechanism::Ip4(v4, Some(0)))),
        ("ip6:2001:db8::", dir(Mechanism::Ip6(v6, None))),
        ("ip6:2001:DB8::/32", dir(Mechanism::Ip6(v6, Some(32)))),
        ("ip6:2001:db8::/128", dir(Mechanism::Ip6(v6, Some(128)))),
        (
            "ip6:::ffff:192.0.2.1",
            dir(Mechanism::Ip6("::ffff:192.0.2.1".parse().unwrap(), None)),
        ),
        (
            "exists:%{i}.bl.example.com",
            dir(Mechanism::Exists(spec("%{i}.bl.example.com"))),
        ),
    ];
    for (term, expected) in cases {
        assert_eq!(only_term(&format!("v=spf1 {term}")), expected, "{term}");
    }
}

#[test]
fn modifiers() {
    let m = |term: &str| match only_term(&format!("v=spf1 {term}")) {
        TermKind::Modifier(m) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        m("redirect=_spf.example.com"),
        Modifier::Redirect(spec("_spf.example.com"))
    );
    assert_eq!(m("Redirect=%{d}"), Modifier::Redirect(spec("%{d}")));
    assert_eq!(m("exp=explain.%{d}"), Modifier::Exp(spec("explain.%{d}")));
    let unknown = |name: &str, value: &str| Modifier::Unknown {
        name: name.to_owned(),
        value: value.to_owned(),
    };
    assert_eq!(m("foo=bar"), unknown("foo", "bar"));
    assert_eq!(m("a=b"), unknown("a", "b"));
    assert_eq!(m("v2.x_y-z=%{c}:%%"), unknown("v2.x_y-z", "%{c}:%%"));
    assert_eq!(m("empty="), unknown("empty", ""));
    // Only "=" before any ":" or "/" makes a modifier (§4.6.1).
    assert_eq!(
        parse("v=spf1 foo:bar=baz").unwrap_err().kind,
        ParseErrorKind::UnknownMechanism
    );
    assert!(parse("v=spf1 redirect=a.example.com exp=b.example.com foo=1 foo=2").is_ok());
}

#[test]
fn macro_parts() {
    let parts = spec("%{ir}.%{v}._spf.%{D2}").parts;
    let mac = |letter, url_escape, digits, reverse, delimiters: &str| MacroPart::Macro {
        letter,
        url_escape,
        digits,
        reverse,
        delimiters: delimiters.to_owned(),
    };
    let lit = |s: &str| MacroPart::Literal(s.to_owned());
    assert_eq!(
        parts,
        vec![
            mac('i', false, None, true, ""),
            lit("."),
            mac('v', false, None, false, ""),
            lit("._spf."),
            mac('d', true, Some(2), false, ""),
        ]
    );
    assert_eq!(
        spec("%{l1r-+}.x.example.com").parts[0],
        mac('l', false, Some(1), true, "-+")
    );
    assert_eq!(
        spec("%{dR}.example.com").parts[0],
        mac('d', false, None, true, "")
    );
    assert_eq!(
        spec("a%%b%_c%-d.example.com").parts,
        vec![lit("a%b c%20d.example.com")]
    );
    // macro-expand includes "%%" etc., so it can end a domain-spec (§7.1 ABNF).
    assert!(domain_spec("example%%").is_ok());
    assert!(domain_spec(".com").is_ok());
    assert!(domain_spec("example.com.").is_ok());
    assert!(domain_spec("example.com..").is_err());
    assert!(domain_spec("example.123-456").is_ok());
    assert!(domain_spec("example.-com").is_err());
    assert!(domain_spec("example.com-").is_err());
    assert!(domain_spec("%{d}com").is_err());
}

#[test]
fn needs_client() {
    assert!(!spec("_spf.%{d}").needs_client());
    assert!(spec("%{i}._spf.%{d}").needs_client());
    assert!(!spec("a%%b.example.com").needs_client());
}

#[test]
fn expansion() {
    let exp = |raw: &str, domain: &str| expand_domain_spec(&spec(raw), domain);
    let d = "Email.Example.com";
    assert_eq!(
        exp("_spf.example.net", d).as_deref(),
        Some("_spf.example.net")
    );
    assert_eq!(
        exp("_spf.example.net.", d).as_deref(),
        Some("_spf.example.net")
    );
    assert_eq!(exp("%{d}", d).as_deref(), Some("email.example.com"));
    assert_eq!(
        exp("%{d}", "email.example.com.").as_deref(),
        Some("email.example.com")
    );
    assert_eq!(exp("%{d4}", d).as_deref(), Some("email.example.com"));
    assert_eq!(exp("%{d3}", d).as_deref(), Some("email.example.com"));
    assert_eq!(exp("%{d2}", d).as_deref(), Some("example.com"));
    assert_eq!(exp("%{d1}", d).as_deref(), Some("com"));
    assert_eq!(exp("%{dr}", d).as_deref(), Some("com.example.email"));
    assert_eq!(exp("%{d2r}", d).as_deref(), Some("example.email"));
    assert_eq!(exp("%{d1r}", d).as_deref(), Some("email"));
    assert_eq!(
        exp("%{d-}", "a-b.example.com").as_deref(),
        Some("a.b.example.com")
    );
    assert_eq!(
        exp("%{dr-}", "a-b.example.com").as_deref(),
        Some("b.example.com.a")
    );
    assert_eq!(
        exp("%{d2}.trusted-domains.example.net", d).as_deref(),
        Some("example.com.trusted-domains.example.net")
    );
    assert_eq!(
        exp("_spf.%{d}.d.spf.example.com.", "example.org").as_deref(),
        Some("_spf.example.org.d.spf.example.com")
    );
    // Upper-case letter: same expansion, then URL-escaped (§7.3).
    assert_eq!(exp("%{D}", d).as_deref(), Some("email.example.com"));
    assert_eq!(
        exp("%{D}.example.net", "a+b.example.com").as_deref(),
        Some("a%2bb.example.com.example.net")
    );
    assert_eq!(
        exp("%{d}.example.net", "a+b.example.com").as_deref(),
        Some("a+b.example.com.example.net")
    );
    assert_eq!(
        exp("x%%y%_z%-.example.com", d).as_deref(),
        Some("x%y z%20.example.com")
    );
    // Anything depending on the client, sender or HELO cannot be expanded statically.
    assert_eq!(exp("%{i}.example.com", d), None);
    assert_eq!(exp("%{ir}.%{v}._spf.%{d2}", d), None);
    assert_eq!(exp("%{l}.%{d}", d), None);
    assert_eq!(exp("%{H}", d), None);
}

#[test]
fn expansion_truncates_to_253() {
    let label = "a".repeat(63);
    let domain = format!("{label}.{label}.{label}.example.com");
    assert_eq!(domain.len(), 203);
    // 407 octets; dropping the three 63-octet labels on the left (64 octets each
    // with their dot) is the first point at which it fits: 215 octets.
    let got = expand_domain_spec(&spec("%{d}.%{d}"), &domain).unwrap();
    assert_eq!(got, format!("example.com.{domain}"));
    assert_eq!(got.len(), 215);
}

#[test]
fn expansion_limit_boundaries() {
    let name = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61)
    );
    assert_eq!(name.len(), 253);
    // Exactly 253 octets is left alone, and a trailing dot does not count.
    let d = spec("%{d}");
    assert_eq!(
        expand_domain_spec(&d, &name).as_deref(),
        Some(name.as_str())
    );
    let dotted = spec("%{d}.x.");
    let short = &name[4..]; // 249 octets + ".x" = 251, + "." = 252
    assert_eq!(
        expand_domain_spec(&dotted, short).as_deref(),
        Some(format!("{short}.x").as_str())
    );
    let spec_254 = spec(&format!("{}.x.", "e".repeat(251)));
    assert_eq!(
        expand_domain_spec(&spec_254, "unused").as_deref(),
        Some(format!("{}.x", "e".repeat(251)).as_str())
    );
    // 254 octets: the first label goes.
    let long = format!("x{name}");
    let want = name.split_once('.').map(|(_, r)| r).unwrap();
    assert_eq!(expand_domain_spec(&d, &long).as_deref(), Some(want));
    // A single over-long label cannot be shortened by dropping labels.
    let huge = "h".repeat(300);
    assert_eq!(
        expand_domain_spec(&d, &huge).as_deref(),
        Some(huge.as_str())
    );
}

/// The stable identifiers of the error kinds, for machine-readable output: each pinned to
/// its literal, so that renaming a variant cannot change one unnoticed.
#[test]
fn error_kind_names_are_the_documented_ones() {
    use ParseErrorKind as K;
    let table = [
        (K::NotAscii, "not_ascii"),
        (K::ControlCharacter, "control_character"),
        (K::BadVersion, "bad_version"),
        (K::UnknownMechanism, "unknown_mechanism"),
        (K::MissingMechanism, "missing_mechanism"),
        (K::UnexpectedArgument, "unexpected_argument"),
        (K::UnexpectedCidr, "unexpected_cidr"),
        (K::MissingDomainSpec, "missing_domain_spec"),
        (K::EmptyDomainSpec, "empty_domain_spec"),
        (K::InvalidDomainSpec, "invalid_domain_spec"),
        (K::InvalidMacro, "invalid_macro"),
        (K::ExplanationOnlyMacro, "explanation_only_macro"),
        (K::InvalidCidr, "invalid_cidr"),
        (K::MissingAddress, "missing_address"),
        (K::InvalidIp4, "invalid_ip4"),
        (K::InvalidIp6, "invalid_ip6"),
        (K::InvalidModifier, "invalid_modifier"),
        (K::DuplicateModifier, "duplicate_modifier"),
    ];
    for (kind, name) in table {
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
    }
}
