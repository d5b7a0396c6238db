//! Every server of the RESP example (`examples/resp/`) answers the same
//! scripted Redis session over loopback, byte for byte: so the example and
//! the benchmark's baselines cannot rot, and they provably do the same
//! work.
//!
//! Each test starts one implementation on its own thread and runtime,
//! talks to it with a blocking `std` socket whose reads time out (a
//! missing reply fails the test instead of hanging it), then stops it and
//! waits, bounded, for it to end.

#[path = "../examples/resp/command.rs"]
mod command;
#[path = "../examples/resp/hand_codec.rs"]
mod hand_codec;
#[path = "../examples/resp/hand_smol.rs"]
mod hand_smol;
#[path = "../examples/resp/hand_tokio.rs"]
mod hand_tokio;
#[path = "../examples/resp/run.rs"]
mod run;
#[path = "../examples/resp/streams.rs"]
mod streams;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use run::Impl;
use streams::Reads;

/// How long any one reply, or the server's shutdown, may take.
const WAIT: Duration = Duration::from_secs(20);

/// A server running on its own thread, stopped on drop.
struct Running {
    port: u16,
    stop: Option<futures::channel::oneshot::Sender<()>>,
    done: mpsc::Receiver<String>,
}

impl Running {
    fn start(imp: Impl) -> Running {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let (tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            let r = run::run(imp, listener, 2, async move {
                let _ = stopped.await;
            });
            let _ = tx.send(match r {
                Ok(()) => String::new(),
                Err(e) => e.to_string(),
            });
        });
        Running {
            port,
            stop: Some(stop),
            done,
        }
    }

    fn connect(&self) -> Client {
        let sock = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        sock.set_read_timeout(Some(WAIT)).unwrap();
        sock.set_nodelay(true).unwrap();
        Client { sock }
    }

    /// Stops the server; fails if it does not end in time or ends with an
    /// error.
    fn stop(mut self) {
        drop(self.stop.take());
        let outcome = self
            .done
            .recv_timeout(WAIT)
            .expect("the server did not stop");
        assert_eq!(outcome, "", "the server failed");
    }
}

struct Client {
    sock: TcpStream,
}

impl Client {
    fn send(&mut self, data: &[u8]) {
        self.sock.write_all(data).unwrap();
    }

    /// Reads exactly `want.len()` bytes and compares them.
    fn expect(&mut self, want: &[u8]) {
        let mut got = vec![0; want.len()];
        if let Err(e) = self.sock.read_exact(&mut got) {
            panic!("waiting for {:?}: {e}", String::from_utf8_lossy(want));
        }
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "reply"
        );
    }

    fn call(&mut self, request: &[u8], reply: &[u8]) {
        self.send(request);
        self.expect(reply);
    }

    /// The server closed the connection, with nothing more said.
    fn expect_eof(&mut self) {
        let mut rest = Vec::new();
        self.sock.read_to_end(&mut rest).expect("waiting for EOF");
        assert_eq!(String::from_utf8_lossy(&rest), "", "after the last reply");
    }
}

