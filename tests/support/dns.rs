//! `DnsFixture`: an in-process hickory-server, authoritative for the root zone, on its own
//! loopback address, serving a zone built from readable zone text or from code; names
//! can be made silent (queries dropped) to exercise timeouts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Header, HeaderCounts, MessageType, Metadata};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, SOA, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_proto::serialize::txt::Parser;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_server::Server;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use mailposture::dns::{Dns, ResolverSettings};

/// A distinct 127.0.0.0/8 address per fixture, so concurrent tests never share a server.
pub fn next_loopback() -> Ipv4Addr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Ipv4Addr::new(127, 53, (n / 250) as u8, (n % 250 + 1) as u8)
}

/// The records of the fixture's root zone.
#[derive(Default, Clone)]
pub struct Zone {
    records: BTreeMap<RrKey, RecordSet>,
    silent: HashSet<LowerName>,
    /// Questions dropped before the name starts answering: (name, type) → how many.
    flaky: HashMap<(LowerName, RecordType), u32>,
}

fn name(n: &str) -> Name {
    let mut name = Name::from_ascii(n).unwrap_or_else(|e| panic!("bad test name {n:?}: {e}"));
    name.set_fqdn(true);
    name
}

impl Zone {
    pub fn new() -> Self {
        let mut zone = Self::default();
        let soa = SOA::new(
            name("ns.test"),
            name("hostmaster.test"),
            1,
            3600,
            600,
            86400,
            60,
        );
        zone.add(".", RData::SOA(soa));
        zone
    }

    /// Zone text in master-file format; names are relative to the root unless `$ORIGIN`
    /// says otherwise. An SOA is added.
    pub fn parse(text: &str) -> Self {
        let text = format!("$TTL 300\n{text}");
        let (_, records) = Parser::new(&text, None, Some(Name::root()))
            .parse()
            .unwrap_or_else(|e| panic!("bad test zone: {e}"));
        let mut zone = Self::new();
        for set in records.into_values() {
            for record in set.records_without_rrsigs() {
                zone.insert(record.clone());
            }
        }
        zone
    }

    fn insert(&mut self, record: Record) {
        let key = RrKey::new(LowerName::new(&record.name), record.record_type());
        self.records
            .entry(key)
            .or_insert_with(|| RecordSet::new(record.name.clone(), record.record_type(), 1))
            .insert(record, 1);
    }

    pub fn add(&mut self, owner: &str, rdata: RData) -> &mut Self {
        self.insert(Record::from_rdata(name(owner), 300, rdata));
        self
    }

    /// One TXT record made of the given character-strings.
    pub fn txt(&mut self, owner: &str, strings: &[&[u8]]) -> &mut Self {
        self.add(owner, RData::TXT(TXT::from_bytes(strings.to_vec())))
    }

    /// One TXT record holding `text`, split into 255-octet character-strings as a
    /// publisher would have to.
    pub fn txt_text(&mut self, owner: &str, text: &str) -> &mut Self {
        let strings: Vec<&[u8]> = text.as_bytes().chunks(255).collect();
        self.txt(owner, &strings)
    }

    pub fn a(&mut self, owner: &str, ip: Ipv4Addr) -> &mut Self {
        self.add(owner, RData::A(A(ip)))
    }

    pub fn aaaa(&mut self, owner: &str, ip: Ipv6Addr) -> &mut Self {
        self.add(owner, RData::AAAA(AAAA(ip)))
    }

    pub fn mx(&mut self, owner: &str, preference: u16, exchange: &str) -> &mut Self {
        let exchange = if exchange == "." {
            Name::root()
        } else {
            name(exchange)
        };
        self.add(owner, RData::MX(MX::new(preference, exchange)))
    }

    pub fn cname(&mut self, owner: &str, target: &str) -> &mut Self {
        self.add(owner, RData::CNAME(CNAME(name(target))))
    }

    /// Queries for `owner` get no answer at all, except for the types it has records of.
    pub fn silent(&mut self, owner: &str) -> &mut Self {
        self.silent.insert(LowerName::new(&name(owner)));
        self
    }

