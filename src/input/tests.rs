use std::io::{Cursor, Read, Write as _};

use super::*;

/// The name and rewrite kind of a line that must be accepted.
fn ok(line: &str) -> (String, Option<RewriteKind>) {
    match normalise_line(line) {
        Ok(Some((d, r))) => (d, r.map(|r| r.how)),
        other => panic!("{line:?}: {other:?}"),
    }
}

fn err(line: &str) -> String {
    match normalise_line(line) {
        Err(reason) => reason.to_string(),
        other => panic!("{line:?} should be invalid: {other:?}"),
    }
}

/// Events in a compact form for comparisons.
fn summary(lists: DomainLists) -> Vec<String> {
    lists
        .map(|e| match e {
            InputEvent::Domain(d) => format!(
                "{}:{} domain {} {:?}",
                d.source,
                d.line,
                d.domain,
                d.rewritten.map(|r| r.how)
            ),
            InputEvent::Invalid(e) => format!("{}:{} invalid {}", e.source, e.line, e.reason),
            InputEvent::Duplicate {
                source,
                line,
                domain,
            } => format!("{source}:{line} duplicate {domain}"),
            InputEvent::ReadError { source, error } => format!("{source} error {error}"),
        })
        .collect()
}

fn from_bytes(sources: &[(&str, &[u8])]) -> DomainLists {
    DomainLists::from_readers(
        sources
            .iter()
            .map(|(name, bytes)| {
                let reader: Reader = Box::new(Cursor::new(bytes.to_vec()));
                (Arc::from(*name), reader)
            })
            .collect(),
    )
}

#[test]
fn whitespace_case_and_trailing_dot_are_normalised() {
    for (line, want) in [
        ("example.jp", "example.jp"),
        ("  example.jp\t", "example.jp"),
        ("example.jp\r", "example.jp"),
        ("\u{3000}example.jp\u{3000}", "example.jp"),
        ("Example.CO.JP", "example.co.jp"),
        ("example.jp.", "example.jp"),
        ("EXAMPLE.JP.", "example.jp"),
        ("\u{feff}example.jp", "example.jp"),
        ("_dmarc.example.jp", "_dmarc.example.jp"),
        ("_spf.Example.jp", "_spf.example.jp"),
        ("a-b.example.jp", "a-b.example.jp"),
        ("r3--sn-abc.example.jp", "r3--sn-abc.example.jp"),
        ("1password.com", "1password.com"),
    ] {
        assert_eq!(ok(line), (want.to_owned(), None), "{line:?}");
    }
}

#[test]
fn blank_and_comment_lines_are_skipped() {
    for line in [
        "",
        "   ",
        "\r",
        "\t\r",
        "# comment",
        "#",
        "   # indented comment",
        "\t#tab",
        "\u{feff}",
        "\u{feff}# comment after a byte-order mark",
    ] {
        assert_eq!(normalise_line(line), Ok(None), "{line:?}");
    }
}

#[test]
fn trailing_comments_after_whitespace_are_removed() {
    for (line, want) in [
        ("example.jp # our main domain", "example.jp"),
        ("example.jp\t# tab comment", "example.jp"),
        ("example.jp    #no space after", "example.jp"),
        ("example.jp # a # b", "example.jp"),
        ("https://example.jp/#top # comment", "example.jp"),
    ] {
        assert_eq!(ok(line).0, want, "{line:?}");
    }
    // Without whitespace before it, '#' is part of the line and makes it invalid.
    assert!(err("exa#mple.jp").contains("'#' not allowed"));
}

#[test]
fn urls_give_their_host() {
    for (line, want) in [
        ("https://www.example.co.jp/path", "www.example.co.jp"),
        (
            "https://www.example.co.jp/path?q=1#frag",
            "www.example.co.jp",
        ),
        ("http://user@host.example.jp:8080/x", "host.example.jp"),
        ("http://user:pw@example.jp", "example.jp"),
        ("HTTPS://Example.JP", "example.jp"),
        ("https://example.jp./", "example.jp"),
        ("https://例え.jp/", "xn--r8jz45g.jp"),
        ("ftp://files.example.jp/pub", "files.example.jp"),
    ] {
        assert_eq!(
            ok(line),
            (want.to_owned(), Some(RewriteKind::Url)),
            "{line:?}"
        );
    }
    let (_, rewrite) = normalise_line(" HTTPS://Example.JP # c").unwrap().unwrap();
    assert_eq!(
        rewrite,
        Some(Rewrite {
            how: RewriteKind::Url,
            original: "HTTPS://Example.JP".into()
        })
    );
}

