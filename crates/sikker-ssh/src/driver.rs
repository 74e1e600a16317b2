//! A small async loop around [`ServerConnection`] for callers that hand each connection its own
//! task: events go to a [`Handler`], which answers them on the connection it is given.

use crate::{Error, Event, ServerConnection};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Receives every event; it answers those that need an answer before returning.
pub trait Handler {
    fn on_event(&mut self, conn: &mut ServerConnection, event: Event) -> Result<(), Error>;
}

impl<F> Handler for F
where
    F: FnMut(&mut ServerConnection, Event) -> Result<(), Error>,
{
    fn on_event(&mut self, conn: &mut ServerConnection, event: Event) -> Result<(), Error> {
        self(conn, event)
    }
}

async fn flush<W: AsyncWrite + Unpin>(
    io: &mut W,
    conn: &mut ServerConnection,
) -> Result<(), Error> {
    while !conn.output().is_empty() {
        let n = io.write(conn.output()).await?;
        if n == 0 {
            return Err(Error::Closed);
        }
        conn.consume_output(n);
    }
    Ok(())
}

fn drain<H: Handler>(conn: &mut ServerConnection, handler: &mut H) -> Result<(), Error> {
    while let Some(event) = conn.poll()? {
        handler.on_event(conn, event)?;
    }
    if conn.awaiting_answer() && conn.input_room() == 0 {
        return Err(Error::NotPending("the handler left an event unanswered"));
    }
    Ok(())
}

/// Runs the connection over any byte stream until either side closes it. Returns `Ok` on a
/// clean end (EOF, DISCONNECT), the first error otherwise (after writing what was queued).
pub async fn serve<S, H>(
    mut io: S,
    conn: &mut ServerConnection,
    handler: &mut H,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: Handler,
{
    let mut buf = [0u8; 2048];
    loop {
        let r = drain(conn, handler);
        flush(&mut io, conn).await?;
        r?;
        if conn.is_closed() {
            return Ok(());
        }
        let room = conn.input_room().min(buf.len());
        let n = io.read(&mut buf[..room]).await?;
        if n == 0 {
            return Ok(());
        }
        conn.feed(&buf[..n])?;
    }
}

/// As [`serve`], for a TCP stream: it waits for readability without holding a read buffer, so
/// an idle connection's task keeps only the state machine.
pub async fn serve_tcp<H: Handler>(
    io: &mut tokio::net::TcpStream,
    conn: &mut ServerConnection,
    handler: &mut H,
) -> Result<(), Error> {
    loop {
        let r = drain(conn, handler);
        flush(io, conn).await?;
        r?;
        if conn.is_closed() {
            return Ok(());
        }
        io.readable().await?;
        // Spare capacity, not a zeroed array: zeroing 16 KiB per read cost more than parsing.
        let mut buf = Vec::with_capacity(conn.input_room().min(16 * 1024));
        match io.try_read_buf(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => conn.feed(&buf)?,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
    }
}
