//! mailposture: scan sender domains for SPF, DMARC, MX and STARTTLS posture.
//!
//! The binary is a thin shell over this library: [`cli`] holds the raw flags,
//! `config` turns them into validated settings, and [`app`] runs the subcommands.

pub mod advice;
pub mod app;
pub mod bimi;
pub(crate) mod cache;
pub(crate) mod causes;
pub mod cli;
pub(crate) mod config;
pub mod dane;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod dnssec;
pub mod exit;
pub mod finding;
mod hostname;
pub(crate) mod input;
pub(crate) mod mailhost;
pub mod mta_sts;
pub mod mx;
#[cfg(test)]
mod names;
pub mod net;
pub mod output;
pub mod page;
pub(crate) mod progress;
pub mod psl;
pub mod record;
pub mod scan;
pub mod scandir;
pub(crate) mod shard;
pub mod smtp;
pub mod spf;
pub mod stats;
pub mod terminal;
pub(crate) mod tls;
pub mod tls_rpt;
mod txt_fields;
