//! Placeholder of the policy fetch's types, replaced by the fetch itself.

use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::smtp::CertFacts;

pub const DEFAULT_PORT: u16 = 443;

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub port: u16,
    pub roots: Arc<rustls::RootCertStore>,
    pub guard: crate::net::Guard,
    pub max_body: usize,
}

#[derive(Clone)]
pub struct PolicyFetcher {
    _settings: Arc<FetchSettings>,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            roots: Arc::new(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            guard: crate::net::Guard::default(),
            max_body: 65_536,
        }
    }
}

impl PolicyFetcher {
    pub fn new(_dns: crate::dns::Dns, settings: FetchSettings) -> Self {
        Self {
            _settings: Arc::new(settings),
        }
    }

    pub async fn fetch(&self, domain: &str) -> Arc<Fetched> {
        Arc::new(Fetched {
            facts: PolicyFetch {
                url: format!("https://mta-sts.{domain}/.well-known/mta-sts.txt"),
                status: FetchStatus::Connect,
                error: Some("not built".into()),
                address: None,
                http_status: None,
                content_type: None,
                location: None,
                cert: None,
            },
            body: None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub facts: PolicyFetch,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    pub url: String,
    pub status: FetchStatus,
    pub error: Option<String>,
    pub address: Option<IpAddr>,
    pub http_status: Option<u16>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub cert: Option<CertFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FetchStatus {
    Ok,
    NoHost,
    DnsTemperror,
    NotPublic,
    Connect,
    Timeout,
    Tls,
    Certificate,
    HttpStatus,
    Redirect,
    MediaType,
    TooLarge,
    Encoding,
    Protocol,
}

impl FetchStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn transient(self) -> bool {
        matches!(self, Self::DnsTemperror | Self::Timeout)
    }
}
