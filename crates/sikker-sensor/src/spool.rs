//! The on-disk spool: every event is appended here, fsync'd, before the session moves on, and
//! the shipper reads it back from a persisted cursor. It is what makes delivery survive a crash.
//!
//! Layout: `<dir>/<index>.ndjson` segments (one JSON event per line, index zero-padded so names
//! sort) and `<dir>/cursor` (`{"segment":N,"offset":M}`: everything before it is acknowledged).
//! One writer thread owns appends and deletions; it commits in groups (one `fdatasync` for
//! everything queued, and under load for everything that arrives within a couple of
//! milliseconds of the last sync), so a flood of sessions costs one sync per batch, not per
//! event. An append is acknowledged only once its group is synced.
//!
//! Bounded: when the segments together exceed the configured size, the writer deletes the
//! oldest segment, shipped or not. The newest records are what an analyst needs during an
//! outage that outlasts the disk, and central already holds what was shipped before it began.
//! Dropped lines are counted in [`SpoolStats::dropped_events`].
//!
//! After a crash the last segment may end in a torn line; opening the spool truncates it to the
//! last complete line. Events that were acknowledged by central but not yet past the cursor
//! are sent again; central deduplicates by event id.

use serde::{Deserialize, Serialize};
use sikker_event::Event;
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// Why an append did not become durable.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool {dir}: {source}")]
    Io { dir: PathBuf, source: io::Error },
    #[error("spool writer has stopped")]
    Stopped,
    #[error("spool write failed: {0}")]
    Write(String),
}

/// A place in the spool: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// Counters for status pages and tests.
#[derive(Debug, Default)]
pub struct SpoolStats {
    pub appended_events: AtomicU64,
    pub dropped_events: AtomicU64,
    pub bytes_on_disk: AtomicU64,
}

struct Shared {
    dir: PathBuf,
    stats: SpoolStats,
    /// Segments below this one are fully acknowledged; the writer deletes them.
    acked_segment: AtomicU64,
    /// Woken after every durable write, so the shipper need not poll.
    written: Notify,
}

enum Command {
    Append {
        line: Vec<u8>,
        done: Option<oneshot::Sender<Result<(), String>>>,
    },
    Flush(oneshot::Sender<Result<(), String>>),
}

/// The append side. Cheap to clone; every session holds one.
#[derive(Clone)]
pub struct Spool {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
}

const SEGMENT_MAX: u64 = 16 * 1024 * 1024;
const SEGMENT_MIN: u64 = 64 * 1024;
const GROUP_MAX: usize = 8_192;
/// Under load, at most one sync per this long. Each `fdatasync` costs tens of microseconds of
/// the sensor's CPU (more on a virtual disk); waiting this long for company costs a session
/// nothing it can notice.
const COMMIT_WINDOW: Duration = Duration::from_millis(2);

fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:020}.ndjson"))
}

