//! A loopback https server that serves one Client ID Metadata Document, with a certificate
//! signed by a certificate authority made for the run: the self-test's metadata-document client
//! (`cimd.self-test-flow`), and the interoperability tests' too.
//!
//! The server under test reaches it through the settings an operator would use for a document
//! on a private network: its address as a trusted host (`--cimd-trusted-host`) and the CA as an
//! extra root (`--extra-ca-file`); see [`DocumentHost::trust`]. The CA's key lives only in this
//! process and is gone when the host is dropped, so no certificate it signed is trusted anywhere
//! else. Every request it receives is recorded ([`DocumentHost::requests`]) so that a test can
//! show the fetch as it arrived and count fetches.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

/// The path the document is served at.
pub const DOCUMENT_PATH: &str = "/mcp-oauth-verify/client.json";

/// One request the host received: its request line and headers, as they arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// The running host; dropping it stops it.
pub struct DocumentHost {
    addr: SocketAddr,
    ca_pem: String,
    requests: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl DocumentHost {
    /// Serves, on `127.0.0.1` at a free port, the document `document(client_id)` returns for
    /// the URL it will be served at (`https://127.0.0.1:PORT/mcp-oauth-verify/client.json`).
    pub async fn start(document: impl FnOnce(&str) -> String) -> anyhow::Result<DocumentHost> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a loopback port for the client metadata document")?;
        let addr = listener.local_addr()?;
        let body = Bytes::from(document(&format!("https://{addr}{DOCUMENT_PATH}")));
        let (ca_pem, tls) = throwaway_tls()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, log, body) = (acceptor.clone(), log.clone(), body.clone());
                tokio::spawn(async move {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let answer = answer(&req, &body);
                        if let Ok(mut log) = log.lock() {
                            log.push(received(&req));
                        }
                        async move { Ok::<_, std::convert::Infallible>(answer) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Ok(DocumentHost {
            addr,
            ca_pem,
            requests,
            task,
        })
    }

    /// The document's URL: the client_id of the client it describes.
    pub fn client_id(&self) -> String {
        format!("https://{}{DOCUMENT_PATH}", self.addr)
    }

    /// `HOST:PORT`, for `--cimd-trusted-host`.
    pub fn trusted_host(&self) -> String {
        self.addr.to_string()
    }

    /// The throw-away CA's certificate (PEM), for `--extra-ca-file`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Makes a server configuration fetch from this host: its address trusted, its CA a root.
    pub fn trust(&self, cimd: &mut crate::oauth::cimd::CimdConfig) -> anyhow::Result<()> {
        cimd.trusted_hosts.push(self.trusted_host());
        cimd.extra_roots.extend(
            reqwest::Certificate::from_pem_bundle(self.ca_pem.as_bytes())
                .context("reading the throw-away CA certificate")?,
        );
        Ok(())
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for DocumentHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The document at [`DOCUMENT_PATH`] (for GET), 404 elsewhere.
fn answer<B>(req: &Request<B>, body: &Bytes) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    if req.uri().path() != DOCUMENT_PATH {
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return resp;
    }
    if req.method() != hyper::Method::GET {
        *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        return resp;
    }
    *resp.body_mut() = Full::new(body.clone());
    let headers = resp.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().expect("static"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        "max-age=300".parse().expect("static"),
    );
    resp
}

fn received<B>(req: &Request<B>) -> Received {
    Received {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
    }
}

/// A CA made now, and a server configuration whose certificate it signed for `127.0.0.1`,
/// `::1` and `localhost`: the CA's PEM and the configuration.
fn throwaway_tls() -> anyhow::Result<(String, rustls::ServerConfig)> {
    let ca_key = rcgen::KeyPair::generate().context("generating the throw-away CA key")?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mcp-oauth verify throw-away CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().context("generating the document host's key")?;
    let leaf = rcgen::CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "::1".to_string(),
        "localhost".to_string(),
    ])?
    .signed_by(&leaf_key, &issuer)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )?;
    Ok((ca_cert.pem(), config))
}