#[test]
fn urls_without_a_domain_host_are_invalid() {
    for (line, reason) in [
        ("https://192.0.2.1/x", "IP address"),
        ("http://[2001:db8::1]:8080/", "IP address"),
        ("http://0x7f.1/", "IP address"),
        ("file:///etc/hosts", "without a host"),
        ("http://", "not a valid URL"),
        ("http://exa mple.jp/", "not a valid URL"),
        ("http://user@host:8080/x", "single label"),
    ] {
        let why = err(line);
        assert!(why.contains(reason), "{line:?}: {why}");
    }
}

#[test]
fn email_addresses_give_their_domain() {
    for (line, want) in [
        ("info@example.co.jp", "example.co.jp"),
        ("Info@Example.CO.JP", "example.co.jp"),
        ("mailto:info@example.co.jp", "example.co.jp"),
        ("mailto:info@example.co.jp?subject=hello", "example.co.jp"),
        ("<info@example.co.jp>", "example.co.jp"),
        ("\"a@b\"@example.jp", "example.jp"),
        ("info@例え.jp", "xn--r8jz45g.jp"),
    ] {
        assert_eq!(
            ok(line),
            (want.to_owned(), Some(RewriteKind::Email)),
            "{line:?}"
        );
    }
    assert!(err("info@").contains("without a domain"));
    assert!(err("info@192.0.2.1").contains("IP address"));
    assert!(err("info@[192.0.2.1]").contains("IP address"));
}

#[test]
fn internationalised_names_become_a_labels() {
    for (line, want, how) in [
        ("例え.jp", "xn--r8jz45g.jp", Some(RewriteKind::Idn)),
        ("例え.JP.", "xn--r8jz45g.jp", Some(RewriteKind::Idn)),
        ("例え。jp", "xn--r8jz45g.jp", Some(RewriteKind::Idn)),
        ("ＥＸＡＭＰＬＥ.jp", "example.jp", Some(RewriteKind::Idn)),
        ("ｅｘａｍｐｌｅ．ｊｐ", "example.jp", Some(RewriteKind::Idn)),
        (
            "_dmarc.例え.jp",
            "_dmarc.xn--r8jz45g.jp",
            Some(RewriteKind::Idn),
        ),
        (
            "bücher.example",
            "xn--bcher-kva.example",
            Some(RewriteKind::Idn),
        ),
        // Already A-labels: kept as they are, only validated.
        ("xn--r8jz45g.jp", "xn--r8jz45g.jp", None),
        ("XN--R8JZ45G.JP", "xn--r8jz45g.jp", None),
        (
            "www.xn--bcher-kva.example",
            "www.xn--bcher-kva.example",
            None,
        ),
    ] {
        assert_eq!(ok(line), (want.to_owned(), how), "{line:?}");
    }
    for (line, reason) in [
        ("xn--zz.jp", "invalid punycode label \"xn--zz\""),
        ("xn--example.jp", "invalid punycode label"),
        ("xn--abc-.jp", "hyphen"),
        ("xn----lb7a.jp", "starts or ends with a hyphen"),
        ("-例.jp", "starts or ends with a hyphen"),
        ("例\u{200d}え.jp", "not a valid internationalised name"),
        ("例え.jp/path", "'/' not allowed"),
        ("例え .jp", "spaces"),
    ] {
        let why = err(line);
        assert!(why.contains(reason), "{line:?}: {why}");
    }
}

