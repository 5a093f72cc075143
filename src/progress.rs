//! An optional progress bar on standard error: done/total, rate, ETA and the errors
//! seen so far. Hidden with `--quiet` or when standard error is not a terminal.

use std::cell::Cell;
use std::fmt;
use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::record::DomainRecord;
use crate::spf::analysis::SpfStatus;
use crate::terminal::{escape, thousands};

pub struct Progress {
    bar: Option<ProgressBar>,
    permerrors: Cell<u64>,
    temperrors: Cell<u64>,
}

impl Progress {
    /// Whether a bar would be drawn: not with `--quiet`, and only on a terminal.
    pub fn shown(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    /// `total` is the number of candidate lines when known (files), `None` for stdin.
    pub fn new(total: Option<u64>, quiet: bool) -> Self {
        let bar = Self::shown(quiet).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::new_spinner(),
            };
            let template = if total.is_some() {
                "{elapsed_precise} [{wide_bar}] {pos}/{len} {rate} ETA {eta} {msg}"
            } else {
                "{elapsed_precise} {spinner} {pos} {rate} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                // A whole number of domains a second (`1,141/s`), not indicatif's
                // four significant digits (`1.1411/s`).
                let style =
                    style.with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
                        let _ = write!(w, "{}/s", thousands(state.per_sec().round() as u64));
                    });
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            bar,
            permerrors: Cell::new(0),
            temperrors: Cell::new(0),
        }
    }

    /// Prints a line without tearing the bar. Lines quote list files (their names and
    /// their text), so they are escaped for the terminal.
    pub fn println(&self, line: impl AsRef<str>) {
        let line = escape(line.as_ref());
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// A line of the input that was not a domain: the bar's total shrinks by one.
    pub fn skip(&self) {
        if let Some(bar) = &self.bar
            && let Some(len) = bar.length()
        {
            bar.set_length(len.saturating_sub(1));
        }
    }

    pub fn record(&self, report: &DomainRecord) {
        let counter = match report.spf.status {
            SpfStatus::Permerror => &self.permerrors,
            SpfStatus::Temperror => &self.temperrors,
            _ => return self.tick(),
        };
        counter.set(counter.get() + 1);
        self.tick();
    }

    fn tick(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "SPF permerror {} temperror {}",
                self.permerrors.get(),
                self.temperrors.get()
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