/// Segment indexes present in `dir`, ascending.
fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(stem) = name.strip_suffix(".ndjson") {
            if let Ok(i) = stem.parse::<u64>() {
                out.push(i);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Spool {
    /// Opens (or creates) the spool in `dir`, keeping at most `max_bytes` of segments.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<(Spool, SpoolReader), SpoolError> {
        let io_err = |source| SpoolError::Io {
            dir: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(io_err)?;
        let cursor = read_cursor(dir).map_err(io_err)?;
        let mut segments = VecDeque::new();
        let mut total = 0u64;
        let indexes = list_segments(dir).map_err(io_err)?;
        for (n, &index) in indexes.iter().enumerate() {
            let path = segment_path(dir, index);
            if n + 1 == indexes.len() {
                truncate_torn_tail(&path).map_err(io_err)?;
            }
            let size = fs::metadata(&path).map_err(io_err)?.len();
            total += size;
            segments.push_back((index, size));
        }
        let current = match segments.back() {
            Some(&(i, _)) => i,
            None => {
                let first = cursor.segment.max(1);
                segments.push_back((first, 0));
                first
            }
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(dir, current))
            .map_err(io_err)?;
        sync_dir(dir).map_err(io_err)?;
        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            stats: SpoolStats::default(),
            acked_segment: AtomicU64::new(cursor.segment),
            written: Notify::new(),
        });
        shared.stats.bytes_on_disk.store(total, Ordering::Relaxed);
        let segment_max = (max_bytes / 8).clamp(SEGMENT_MIN, SEGMENT_MAX);
        let writer = Writer {
            shared: shared.clone(),
            file,
            segments,
            total,
            max_bytes,
            segment_max,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("sikker-spool".into())
            .spawn(move || writer.run(rx))
            .map_err(io_err)?;
        let reader = SpoolReader {
            shared: shared.clone(),
            cursor,
        };
        Ok((Spool { tx, shared }, reader))
    }

    /// Appends one event and waits until it is on disk.
    pub async fn append(&self, event: &Event) -> Result<(), SpoolError> {
        let (done, wait) = oneshot::channel();
        self.send(event, Some(done))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SpoolError::Write(e)),
            Err(_) => Err(SpoolError::Stopped),
        }
    }

    /// Queues one event without waiting. Order is kept: once a later [`Spool::append`] or
    /// [`Spool::flush`] returns, this event is on disk too.
    pub fn enqueue(&self, event: &Event) -> Result<(), SpoolError> {
        self.send(event, None)
    }

    /// Waits until everything queued so far is on disk.
    pub async fn flush(&self) -> Result<(), SpoolError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Command::Flush(done))
            .map_err(|_| SpoolError::Stopped)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SpoolError::Write(e)),
            Err(_) => Err(SpoolError::Stopped),
        }
    }

    fn send(
        &self,
        event: &Event,
        done: Option<oneshot::Sender<Result<(), String>>>,
    ) -> Result<(), SpoolError> {
        // Most events fit, so the line is not grown (and copied) field by field.
        let mut line = Vec::with_capacity(512);
        serde_json::to_writer(&mut line, event).map_err(|e| SpoolError::Write(e.to_string()))?;
        line.push(b'\n');
        self.tx
            .send(Command::Append { line, done })
            .map_err(|_| SpoolError::Stopped)
    }

    pub fn stats(&self) -> &SpoolStats {
        &self.shared.stats
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }
}