#[test]
fn names_that_are_not_domains_say_why() {
    let long_label = format!("{}.jp", "a".repeat(64));
    let label_63 = format!("{}.jp", "a".repeat(63));
    let four_labels = [&*"a".repeat(62); 4].join(".");
    let long_name = format!("{four_labels}.jp");
    let name_253 = format!("{}.jp", &four_labels[..250]);
    assert_eq!(name_253.len(), 253);
    assert_eq!(ok(&label_63).0, label_63);
    assert_eq!(ok(&name_253).0, name_253);
    assert_eq!(ok(&format!("{name_253}.")).0, name_253);
    for (line, reason) in [
        ("a..b.jp", "empty label"),
        (".example.jp", "empty label"),
        ("example.jp..", "empty label"),
        (long_label.as_str(), "label longer than 63 octets"),
        (long_name.as_str(), "longer than 253 octets"),
        ("192.0.2.1", "IP address"),
        ("192.0.2.1.", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("::1", "IP address"),
        ("１９２.０.２.１", "IP address"),
        ("1.2.3", "all-numeric top-level label"),
        ("localhost", "not a domain name: single label"),
        ("com", "not a domain name: single label"),
        ("COM.", "not a domain name: single label"),
        ("exa mple.jp", "spaces inside the name"),
        ("exa\tmple.jp", "spaces inside the name"),
        ("exa$mple.jp", "'$' not allowed"),
        ("example.jp/path", "'/' not allowed"),
        ("example.jp:25", "':' not allowed"),
        ("*.example.jp", "'*' not allowed"),
        (
            "-example.jp",
            "label \"-example\" starts or ends with a hyphen",
        ),
        ("example-.jp", "starts or ends with a hyphen"),
        ("example.-jp", "starts or ends with a hyphen"),
    ] {
        let why = err(line);
        assert!(why.contains(reason), "{line:?}: {why}");
    }
}

#[test]
fn lists_are_read_in_order_with_line_numbers_and_dedupe() {
    let mut a = tempfile::NamedTempFile::new().unwrap();
    a.write_all(
        b"\xef\xbb\xbf# list a\r\n\
          example.jp\r\n\
          \r\n\
          bad..name\r\n\
          \xff\xfe.jp\r\n\
          EXAMPLE.jp. # again\r\n\
          https://www.example.jp/\r\n\
          \xef\xbb\xbfbom.jp\r\n",
    )
    .unwrap();
    let mut b = tempfile::NamedTempFile::new().unwrap();
    // No final newline; duplicates across files and across spellings.
    b.write_all(b"\xef\xbb\xbfexample.jp\n  # comment\ninfo@www.example.jp\nother.jp")
        .unwrap();
    let paths = [a.path().to_path_buf(), b.path().to_path_buf()];
    let (na, nb) = (a.path().display(), b.path().display());
    assert_eq!(
        summary(DomainLists::open(&paths).unwrap()),
        [
            format!("{na}:2 domain example.jp None"),
            format!("{na}:4 invalid empty label"),
            format!("{na}:5 invalid not valid UTF-8"),
            format!("{na}:6 duplicate example.jp"),
            format!("{na}:7 domain www.example.jp Some(Url)"),
            // Where files were concatenated.
            format!("{na}:8 domain bom.jp None"),
            format!("{nb}:1 duplicate example.jp"),
            format!("{nb}:3 duplicate www.example.jp"),
            format!("{nb}:4 domain other.jp None"),
        ]
    );
    // Every event but the domains' is a candidate line too.
    assert_eq!(count_candidates(&paths).unwrap(), Some(9));
}

#[test]
fn events_carry_source_text_and_rewrite() {
    let events: Vec<InputEvent> = from_bytes(&[(
        "list.txt",
        "# x\n  Https://Example.JP/a  # c\nbad!.jp\n".as_bytes(),
    )])
    .collect();
    let [InputEvent::Domain(d), InputEvent::Invalid(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        *d,
        InputDomain {
            domain: "example.jp".into(),
            source: Arc::from("list.txt"),
            line: 2,
            rewritten: Some(Rewrite {
                how: RewriteKind::Url,
                original: "Https://Example.JP/a".into()
            }),
            selectors: None,
        }
    );
    assert_eq!(e.line, 3);
    assert_eq!(e.text, "bad!.jp");
    assert_eq!(
        e.to_string(),
        "list.txt:3: character '!' not allowed in a domain name (text: \"bad!.jp\")"
    );
}

#[test]
fn long_lines_are_invalid_and_not_buffered() {
    let exact = "a".repeat(MAX_LINE - 3) + ".jp";
    let input = format!(
        "{}\nafter.jp\n\u{feff}{exact}\r\n{exact}x\r\n# {}\nlast.jp",
        "x".repeat(1_000_000),
        "c".repeat(10_000)
    );
    let mut lists = from_bytes(&[("-", input.as_bytes())]);
    let Some(InputEvent::Invalid(first)) = lists.next() else {
        panic!("an over-long line should be invalid");
    };
    assert_eq!(first.reason, "line too long (over 4096 bytes)");
    assert_eq!(first.text, "x".repeat(QUOTE));
    assert!(
        lists.buf.capacity() < 2 * STORED,
        "{}",
        lists.buf.capacity()
    );
    assert_eq!(
        summary(lists),
        [
            "-:2 domain after.jp None",
            // Exactly MAX_LINE bytes (the BOM and the CR do not count): let through by
            // the reader, refused by the name check.
            "-:3 invalid name longer than 253 octets (4096)",
            "-:4 invalid line too long (over 4096 bytes)",
            "-:6 domain last.jp None",
        ]
    );
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(input.as_bytes()).unwrap();
    assert_eq!(
        count_candidates(&[file.path().to_path_buf()]).unwrap(),
        Some(5)
    );
}

#[test]
fn may_block_once_the_buffered_input_is_used_up() {
    /// A pipe that delivers one write of its writer per read.
    struct Trickle(std::vec::IntoIter<&'static [u8]>);
    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let Some(chunk) = self.0.next() else {
                return Ok(0);
            };
            out[..chunk.len()].copy_from_slice(chunk);
            Ok(chunk.len())
        }
    }
    let pipe: Reader = Box::new(BufReader::new(Trickle(
        vec![&b"one.jp\ntwo.jp\n"[..], b"three.jp\n"].into_iter(),
    )));
    let mut lists = DomainLists::from_readers(vec![(Arc::from("-"), pipe)]);
    assert!(lists.may_block(), "nothing read yet");
    assert!(matches!(lists.next(), Some(InputEvent::Domain(_))));
    assert!(!lists.may_block(), "two.jp is in the buffer");
    assert!(matches!(lists.next(), Some(InputEvent::Domain(_))));
    assert!(lists.may_block(), "three.jp is not written yet");
    assert!(matches!(lists.next(), Some(InputEvent::Domain(_))));
    assert!(lists.next().is_none());
}

#[test]
fn a_read_error_loses_only_the_rest_of_its_source() {
    /// Gives some lines, then fails.
    struct Failing(Cursor<Vec<u8>>);
    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.0.read(out)? {
                0 => Err(io::Error::other("disk on fire")),
                n => Ok(n),
            }
        }
    }
    let failing: Reader = Box::new(BufReader::new(Failing(Cursor::new(
        b"one.jp\ntwo.jp\nthr".to_vec(),
    ))));
    let fine: Reader = Box::new(Cursor::new(b"four.jp\n".to_vec()));
    let lists = DomainLists::from_readers(vec![(Arc::from("a"), failing), (Arc::from("b"), fine)]);
    assert_eq!(
        summary(lists),
        [
            "a:1 domain one.jp None",
            "a:2 domain two.jp None",
            "a error disk on fire",
            "b:1 domain four.jp None",
        ]
    );
}

