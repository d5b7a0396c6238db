//! What the fuzzer chooses: a setup and a sequence of operations, decoded
//! from raw bytes with `arbitrary`. Sizes and times come from small menus
//! so that short inputs reach the interesting states (a paused reader, a
//! paused writer, an expired deadline).
//!
//! Every choice among variants costs one byte (the derived impls take four
//! per enum), so that an input of a few hundred bytes holds a long
//! sequence; the operations are weighted towards the common ones.

use arbitrary::{Arbitrary, Unstructured};
use std::time::Duration;

/// `Arbitrary` for a field-less enum: one byte picks the variant.
macro_rules! byte_enum {
    ($name:ident { $($variant:ident),+ $(,)? }) => {
        impl<'a> Arbitrary<'a> for $name {
            fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
                const ALL: &[$name] = &[$($name::$variant),+];
                Ok(ALL[usize::from(u8::arbitrary(u)?) % ALL.len()])
            }

            fn size_hint(_depth: usize) -> (usize, Option<usize>) {
                (1, Some(1))
            }
        }
    };
}

/// One fuzz input: the setup, then operations until the bytes run out.
/// (Not derived: `Vec`'s `arbitrary_take_rest` spends a continuation byte
/// per element, and random bytes then stop after one or two operations.)
#[derive(Clone, Debug)]
pub struct Input {
    pub setup: Setup,
    pub ops: Vec<Op>,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let setup = Setup::arbitrary(u)?;
        let mut ops = Vec::new();
        while !u.is_empty() {
            ops.push(Op::arbitrary(u)?);
        }
        Ok(Input { setup, ops })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

/// How the connections are made.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct Setup {
    pub limit: Limit,
    pub mode: Mode,
    /// How the application reports its reader to the core: like the tests'
    /// `Pair` (`true`: the exact length after every read) or like the
    /// runtime's `StreamReader` (`false`: a published length the driver
    /// hands to `set_reader_len` before each receive, refreshed when it
    /// halves, and `reader_len` only when a read resumes or waits).
    pub exact_reader: bool,
}

/// The readers' buffer limit.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    One,
    Small,
    Lines,
    Page,
    Default,
}

impl Limit {
    pub fn bytes(self) -> usize {
        match self {
            Limit::One => 1,
            Limit::Small => 16,
            Limit::Lines => 100,
            Limit::Page => 4096,
            Limit::Default => 64 * 1024,
        }
    }
}

/// Which cores run, and how they start.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Two plain cores; `start_tls` upgrades one side with this setup.
    Plain(TlsSetup),
    /// Two cores that speak TLS from the start (a real handshake).
    Tls(TlsSetup),
    /// One core fed bytes the input chooses (garbage, or a real
    /// ClientHello); what it sends goes nowhere.
    Single(SingleCore, TlsSetup),
}

/// The core of [`Mode::Single`].
#[derive(Clone, Copy, Debug)]
pub enum SingleCore {
    /// Plain (a `start_tls` op may upgrade it, as a server or a client).
    Plain,
    /// A TLS server: the input's bytes are its ciphertext.
    TlsServer,
    /// A TLS client: its ClientHello goes nowhere; the input answers.
    TlsClient,
}

/// How TLS sessions are made.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct TlsSetup {
    pub client: ClientKind,
    pub handshake_timeout: Timeout,
    pub shutdown_timeout: Timeout,
}

/// The client's configuration and the name it asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// Trusts the server's CA, any protocol version, name `localhost`.
    Default,
    /// Only TLS 1.2.
    Tls12,
    /// Only TLS 1.3.
    Tls13,
    /// asyncio's `server_hostname=''`: no SNI, no name check.
    NoName,
    /// Asks for another name than the certificate's: the handshake fails.
    WrongName,
    /// Trusts another CA: the handshake fails.
    Untrusting,
}

/// A TLS timeout (`None`: asyncio's default).
#[derive(Clone, Copy, Debug)]
pub enum Timeout {
    Default,
    Millis,
    Second,
    TenSeconds,
}

