use super::*;

fn txts(records: &[&str]) -> Vec<String> {
    records.iter().map(|r| (*r).to_owned()).collect()
}

fn record(text: &str) -> Record {
    parse_record(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn kind<E: Into<&'static str>>(error: E) -> &'static str {
    error.into()
}

fn mailto(uri: &str, address: &str) -> ReportUri {
    ReportUri::Mailto {
        uri: uri.to_owned(),
        address: address.to_owned(),
    }
}

fn https(uri: &str, host: &str) -> ReportUri {
    ReportUri::Https {
        uri: uri.to_owned(),
        host: host.to_owned(),
    }
}

#[test]
fn rfc8460_3_1_1_report_using_mailto() {
    let r = record("v=TLSRPTv1;rua=mailto:reports@example.com");
    assert_eq!(
        r.rua,
        vec![mailto("mailto:reports@example.com", "reports@example.com")]
    );
    assert!(r.extensions.is_empty());
}

#[test]
fn rfc8460_3_1_2_report_using_https() {
    let r = record("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt");
    assert_eq!(
        r.rua,
        vec![https(
            "https://reporting.example.com/v1/tlsrpt",
            "reporting.example.com"
        )]
    );
    assert_eq!(r.rua[0].as_str(), "https://reporting.example.com/v1/tlsrpt");
}

#[test]
fn rfc8460_3_two_rua_uris() {
    // "the Policy Domain can specify a comma-separated list of URIs", with *WSP around ",".
    let r =
        record("v=TLSRPTv1; rua=mailto:tls@Example.COM ,\thttps://Report.Example.net:8443/a?b=c;");
    assert_eq!(
        r.rua,
        vec![
            mailto("mailto:tls@Example.COM", "tls@example.com"),
            https(
                "https://Report.Example.net:8443/a?b=c",
                "report.example.net"
            ),
        ]
    );
}

#[test]
fn select_discards_records_not_beginning_with_version_and_semicolon() {
    let found = select_record(&txts(&[
        "v=spf1 -all",
        "v=TLSRPTv1;rua=mailto:a@example.com",
        "v=DMARC1; p=none",
    ]))
    .unwrap()
    .expect("one record");
    assert_eq!(found.rua.len(), 1);
    // RFC 8460 §3: "records that do not begin with "v=TLSRPTv1;" are discarded".
    for discarded in [
        "v=TLSRPTv1 ;rua=mailto:a@example.com",
        "v=tlsrptv1;rua=mailto:a@example.com",
        "v=TLSRPTv2;rua=mailto:a@example.com",
        "v=TLSRPTv1",
    ] {
        assert_eq!(
            select_record(&txts(&[discarded])),
            Ok(None),
            "{discarded:?}"
        );
    }
}

#[test]
fn rfc8460_3_two_records_mean_no_reporting() {
    assert_eq!(
        select_record(&txts(&[
            "v=TLSRPTv1;rua=mailto:a@example.com",
            "v=TLSRPTv1;rua=mailto:b@example.com"
        ])),
        Err(RecordError::MultipleRecords { count: 2 })
    );
}

#[test]
fn rua_is_required() {
    assert_eq!(parse_record("v=TLSRPTv1;"), Err(RecordError::MissingRua));
    assert_eq!(parse_record("v=TLSRPTv1"), Err(RecordError::MissingRua));
    assert_eq!(
        parse_record("v=TLSRPTv1; foo=bar"),
        Err(RecordError::MissingRua)
    );
    // `%s"rua="` is case-sensitive.
    assert_eq!(
        parse_record("v=TLSRPTv1; RUA=mailto:a@example.com"),
        Err(RecordError::MissingRua)
    );
    assert_eq!(
        select_record(&txts(&["v=TLSRPTv1; x=1"])),
        Err(RecordError::MissingRua)
    );
}

#[test]
fn rfc8460_3_only_mailto_and_https() {
    for (uri, offset) in [
        ("http://reports.example.com/tlsrpt", 16),
        ("ftp://example.com/x", 16),
        ("reports@example.com", 16),
    ] {
        let text = format!("v=TLSRPTv1; rua={uri}");
        assert_eq!(
            parse_record(&text),
            Err(RecordError::UnsupportedScheme {
                uri: uri.to_owned(),
                offset
            }),
            "{text:?}"
        );
    }
    // The scheme is case-insensitive (RFC 3986 §3.1).
    assert_eq!(
        record("v=TLSRPTv1; rua=MAILTO:a@example.com").rua,
        vec![mailto("MAILTO:a@example.com", "a@example.com")]
    );
    // The offset points at the bad element of the list.
    assert_eq!(
        parse_record("v=TLSRPTv1; rua=mailto:a@example.com, http://x.example"),
        Err(RecordError::UnsupportedScheme {
            uri: "http://x.example".to_owned(),
            offset: 38
        })
    );
}

#[test]
fn uris_must_be_valid() {
    let cases = [
        ("mailto:a@example.com!10m", "invalid_uri"),
        ("https://example.com/a b", "invalid_uri"),
        ("https://exa\"mple.com/", "invalid_uri"),
        ("mailto:", "invalid_mailto"),
        ("mailto:example.com", "invalid_mailto"),
        ("mailto:a@", "invalid_mailto"),
        ("mailto:a@localhost", "invalid_mailto"),
        ("mailto:a@-bad-.example", "invalid_mailto"),
        ("https:", "invalid_https"),
        ("https:/reports", "invalid_https"),
        ("https:///reports", "invalid_https"),
        ("https://user@:443/x", "invalid_https"),
        ("https://example.com:99999/", "invalid_https"),
    ];
    for (uri, expected) in cases {
        let text = format!("v=TLSRPTv1; rua={uri}");
        let err = parse_record(&text).expect_err(&text);
        assert_eq!(kind(err), expected, "{text:?}");
    }
    for uri in [
        "mailto:tls-rpt+x@mail.example.com?subject=TLS%20report",
        "mailto:%22a%2Cb%22@example.com",
        "https://[2001:db8::1]/tlsrpt",
        "https://192.0.2.1/tlsrpt",
        "https://user@example.com/tlsrpt",
    ] {
        let text = format!("v=TLSRPTv1; rua={uri}");
        assert_eq!(record(&text).rua.len(), 1, "{text:?}");
    }
}

#[test]
fn empty_list_elements_are_errors() {
    for (text, offset) in [
        ("v=TLSRPTv1; rua=mailto:a@example.com,", 37),
        (
            "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com",
            37,
        ),
        ("v=TLSRPTv1; rua=,mailto:a@example.com", 16),
    ] {
        assert_eq!(
            parse_record(text),
            Err(RecordError::EmptyUri { offset }),
            "{text:?}"
        );
    }
    assert_eq!(
        kind(parse_record("v=TLSRPTv1; rua=").unwrap_err()),
        "empty_uri"
    );
}

#[test]
fn extensions_are_kept_and_checked() {
    let r = record("v=TLSRPTv1; ext.a=1; rua=mailto:a@example.com; b_2=x:y");
    let names: Vec<&str> = r.extensions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["ext.a", "b_2"]);
    assert_eq!(r.extensions[1].value, "x:y");
    for (text, expected) in [
        ("v=TLSRPTv1; rua=mailto:a@example.com; a=b=c", "bad_value"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; -a=1", "bad_name"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; a", "missing_equals"),
        ("v=TLSRPTv1;; rua=mailto:a@example.com", "empty_field"),
        (
            "v=TLSRPTv1; rua=mailto:a@example.com ",
            "trailing_whitespace",
        ),
        ("v=TLSRPTv1; rua=mailto:ä@example.com", "not_ascii"),
    ] {
        let err = parse_record(text).expect_err(text);
        let RecordError::Syntax(inner) = err else {
            panic!("{text:?}: {err:?}");
        };
        assert_eq!(kind(inner), expected, "{text:?}");
    }
}

#[test]
fn repeated_fields_are_errors() {
    for (text, name, offset) in [
        (
            "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
            "rua",
            38,
        ),
        ("v=TLSRPTv1; rua=mailto:a@example.com; v=TLSRPTv1", "v", 38),
        ("v=TLSRPTv1; x=1; rua=mailto:a@example.com; x=2", "x", 43),
    ] {
        assert_eq!(
            parse_record(text),
            Err(RecordError::DuplicateField {
                name: name.to_owned(),
                offset
            }),
            "{text:?}"
        );
    }
}

#[test]
fn parse_record_needs_the_version_first() {
    assert_eq!(
        parse_record("rua=mailto:a@example.com; v=TLSRPTv1"),
        Err(RecordError::BadVersion)
    );
}

#[test]
fn errors_quote_network_text() {
    let message = parse_record("v=TLSRPTv1; rua=http://\x1b[2J")
        .unwrap_err()
        .to_string();
    assert!(!message.contains('\x1b'), "{message}");
}
