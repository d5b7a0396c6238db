//! The same library, unchanged, on Tokio and on smol: each runtime runs
//! the library's server and its client against each other over loopback.

use linekv::{Client, Error};
use streams_common::runtime::{Runtime, RuntimeRef};

/// Every call the library offers, and its errors.
async fn exercise(rt: RuntimeRef) {
    let server = linekv::serve(rt.clone(), "127.0.0.1", 0).await.unwrap();
    let port = server.local_addrs()[0].port();

    let mut client = Client::connect(rt.clone(), "127.0.0.1", port)
        .await
        .unwrap();
    assert_eq!(client.get("colour").await.unwrap(), None);
    client.set("colour", b"blue").await.unwrap();
    // A value with CRLFs inside travels by length, not by line.
    client.set("text", b"two\r\nlines").await.unwrap();
    let mut other = Client::connect(rt.clone(), "127.0.0.1", port)
        .await
        .unwrap();
    assert_eq!(
        other.get("colour").await.unwrap().as_deref(),
        Some(&b"blue"[..])
    );
    assert_eq!(
        other.get("text").await.unwrap().as_deref(),
        Some(&b"two\r\nlines"[..])
    );
    assert!(other.del("colour").await.unwrap());
    assert!(!other.del("colour").await.unwrap());
    assert_eq!(client.get("colour").await.unwrap(), None);
    assert!(matches!(
        client.get("bad key").await,
        Err(Error::Protocol(_))
    ));
    other.close().await.unwrap();
    client.close().await.unwrap();

    server.close();
    server.wait_closed().await;
    assert!(matches!(
        Client::connect(rt, "127.0.0.1", port).await,
        Err(Error::Connect(_))
    ));
}

#[test]
fn on_tokio() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            exercise(streams_tokio::Tokio.handle()),
        )
        .await
        .expect("timed out")
    });
}

#[test]
fn on_smol() {
    smol::block_on(async {
        let run = exercise(streams_smol::Smol::default().handle());
        let timeout = async {
            smol::Timer::after(std::time::Duration::from_secs(30)).await;
            panic!("timed out");
        };
        smol::future::or(run, timeout).await
    });
}