impl Timeout {
    pub fn duration(self) -> Option<Duration> {
        match self {
            Timeout::Default => None,
            Timeout::Millis => Some(Duration::from_millis(1)),
            Timeout::Second => Some(Duration::from_secs(1)),
            Timeout::TenSeconds => Some(Duration::from_secs(10)),
        }
    }
}

/// Which end (in single-core mode, both mean the one core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Client,
    Server,
}

impl Who {
    pub fn index(self) -> usize {
        match self {
            Who::Client => 0,
            Who::Server => 1,
        }
    }
}

/// How many bytes a write carries.
#[derive(Clone, Copy, Debug)]
pub enum Size {
    /// 0 to 255 bytes.
    Bytes(u8),
    /// 1 to 64 KiB.
    KiB(u8),
    /// 600 KiB: above the TLS high-water mark.
    Big,
}

impl Size {
    pub fn bytes(self) -> usize {
        match self {
            Size::Bytes(n) => n as usize,
            Size::KiB(k) => (k as usize % 64 + 1) * 1024,
            Size::Big => 600 * 1024,
        }
    }
}

/// How far the virtual clock moves.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Milli,
    Second,
    TenSeconds,
    /// Past the default shutdown timeout.
    HalfMinute,
    /// Past the default handshake timeout.
    Minute,
}

impl Step {
    pub fn duration(self) -> Duration {
        match self {
            Step::Milli => Duration::from_millis(1),
            Step::Second => Duration::from_secs(1),
            Step::TenSeconds => Duration::from_secs(10),
            Step::HalfMinute => Duration::from_secs(31),
            Step::Minute => Duration::from_secs(61),
        }
    }
}

/// A transport error the driver reports.
#[derive(Clone, Copy, Debug)]
pub enum ErrKind {
    Reset,
    BrokenPipe,
    TimedOut,
    Other,
}

impl ErrKind {
    pub fn error(self) -> std::io::Error {
        use std::io::ErrorKind as K;
        let kind = match self {
            ErrKind::Reset => K::ConnectionReset,
            ErrKind::BrokenPipe => K::BrokenPipe,
            ErrKind::TimedOut => K::TimedOut,
            ErrKind::Other => K::Other,
        };
        std::io::Error::new(kind, "injected by the fuzzer")
    }
}

/// A separator (or several) for `readuntil`.
#[derive(Clone, Copy, Debug)]
pub enum Sep {
    Newline,
    CrLf,
    /// Two bytes that the written pattern contains now and then.
    Pair,
    /// `\r\n` or `\n`, whichever ends first.
    Either,
    /// Three newlines: longer than the smallest limit.
    Long,
}

impl Sep {
    pub fn list(self) -> &'static [&'static [u8]] {
        match self {
            Sep::Newline => &[b"\n"],
            Sep::CrLf => &[b"\r\n"],
            Sep::Pair => &[b"\x03\x04"],
            Sep::Either => &[b"\r\n", b"\n"],
            Sep::Long => &[b"\n\n\n"],
        }
    }
}

/// An application read on the core's `Reader`.
#[derive(Clone, Copy, Debug)]
pub enum ReadOp {
    Read(u16),
    Exactly(u16),
    Line,
    LineBorrowed,
    Until(Sep),
    UntilBorrowed(Sep),
    ToEof,
    /// Everything available now (`read(n)` until it would wait).
    Available,
}

