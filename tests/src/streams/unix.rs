//! Unix-domain sockets: paths, abstract names, pre-bound listeners.

use super::BoxError;
use crate::adapters::Adapter;
use std::io;
use streams_common::{Address, OpenOptions, ServerOptions, StreamReader, StreamWriter, UnixAddr};

/// A Unix server: stale files, cleanup on close, a replaced file, a
/// regular file, a missing path.
pub async fn unix_echo_and_path_rules<A: Adapter>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let handler = |mut reader: StreamReader, writer: StreamWriter| async move {
        let line = reader.readline().await?;
        writer.write(&line)?;
        Ok::<(), BoxError>(())
    };
    // A stale socket file is removed before binding.
    let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
    drop(stale);
    let server = A::t(A::start_unix_server(
        handler,
        &path,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        server.sockets(),
        vec![Address::Unix(UnixAddr::Path(path.clone()))]
    );
    let (mut reader, writer) = A::t(A::open_unix_connection(&path, OpenOptions::default()))
        .await
        .unwrap();
    assert!(!writer.is_tcp());
    assert_eq!(
        writer.peername(),
        Some(&Address::Unix(UnixAddr::Path(path.clone())))
    );
    writer.write(b"over unix\n").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "over unix\n");
    // Closing removes the socket file: it is still ours.
    server.close();
    A::t(server.wait_closed()).await;
    assert!(!path.exists());

    // Replaced by someone else: closing leaves it.
    let server = A::t(A::start_unix_server(
        handler,
        &path,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    let other = std::os::unix::net::UnixListener::bind(&path).unwrap();
    server.close();
    assert!(path.exists());
    drop(other);

    // A regular file is "address in use".
    let file = dir.path().join("regular");
    std::fs::write(&file, b"data").unwrap();
    let e = A::t(A::start_unix_server(
        handler,
        &file,
        ServerOptions::default(),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Address '{}' is already in use", file.display())
    );
    assert!(file.exists());

    // Connecting to nothing.
    let e = A::t(A::open_unix_connection(
        dir.path().join("none"),
        OpenOptions::default(),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), Some(io::ErrorKind::NotFound));
}

/// Linux abstract names and a pre-bound Unix listener.
pub async fn unix_abstract_and_prebound<A: Adapter>() {
    // Unique per process and per runtime (the three suites may run at once).
    let name = format!(
        "\0streams-suite-{}-{}",
        std::any::type_name::<A>()
            .rsplit("::")
            .next()
            .unwrap_or("a"),
        std::process::id()
    );
    let handler = |mut reader: StreamReader, writer: StreamWriter| async move {
        let data = reader.read(100).await?;
        writer.write(&data)?;
        Ok::<(), BoxError>(())
    };
    let server = A::t(A::start_unix_server(
        handler,
        &name,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        server.sockets(),
        vec![Address::Unix(UnixAddr::Abstract(
            name.as_bytes()[1..].to_vec()
        ))]
    );
    let (mut reader, writer) = A::t(A::open_unix_connection(&name, OpenOptions::default()))
        .await
        .unwrap();
    writer.write(b"abstract").unwrap();
    assert_eq!(A::t(reader.read(100)).await.unwrap(), "abstract");
    // The name is taken while the server lives.
    let e = A::t(A::start_unix_server(
        handler,
        &name,
        ServerOptions::default(),
    ))
    .await
    .unwrap_err();
    assert!(e.to_string().ends_with("is already in use"), "{e}");
    server.close();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pre.sock");
    let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let server = A::start_unix_server_with_socket(handler, l, ServerOptions::default()).unwrap();
    let (mut reader, writer) = A::t(A::open_unix_connection(&path, OpenOptions::default()))
        .await
        .unwrap();
    writer.write(b"pre").unwrap();
    assert_eq!(A::t(reader.read(100)).await.unwrap(), "pre");
    server.close();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let e = A::start_unix_server_with_socket(handler, tcp, ServerOptions::default()).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("A UNIX Domain Stream Socket was expected"));
}