/// `*N` and its bulk strings.
fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn session(imp: Impl) {
    let server = Running::start(imp);
    let mut c = server.connect();
    c.call(&cmd(&[b"PING"]), b"+PONG\r\n");
    c.call(b"PING\r\n", b"+PONG\r\n");
    c.call(&cmd(&[b"ping", b"hello"]), b"$5\r\nhello\r\n");
    // A bulk string may hold anything, "\r\n" included.
    c.call(&cmd(&[b"ECHO", b"a\r\nb"]), b"$4\r\na\r\nb\r\n");
    c.call(&cmd(&[b"ECHO", b""]), b"$0\r\n\r\n");
    c.call(&cmd(&[b"GET", b"k"]), b"$-1\r\n");
    c.call(&cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    c.call(&cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    let big = vec![b'x'; 1024];
    c.call(&cmd(&[b"SET", b"big", &big]), b"+OK\r\n");
    let mut want = b"$1024\r\n".to_vec();
    want.extend_from_slice(&big);
    want.extend_from_slice(b"\r\n");
    c.call(&cmd(&[b"GET", b"big"]), &want);
    c.call(b"SET  n \t41\r\n", b"+OK\r\n");
    c.call(&cmd(&[b"INCR", b"n"]), b":42\r\n");
    c.call(b"INCR fresh\r\n", b":1\r\n");
    c.call(
        &cmd(&[b"INCR", b"k"]),
        b"-ERR value is not an integer or out of range\r\n",
    );
    c.call(&cmd(&[b"DEL", b"k", b"n", b"nothing"]), b":2\r\n");
    c.call(&cmd(&[b"FOO"]), b"-ERR unknown command 'FOO'\r\n");
    c.call(
        &cmd(&[b"GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
    // Requests without a reply: an empty array, an empty inline line.
    c.call(b"*0\r\n\r\nPING\r\n", b"+PONG\r\n");
    // Pipelined: several requests in one write, answered in order.
    let mut many = Vec::new();
    for i in 0..50 {
        many.extend_from_slice(&cmd(&[b"SET", b"p", i.to_string().as_bytes()]));
        many.extend_from_slice(&cmd(&[b"INCR", b"p"]));
    }
    c.send(&many);
    for i in 0..50 {
        c.expect(b"+OK\r\n");
        c.expect(format!(":{}\r\n", i + 1).as_bytes());
    }
    // One request in pieces of 1 to 3 bytes, each its own write.
    let req = cmd(&[b"ECHO", b"pieces"]);
    let (mut rest, mut i) = (&req[..], 0);
    while !rest.is_empty() {
        let k = (1 + i % 3).min(rest.len());
        c.send(&rest[..k]);
        rest = &rest[k..];
        i += 1;
    }
    c.expect(b"$6\r\npieces\r\n");

    // The store is the server's, not the connection's.
    let mut d = server.connect();
    d.call(&cmd(&[b"GET", b"big"]), &want);
    // A protocol error is answered, then the connection closed.
    d.call(
        b"*1\r\n+PING\r\n",
        b"-ERR Protocol error: expected '$', got '+'\r\n",
    );
    d.expect_eof();

    // The bulk-length cap: refused before any of it is read.
    c.call(
        format!("*2\r\n$4\r\nECHO\r\n${}\r\n", command::MAX_BULK + 1).as_bytes(),
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    c.expect_eof();

    // The longest bulk string allowed goes through.
    let mut e = server.connect();
    let max = vec![b'm'; command::MAX_BULK];
    let mut want = format!("${}\r\n", max.len()).into_bytes();
    want.extend_from_slice(&max);
    want.extend_from_slice(b"\r\n");
    e.call(&cmd(&[b"ECHO", &max]), &want);
    server.stop();
}

#[test]
fn tokio_hand_written() {
    session(Impl::TokioHand);
}

#[test]
fn tokio_hand_written_multi_thread() {
    session(Impl::TokioHandMt);
}

#[test]
fn tokio_codec() {
    session(Impl::TokioCodec);
}

#[test]
fn smol_hand_written() {
    session(Impl::SmolHand);
}

#[test]
fn streams_tokio() {
    session(Impl::StreamsTokio(Reads::Owned));
}

#[test]
fn streams_tokio_into() {
    session(Impl::StreamsTokio(Reads::Into));
}

#[test]
fn streams_tokio_multi_thread() {
    session(Impl::StreamsTokioMt(Reads::Owned));
}

#[test]
fn streams_tokio_multi_thread_into() {
    session(Impl::StreamsTokioMt(Reads::Into));
}

#[test]
fn streams_smol() {
    session(Impl::StreamsSmol(Reads::Owned));
}

#[test]
fn streams_smol_into() {
    session(Impl::StreamsSmol(Reads::Into));
}

#[test]
fn every_implementation_is_tested_and_named_once() {
    let names: Vec<&str> = Impl::ALL.iter().map(|i| i.name()).collect();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[..i].contains(name), "{name} twice");
        assert_eq!(Impl::from_name(name).map(|i| i.name()), Some(*name));
    }
    assert_eq!(names.len(), 10, "a new implementation needs a test above");
}