#[test]
fn opening_fails_early_for_missing_files_and_repeated_stdin() {
    let present = tempfile::NamedTempFile::new().unwrap();
    let missing = std::env::temp_dir().join(format!(
        "mailposture-input-missing-{}.txt",
        std::process::id()
    ));
    let err = DomainLists::open(&[present.path().to_path_buf(), missing.clone()])
        .expect_err("a missing list must fail open");
    assert!(
        format!("{err:#}").contains(&missing.display().to_string()),
        "{err:#}"
    );
    let err =
        DomainLists::open(&[PathBuf::from("-"), PathBuf::from("-")]).expect_err("stdin twice");
    assert!(err.to_string().contains("only once"), "{err}");
    let count_err = count_candidates(std::slice::from_ref(&missing)).expect_err("missing file");
    assert!(
        count_err
            .to_string()
            .contains(&missing.display().to_string())
    );
}

#[test]
fn a_directory_is_not_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let err = DomainLists::open(&[dir.path().to_path_buf()]).expect_err("a directory");
    assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
}

#[test]
fn candidates_are_not_counted_for_stdin() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"a.jp\n").unwrap();
    let file = file.path().to_path_buf();
    assert_eq!(
        count_candidates(std::slice::from_ref(&file)).unwrap(),
        Some(1)
    );
    assert_eq!(count_candidates(&[file, PathBuf::from("-")]).unwrap(), None);
    assert_eq!(count_candidates(&[]).unwrap(), Some(0));
}