/// One step of the scenario.
#[derive(Clone, Debug)]
pub enum Op {
    /// The driver makes one transmit and sends at most `max` bytes of it
    /// (0: the transport would block).
    Send {
        who: Who,
        max: u16,
    },
    /// The driver transmits until the core is idle.
    Flush {
        who: Who,
    },
    /// The driver receives once, at most `max` bytes (0: what fits).
    Recv {
        who: Who,
        max: u16,
    },
    /// Both drivers run until neither has anything to do.
    Drive,
    /// The transport reports EOF early (in-flight bytes are never
    /// received).
    Eof {
        who: Who,
    },
    /// The transport fails.
    Error {
        who: Who,
        kind: ErrKind,
    },
    /// The application reads.
    Read {
        who: Who,
        read: ReadOp,
    },
    /// The application writes `size` bytes; `newline` sets how often a
    /// newline occurs in them.
    Write {
        who: Who,
        size: Size,
        newline: u8,
    },
    /// `writelines` with up to 8 short parts.
    WriteLines {
        who: Who,
        parts: Vec<u8>,
        newline: u8,
    },
    WriteEof {
        who: Who,
    },
    Close {
        who: Who,
    },
    Abort {
        who: Who,
    },
    /// `set_write_buffer_limits` (in KiB, or bytes when `bytes`).
    Limits {
        who: Who,
        high: Option<u8>,
        low: Option<u8>,
        bytes: bool,
    },
    /// `start_tls` (the side's role decides the session's side).
    StartTls {
        who: Who,
    },
    /// `drain()`: waits while the writer is paused.
    Drain {
        who: Who,
    },
    /// The virtual clock moves; deadlines that passed fire.
    Advance {
        step: Step,
    },
    /// A byte in flight towards `into` changes (`xor`, made non-zero).
    Corrupt {
        into: Who,
        at: u16,
        xor: u8,
    },
    /// Single-core mode: bytes arrive for the core.
    Feed {
        bytes: Vec<u8>,
    },
    /// Single-core mode: a real ClientHello arrives, cut to `cut / 256` of
    /// its length (0: whole).
    FeedHello {
        cut: u8,
    },
}

byte_enum!(Limit {
    One,
    Small,
    Lines,
    Page,
    Default
});
byte_enum!(SingleCore {
    Plain,
    TlsServer,
    TlsClient
});
byte_enum!(ClientKind {
    Default,
    Default,
    Tls12,
    Tls13,
    NoName,
    WrongName,
    Untrusting
});
byte_enum!(Timeout {
    Default,
    Default,
    Millis,
    Second,
    TenSeconds
});
byte_enum!(Who { Client, Server });
byte_enum!(Step {
    Milli,
    Second,
    TenSeconds,
    HalfMinute,
    Minute
});
byte_enum!(ErrKind {
    Reset,
    BrokenPipe,
    TimedOut,
    Other
});
byte_enum!(Sep {
    Newline,
    CrLf,
    Pair,
    Either,
    Long
});

impl<'a> Arbitrary<'a> for Mode {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let tag = u8::arbitrary(u)?;
        let tls = TlsSetup::arbitrary(u)?;
        Ok(match tag % 5 {
            0 | 1 => Mode::Plain(tls),
            2 | 3 => Mode::Tls(tls),
            _ => Mode::Single(SingleCore::arbitrary(u)?, tls),
        })
    }
}

impl<'a> Arbitrary<'a> for Size {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let tag = u8::arbitrary(u)?;
        Ok(match tag % 8 {
            0..=3 => Size::Bytes(u.arbitrary()?),
            4..=6 => Size::KiB(u.arbitrary()?),
            _ => Size::Big,
        })
    }
}

impl<'a> Arbitrary<'a> for ReadOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let tag = u8::arbitrary(u)?;
        Ok(match tag % 10 {
            0 => ReadOp::Read(u.arbitrary()?),
            1 => ReadOp::Exactly(u.arbitrary()?),
            2 | 3 => ReadOp::Line,
            4 => ReadOp::LineBorrowed,
            5 => ReadOp::Until(u.arbitrary()?),
            6 => ReadOp::UntilBorrowed(u.arbitrary()?),
            7 => ReadOp::ToEof,
            _ => ReadOp::Available,
        })
    }
}

