//! TLS, on every runtime: the same bodies run on Tokio, smol and
//! async-std ([`tls_suite!`](crate::tls_suite) instantiates them in
//! `tests/tests/tls_{tokio,smol,async_std}.rs`).
//!
//! Certificates are made at test time with rcgen (a throwaway CA, a server
//! certificate for `localhost`, `127.0.0.1` and `::1`, a client
//! certificate); nothing is checked in and nothing expires. The peers are
//! our own streams, raw rustls on std sockets (for a peer that misbehaves
//! on purpose), CPython's asyncio with `ssl` (`tests/peers/tls_asyncio_peer.py`)
//! and `openssl s_client` / `s_server`. Every wait is bounded; no assertion
//! depends on how long something took.

use crate::adapters::Adapter;
use futures::channel::mpsc;
use futures::StreamExt;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use streams_common::tls::{
    server_config, server_config_with_client_auth, tls_error, StartTlsOptions, TlsClient, TlsError,
    TLS_HIGH_WATER, TLS_LOW_WATER,
};
use streams_common::{
    ArgumentError, ConnectError, OpenOptions, Server, ServerError, ServerOptions, StreamReader,
    StreamWriter,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SHORT: Duration = Duration::from_millis(200);
use crate::peers::PEER_TIMEOUT;

/// Instantiates every TLS test body as a `#[test]` for the adapter
/// `$adapter`. Invoke it inside a module named after the runtime.
#[macro_export]
macro_rules! tls_suite {
    ($adapter:ty) => {
        $crate::tls_suite!(@tests $adapter;
            tls_echo_extra_info_and_eof_semantics,
            tls_server_hostname_rules,
            tls_argument_errors,
            tls_certificate_failures,
            tls_client_certificate_required,
            tls_handshake_timeout_client,
            tls_handshake_timeout_server_drops_the_connection,
            tls_shutdown_timeout,
            tls_bare_fin_ends_the_stream,
            tls_client_against_plaintext_server,
            tls_large_transfer_with_flow_control,
            tls_unix_echo,
            start_tls_keeps_a_client_hello_sent_with_the_last_line,
            start_tls_both_sides,
            interop_tls_asyncio_client,
            interop_tls_asyncio_server,
            interop_tls_openssl_s_client,
            interop_tls_openssl_s_server,
        );
    };
    (@tests $adapter:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                <$adapter as $crate::Adapter>::block_on($crate::tls::$name::<$adapter>());
            }
        )*
    };
}

// ----- certificates ------------------------------------------------------

/// A throwaway CA with a server and a client certificate, made at test
/// time.
pub struct Pki {
    /// The CA certificate.
    pub ca: CertificateDer<'static>,
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    server_pem: String,
    server_key_pem: String,
    client_chain: Vec<CertificateDer<'static>>,
    client_key: PrivateKeyDer<'static>,
}

impl Pki {
    /// A new CA; the server certificate names `localhost`, `127.0.0.1` and
    /// `::1`.
    pub fn new() -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "streams test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf = |names: Vec<String>| {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(names).unwrap();
            // CPython 3.13's strict verification wants the AKI.
            params.use_authority_key_identifier_extension = true;
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert, key)
        };
        let (server, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]);
        let (client, client_key) = leaf(vec!["client.test".into()]);
        Pki {
            ca: ca.der().clone(),
            ca_pem: ca.pem(),
            server_chain: vec![server.der().clone()],
            server_key: PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
            server_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_chain: vec![client.der().clone()],
            client_key: PrivateKeyDer::try_from(client_key.serialize_der()).unwrap(),
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        roots
    }

    /// The server configuration.
    pub fn server(&self) -> Arc<rustls::ServerConfig> {
        server_config(self.server_chain.clone(), self.server_key.clone_key()).unwrap()
    }

    fn server_alpn(&self, alpn: &[u8]) -> Arc<rustls::ServerConfig> {
        let mut c = self.server();
        Arc::make_mut(&mut c).alpn_protocols = vec![alpn.to_vec()];
        c
    }

    fn server_requiring_client_cert(&self) -> Arc<rustls::ServerConfig> {
        server_config_with_client_auth(
            self.server_chain.clone(),
            self.server_key.clone_key(),
            self.roots(),
        )
        .unwrap()
    }

    /// A client trusting this CA.
    pub fn client(&self) -> TlsClient {
        TlsClient::with_roots(self.roots()).unwrap()
    }

    fn client_with_cert(&self) -> TlsClient {
        TlsClient::with_roots_and_client_auth(
            self.roots(),
            self.client_chain.clone(),
            self.client_key.clone_key(),
        )
        .unwrap()
    }

    /// Writes `ca.pem`, `server.pem` and `server.key` into `dir`.
    fn write_pems(&self, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
        let ca = dir.join("ca.pem");
        let cert = dir.join("server.pem");
        let key = dir.join("server.key");
        std::fs::write(&ca, &self.ca_pem).unwrap();
        std::fs::write(&cert, &self.server_pem).unwrap();
        std::fs::write(&key, &self.server_key_pem).unwrap();
        (ca, cert, key)
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

// ----- helpers -----------------------------------------------------------

async fn tls_server<A, F, Fut>(options: ServerOptions, handler: F) -> Server
where
    A: Adapter,
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    A::start_server(handler, "127.0.0.1", 0, options)
        .await
        .unwrap()
}