struct Writer {
    shared: Arc<Shared>,
    file: File,
    /// (index, bytes) of every segment on disk, oldest first; the last is being written.
    segments: VecDeque<(u64, u64)>,
    total: u64,
    max_bytes: u64,
    segment_max: u64,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Command>) {
        let mut group: Vec<Command> = Vec::new();
        let mut last_commit: Option<Instant> = None;
        while let Ok(first) = rx.recv() {
            group.push(first);
            while group.len() < GROUP_MAX {
                match rx.try_recv() {
                    Ok(c) => group.push(c),
                    Err(_) => break,
                }
            }
            // Busy (the last sync was moments ago): gather until a window after it has
            // passed, so a flood costs at most one sync per window. An event after a quiet
            // spell (no sync within the window) is synced at once; one session's awaited
            // events in quick succession each wait out the rest of the window (about 2 ms at
            // most). Asleep, not waiting on the channel: senders wake a waiting receiver, a
            // system call and a context switch per event.
            if let Some(window_end) = last_commit.map(|t| t + COMMIT_WINDOW) {
                let left = window_end.saturating_duration_since(Instant::now());
                if !left.is_zero() && group.len() < GROUP_MAX {
                    std::thread::sleep(left);
                    while group.len() < GROUP_MAX {
                        match rx.try_recv() {
                            Ok(c) => group.push(c),
                            Err(_) => break,
                        }
                    }
                }
            }
            let result = self.commit(&group).map_err(|e| e.to_string());
            if let Err(e) = &result {
                tracing::error!("spool write failed: {e}");
            }
            for c in group.drain(..) {
                let done = match c {
                    Command::Append { done, .. } => done,
                    Command::Flush(done) => Some(done),
                };
                if let Some(done) = done {
                    let _ = done.send(result.clone());
                }
            }
            self.shared.written.notify_waiters();
            self.shared.written.notify_one();
            last_commit = Some(Instant::now());
        }
    }

    fn commit(&mut self, group: &[Command]) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut lines = 0u64;
        for c in group {
            if let Command::Append { line, .. } = c {
                buf.extend_from_slice(line);
                lines += 1;
                // Segments stay near their size even when one group is larger than a segment.
                let current = self.segments.back().map(|s| s.1).unwrap_or(0);
                if current + buf.len() as u64 >= self.segment_max {
                    self.write_out(&mut buf)?;
                }
            }
        }
        if lines == 0 {
            return Ok(());
        }
        self.write_out(&mut buf)?;
        self.shared
            .stats
            .appended_events
            .fetch_add(lines, Ordering::Relaxed);
        self.collect()?;
        self.shared
            .stats
            .bytes_on_disk
            .store(self.total, Ordering::Relaxed);
        Ok(())
    }

    /// Writes and syncs `buf` to the current segment, rotating when it is full.
    fn write_out(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        self.file.write_all(buf)?;
        self.file.sync_data()?;
        let n = buf.len() as u64;
        buf.clear();
        self.total += n;
        if let Some(last) = self.segments.back_mut() {
            last.1 += n;
        }
        let current = self.segments.back().copied().unwrap_or((1, 0));
        if current.1 >= self.segment_max {
            self.rotate(current.0 + 1)?;
        }
        Ok(())
    }

    fn rotate(&mut self, next: u64) -> io::Result<()> {
        let dir = self.shared.dir.clone();
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(&dir, next))?;
        sync_dir(&dir)?;
        self.segments.push_back((next, 0));
        Ok(())
    }

    /// Deletes acknowledged segments, then the oldest ones while over the size bound.
    fn collect(&mut self) -> io::Result<()> {
        let acked = self.shared.acked_segment.load(Ordering::Acquire);
        while self.segments.len() > 1 {
            let Some(&(index, size)) = self.segments.front() else {
                break;
            };
            let over = self.total > self.max_bytes;
            if index >= acked && !over {
                break;
            }
            let path = segment_path(&self.shared.dir, index);
            if index >= acked {
                let lost = count_lines(&path).unwrap_or(0);
                tracing::warn!(
                    "spool over {} bytes: dropping segment {index} ({lost} unshipped events)",
                    self.max_bytes
                );
                self.shared
                    .stats
                    .dropped_events
                    .fetch_add(lost, Ordering::Relaxed);
            }
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            self.total = self.total.saturating_sub(size);
            self.segments.pop_front();
        }
        Ok(())
    }
}

fn count_lines(path: &Path) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let got = f.read(&mut buf)?;
        if got == 0 {
            return Ok(n);
        }
        n += buf[..got].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// Cuts a segment back to its last complete line (a crash can leave half a line).
fn truncate_torn_tail(path: &Path) -> io::Result<()> {
    let mut f = OpenOptions::new().read(true).write(true).open(path)?;
    let len = f.metadata()?.len();
    let mut keep = len;
    let mut pos = len;
    let mut buf = vec![0u8; 64 * 1024];
    while pos > 0 {
        let step = (buf.len() as u64).min(pos);
        pos -= step;
        f.seek(SeekFrom::Start(pos))?;
        let chunk = &mut buf[..step as usize];
        f.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            keep = pos + i as u64 + 1;
            break;
        }
        keep = pos;
    }
    if keep != len {
        tracing::warn!(
            "spool segment {} ends in a torn line: cut {} bytes",
            path.display(),
            len - keep
        );
        f.set_len(keep)?;
        f.sync_all()?;
    }
    Ok(())
}