    /// The first `times` questions for `owner`'s `rtype` get no answer; later ones do
    /// (a resolver that recovers).
    pub fn flaky(&mut self, owner: &str, rtype: RecordType, times: u32) -> &mut Self {
        self.flaky
            .insert((LowerName::new(&name(owner)), rtype), times);
        self
    }
}

/// Answers from the catalog, except for silent names, whose queries are dropped.
struct Handler {
    catalog: Catalog,
    silent: HashSet<LowerName>,
    flaky: Mutex<HashMap<(LowerName, RecordType), u32>>,
    present: HashSet<(LowerName, RecordType)>,
    /// Requests received, over UDP and TCP alike (silent ones included).
    queries: Arc<AtomicU64>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: hickory_server::net::runtime::Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let dropped = |info: &hickory_server::server::RequestInfo<'_>| {
            let key = (info.query.name().clone(), info.query.query_type());
            let mut flaky = self.flaky.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(left) = flaky.get_mut(&key).filter(|left| **left > 0) {
                *left -= 1;
                return true;
            }
            self.silent.contains(info.query.name()) && !self.present.contains(&key)
        };
        if let Ok(info) = request.request_info()
            && dropped(&info)
        {
            let metadata = Metadata::new(
                info.metadata.id,
                MessageType::Response,
                info.metadata.op_code,
            );
            return ResponseInfo::from(Header {
                metadata,
                counts: HeaderCounts::default(),
            });
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// A running authoritative server; call [`DnsFixture::stop`] at the end of the test.
pub struct DnsFixture {
    server: Server<Handler>,
    pub addr: SocketAddr,
    queries: Arc<AtomicU64>,
}

impl DnsFixture {
    pub async fn start(zone: Zone) -> Self {
        Self::start_at(zone, SocketAddr::from((next_loopback(), 0))).await
    }

    /// [`DnsFixture::start`] on `addr`: another world served where a stopped fixture
    /// was, at the resolver address a scan directory recorded for `--resume`.
    pub async fn start_at(zone: Zone, addr: SocketAddr) -> Self {
        let Zone {
            records,
            silent,
            flaky,
        } = zone;
        let present = records
            .values()
            .map(|set| (LowerName::new(set.name()), set.record_type()))
            .collect();
        let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
            Name::root(),
            records,
            ZoneType::Primary,
            AxfrPolicy::Deny,
        )
        .expect("zone");
        let mut catalog = Catalog::new();
        catalog.upsert(
            LowerName::new(&Name::root()),
            vec![Arc::new(handler) as Arc<dyn ZoneHandler>],
        );
        let udp = tokio::net::UdpSocket::bind(addr).await.expect("bind udp");
        let addr = udp.local_addr().expect("udp addr");
        // Same port over TCP, so answers truncated over UDP can be retried.
        let tcp = tokio::net::TcpListener::bind(addr).await.expect("bind tcp");
        let queries = Arc::new(AtomicU64::new(0));
        let mut server = Server::new(Handler {
            catalog,
            silent,
            flaky: Mutex::new(flaky),
            present,
            queries: Arc::clone(&queries),
        });
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64);
        Self {
            server,
            addr,
            queries,
        }
    }

    /// Requests the server has received so far (a question retried over TCP after a
    /// truncated UDP answer counts twice).
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    pub async fn from_text(text: &str) -> Self {
        Self::start(Zone::parse(text)).await
    }

    /// Settings for a resolver pointed at this server, with short timeouts so that
    /// silent names fail fast.
    pub fn settings(&self) -> ResolverSettings {
        ResolverSettings {
            servers: vec![self.addr],
            timeout: Duration::from_millis(400),
            attempts: 1,
            cache_size: 1024,
            max_in_flight: 64,
            max_qps: None,
            transport: crate::TRANSPORT,
            udp_sockets: 4,
            randomise_case: false,
        }
    }

    pub fn dns(&self) -> Dns {
        Dns::from_settings(&self.settings()).expect("resolver")
    }

    /// `--resolver` value for the binary.
    pub fn resolver_arg(&self) -> String {
        self.addr.to_string()
    }

    pub async fn stop(mut self) {
        let _ = self.server.shutdown_gracefully().await;
    }
}