/// An echo handler: each line back with `echo: `, until EOF.
async fn echo(mut r: StreamReader, w: StreamWriter) -> Result<(), BoxError> {
    loop {
        let line = r.readline().await?;
        if line.is_empty() {
            break;
        }
        w.write(b"echo: ")?;
        w.write(&line)?;
        w.drain().await?;
    }
    w.close();
    w.wait_closed().await?;
    Ok(())
}

fn tls_err(e: &ConnectError) -> &TlsError {
    match e {
        ConnectError::Tls(t) => t,
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

/// A raw rustls server on a std listener: accepts one connection and
/// completes the handshake (blocking; bounded by socket timeouts).
fn raw_tls_accept(
    listener: &TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> (TcpStream, rustls::ServerConnection) {
    let (mut tcp, _) = listener.accept().unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut conn = rustls::ServerConnection::new(config).unwrap();
    for _ in 0..100 {
        if !conn.is_handshaking() {
            break;
        }
        conn.complete_io(&mut tcp).unwrap();
    }
    assert!(!conn.is_handshaking());
    (tcp, conn)
}

/// The asyncio TLS peer in `tests/peers/`.
const PEER_SCRIPT: &str = "tls_asyncio_peer.py";

// ----- our client and server ------------------------------------------------

/// Echo over TLS; the extra info on both sides; EOF semantics: the
/// server's close (close_notify) ends the client's stream and closes its
/// writer; no half-close over TLS.
pub async fn tls_echo_extra_info_and_eof_semantics<A: Adapter>() {
    let pki = Pki::new();
    let (tx, mut rx) = mpsc::unbounded();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server_alpn(b"x-test")),
        move |mut r: StreamReader, w: StreamWriter| {
            let tx = tx.clone();
            async move {
                let info = w.tls_info().expect("TLS info on the server");
                let line = r.readline().await?;
                w.write(b"echo: ")?;
                w.write(&line)?;
                w.drain().await?;
                let _ = tx.unbounded_send((
                    info,
                    w.can_write_eof(),
                    w.write_eof(),
                    w.peername().is_some(),
                ));
                // Close only once the client says so: closing right after
                // the echo could land before the client's first drain(),
                // which then rightly reports the lost connection.
                let bye = r.readline().await?;
                assert_eq!(&bye[..], b"bye\n");
                w.close();
                w.wait_closed().await?;
                Ok(())
            }
        },
    )
    .await;
    let options = OpenOptions::default()
        .ssl(pki.client().alpn(["x-test"]))
        .server_hostname("localhost");
    let (mut reader, writer) = A::t(A::open_connection(
        "127.0.0.1",
        crate::port(&server),
        options,
    ))
    .await
    .unwrap();
    assert!(writer.is_tls());
    assert!(!writer.is_server_side());
    let info = writer.tls_info().unwrap();
    assert_eq!(info.peer_certificates, pki.server_chain);
    assert_eq!(info.version_name(), Some("TLSv1.3"));
    assert!(info.cipher_suite.is_some());
    assert_eq!(info.alpn_protocol.as_deref(), Some(&b"x-test"[..]));
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert!(info.handshake_complete && !info.server_side);
    // The plain transport's info is still there.
    assert!(writer.peername().is_some() && writer.sockname().is_some());
    assert_eq!(writer.with_socket(|s| s.nodelay().unwrap()), Some(true));
    // asyncio's SSL water marks; no half-close.
    assert_eq!(
        writer.get_write_buffer_limits(),
        (TLS_LOW_WATER, TLS_HIGH_WATER)
    );
    assert!(!writer.can_write_eof());
    assert_eq!(writer.write_eof(), Err(TlsError::WriteEofNotSupported));

    writer.write(b"hello\n").unwrap();
    A::t(writer.drain()).await.unwrap();
    assert_eq!(
        &A::t(reader.readline()).await.unwrap()[..],
        b"echo: hello\n"
    );
    let (sinfo, s_can_eof, s_eof, s_peer) = A::t(rx.next()).await.unwrap();
    assert_eq!(sinfo.server_name.as_deref(), Some("localhost"));
    assert!(sinfo.server_side);
    assert!(sinfo.peer_certificates.is_empty(), "no client certificate");
    assert_eq!(sinfo.alpn_protocol.as_deref(), Some(&b"x-test"[..]));
    assert!(!s_can_eof && s_peer);
    assert_eq!(s_eof, Err(TlsError::WriteEofNotSupported));

    writer.write(b"bye\n").unwrap();
    // The server closed: close_notify is EOF, and the writer is closing
    // by the time the read returns.
    assert!(A::t(reader.read_to_eof()).await.unwrap().is_empty());
    assert!(reader.at_eof());
    assert!(writer.is_closing());
    writer.write(b"dropped").unwrap();
    A::t(writer.wait_closed()).await.unwrap();
    assert!(writer.tls_info().is_some(), "still known after close");
    server.close();
    A::t(server.wait_closed()).await;
}

/// asyncio's server_hostname rules: the host is the name (an IP address
/// included: no SNI for it), `""` means no SNI and no name check.
pub async fn tls_server_hostname_rules<A: Adapter>() {
    let pki = Pki::new();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server()),
        |_r: StreamReader, w: StreamWriter| async move {
            let sni = w.tls_info().and_then(|i| i.server_name);
            w.write(format!("{sni:?}\n").as_bytes())?;
            w.close();
            Ok(())
        },
    )
    .await;
    let port = crate::port(&server);
    for (host, name, expected) in [
        ("127.0.0.1", None, "None\n"),
        ("127.0.0.1", Some(""), "None\n"),
        ("127.0.0.1", Some("localhost"), "Some(\"localhost\")\n"),
        ("localhost", None, "Some(\"localhost\")\n"),
    ] {
        let mut options = OpenOptions::default().ssl(pki.client());
        if let Some(n) = name {
            options = options.server_hostname(n);
        }
        let (mut r, w) = A::t(A::open_connection(host, port, options))
            .await
            .unwrap_or_else(|e| panic!("{host} {name:?}: {e}"));
        assert_eq!(&A::t(r.readline()).await.unwrap()[..], expected.as_bytes());
        w.close();
        A::t(w.wait_closed()).await.unwrap();
    }
    // A name the certificate does not have fails...
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("other.test");
    let e = A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap_err();
    assert!(tls_err(&e).is_certificate_error(), "{e}");
    // ...unless the name check is off (""), which still checks the chain.
    let options = OpenOptions::default()
        .ssl(Pki::new().client())
        .server_hostname("");
    let e = A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap_err();
    assert!(tls_err(&e).is_certificate_error(), "{e}");
    server.close();
    A::t(server.wait_closed()).await;
}