fn read_cursor(dir: &Path) -> io::Result<Position> {
    match fs::read(dir.join("cursor")) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!("spool cursor is unreadable ({e}); resending from the start");
            Position::default()
        })),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Position::default()),
        Err(e) => Err(e),
    }
}

/// Events read from the spool, not yet acknowledged.
#[derive(Debug, Default)]
pub struct Batch {
    /// Complete NDJSON lines, each without its newline.
    pub lines: Vec<Vec<u8>>,
    /// Where the cursor goes once central has acknowledged every line.
    pub end: Position,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// The read side, owned by the shipper.
pub struct SpoolReader {
    shared: Arc<Shared>,
    cursor: Position,
}

/// A line longer than this is not an event any central would take; it is skipped.
const LINE_MAX: usize = 16 * 1024 * 1024;

impl SpoolReader {
    pub fn cursor(&self) -> Position {
        self.cursor
    }

    /// Resolves when the writer has put something new on disk.
    pub async fn written(&self) {
        self.shared.written.notified().await
    }

    /// Reads up to `max_events` lines (and about `max_bytes`) after the cursor, from one segment.
    pub fn read_batch(&mut self, max_events: usize, max_bytes: usize) -> io::Result<Batch> {
        let dir = self.shared.dir.clone();
        loop {
            let path = segment_path(&dir, self.cursor.segment);
            let batch = match File::open(&path) {
                Ok(f) => read_lines(f, self.cursor, max_events, max_bytes)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => Batch {
                    lines: Vec::new(),
                    end: self.cursor,
                },
                Err(e) => return Err(e),
            };
            if !batch.is_empty() {
                return Ok(batch);
            }
            // Nothing here: move on only if a later segment exists (then this one is final).
            let later = list_segments(&dir)?
                .into_iter()
                .find(|&i| i > self.cursor.segment);
            let Some(next) = later else {
                return Ok(batch);
            };
            if let Ok(f) = File::open(&path) {
                let again = read_lines(f, self.cursor, max_events, max_bytes)?;
                if !again.is_empty() {
                    return Ok(again);
                }
            }
            self.cursor = Position {
                segment: next,
                offset: 0,
            };
        }
    }

    /// Records that central acknowledged everything before `pos`. Durable when it returns.
    pub fn commit(&mut self, pos: Position) -> io::Result<()> {
        let dir = &self.shared.dir;
        let tmp = dir.join("cursor.tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&serde_json::to_vec(&pos).map_err(io::Error::other)?)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join("cursor"))?;
        sync_dir(dir)?;
        self.cursor = pos;
        self.shared
            .acked_segment
            .store(pos.segment, Ordering::Release);
        Ok(())
    }
}

fn read_lines(
    mut f: File,
    from: Position,
    max_events: usize,
    max_bytes: usize,
) -> io::Result<Batch> {
    let len = f.metadata()?.len();
    let mut batch = Batch {
        lines: Vec::new(),
        end: from,
    };
    if from.offset >= len {
        return Ok(batch);
    }
    f.seek(SeekFrom::Start(from.offset))?;
    let want = ((len - from.offset) as usize).min(max_bytes.max(1));
    let mut buf = vec![0u8; want];
    let got = read_full(&mut f, &mut buf)?;
    buf.truncate(got);
    // One line longer than the batch: keep reading until it ends (bounded by LINE_MAX).
    while !buf.contains(&b'\n') && buf.len() < LINE_MAX && (buf.len() as u64) < len - from.offset {
        let mut more = vec![0u8; buf.len().clamp(64 * 1024, LINE_MAX - buf.len())];
        let got = read_full(&mut f, &mut more)?;
        if got == 0 {
            break;
        }
        buf.extend_from_slice(&more[..got]);
    }
    let mut consumed = 0usize;
    for line in buf.split_inclusive(|&b| b == b'\n') {
        if line.last() != Some(&b'\n') || batch.lines.len() >= max_events {
            break;
        }
        consumed += line.len();
        let body = &line[..line.len() - 1];
        if !body.is_empty() {
            batch.lines.push(body.to_vec());
        }
    }
    if consumed == 0 && buf.len() >= LINE_MAX {
        tracing::warn!("spool line over {LINE_MAX} bytes at {from:?}: skipped");
        let skip = buf.len();
        batch.end = Position {
            segment: from.segment,
            offset: from.offset + skip as u64,
        };
        return Ok(batch);
    }
    batch.end = Position {
        segment: from.segment,
        offset: from.offset + consumed as u64,
    };
    Ok(batch)
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sikker_event::{EventData, Protocol};
    use uuid::Uuid;

    fn event(i: usize) -> Event {
        Event::new(
            "t",
            Uuid::now_v7(),
            Protocol::Ssh,
            "127.0.0.1".parse().unwrap(),
            1000,
            22,
            EventData::Command {
                line: format!("echo {i}"),
            },
        )
    }

    fn drain(reader: &mut SpoolReader) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        loop {
            let b = reader.read_batch(7, 1 << 20).unwrap();
            if b.is_empty() {
                return all;
            }
            all.extend(b.lines);
            reader.commit(b.end).unwrap();
        }
    }

