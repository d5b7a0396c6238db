//! Interoperability: CPython's asyncio with `ssl`
//! (`tests/peers/tls_asyncio_peer.py`) and `openssl s_client` /
//! `s_server` as the peers.

use super::{tls_server, BoxError, Pki, PEER_SCRIPT};
use crate::adapters::Adapter;
use crate::peers::{output_within, KillOnDrop, Lines, Next, OUTER_TIMEOUT, PEER_TIMEOUT};
use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Instant;
use streams_common::{OpenOptions, ServerOptions, StreamReader, StreamWriter};

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
    if crate::skip_without(crate::python()) {
        return;
    }
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
    if crate::skip_without(crate::python()) {
        return;
    }
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
    if crate::skip_without("openssl") {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _) = pki.write_pems(dir.path());
    let server =
        tls_server::<A, _, _>(ServerOptions::default().ssl(pki.server()), echo_one_line).await;
    let port = crate::port(&server);
    let (stdout, stderr) = A::t_for(
        OUTER_TIMEOUT,
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
            // stdin stays open until the server has closed the connection
            // (s_client then ends by itself; it is killed if it has not after
            // the bound, and the test fails).
            let out = output_within("openssl s_client", child, PEER_TIMEOUT);
            drop(stdin);
            (
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
    server.close();
    A::t(server.wait_closed()).await;
}

/// Our TLS client, `openssl s_server -rev` (echoes each line reversed).
pub async fn interop_tls_openssl_s_server<A: Adapter>() {
    if crate::skip_without("openssl") {
        return;
    }
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
    let lines = Lines::new(child.stdout.take().unwrap());
    // Killed however the test ends.
    let child = KillOnDrop(child);
    // It listens once it has printed ACCEPT.
    let _lines = A::t_for(
        OUTER_TIMEOUT,
        A::spawn_blocking(move || {
            let deadline = Instant::now() + PEER_TIMEOUT;
            for _ in 0..100 {
                match lines.next_until(deadline) {
                    Next::Line(line) if line.starts_with("ACCEPT") => return lines,
                    Next::Line(_) => {}
                    other => panic!("openssl s_server: no ACCEPT line ({other:?})"),
                }
            }
            panic!("openssl s_server: no ACCEPT line among its first 100")
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
    drop(child);
}