/// asyncio's argument checks, in its order and with its messages; invalid
/// timeouts are found only after the TCP connection succeeded.
pub async fn tls_argument_errors<A: Adapter>() {
    let pki = Pki::new();
    let arg = |e: ConnectError| match e {
        ConnectError::InvalidArgument(a) => a,
        other => panic!("expected an argument error, got {other:?}"),
    };
    let cases: Vec<(OpenOptions, &str, &str)> = vec![
        (
            OpenOptions::default().server_hostname("x"),
            "127.0.0.1",
            "server_hostname is only meaningful with ssl",
        ),
        (
            OpenOptions::default().ssl(pki.client()),
            "",
            "You must set server_hostname when using ssl without a host",
        ),
        (
            OpenOptions::default().ssl_handshake_timeout(SHORT),
            "127.0.0.1",
            "ssl_handshake_timeout is only meaningful with ssl",
        ),
        (
            OpenOptions::default().ssl_shutdown_timeout(SHORT),
            "127.0.0.1",
            "ssl_shutdown_timeout is only meaningful with ssl",
        ),
        (
            // The first check wins.
            OpenOptions::default()
                .server_hostname("x")
                .ssl_handshake_timeout(SHORT),
            "127.0.0.1",
            "server_hostname is only meaningful with ssl",
        ),
    ];
    for (options, host, msg) in cases {
        let e = arg(A::t(A::open_connection(host, 1, options))
            .await
            .unwrap_err());
        assert_eq!(e.to_string(), msg);
    }
    // Unix: a path is no name.
    let e = A::t(A::open_unix_connection(
        "/nonexistent/x.sock",
        OpenOptions::default().ssl(pki.client()),
    ))
    .await
    .unwrap_err();
    assert_eq!(arg(e), ArgumentError::UnixServerHostnameRequired);
    assert_eq!(
        ArgumentError::UnixServerHostnameRequired.to_string(),
        "you have to pass server_hostname when using ssl"
    );
    // With sockets passed in, ssl is refused (use start_tls).
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let e = A::open_unix_connection_with_socket(
        a,
        OpenOptions::default().ssl(pki.client()).server_hostname(""),
    )
    .unwrap_err();
    assert_eq!(arg(e), ArgumentError::SslWithSocket);

    // A zero timeout: a refused connection is reported first...
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let zero = OpenOptions::default()
        .ssl(pki.client())
        .ssl_handshake_timeout(Duration::ZERO);
    let e = A::t(A::open_connection("127.0.0.1", closed_port, zero.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused), "{e}");
    // ...and a working one then fails the check.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let e = A::t(A::open_connection("127.0.0.1", port, zero))
        .await
        .unwrap_err();
    assert_eq!(
        arg(e).to_string(),
        "ssl_handshake_timeout should be a positive number, got 0"
    );
    let e = A::t(A::open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default()
            .ssl(pki.client())
            .ssl_shutdown_timeout(Duration::ZERO),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        arg(e).to_string(),
        "ssl_shutdown_timeout should be a positive number, got 0"
    );

    // Servers.
    let handler = |_r: StreamReader, _w: StreamWriter| async {};
    for (options, msg) in [
        (
            ServerOptions::default().ssl_handshake_timeout(SHORT),
            "ssl_handshake_timeout is only meaningful with ssl",
        ),
        (
            ServerOptions::default().ssl_shutdown_timeout(SHORT),
            "ssl_shutdown_timeout is only meaningful with ssl",
        ),
        (
            ServerOptions::default()
                .ssl(pki.server())
                .ssl_handshake_timeout(Duration::ZERO),
            "ssl_handshake_timeout should be a positive number, got 0",
        ),
    ] {
        match A::t(A::start_server(handler, "127.0.0.1", 0, options)).await {
            Err(ServerError::InvalidArgument(a)) => assert_eq!(a.to_string(), msg),
            other => panic!("expected an argument error, got {other:?}"),
        }
    }
}