/// How often each operation is picked, in 256ths (by tag byte).
const OP_WEIGHTS: [(OpKind, u8); 19] = [
    (OpKind::Send, 20),
    (OpKind::Flush, 14),
    (OpKind::Recv, 20),
    (OpKind::Drive, 24),
    (OpKind::Eof, 5),
    (OpKind::Error, 4),
    (OpKind::Read, 28),
    (OpKind::Write, 24),
    (OpKind::WriteLines, 8),
    (OpKind::WriteEof, 6),
    (OpKind::Close, 8),
    (OpKind::Abort, 3),
    (OpKind::Limits, 8),
    (OpKind::StartTls, 12),
    (OpKind::Drain, 10),
    (OpKind::Advance, 16),
    (OpKind::Corrupt, 6),
    (OpKind::Feed, 16),
    (OpKind::FeedHello, 5),
];

#[derive(Clone, Copy)]
enum OpKind {
    Send,
    Flush,
    Recv,
    Drive,
    Eof,
    Error,
    Read,
    Write,
    WriteLines,
    WriteEof,
    Close,
    Abort,
    Limits,
    StartTls,
    Drain,
    Advance,
    Corrupt,
    Feed,
    FeedHello,
}

fn op_kind(tag: u8) -> OpKind {
    let total: u32 = OP_WEIGHTS.iter().map(|&(_, w)| u32::from(w)).sum();
    let mut at = u32::from(tag) * total / 256;
    for &(kind, w) in &OP_WEIGHTS {
        if at < u32::from(w) {
            return kind;
        }
        at -= u32::from(w);
    }
    OpKind::Drive
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let kind = op_kind(u8::arbitrary(u)?);
        Ok(match kind {
            OpKind::Send => Op::Send {
                who: u.arbitrary()?,
                max: u.arbitrary()?,
            },
            OpKind::Flush => Op::Flush {
                who: u.arbitrary()?,
            },
            OpKind::Recv => Op::Recv {
                who: u.arbitrary()?,
                max: u.arbitrary()?,
            },
            OpKind::Drive => Op::Drive,
            OpKind::Eof => Op::Eof {
                who: u.arbitrary()?,
            },
            OpKind::Error => Op::Error {
                who: u.arbitrary()?,
                kind: u.arbitrary()?,
            },
            OpKind::Read => Op::Read {
                who: u.arbitrary()?,
                read: u.arbitrary()?,
            },
            OpKind::Write => Op::Write {
                who: u.arbitrary()?,
                size: u.arbitrary()?,
                newline: u.arbitrary()?,
            },
            OpKind::WriteLines => {
                let who = u.arbitrary()?;
                let newline = u.arbitrary()?;
                let n = u8::arbitrary(u)? % 9;
                let mut parts = Vec::with_capacity(n.into());
                for _ in 0..n {
                    parts.push(u.arbitrary()?);
                }
                Op::WriteLines {
                    who,
                    parts,
                    newline,
                }
            }
            OpKind::WriteEof => Op::WriteEof {
                who: u.arbitrary()?,
            },
            OpKind::Close => Op::Close {
                who: u.arbitrary()?,
            },
            OpKind::Abort => Op::Abort {
                who: u.arbitrary()?,
            },
            OpKind::Limits => {
                let who = u.arbitrary()?;
                let flags = u8::arbitrary(u)?;
                let high = u8::arbitrary(u)?;
                let low = u8::arbitrary(u)?;
                Op::Limits {
                    who,
                    high: (flags & 1 != 0).then_some(high),
                    low: (flags & 2 != 0).then_some(low),
                    bytes: flags & 4 != 0,
                }
            }
            OpKind::StartTls => Op::StartTls {
                who: u.arbitrary()?,
            },
            OpKind::Drain => Op::Drain {
                who: u.arbitrary()?,
            },
            OpKind::Advance => Op::Advance {
                step: u.arbitrary()?,
            },
            OpKind::Corrupt => Op::Corrupt {
                into: u.arbitrary()?,
                at: u.arbitrary()?,
                xor: u.arbitrary()?,
            },
            OpKind::Feed => {
                let n = u8::arbitrary(u)?;
                Op::Feed {
                    bytes: u.bytes(n.into()).unwrap_or_default().to_vec(),
                }
            }
            OpKind::FeedHello => Op::FeedHello {
                cut: u.arbitrary()?,
            },
        })
    }
}
