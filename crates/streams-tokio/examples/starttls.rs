//! A STARTTLS-style upgrade: the client and the server talk plaintext,
//! agree to upgrade, and both call `StreamWriter::start_tls` on the same
//! connection. A throwaway CA is generated at start (rcgen).
//!
//! The client sends `STARTTLS` and, without waiting, its TLS ClientHello
//! follows on the same connection: whatever the server's reader already
//! buffered is handed to TLS, so nothing is lost.

use streams_tokio::tls::rustls::pki_types::PrivateKeyDer;
use streams_tokio::tls::rustls::RootCertStore;
use streams_tokio::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate()?;
    let cert =
        rcgen::CertificateParams::new(vec!["localhost".to_string()])?.signed_by(&key, &issuer)?;
    let server_config = tls::server_config(
        vec![cert.der().clone()],
        PrivateKeyDer::try_from(key.serialize_der())?,
    )?;

    let server = start_server(
        move |mut reader: StreamReader, writer: StreamWriter| {
            let server_config = server_config.clone();
            async move {
                writer.write(b"220 ready\n")?;
                let command = reader.readline().await?;
                if command.as_ref() != b"STARTTLS\n" {
                    writer.write(b"500 expected STARTTLS\n")?;
                    return Ok(());
                }
                writer
                    .start_tls(&mut reader, server_config, StartTlsOptions::default())
                    .await?;
                let line = reader.readline().await?;
                println!("server: over TLS: {:?}", String::from_utf8_lossy(&line));
                writer.write(b"250 secure hello\n")?;
                writer.close();
                writer.wait_closed().await?;
                Ok::<(), BoxError>(())
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
    .await?;
    let port = server.local_addrs()[0].port();

    let (mut reader, writer) = open_connection("127.0.0.1", port, OpenOptions::default()).await?;
    println!(
        "client: {:?}",
        String::from_utf8_lossy(&reader.readline().await?)
    );
    writer.write(b"STARTTLS\n")?;
    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone())?;
    let client = TlsClient::with_roots(roots)?;
    writer
        .start_tls(
            &mut reader,
            client,
            StartTlsOptions::default().server_hostname("localhost"),
        )
        .await?;
    println!(
        "client: upgraded, TLS {:?}",
        writer.tls_info().and_then(|i| i.version_name())
    );
    writer.write(b"EHLO over TLS\n")?;
    println!(
        "client: {:?}",
        String::from_utf8_lossy(&reader.readline().await?)
    );
    writer.close();
    writer.wait_closed().await?;
    server.close();
    server.wait_closed().await;
    Ok(())
}
