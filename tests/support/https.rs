//! A tiny HTTPS server on a loopback address, hyper's server side over tokio-rustls: one
//! configurable answer (status, headers, body) with a given certificate chain, and
//! hostile behaviours (dribbling body, stall after the headers). It logs the requests it
//! receives, counts connections, and counts the body bytes it handed to the connection.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use super::smtp::TlsIdentity;

/// The port every test server listens on, each at its own loopback address.
pub const PORT: u16 = 8443;
/// How long a connection may idle, and how long [`HttpsBehaviour::StallAfterHeaders`] stalls.
const IDLE: Duration = Duration::from_secs(10);
/// The size of the frames a body is sent in.
const CHUNK: usize = 8 * 1024;
/// Bytes sent one at a time by [`HttpsBehaviour::Dribble`].
const DRIBBLE_BYTES: usize = 60;
/// The listener's send buffer, inherited by its connections: small, so that a body the
/// client stops reading stays mostly unsent instead of vanishing into kernel buffers.
const SEND_BUFFER: u32 = 16 * 1024;

/// How the body goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpsBehaviour {
    /// In frames of [`CHUNK`] bytes, as fast as the client takes them.
    #[default]
    Normal,
    /// One byte every 500 ms, at most [`DRIBBLE_BYTES`] of them.
    Dribble,
    /// The headers, then nothing for [`IDLE`].
    StallAfterHeaders,
}

/// The one answer the server gives to every request.
pub struct HttpsConfig {
    pub identity: TlsIdentity,
    pub status: u16,
    /// Header lines as sent; `Content-Length` is added only when listed here, else the
    /// body goes chunked.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub behaviour: HttpsBehaviour,
}

impl HttpsConfig {
    /// A 200 `text/plain; charset=utf-8` answer with `body`.
    pub fn policy(identity: TlsIdentity, body: &str) -> Self {
        Self {
            identity,
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
            behaviour: HttpsBehaviour::Normal,
        }
    }

    /// The same answer with `name: value` added.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    pub user_agent: Option<String>,
    pub cookie: Option<String>,
    pub version: String,
}

pub struct HttpsServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<SeenRequest>>>,
    body_sent: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl HttpsServer {
    /// Listens at `addr` (a distinct loopback address per server, port [`PORT`]).
    pub async fn start(addr: SocketAddr, config: HttpsConfig) -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.set_send_buffer_size(SEND_BUFFER).unwrap();
        socket.bind(addr).unwrap();
        let listener = socket.listen(64).unwrap();
        let addr = listener.local_addr().unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                config.identity.chain.clone(),
                config.identity.key.clone_key(),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let body_sent = Arc::new(AtomicUsize::new(0));
        let (stop, mut stopped) = oneshot::channel();
        let shared = Arc::new(Shared {
            config,
            requests: Arc::clone(&requests),
            body_sent: Arc::clone(&body_sent),
        });
        let task = {
            let accepted = Arc::clone(&accepted);
            tokio::spawn(async move {
                let mut connections = JoinSet::new();
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        conn = listener.accept() => {
                            let Ok((tcp, _)) = conn else { break };
                            accepted.fetch_add(1, Ordering::SeqCst);
                            connections.spawn(serve(tcp, acceptor.clone(), Arc::clone(&shared)));
                        }
                    }
                }
                // Dropping the set would abort too; shutting down waits for it.
                connections.shutdown().await;
            })
        };
        Self {
            addr,
            accepted,
            requests,
            body_sent,
            stop,
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Requests received so far, over all connections.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Body bytes handed to the connection so far.
    pub fn body_sent(&self) -> usize {
        self.body_sent.load(Ordering::SeqCst)
    }

    /// Stops listening and ends every open connection.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

struct Shared {
    config: HttpsConfig,
    requests: Arc<Mutex<Vec<SeenRequest>>>,
    body_sent: Arc<AtomicUsize>,
}

async fn serve(tcp: TcpStream, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    let Ok(Ok(tls)) = tokio::time::timeout(IDLE, acceptor.accept(tcp)).await else {
        return;
    };
    let service = service_fn(move |request: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(shared.answer(&request)) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service);
    let _ = tokio::time::timeout(IDLE, conn).await;
}

type Body = StreamBody<futures::stream::BoxStream<'static, Result<Frame<Bytes>, Infallible>>>;

impl Shared {
    fn answer(&self, request: &Request<Incoming>) -> Response<Body> {
        let header = |name| {
            request
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        self.requests.lock().unwrap().push(SeenRequest {
            method: request.method().to_string(),
            path: request.uri().to_string(),
            host: header(hyper::header::HOST),
            user_agent: header(hyper::header::USER_AGENT),
            cookie: header(hyper::header::COOKIE),
            version: format!("{:?}", request.version()),
        });
        let config = &self.config;
        let mut response = Response::builder().status(config.status);
        for (name, value) in &config.headers {
            response = response.header(name, value);
        }
        response.body(self.body()).unwrap()
    }

    /// The configured body as a stream of frames, paced by the behaviour; each frame is
    /// counted in `body_sent` as it is handed over.
    fn body(&self) -> Body {
        use futures::StreamExt;
        let behaviour = self.config.behaviour;
        let (size, pause) = match behaviour {
            HttpsBehaviour::Normal => (CHUNK, None),
            HttpsBehaviour::Dribble => (1, Some(Duration::from_millis(500))),
            HttpsBehaviour::StallAfterHeaders => (CHUNK, Some(IDLE)),
        };
        let body = match behaviour {
            HttpsBehaviour::Dribble => {
                &self.config.body[..self.config.body.len().min(DRIBBLE_BYTES)]
            }
            _ => &self.config.body[..],
        };
        let chunks: Vec<Bytes> = body.chunks(size).map(Bytes::copy_from_slice).collect();
        let sent = Arc::clone(&self.body_sent);
        let frames = futures::stream::iter(chunks).then(move |chunk| {
            let sent = Arc::clone(&sent);
            async move {
                if let Some(pause) = pause {
                    tokio::time::sleep(pause).await;
                }
                sent.fetch_add(chunk.len(), Ordering::SeqCst);
                Ok(Frame::data(chunk))
            }
        });
        StreamBody::new(frames.boxed())
    }
}
