use super::*;

fn txts(records: &[&str]) -> Vec<String> {
    records.iter().map(|r| (*r).to_owned()).collect()
}

fn record(text: &str) -> Record {
    parse_record(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn policy(body: &str) -> Policy {
    parse_policy(body).unwrap_or_else(|e| panic!("{body:?}: {e}"))
}

fn ext(name: &str, value: &str) -> Extension {
    Extension {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

fn kind<E: Into<&'static str>>(error: E) -> &'static str {
    error.into()
}

// --- the TXT record, RFC 8461 §3.1 ---

#[test]
fn rfc8461_3_1_example_record() {
    let r = record("v=STSv1; id=20160831085700Z;");
    assert_eq!(r.id, "20160831085700Z");
    assert!(r.extensions.is_empty());
    assert!(r.ignored_duplicates.is_empty());
}

#[test]
fn select_discards_records_not_beginning_with_version_and_semicolon() {
    let found = select_record(&txts(&[
        "v=spf1 -all",
        "google-site-verification=abc",
        "v=STSv1;id=abc123",
    ]))
    .unwrap()
    .expect("one record");
    assert_eq!(found.id, "abc123");
    // §3.1 wording: "records that do not begin with "v=STSv1;" are discarded".
    for discarded in [
        "v=STSv1 ; id=abc",
        "v=STSv1",
        "v=stsv1; id=abc",
        "V=STSv1; id=abc",
        " v=STSv1; id=abc",
        "v=STSv10; id=abc",
    ] {
        assert_eq!(
            select_record(&txts(&[discarded])),
            Ok(None),
            "{discarded:?}"
        );
    }
    assert_eq!(select_record(&[]), Ok(None));
}

#[test]
fn rfc8461_3_1_two_records_give_no_usable_policy() {
    let result = select_record(&txts(&["v=STSv1; id=1", "other", "v=STSv1; id=2"]));
    assert_eq!(result, Err(RecordError::MultipleRecords { count: 2 }));
    // Even when one of the two is invalid: the count is taken first.
    let result = select_record(&txts(&["v=STSv1; id=1", "v=STSv1; id=a-b"]));
    assert_eq!(result, Err(RecordError::MultipleRecords { count: 2 }));
}

#[test]
fn selected_but_invalid_record_is_an_error() {
    let result = select_record(&txts(&["v=STSv1; id=a-b"]));
    assert_eq!(kind(result.unwrap_err()), "bad_id");
}

#[test]
fn id_length_is_1_to_32() {
    let max = "a1".repeat(16);
    assert_eq!(record(&format!("v=STSv1; id={max}")).id, max);
    let long = format!("{max}Z");
    assert_eq!(long.len(), 33);
    assert_eq!(
        parse_record(&format!("v=STSv1; id={long}")),
        Err(RecordError::BadId {
            id: long.clone(),
            offset: 12
        })
    );
    assert_eq!(kind(parse_record("v=STSv1; id=").unwrap_err()), "bad_id");
}

#[test]
fn id_is_letters_and_digits_only() {
    for bad in ["2016-08-31", "abc_def", "abc.def", "abc+", "abc\"x"] {
        let text = format!("v=STSv1; id={bad}");
        assert_eq!(
            parse_record(&text),
            Err(RecordError::BadId {
                id: bad.to_owned(),
                offset: 12
            }),
            "{text:?}"
        );
    }
}

#[test]
fn id_is_required() {
    assert_eq!(parse_record("v=STSv1;"), Err(RecordError::MissingId));
    assert_eq!(parse_record("v=STSv1"), Err(RecordError::MissingId));
    assert_eq!(
        parse_record("v=STSv1; foo=bar"),
        Err(RecordError::MissingId)
    );
    // `%s"id="` is case-sensitive: `ID=` is an extension, not the id.
    assert_eq!(parse_record("v=STSv1; ID=abc"), Err(RecordError::MissingId));
}

#[test]
fn extensions_are_kept_in_order() {
    let r = record("v=STSv1; a=1; id=x; b.c_d-e=!\"#:<>~;");
    assert_eq!(r.id, "x");
    assert_eq!(
        r.extensions,
        vec![ext("a", "1"), ext("b.c_d-e", "!\"#:<>~")]
    );
}

#[test]
fn extension_syntax_errors() {
    let cases = [
        ("v=STSv1; id=x; -a=1", "bad_name"),
        ("v=STSv1; id=x; _a=1", "bad_name"),
        (&format!("v=STSv1; id=x; a{}=1", "b".repeat(32)), "bad_name"),
        ("v=STSv1; id=x; a =1", "bad_name"),
        ("v=STSv1; id=x; a= 1", "bad_value"),
        ("v=STSv1; id=x; a=", "bad_value"),
        ("v=STSv1; id=x; a=b=c", "bad_value"),
        ("v=STSv1; id=x; a=b c", "bad_value"),
        ("v=STSv1; id=x; a", "missing_equals"),
        ("v=STSv1; id=x;; a=1", "empty_field"),
        ("v=STSv1;; id=x", "empty_field"),
        ("v=STSv1; id=x; a=é", "not_ascii"),
        ("v=STSv1x; id=x", "expected_delimiter"),
    ];
    for (text, expected) in cases {
        let err = parse_record(text).expect_err(text);
        let RecordError::Syntax(inner) = err else {
            panic!("{text:?}: {err:?}");
        };
        assert_eq!(kind(inner), expected, "{text:?}");
    }
    let max_name = format!("a{}", "b".repeat(31));
    assert_eq!(
        record(&format!("v=STSv1; id=x; {max_name}=1")).extensions,
        vec![ext(&max_name, "1")]
    );
}

#[test]
fn white_space_only_around_semicolons() {
    // sts-field-delim = *WSP ";" *WSP, WSP being space and tab.
    for ok in [
        "v=STSv1;id=x",
        "v=STSv1 ;id=x",
        "v=STSv1\t;\tid=x\t;\t",
        "v=STSv1;  id=x  ;  ",
        "v=STSv1; id=x;",
    ] {
        assert_eq!(record(ok).id, "x", "{ok:?}");
    }
    assert_eq!(
        parse_record("v=STSv1; id=x "),
        Err(RecordError::Syntax(FieldError::TrailingWhitespace {
            offset: 13
        }))
    );
    // A line break is not WSP.
    assert_eq!(
        kind(parse_record("v=STSv1;\nid=x").unwrap_err()),
        "syntax",
        "CR/LF is no delimiter"
    );
}

#[test]
fn rfc8461_3_2_later_copies_of_a_field_are_ignored() {
    // "If any non-repeated field ... is duplicated, all entries except for the first
    // SHALL be ignored."
    let r = record("v=STSv1; id=first; id=second; v=STSv1");
    assert_eq!(r.id, "first");
    assert_eq!(
        r.ignored_duplicates,
        vec![ext("id", "second"), ext("v", "STSv1")]
    );
    // Ignored, so not held to the id syntax either.
    assert_eq!(record("v=STSv1; id=first; id=a-b").id, "first");
}

#[test]
fn parse_record_needs_the_version_first() {
    assert_eq!(parse_record("id=x; v=STSv1"), Err(RecordError::BadVersion));
}

#[test]
fn record_errors_quote_network_text() {
    let message = parse_record("v=STSv1; id=\x1b[31m")
        .unwrap_err()
        .to_string();
    assert!(!message.contains('\x1b'), "{message}");
    let message = parse_record("v=STSv1; id=a\u{7f}").unwrap_err().to_string();
    assert!(!message.contains('\u{7f}'), "{message}");
}

// --- the policy file, RFC 8461 §3.2 ---

const EXAMPLE: &str = "version: STSv1\nmode: enforce\nmx: mail.example.com\n\
                       mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n";

#[test]
fn rfc8461_3_2_example_policy_with_lf() {
    let p = policy(EXAMPLE);
    assert_eq!(p.mode, Mode::Enforce);
    assert_eq!(p.max_age, 604_800);
    let mx: Vec<String> = p.mx.iter().map(ToString::to_string).collect();
    assert_eq!(
        mx,
        ["mail.example.com", "*.example.net", "backupmx.example.com"]
    );
    assert!(p.mx[1].wildcard);
    assert_eq!(p.mx[1].domain, "example.net");
    assert!(!p.mx[0].wildcard);
    assert!(p.extensions.is_empty());
}

#[test]
fn rfc8461_3_2_example_policy_with_crlf_and_without_final_break() {
    let crlf = EXAMPLE.replace('\n', "\r\n");
    assert_eq!(policy(&crlf), policy(EXAMPLE));
    let unterminated = crlf.strip_suffix("\r\n").unwrap();
    assert_eq!(policy(unterminated), policy(EXAMPLE));
    let mixed = "version: STSv1\r\nmode: none\nmax_age: 0";
    assert_eq!(policy(mixed).mode, Mode::None);
}

#[test]
fn a_lone_cr_is_no_line_break() {
    let err = parse_policy("version: STSv1\rmode: none\nmax_age: 1\n").unwrap_err();
    assert_eq!(kind(err), "bad_version");
    let err = parse_policy("version: STSv1\nmode: none\nmax_age: 1\r").unwrap_err();
    assert_eq!(kind(err), "bad_max_age");
}

#[test]
fn modes() {
    for (word, mode) in [
        ("enforce", Mode::Enforce),
        ("testing", Mode::Testing),
        ("none", Mode::None),
    ] {
        let body = format!("version: STSv1\nmode: {word}\nmx: a.example\nmax_age: 1\n");
        assert_eq!(policy(&body).mode, mode);
        assert_eq!(mode.to_string(), word);
    }
    for bad in ["Enforce", "ENFORCE", "report", "enforce testing", ""] {
        let body = format!("version: STSv1\nmode: {bad}\nmx: a.example\nmax_age: 1\n");
        assert_eq!(
            parse_policy(&body),
            Err(PolicyError::BadMode {
                line: 2,
                value: bad.to_owned()
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn required_keys() {
    let without = |key: &str| -> String {
        EXAMPLE
            .lines()
            .filter(|l| !l.starts_with(key))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert_eq!(
        parse_policy(&without("max_age")),
        Err(PolicyError::MissingMaxAge)
    );
    assert_eq!(
        parse_policy(&without("mode")),
        Err(PolicyError::MissingMode)
    );
    assert_eq!(
        parse_policy(&without("version")),
        Err(PolicyError::MissingVersion)
    );
    assert_eq!(
        parse_policy(&without("mx")),
        Err(PolicyError::MissingMx {
            mode: Mode::Enforce
        })
    );
    assert_eq!(parse_policy(""), Err(PolicyError::Empty));
}

#[test]
fn rfc8461_3_2_mx_may_be_omitted_only_in_mode_none() {
    // ABNF comment on sts-policy-mx: "required at least once, except when mode is "none"".
    let p = policy("version: STSv1\nmode: none\nmax_age: 86400\n");
    assert_eq!(p.mode, Mode::None);
    assert!(p.mx.is_empty());
    assert_eq!(
        parse_policy("version: STSv1\nmode: testing\nmax_age: 86400\n"),
        Err(PolicyError::MissingMx {
            mode: Mode::Testing
        })
    );
}

#[test]
fn rfc8461_3_2_duplicate_mode_keeps_the_first() {
    // "If any non-repeated field -- i.e., all fields excepting "mx" -- is duplicated, all
    // entries except for the first SHALL be ignored."
    let body = "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\n\
                max_age: 10\nmax_age: 20\nversion: STSv2\nmode: bogus\n";
    let p = policy(body);
    assert_eq!(p.mode, Mode::Testing);
    assert_eq!(p.max_age, 10);
    assert_eq!(
        p.ignored_duplicates,
        vec![
            ext("mode", "enforce"),
            ext("max_age", "20"),
            ext("version", "STSv2"),
            ext("mode", "bogus"),
        ]
    );
}

#[test]
fn unknown_keys_are_ignored_and_kept() {
    let body = "version: STSv1\nmode: enforce\nfoo: bar baz\nmx: a.example\n\
                Mode: none\nmax_age: 1\nnote: crème brûlée\n";
    let p = policy(body);
    assert_eq!(p.mode, Mode::Enforce);
    assert_eq!(
        p.extensions,
        vec![
            ext("foo", "bar baz"),
            ext("Mode", "none"),
            ext("note", "crème brûlée")
        ]
    );
}

#[test]
fn max_age_bounds() {
    let with = |value: &str| format!("version: STSv1\nmode: none\nmax_age: {value}\n");
    assert_eq!(policy(&with("0")).max_age, 0);
    assert_eq!(policy(&with("31557600")).max_age, MAX_AGE_LIMIT);
    assert_eq!(policy(&with("0000604800")).max_age, 604_800);
    assert_eq!(
        parse_policy(&with("31557601")),
        Err(PolicyError::MaxAgeTooLarge {
            line: 3,
            value: 31_557_601
        })
    );
    assert_eq!(
        parse_policy(&with("9999999999")),
        Err(PolicyError::MaxAgeTooLarge {
            line: 3,
            value: 9_999_999_999
        })
    );
    for bad in ["00000604800", "-1", "+5", "1e6", "86400s", "1 000", ""] {
        assert_eq!(
            parse_policy(&with(bad)),
            Err(PolicyError::BadMaxAge {
                line: 3,
                value: bad.to_owned()
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn mx_values() {
    let with = |value: &str| format!("version: STSv1\nmode: enforce\nmx: {value}\nmax_age: 1\n");
    for ok in [
        "mail.example.com",
        "*.example.net",
        "localhost",
        "xn--bcher-kva.example",
        "MX1.Example.COM",
        "a-b.c0.example",
    ] {
        assert_eq!(policy(&with(ok)).mx[0].to_string(), ok);
    }
    let long_label = format!("{}.example", "a".repeat(64));
    for bad in [
        "mail.example.com.",
        "*example.com",
        "*.*.example.com",
        "mail.*.example.com",
        "-mx.example.com",
        "mx-.example.com",
        "mx..example.com",
        "mx_1.example.com",
        "bücher.example",
        "mx.example.com extra",
        long_label.as_str(),
    ] {
        assert_eq!(
            parse_policy(&with(bad)),
            Err(PolicyError::BadMx {
                line: 3,
                value: bad.to_owned()
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn white_space_in_policy_lines() {
    // ":" *WSP before the value, *WSP after it; nothing before the key.
    let p = policy("version:STSv1\nmode:\t enforce \t\nmx:  a.example\nmax_age: 1 \n");
    assert_eq!(p.mode, Mode::Enforce);
    assert_eq!(
        parse_policy(" version: STSv1\n"),
        Err(PolicyError::BadKey {
            line: 1,
            key: " version".to_owned()
        })
    );
    assert_eq!(
        kind(parse_policy("version : STSv1\n").unwrap_err()),
        "bad_key"
    );
}

#[test]
fn policy_line_syntax_errors() {
    assert_eq!(
        parse_policy("version: STSv1\n\nmode: none\nmax_age: 1\n"),
        Err(PolicyError::EmptyLine { line: 2 })
    );
    assert_eq!(
        parse_policy("version: STSv1\nmode: none\nmax_age: 1\n\n"),
        Err(PolicyError::EmptyLine { line: 4 })
    );
    assert_eq!(parse_policy("\n"), Err(PolicyError::EmptyLine { line: 1 }));
    assert_eq!(
        parse_policy("version: STSv1\nmode none\n"),
        Err(PolicyError::MissingColon {
            line: 2,
            text: "mode none".to_owned()
        })
    );
    assert_eq!(
        parse_policy("version: STSv2\n"),
        Err(PolicyError::BadVersion {
            line: 1,
            value: "STSv2".to_owned()
        })
    );
    assert_eq!(
        kind(parse_policy("version: STSv1\nfoo:\nmode: none\nmax_age: 1\n").unwrap_err()),
        "bad_extension_value"
    );
    assert_eq!(
        kind(parse_policy("version: STSv1\nfoo: a\u{7}b\nmode: none\nmax_age: 1\n").unwrap_err()),
        "bad_extension_value"
    );
}

// --- MX host matching, RFC 8461 §4.1 ---

#[test]
fn rfc8461_4_1_wildcard_matches_one_label_only() {
    // "the mx pattern "*.example.com" matches "mail.example.com" but not "example.com" or
    // "foo.bar.example.com"."
    assert!(mx_matches("*.example.com", "mail.example.com"));
    assert!(!mx_matches("*.example.com", "example.com"));
    assert!(!mx_matches("*.example.com", "foo.bar.example.com"));
    assert!(!mx_matches("*.example.com", "a.b.example.com"));
    assert!(!mx_matches("*.example.com", ".example.com"));
    assert!(!mx_matches("*.example.com", "mail.example.org"));
    assert!(!mx_matches("*.example.com", "mailexample.com"));
}

#[test]
fn mx_matching_ignores_case_and_a_trailing_dot() {
    assert!(mx_matches("mail.example.com", "MAIL.Example.COM"));
    assert!(mx_matches("mail.example.com", "mail.example.com."));
    assert!(mx_matches("mail.example.com.", "mail.example.com"));
    assert!(mx_matches("*.EXAMPLE.com", "Mx1.example.COM."));
    assert!(!mx_matches("mail.example.com", "mail2.example.com"));
    assert!(!mx_matches("mail.example.com", "x.mail.example.com"));
    assert!(!mx_matches("", ""));
    assert!(!mx_matches("*.", "a."));
}

#[test]
fn parsed_patterns_match_like_mx_matches() {
    let p = policy(EXAMPLE);
    let allowed = |host: &str| p.mx.iter().any(|m| m.matches(host));
    assert!(allowed("mail.example.com"));
    assert!(allowed("mx7.example.net"));
    assert!(allowed("BACKUPMX.example.com."));
    assert!(!allowed("example.net"));
    assert!(!allowed("a.b.example.net"));
    assert!(!allowed("other.example.com"));
}