#[test]
fn candidate_count_matches_the_events() {
    // A file in std's temp dir, as the CLI would get it, rather than a NamedTempFile.
    let path = std::env::temp_dir().join(format!(
        "mailposture-input-count-{}-{:?}.txt",
        std::process::id(),
        std::thread::current().id()
    ));
    let text = "\u{feff}#c\r\na.jp\n\u{3000}\n  #x\nb.jp # y\n\u{feff}\na.jp\n\n\u{feff}x\nc..jp\n\u{fffd}\n";
    std::fs::write(&path, text).unwrap();
    let paths = [path.clone()];
    let events = DomainLists::open(&paths).unwrap().count() as u64;
    let counted = count_candidates(&paths).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(counted, Some(events));
    assert_eq!(events, 6);
}

#[test]
fn duplicates_are_found_by_normalised_name() {
    let lists = from_bytes(&[(
        "l",
        "Example.JP\nexample.jp.\nhttps://example.jp/x\npostmaster@EXAMPLE.jp\n\
         例え.jp\nxn--r8jz45g.jp\nwww.example.jp\n"
            .as_bytes(),
    )]);
    assert_eq!(
        summary(lists),
        [
            "l:1 domain example.jp None",
            "l:2 duplicate example.jp",
            "l:3 duplicate example.jp",
            "l:4 duplicate example.jp",
            "l:5 domain xn--r8jz45g.jp Some(Idn)",
            "l:6 duplicate xn--r8jz45g.jp",
            "l:7 domain www.example.jp None",
        ]
    );
}

#[test]
fn messages_name_file_and_line_and_quote_safely() {
    let e = InputError {
        source: Arc::from("list.txt"),
        line: 7,
        text: "bad\u{7}..\"name\"\n".into(),
        reason: "empty label".into(),
    };
    assert_eq!(
        e.to_string(),
        "list.txt:7: empty label (text: \"bad\\u{7}..\\\"name\\\"\\n\")"
    );
    let long = InputError {
        text: "あ".repeat(200),
        ..e
    };
    assert_eq!(
        long.to_string(),
        format!(
            "list.txt:7: empty label (text: \"{}…\")",
            "あ".repeat(QUOTE)
        )
    );
    assert_eq!(quote(&"a".repeat(QUOTE)), "a".repeat(QUOTE));
}

#[test]
fn rewrites_are_described() {
    let describe = |line: &str| {
        let (domain, rewritten) = normalise_line(line).unwrap().unwrap();
        let rewrite = rewritten.expect("a rewrite");
        let d = InputDomain {
            domain,
            source: Arc::from("list.txt"),
            line: 3,
            rewritten: Some(rewrite.clone()),
            selectors: None,
        };
        rewrite.describe(&d)
    };
    assert_eq!(
        describe("https://www.example.co.jp/path"),
        "list.txt:3: took host \"www.example.co.jp\" from URL \"https://www.example.co.jp/path\""
    );
    assert_eq!(
        describe("<info@example.co.jp>"),
        "list.txt:3: took domain \"example.co.jp\" from e-mail address \"<info@example.co.jp>\""
    );
    assert_eq!(
        describe("例え.jp"),
        "list.txt:3: took A-labels \"xn--r8jz45g.jp\" from internationalised name \"例え.jp\""
    );
}

#[test]
fn lists_can_move_to_another_thread() {
    fn is_send<T: Send>(_: &T) {}
    let lists = DomainLists::open(&[PathBuf::from("-")]).unwrap();
    is_send(&lists);
    assert!(format!("{lists:?}").contains("\"-\""));
}

/// `example.jp selectors=s1,s2`: the domain, with its own DKIM selectors; a bad selector
/// makes the line invalid, with the reason; other text after a domain still does.
#[test]
fn a_line_may_name_its_domains_dkim_selectors() {
    let events: Vec<InputEvent> = from_bytes(&[(
        "list.txt",
        "example.co.jp selectors=S2023,s2024,s2023  # keys of 2023 and 2024\n\
         bad.jp selectors=ok,,\n\
         other.jp some words\n\
         plain.jp\n"
            .as_bytes(),
    )])
    .collect();
    let [
        InputEvent::Domain(listed),
        InputEvent::Invalid(bad),
        InputEvent::Invalid(words),
        InputEvent::Domain(plain),
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(listed.domain, "example.co.jp");
    assert_eq!(
        listed.selectors.as_deref(),
        Some(&["s2023".to_owned(), "s2024".to_owned()][..])
    );
    assert_eq!(bad.line, 2);
    assert!(bad.reason.contains("selector"), "{}", bad.reason);
    assert_eq!(words.line, 3);
    assert_eq!(plain.selectors, None);
}