    #[tokio::test]
    async fn appends_read_back_and_resume_after_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (spool, mut reader) = Spool::open(dir.path(), 1 << 30).unwrap();
        for i in 0..20 {
            spool.append(&event(i)).await.unwrap();
        }
        let b = reader.read_batch(5, 1 << 20).unwrap();
        assert_eq!(b.lines.len(), 5);
        reader.commit(b.end).unwrap();
        drop((spool, reader));
        let (spool, mut reader) = Spool::open(dir.path(), 1 << 30).unwrap();
        assert_eq!(drain(&mut reader).len(), 15);
        spool.enqueue(&event(99)).unwrap();
        spool.flush().await.unwrap();
        assert_eq!(drain(&mut reader).len(), 1);
    }

    #[tokio::test]
    async fn torn_tail_is_cut_and_segments_roll_over() {
        let dir = tempfile::tempdir().unwrap();
        let (spool, reader) = Spool::open(dir.path(), 2 * 1024 * 1024).unwrap();
        for i in 0..3000 {
            spool.enqueue(&event(i)).unwrap();
        }
        spool.flush().await.unwrap();
        drop((spool, reader));
        let last = *list_segments(dir.path()).unwrap().last().unwrap();
        assert!(last > 1, "segments rotate at 64 KiB");
        let mut f = OpenOptions::new()
            .append(true)
            .open(segment_path(dir.path(), last))
            .unwrap();
        f.write_all(b"{\"id\":\"half").unwrap();
        let (_spool, mut reader) = Spool::open(dir.path(), 1 << 30).unwrap();
        let lines = drain(&mut reader);
        assert_eq!(lines.len(), 3000);
        for l in &lines {
            serde_json::from_slice::<Event>(l).unwrap();
        }
    }

    #[tokio::test]
    async fn bounded_by_size_dropping_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let (spool, mut reader) = Spool::open(dir.path(), 256 * 1024).unwrap();
        for i in 0..10_000 {
            spool.enqueue(&event(i)).unwrap();
        }
        spool.flush().await.unwrap();
        let on_disk = spool.stats().bytes_on_disk.load(Ordering::Relaxed);
        assert!(on_disk <= 256 * 1024 + 64 * 1024, "{on_disk}");
        let dropped = spool.stats().dropped_events.load(Ordering::Relaxed);
        let kept = drain(&mut reader);
        assert!(dropped > 0);
        assert_eq!(kept.len() as u64 + dropped, 10_000);
        let last: Event = serde_json::from_slice(kept.last().unwrap()).unwrap();
        assert!(matches!(last.data, EventData::Command { ref line } if line == "echo 9999"));
    }
}
