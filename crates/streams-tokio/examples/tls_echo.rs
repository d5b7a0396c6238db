//! A TLS echo server and client on loopback. A throwaway CA and a
//! certificate for `localhost` are generated at start (rcgen); nothing is
//! read from disk.

use std::sync::Arc;
use streams_tokio::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use streams_tokio::tls::rustls::RootCertStore;
use streams_tokio::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A CA, and a server certificate for `localhost` signed by it.
fn throwaway_pki() -> Result<
    (
        CertificateDer<'static>,
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
    ),
    BoxError,
> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate()?;
    let cert =
        rcgen::CertificateParams::new(vec!["localhost".to_string()])?.signed_by(&key, &issuer)?;
    let key = PrivateKeyDer::try_from(key.serialize_der())?;
    Ok((ca.der().clone(), vec![cert.der().clone()], key))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (ca, chain, key) = throwaway_pki()?;
    let server_config: Arc<_> = tls::server_config(chain, key)?;

    let server = start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let info = writer.tls_info();
            println!(
                "server: TLS {:?}, SNI {:?}",
                info.as_ref().and_then(|i| i.version_name()),
                info.and_then(|i| i.server_name)
            );
            loop {
                let line = reader.readline().await?;
                if line.is_empty() {
                    break; // the client's close_notify
                }
                writer.write(&line)?;
                writer.drain().await?;
            }
            writer.close();
            writer.wait_closed().await?;
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default().ssl(server_config),
    )
    .await?;
    let port = server.local_addrs()[0].port();
    println!("serving TLS on 127.0.0.1:{port}");

    let mut roots = RootCertStore::empty();
    roots.add(ca)?;
    let options = OpenOptions::default()
        .ssl(TlsClient::with_roots(roots)?)
        .server_hostname("localhost");
    let (mut reader, writer) = open_connection("127.0.0.1", port, options).await?;
    let info = writer.tls_info().expect("a TLS connection");
    println!(
        "client: {:?} with {:?}",
        info.version_name(),
        info.cipher_suite
    );
    for text in ["Hello over TLS\n", "Second line\n"] {
        writer.write(text.as_bytes())?;
        let echoed = reader.readline().await?;
        println!("client: received {:?}", String::from_utf8_lossy(&echoed));
    }
    writer.close(); // sends close_notify, waits for the server's
    writer.wait_closed().await?;
    server.close();
    server.wait_closed().await;
    Ok(())
}