/// A wrong name and an untrusted certificate fail the client with a
/// typed certificate error; the server's handler never runs.
pub async fn tls_certificate_failures<A: Adapter>() {
    let pki = Pki::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server()),
        move |_r: StreamReader, _w: StreamWriter| {
            ran2.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        },
    )
    .await;
    let port = crate::port(&server);
    for (client, name) in [
        (pki.client(), "wrong.test"),
        (Pki::new().client(), "localhost"),
    ] {
        let options = OpenOptions::default().ssl(client).server_hostname(name);
        let e = A::t(A::open_connection("127.0.0.1", port, options))
            .await
            .unwrap_err();
        let t = tls_err(&e);
        assert!(t.is_certificate_error(), "{t:?}");
        assert!(matches!(
            t.rustls_error(),
            Some(rustls::Error::InvalidCertificate(_))
        ));
        assert!(
            e.to_string()
                .starts_with("SSL handshake failed on verifying the certificate: "),
            "{e}"
        );
        assert_eq!(e.kind(), Some(io::ErrorKind::InvalidData));
        let io: io::Error = e.into();
        assert!(tls_error(&io).is_some());
    }
    server.close();
    A::t(server.wait_closed()).await;
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// A server that requires a client certificate: without one the client
/// fails with a TLS error (in TLS 1.3 possibly at its first read, since the
/// client's handshake ends before the server checks); with one it works
/// and the server sees the chain.
pub async fn tls_client_certificate_required<A: Adapter>() {
    let pki = Pki::new();
    let (tx, mut rx) = mpsc::unbounded();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server_requiring_client_cert()),
        move |_r: StreamReader, w: StreamWriter| {
            let tx = tx.clone();
            async move {
                let certs = w
                    .tls_info()
                    .map(|i| i.peer_certificates)
                    .unwrap_or_default();
                let _ = tx.unbounded_send(certs);
                w.write(b"welcome\n")?;
                w.close();
                Ok(())
            }
        },
    )
    .await;
    let port = crate::port(&server);
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    match A::t(A::open_connection("127.0.0.1", port, options)).await {
        Err(e) => {
            tls_err(&e);
        }
        Ok((mut r, _w)) => {
            let e = A::t(r.readline()).await.unwrap_err();
            let t = match &e {
                streams_common::ReadError::Stored(io) => tls_error(io).cloned(),
                _ => None,
            };
            assert!(
                matches!(
                    t,
                    Some(TlsError::Protocol(rustls::Error::AlertReceived(
                        rustls::AlertDescription::CertificateRequired
                    )))
                ),
                "{e:?}"
            );
        }
    }
    let options = OpenOptions::default()
        .ssl(pki.client_with_cert())
        .server_hostname("localhost");
    let (mut r, w) = crate::connect_port::<A>(port, options).await;
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"welcome\n");
    assert_eq!(A::t(rx.next()).await.unwrap(), pki.client_chain);
    A::t(w.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

/// A server that accepts but never answers: the client's handshake
/// times out with asyncio's error.
pub async fn tls_handshake_timeout_client<A: Adapter>() {
    let pki = Pki::new();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost")
        .ssl_handshake_timeout(SHORT);
    let e = A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap_err();
    assert_eq!(tls_err(&e), &TlsError::HandshakeTimeout(SHORT));
    assert_eq!(
        e.to_string(),
        "SSL handshake is taking longer than 0.2 seconds: aborting the connection"
    );
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionAborted));
    drop(silent);
}

