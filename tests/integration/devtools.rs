//! The DevTools-protocol driver of headless Chromium on small pages with a strict
//! Content-Security-Policy: a script it allows by hash, driven through the page's own
//! button, and one it refuses, reported.

use std::path::Path;
use std::time::Instant;

use base64::Engine as _;
use serde_json::json;

use crate::support::devtools::Browser;

/// Sorts the list when the button is clicked: the script the first page's CSP allows.
const SORT: &str = "
document.querySelector('button').addEventListener('click', () => {
  const list = document.querySelector('ul');
  [...list.children]
    .sort((a, b) => a.textContent.localeCompare(b.textContent))
    .forEach((item) => list.append(item));
});
";

/// The items of the list, in the page's order.
const ITEMS: &str = "[...document.querySelectorAll('li')].map((li) => li.textContent)";

/// A page with a list, a button and `script` inline, under a CSP that allows only the
/// inline script whose SHA-256 is that of `allowed` (CSP3 §8.4: the hash of the
/// element's text, base64).
fn write_page(dir: &Path, script: &str, allowed: &str) -> std::path::PathBuf {
    let digest = ring::digest::digest(&ring::digest::SHA256, allowed.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    let page = dir.join("page.html");
    std::fs::write(
        &page,
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src 'sha256-{hash}'\">\n\
             <title>sort</title><style>body {{ font: 20px sans-serif; background: #eef; }}</style>\n\
             </head><body><button type=\"button\">Sort</button>\n\
             <ul><li>pear</li><li>apple</li><li>fig</li><li>cherry</li></ul>\n\
             <script>{script}</script></body></html>\n"
        ),
    )
    .unwrap();
    page
}

/// The script the CSP allows runs: clicking the button sorts the list, nothing is
/// reported, and the screenshot is a 1280-pixel-wide PNG. Prints how long each step took;
/// `DEVTOOLS_SCREENSHOT=FILE` keeps a copy of the screenshot for looking at.
#[test]
#[ignore = "needs /usr/bin/chromium (apt-get install chromium); run by .ci/run"]
fn devtools_drives_a_page_in_a_headless_browser() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), SORT, SORT);
    let png = dir.path().join("page.png");

    let start = Instant::now();
    let mut browser = Browser::open(&page, 1280, 800);
    let opened = start.elapsed();
    let before = browser.eval(ITEMS);
    let evaluated = start.elapsed();
    browser.screenshot(&png);
    let shot = start.elapsed();
    println!(
        "devtools: open {opened:?}, eval {:?}, screenshot {:?}, total {shot:?}",
        evaluated - opened,
        shot - evaluated
    );

    assert_eq!(before, json!(["pear", "apple", "fig", "cherry"]));
    browser.eval("document.querySelector('button').click()");
    assert_eq!(
        browser.eval(ITEMS),
        json!(["apple", "cherry", "fig", "pear"])
    );
    let problems = browser.problems();
    assert!(problems.is_empty(), "page problems: {problems:?}");

    let bytes = std::fs::read(&png).expect("no screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The IHDR chunk comes first: its width is the big-endian word at offset 16.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, 1280);
    if let Some(keep) = std::env::var_os("DEVTOOLS_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

/// A script whose hash the CSP does not list is refused, Chromium says so, and the
/// button does nothing: the driver's problem list is the check that can fail.
#[test]
#[ignore = "needs /usr/bin/chromium (apt-get install chromium); run by .ci/run"]
fn devtools_reports_a_refused_script_in_a_headless_browser() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), SORT, "/* another script */");

    let mut browser = Browser::open(&page, 1280, 800);
    browser.eval("document.querySelector('button').click()");
    assert_eq!(
        browser.eval(ITEMS),
        json!(["pear", "apple", "fig", "cherry"])
    );
    let problems = browser.problems();
    println!("devtools: reported {problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Content Security Policy")),
        "no CSP violation among {problems:?}"
    );
}

/// A script that throws in `eval` panics with the exception's message.
#[test]
#[ignore = "needs /usr/bin/chromium (apt-get install chromium); run by .ci/run"]
#[should_panic(expected = "no such thing")]
fn devtools_eval_that_throws_panics_in_a_headless_browser() {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), SORT, SORT);
    let mut browser = Browser::open(&page, 1280, 800);
    browser.eval("throw new Error('no such thing')");
}
