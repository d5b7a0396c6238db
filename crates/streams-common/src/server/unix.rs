//! Unix-domain servers, with asyncio's path rules: a stale socket file is
//! removed before binding, a name starting with a NUL byte is a Linux
//! abstract name, and closing removes the socket file only if it is still
//! ours (the same inode). Unix only: Windows has no `UnixListener` in std
//! nor in the runtimes.

use super::bind::BoundSocket;
use super::handler::{box_handler, HandlerOutput};
use super::options::{check_limit, ServerOptions};
use super::{finish, start_server_with_socket, Server};
use crate::addr::Address;
use crate::conn::{StreamReader, StreamWriter};
use crate::error::{ArgumentError, ServerError};
use crate::runtime::RuntimeRef;
use socket2::{Domain, SockAddr, Type};
use std::future::Future;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The socket file a Unix server created, to remove on close if its inode
/// is still the same.
pub(super) struct UnixCleanup {
    path: PathBuf,
    ino: u64,
    dev: u64,
}

fn is_abstract(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().first() == Some(&0)
}

/// Removes a stale socket file at `path` (asyncio removes any socket file,
/// even one a live server uses). Other kinds of file are left alone, so
/// the bind reports "address in use".
fn remove_stale_socket(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if let Err(e) = std::fs::remove_file(path) {
                crate::diag::error!(
                    "Unable to check or remove stale UNIX socket {}: {e}",
                    path.display()
                );
            }
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => crate::diag::error!(
            "Unable to check or remove stale UNIX socket {}: {e}",
            path.display()
        ),
    }
}

pub(super) fn remove_if_ours(c: &UnixCleanup) {
    if let Ok(m) = std::fs::symlink_metadata(&c.path) {
        if m.ino() == c.ino && m.dev() == c.dev {
            if let Err(e) = std::fs::remove_file(&c.path) {
                crate::diag::debug!("could not remove {}: {e}", c.path.display());
            }
        }
    }
}

/// asyncio's `start_unix_server(handler, path)`: removes a stale socket
/// file at `path`, binds, and serves. A path starting with a NUL byte is a
/// Linux abstract name. A regular file at `path` is "address in use".
/// With [`ServerOptions::cleanup_socket`], closing the server removes the
/// socket file if it is still the one it created.
pub async fn start_unix_server<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    path: &Path,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    let abstract_name = is_abstract(path);
    if !abstract_name {
        remove_stale_socket(path);
    }
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    match sock.bind(&SockAddr::unix(path)?) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(crate::sys::ADDR_IN_USE) => {
            let shown = Address::Unix(if abstract_name {
                use std::os::unix::ffi::OsStrExt;
                crate::addr::UnixAddr::Abstract(path.as_os_str().as_bytes()[1..].to_vec())
            } else {
                crate::addr::UnixAddr::Path(path.to_path_buf())
            });
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("Address {shown} is already in use"),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let cleanup = if options.cleanup_socket && !abstract_name {
        std::fs::symlink_metadata(path).ok().map(|m| UnixCleanup {
            path: path.to_path_buf(),
            ino: m.ino(),
            dev: m.dev(),
        })
    } else {
        None
    };
    let addr = Address::local_of(&sock).unwrap_or(Address::Unix(crate::addr::UnixAddr::Path(
        path.to_path_buf(),
    )));
    let bound = vec![BoundSocket {
        sock: Some(sock),
        addr,
        unix: true,
    }];
    finish(rt, box_handler(handler), &options, bound, cleanup)
}

/// asyncio's `start_unix_server(sock=...)`: the socket must be a bound
/// Unix-domain stream socket.
pub fn start_unix_server_with_socket<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    sock: socket2::Socket,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    if crate::sys::domain(&sock)? != Domain::UNIX || sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAUnixStreamSocket {
            desc: format!("{sock:?}"),
        }
        .into());
    }
    start_server_with_socket(rt, handler, sock, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_path_rules() {
        let dir = std::env::temp_dir().join(format!("streams-common-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A regular file is left alone.
        let file = dir.join("regular");
        std::fs::write(&file, b"x").unwrap();
        remove_stale_socket(&file);
        assert!(file.exists());
        // A socket file is removed.
        let sock = dir.join("sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        remove_stale_socket(&sock);
        assert!(!sock.exists());
        drop(l);
        // Cleanup only removes the file it created.
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let m = std::fs::metadata(&sock).unwrap();
        let ours = UnixCleanup {
            path: sock.clone(),
            ino: m.ino(),
            dev: m.dev(),
        };
        drop(l);
        std::fs::remove_file(&sock).unwrap();
        let other = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let theirs_ino = std::fs::metadata(&sock).unwrap().ino();
        if theirs_ino != ours.ino {
            remove_if_ours(&ours);
            assert!(sock.exists(), "a file that replaced ours is kept");
        }
        let m = std::fs::metadata(&sock).unwrap();
        remove_if_ours(&UnixCleanup {
            path: sock.clone(),
            ino: m.ino(),
            dev: m.dev(),
        });
        assert!(!sock.exists());
        drop(other);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