/// A client that connects and never says hello: the server drops the
/// connection when the handshake times out, without running the handler.
pub async fn tls_handshake_timeout_server_drops_the_connection<A: Adapter>() {
    let pki = Pki::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    let server = tls_server::<A, _, _>(
        ServerOptions::default()
            .ssl(pki.server())
            .ssl_handshake_timeout(SHORT),
        move |_r: StreamReader, _w: StreamWriter| {
            ran2.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        },
    )
    .await;
    let port = crate::port(&server);
    let outcome = A::t(A::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut buf = [0u8; 16];
        s.read(&mut buf).map_err(|e| e.kind())
    }))
    .await;
    // Closed by the server (EOF, or a reset): not a read timeout.
    assert!(
        matches!(outcome, Ok(0) | Err(io::ErrorKind::ConnectionReset)),
        "{outcome:?}"
    );
    A::t(async {
        for _ in 0..500 {
            if server.client_count() == 0 {
                return;
            }
            A::sleep(Duration::from_millis(10)).await;
        }
        panic!("the connection was not dropped");
    })
    .await;
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    server.close();
    A::t(server.wait_closed()).await;
}

/// A peer that never answers close_notify: `wait_closed()` reports
/// asyncio's `SSL shutdown timed out`, and so do later reads.
pub async fn tls_shutdown_timeout<A: Adapter>() {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = pki.server();
    let peer = A::spawn_blocking(move || {
        let (mut tcp, _conn) = raw_tls_accept(&listener, config);
        // Read (and ignore) until the client gives up; never write.
        let mut buf = [0u8; 4096];
        for _ in 0..1000 {
            match tcp.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost")
        .ssl_shutdown_timeout(SHORT);
    let (reader, writer) = crate::connect_port::<A>(port, options).await;
    writer.close();
    let e = A::t(writer.wait_closed()).await.unwrap_err();
    assert_eq!(tls_error(&e), Some(&TlsError::ShutdownTimeout));
    assert_eq!(e.to_string(), "SSL shutdown timed out");
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    let stored = reader.exception().expect("the reader has the error");
    assert_eq!(tls_error(&stored), Some(&TlsError::ShutdownTimeout));
    A::t_for(PEER_TIMEOUT, peer).await;
}

/// A peer that sends data and then a FIN without close_notify: the data,
/// then EOF without an error, and the connection closes (no half-open).
pub async fn tls_bare_fin_ends_the_stream<A: Adapter>() {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = pki.server();
    let peer = A::spawn_blocking(move || {
        let (mut tcp, mut conn) = raw_tls_accept(&listener, config);
        conn.writer().write_all(b"bye\n").unwrap();
        while conn.wants_write() {
            conn.write_tls(&mut tcp).unwrap();
        }
        tcp.shutdown(std::net::Shutdown::Write).unwrap();
        // Wait for the client to close its side.
        let mut buf = [0u8; 4096];
        for _ in 0..1000 {
            match tcp.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut reader, writer) = crate::connect_port::<A>(port, options).await;
    assert_eq!(&A::t(reader.readline()).await.unwrap()[..], b"bye\n");
    assert!(A::t(reader.read(100)).await.unwrap().is_empty());
    assert!(reader.exception().is_none());
    assert!(writer.is_closing());
    A::t(writer.drain()).await.unwrap_err();
    A::t(writer.wait_closed()).await.unwrap();
    A::t_for(PEER_TIMEOUT, peer).await;
}

/// A TLS client against a plaintext server fails with a TLS error.
pub async fn tls_client_against_plaintext_server<A: Adapter>() {
    let pki = Pki::new();
    for reply in [&b""[..], b"220 plain text here\r\n"] {
        let server = A::start_server(
            move |mut r: StreamReader, w: StreamWriter| async move {
                w.write(reply).unwrap();
                let _ = r.read(10).await;
                w.close();
            },
            "127.0.0.1",
            0,
            ServerOptions::default(),
        )
        .await
        .unwrap();
        let options = OpenOptions::default()
            .ssl(pki.client())
            .server_hostname("localhost");
        let e = A::t(A::open_connection(
            "127.0.0.1",
            crate::port(&server),
            options,
        ))
        .await
        .unwrap_err();
        let t = tls_err(&e);
        if reply.is_empty() {
            assert!(
                matches!(t, TlsError::HandshakeEof | TlsError::Handshake(_)),
                "{t:?}"
            );
        } else {
            assert!(matches!(t, TlsError::Handshake(_)), "{t:?}");
            assert!(e.to_string().starts_with("SSL handshake failed"), "{e}");
        }
        server.close();
        A::t(server.wait_closed()).await;
    }
}

/// Megabytes both ways with drain(): flow control over TLS.
pub async fn tls_large_transfer_with_flow_control<A: Adapter>() {
    const TOTAL: usize = 4 * 1024 * 1024;
    let pki = Pki::new();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server()),
        |mut r: StreamReader, w: StreamWriter| async move {
            let mut n = 0;
            while n < TOTAL {
                let data = r.read(65536).await?;
                if data.is_empty() {
                    break;
                }
                n += data.len();
                w.write(&data)?;
                w.drain().await?;
            }
            w.close();
            w.wait_closed().await?;
            Ok(())
        },
    )
    .await;
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut reader, writer) = A::t(A::open_connection(
        "127.0.0.1",
        crate::port(&server),
        options,
    ))
    .await
    .unwrap();
    let payload: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    let expected = payload.clone();
    let read = A::spawn(async move { reader.read_to_eof().await.map(|b| b.to_vec()) });
    A::t_for(PEER_TIMEOUT, async {
        for chunk in payload.chunks(100_000) {
            writer.write(chunk).unwrap();
            assert!(writer.get_write_buffer_size() <= TLS_HIGH_WATER + 100_000);
            writer.drain().await.unwrap();
        }
    })
    .await;
    let got = A::t_for(PEER_TIMEOUT, read).await.unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    A::t(writer.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

/// TLS over Unix sockets (server_hostname "" as asyncio requires one).
pub async fn tls_unix_echo<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls.sock");
    let server = A::start_unix_server(echo, &path, ServerOptions::default().ssl(pki.server()))
        .await
        .unwrap();
    let options = OpenOptions::default().ssl(pki.client()).server_hostname("");
    let (mut r, w) = A::t(A::open_unix_connection(&path, options)).await.unwrap();
    assert!(w.is_tls() && !w.is_tcp());
    w.write(b"over unix\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"echo: over unix\n");
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

// ----- start_tls ---------------------------------------------------------

/// gh-142352: the client sends `STARTTLS\n` and its ClientHello in ONE
/// write; the server reads the line and upgrades. The ClientHello is
/// already in the reader's buffer; start_tls hands it to TLS, so the
/// handshake succeeds (asyncio hangs here).
pub async fn start_tls_keeps_a_client_hello_sent_with_the_last_line<A: Adapter>() {
    let pki = Pki::new();
    let (tx, mut rx) = mpsc::unbounded();
    let config = pki.server();
    let server = A::start_server(
        move |mut r: StreamReader, w: StreamWriter| {
            let tx = tx.clone();
            let config = config.clone();
            async move {
                let line = r.readline().await?;
                assert_eq!(&line[..], b"STARTTLS\n");
                let buffered = r.buffered_len();
                assert!(!w.is_tls());
                w.start_tls(&mut r, config, StartTlsOptions::default())
                    .await?;
                assert!(w.is_tls() && w.is_server_side());
                let line = r.readline().await?;
                w.write(b"secure: ")?;
                w.write(&line)?;
                w.close();
                // Reported, not `?`-ed: a failed close must fail the test,
                // not silently end the handler.
                let closed = w.wait_closed().await.map_err(|e| e.to_string());
                let _ = tx.unbounded_send((buffered, closed));
                Ok::<(), BoxError>(())
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let port = crate::port(&server);
    let client_config = pki.client().config().clone();
    let reply = A::t(A::spawn_blocking(move || {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut conn =
            rustls::ClientConnection::new(client_config, "localhost".try_into().unwrap()).unwrap();
        let mut first = b"STARTTLS\n".to_vec();
        while conn.wants_write() {
            conn.write_tls(&mut first).unwrap();
        }
        tcp.write_all(&first).unwrap(); // one write: line + ClientHello
        for _ in 0..100 {
            if !conn.is_handshaking() {
                break;
            }
            conn.complete_io(&mut tcp).unwrap();
        }
        let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
        stream.write_all(b"no byte lost\n").unwrap();
        let mut reply = String::new();
        let mut reader = BufReader::new(stream);
        reader.read_line(&mut reply).unwrap();
        // A clean TLS close, both ways: the server's close_notify ends the
        // stream (an error here if it closed without one), then ours. A
        // socket dropped with the close_notify unread would send a RST,
        // which the server's wait_closed() rightly reports.
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "nothing after the reply: {rest:?}");
        drop(reader);
        conn.send_close_notify();
        while conn.wants_write() {
            conn.write_tls(&mut tcp).unwrap();
        }
        reply
    }))
    .await;
    assert_eq!(reply, "secure: no byte lost\n");
    let (buffered, closed) = A::t(rx.next()).await.unwrap();
    assert_eq!(closed, Ok(()), "the server's TLS close completes");
    assert!(
        buffered > 0,
        "the ClientHello should have arrived with the line (one write on loopback)"
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// Both sides upgrade with our streams (CPython's test_start_tls): one
/// line in plaintext, a round-trip, then TLS both ways; wrong-side
/// configurations are refused.
pub async fn start_tls_both_sides<A: Adapter>() {
    let pki = Pki::new();
    let config = pki.server();
    let wrong = pki.client();
    let server = A::start_server(
        move |mut r: StreamReader, w: StreamWriter| {
            let config = config.clone();
            let wrong = wrong.clone();
            async move {
                let line = r.readline().await?;
                w.write(&line)?;
                assert_eq!(
                    w.start_tls(&mut r, wrong, StartTlsOptions::default()).await,
                    Err(TlsError::WrongSide { server_side: true })
                );
                w.start_tls(&mut r, config, StartTlsOptions::default())
                    .await?;
                let line = r.readline().await?;
                w.write(&line)?;
                w.close();
                w.wait_closed().await?;
                Ok::<(), BoxError>(())
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let (mut r, w) = crate::connect_port::<A>(crate::port(&server), OpenOptions::default()).await;
    w.write(b"plain\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"plain\n");
    assert!(!w.is_tls() && w.can_write_eof());
    // Another connection's reader is refused, and changes nothing.
    let (other, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let (mut other_r, _other_w) =
        A::open_unix_connection_with_socket(other, OpenOptions::default()).unwrap();
    assert_eq!(
        A::t(w.start_tls(&mut other_r, pki.client(), StartTlsOptions::default())).await,
        Err(TlsError::ForeignReader)
    );
    assert!(!w.is_tls());
    assert_eq!(
        A::t(w.start_tls(&mut r, pki.server(), StartTlsOptions::default())).await,
        Err(TlsError::WrongSide { server_side: false })
    );
    let opts = StartTlsOptions::default()
        .server_hostname("localhost")
        .handshake_timeout(Duration::from_secs(10))
        .shutdown_timeout(Duration::from_secs(10));
    A::t(w.start_tls(&mut r, pki.client(), opts)).await.unwrap();
    assert!(w.is_tls() && !w.can_write_eof());
    assert_eq!(
        w.tls_info().unwrap().server_name.as_deref(),
        Some("localhost")
    );
    assert_eq!(
        A::t(w.start_tls(&mut r, pki.client(), StartTlsOptions::default())).await,
        Err(TlsError::AlreadyTls)
    );
    w.write(b"secret\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"secret\n");
    assert!(A::t(r.read_to_eof()).await.unwrap().is_empty());
    A::t(w.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

// ----- interop -------------------------------------------------------------

/// One line back with `echo: `, then close (close_notify).
async fn echo_one_line(mut r: StreamReader, w: StreamWriter) -> Result<(), BoxError> {
    let line = r.readline().await?;
    w.write(b"echo: ")?;
    w.write(&line)?;
    w.close();
    w.wait_closed().await?;
    Ok(())
}

/// Our TLS server, CPython's asyncio TLS client: echo, then our
/// close_notify is EOF for asyncio.
pub async fn interop_tls_asyncio_client<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _) = pki.write_pems(dir.path());
    let server =
        tls_server::<A, _, _>(ServerOptions::default().ssl(pki.server()), echo_one_line).await;
    let port = crate::port(&server);
    let stdout = crate::peers::run_client::<A>(
        PEER_SCRIPT,
        vec![
            "client".into(),
            port.to_string().into(),
            ca.into(),
            "localhost".into(),
        ],
    )
    .await;
    assert!(stdout.contains("version TLSv1.3\n"), "{stdout}");
    assert!(
        stdout.contains("reply echo: hello from asyncio\n"),
        "{stdout}"
    );
    assert!(stdout.contains("eof b'' True\n"), "{stdout}");
    assert!(stdout.contains("client done\n"), "{stdout}");
    server.close();
    A::t(server.wait_closed()).await;
}

/// Our TLS client, CPython's asyncio TLS server; its close_notify ends
/// our stream.
pub async fn interop_tls_asyncio_server<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = pki.write_pems(dir.path());
    let peer = crate::peers::PeerServer::start::<A>(
        PEER_SCRIPT,
        vec!["server".into(), cert.into(), key.into()],
    )
    .await;
    let port = peer.port;
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut r, w) = crate::connect_port::<A>(port, options).await;
    w.write(b"hello from rust\n").unwrap();
    assert_eq!(
        &A::t(r.readline()).await.unwrap()[..],
        b"echo: hello from rust\n"
    );
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    let rest = peer.finish::<A>().await;
    assert!(rest.contains("server done"), "{rest}");
}

/// Our TLS server, `openssl s_client` (verifying with the CA and the name).
pub async fn interop_tls_openssl_s_client<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _) = pki.write_pems(dir.path());
    let server =
        tls_server::<A, _, _>(ServerOptions::default().ssl(pki.server()), echo_one_line).await;
    let port = crate::port(&server);
    let (ok, stdout, stderr) = A::t_for(
        PEER_TIMEOUT,
        A::spawn_blocking(move || {
            let mut child = Command::new("openssl")
                .args(["s_client", "-quiet", "-verify_return_error"])
                .args(["-connect", &format!("127.0.0.1:{port}")])
                .args(["-servername", "localhost", "-verify_hostname", "localhost"])
                .arg("-CAfile")
                .arg(&ca)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("openssl runs");
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"hello from openssl\n").unwrap();
            // stdin stays open until the server has closed the connection.
            let out = child.wait_with_output().unwrap();
            drop(stdin);
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }),
    )
    .await;
    assert!(
        stdout.contains("echo: hello from openssl"),
        "{stdout}\n{stderr}"
    );
    let _ = ok;
    server.close();
    A::t(server.wait_closed()).await;
}

/// Our TLS client, `openssl s_server -rev` (echoes each line reversed).
pub async fn interop_tls_openssl_s_server<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = pki.write_pems(dir.path());
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let mut child = Command::new("openssl")
        .args(["s_server", "-rev", "-naccept", "1"])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl runs");
    let out = BufReader::new(child.stdout.take().unwrap());
    let out = A::t_for(
        PEER_TIMEOUT,
        A::spawn_blocking(move || {
            let mut out = out;
            for _ in 0..100 {
                let mut line = String::new();
                if out.read_line(&mut line).unwrap() == 0 || line.starts_with("ACCEPT") {
                    break;
                }
            }
            out
        }),
    )
    .await;
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut r, w) = crate::connect_port::<A>(port, options).await;
    assert_eq!(w.tls_info().unwrap().peer_certificates, pki.server_chain);
    w.write(b"stressed\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"desserts\n");
    w.close();
    let _ = A::t(w.wait_closed()).await;
    A::t_for(
        PEER_TIMEOUT,
        A::spawn_blocking(move || {
            drop(out);
            let _ = child.kill();
            let _ = child.wait();
        }),
    )
    .await;
}
