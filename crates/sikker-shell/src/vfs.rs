//! The virtual filesystem: a read-only base tree built once per persona and shared by every
//! session through an `Arc`, plus a small copy-on-write overlay per session. Nothing here
//! touches the real filesystem.
//!
//! Invariant: the overlay is the only per-session memory that grows with what the attacker
//! writes, and it is capped ([`Vfs::capacity`]); a full overlay answers `ENOSPC` like a full disk.

pub(crate) mod base;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// File attributes settable with `chattr`.
pub(crate) const ATTR_IMMUTABLE: u8 = 1;
pub(crate) const ATTR_APPEND: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Device {
    Null,
    Zero,
    Random,
    Tty,
}

/// Files whose content is computed when read (uptime grows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dynamic {
    Uptime,
    Loadavg,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    File(Arc<[u8]>),
    /// An executable whose bytes are a stub; `size` is what `ls` shows.
    Binary {
        size: u64,
    },
    /// A stand-in for something `wget`/`curl` "fetched": no content is stored, only its size.
    Fetched {
        size: u64,
        script: bool,
    },
    Dynamic(Dynamic),
    Dir,
    Link(Arc<str>),
    Dev(Device),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Permission bits including setuid/sticky (e.g. 0o1777), without the type.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    pub attrs: u8,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir)
    }
    pub fn is_link(&self) -> bool {
        matches!(self.kind, Kind::Link(_))
    }
    pub fn size(&self) -> u64 {
        match &self.kind {
            Kind::File(b) => b.len() as u64,
            Kind::Binary { size } | Kind::Fetched { size, .. } => *size,
            Kind::Dynamic(_) | Kind::Dev(_) => 0,
            Kind::Dir => 4096,
            Kind::Link(t) => t.len() as u64,
        }
    }
    /// The `ls -l` type-and-mode string, e.g. `-rw-r--r--`.
    pub fn mode_string(&self) -> String {
        let t = match &self.kind {
            Kind::Dir => 'd',
            Kind::Link(_) => 'l',
            Kind::Dev(Device::Tty) | Kind::Dev(_) => 'c',
            _ => '-',
        };
        let mut s = String::with_capacity(10);
        s.push(t);
        let m = self.mode;
        for (shift, special, lower, upper) in [
            (6, 0o4000, 's', 'S'),
            (3, 0o2000, 's', 'S'),
            (0, 0o1000, 't', 'T'),
        ] {
            let bits = (m >> shift) & 7;
            s.push(if bits & 4 != 0 { 'r' } else { '-' });
            s.push(if bits & 2 != 0 { 'w' } else { '-' });
            let x = bits & 1 != 0;
            s.push(match (m & special != 0, x) {
                (true, true) => lower,
                (true, false) => upper,
                (false, true) => 'x',
                (false, false) => '-',
            });
        }
        s
    }
}

/// An `errno` as the shell and commands print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FsError {
    NotFound,
    NotDir,
    IsDir,
    Exists,
    Denied,
    NoSpace,
    NotEmpty,
    NotPermitted,
    Loop,
    Busy,
}

impl FsError {
    pub fn message(self) -> &'static str {
        match self {
            FsError::NotFound => "No such file or directory",
            FsError::NotDir => "Not a directory",
            FsError::IsDir => "Is a directory",
            FsError::Exists => "File exists",
            FsError::Denied => "Permission denied",
            FsError::NoSpace => "No space left on device",
            FsError::NotEmpty => "Directory not empty",
            FsError::NotPermitted => "Operation not permitted",
            FsError::Loop => "Too many levels of symbolic links",
            FsError::Busy => "Device or resource busy",
        }
    }
}

impl std::fmt::Display for FsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// The shared, immutable tree of one persona.
#[derive(Debug, Default)]
pub(crate) struct BaseFs {
    pub nodes: BTreeMap<Box<str>, Node>,
}

/// Per-entry bookkeeping charged against the cap, so many tiny files are bounded too.
const ENTRY_COST: usize = 96;

/// One session's view: the shared base plus its own overlay (`None` marks a deletion).
/// Cloning copies the overlay's index, not file contents (they are `Arc`s).
#[derive(Debug, Clone)]
pub(crate) struct Vfs {
    base: Arc<BaseFs>,
    overlay: BTreeMap<Box<str>, Option<Node>>,
    used: usize,
    cap: usize,
    /// Paths written during the current command line, for `FileWritten` effects.
    pub(crate) dirty: Vec<String>,
}

/// Joins `path` onto `cwd` and normalises `.` and `..` lexically (symlinks are resolved later).
pub(crate) fn normalize(cwd: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined_cwd;
    let full = if path.starts_with('/') {
        path
    } else {
        joined_cwd = format!("{cwd}/{path}");
        &joined_cwd
    };
    for comp in full.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(full.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

pub(crate) fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

pub(crate) fn base_name(path: &str) -> &str {
    if path == "/" {
        return "/";
    }
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

fn child_prefix(dir: &str) -> String {
    if dir == "/" {
        "/".to_owned()
    } else {
        format!("{dir}/")
    }
}

impl Vfs {
    pub fn new(base: Arc<BaseFs>, cap: usize) -> Vfs {
        Vfs {
            base,
            overlay: BTreeMap::new(),
            used: 0,
            cap,
            dirty: Vec::new(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Bytes the overlay holds (content plus per-entry cost).
    pub fn used(&self) -> usize {
        self.used
    }

    fn raw(&self, canon: &str) -> Option<&Node> {
        match self.overlay.get(canon) {
            Some(Some(n)) => Some(n),
            Some(None) => None,
            None => self.base.nodes.get(canon),
        }
    }

    fn cost(path: &str, node: Option<&Node>) -> usize {
        let content = match node.map(|n| &n.kind) {
            Some(Kind::File(b)) => b.len(),
            Some(Kind::Link(t)) => t.len(),
            _ => 0,
        };
        path.len() + content + ENTRY_COST
    }

    fn put(&mut self, canon: &str, node: Option<Node>) -> Result<(), FsError> {
        let new_cost = Self::cost(canon, node.as_ref());
        let old_cost = match self.overlay.get(canon) {
            Some(n) => Self::cost(canon, n.as_ref()),
            None => 0,
        };
        // A deletion of something only the overlay had frees its entry entirely.
        if node.is_none() && !self.base.nodes.contains_key(canon) {
            self.overlay.remove(canon);
            self.used = self.used.saturating_sub(old_cost);
            return Ok(());
        }
        if self.used - old_cost.min(self.used) + new_cost > self.cap {
            return Err(FsError::NoSpace);
        }
        self.used = self.used - old_cost.min(self.used) + new_cost;
        self.overlay.insert(canon.into(), node);
        Ok(())
    }

    /// Resolves symlinks in every component (and in the last when `follow_last`).
    pub fn resolve(&self, abs: &str, follow_last: bool) -> Result<String, FsError> {
        let mut pending: Vec<String> = abs
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(str::to_owned)
            .collect();
        let mut cur = String::from("/");
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == "." {
                continue;
            }
            if comp == ".." {
                cur = parent_of(&cur).to_owned();
                continue;
            }
            let here = cur.as_str();
            match self.raw(here) {
                Some(n) if n.is_dir() => {}
                Some(_) => return Err(FsError::NotDir),
                None => return Err(FsError::NotFound),
            }
            let next = if cur == "/" {
                format!("/{comp}")
            } else {
                format!("{cur}/{comp}")
            };
            let is_last = pending.is_empty();
            match self.raw(&next).map(|n| &n.kind) {
                Some(Kind::Link(target)) if !is_last || follow_last => {
                    hops += 1;
                    if hops > 40 {
                        return Err(FsError::Loop);
                    }
                    for c in target.split('/').filter(|c| !c.is_empty()).rev() {
                        pending.push(c.to_owned());
                    }
                    if target.starts_with('/') {
                        cur = "/".to_owned();
                    }
                }
                _ => cur = next,
            }
        }
        Ok(cur)
    }

    /// The node at `abs`, following symlinks.
    pub fn stat(&self, abs: &str) -> Result<(String, &Node), FsError> {
        let canon = self.resolve(abs, true)?;
        self.raw(&canon)
            .map(|n| (canon.clone(), n))
            .ok_or(FsError::NotFound)
    }

    /// The node at `abs` itself (a symlink stays a symlink).
    pub fn lstat(&self, abs: &str) -> Result<(String, &Node), FsError> {
        let canon = self.resolve(abs, false)?;
        self.raw(&canon)
            .map(|n| (canon.clone(), n))
            .ok_or(FsError::NotFound)
    }

    pub fn exists(&self, abs: &str) -> bool {
        self.stat(abs).is_ok()
    }

    pub fn is_dir(&self, abs: &str) -> bool {
        self.stat(abs).map(|(_, n)| n.is_dir()).unwrap_or(false)
    }

    fn may(node: &Node, uid: u32, bit: u32) -> bool {
        if uid == 0 {
            return true;
        }
        let shift = if node.uid == uid { 6 } else { 0 };
        (node.mode >> shift) & bit != 0
    }

    /// Reads a file; `limit` bounds what endless devices produce.
    pub fn read(
        &self,
        abs: &str,
        uid: u32,
        limit: usize,
        now: i64,
        boot: i64,
    ) -> Result<Vec<u8>, FsError> {
        let (_, node) = self.stat(abs)?;
        if !Self::may(node, uid, 4) {
            return Err(FsError::Denied);
        }
        Ok(match &node.kind {
            Kind::File(b) => b.to_vec(),
            Kind::Binary { .. } | Kind::Fetched { script: false, .. } => base::ELF_STUB.to_vec(),
            Kind::Fetched { script: true, .. } => b"#!/bin/sh\n".to_vec(),
            Kind::Dir => return Err(FsError::IsDir),
            Kind::Link(_) => return Err(FsError::NotFound),
            Kind::Dev(Device::Null) | Kind::Dev(Device::Tty) => Vec::new(),
            Kind::Dev(Device::Zero) => vec![0; limit + 1],
            Kind::Dev(Device::Random) => {
                let mut x = (now as u64) ^ 0x9E37_79B9_7F4A_7C15;
                (0..=limit)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect()
            }
            Kind::Dynamic(Dynamic::Uptime) => {
                let up = (now - boot).max(1);
                let idle = up as f64 * 1.7;
                format!("{up}.{:02} {idle:.2}\n", now.rem_euclid(100)).into_bytes()
            }
            Kind::Dynamic(Dynamic::Loadavg) => {
                let l = (now.rem_euclid(37)) as f64 / 100.0;
                format!(
                    "{:.2} {:.2} {:.2} 1/{} {}\n",
                    l,
                    l * 0.8 + 0.02,
                    l * 0.6 + 0.05,
                    120 + now.rem_euclid(60),
                    4000 + now.rem_euclid(900)
                )
                .into_bytes()
            }
        })
    }

    /// Writes (or appends to) a regular file, creating it with `mode` when missing.
    pub fn write(
        &mut self,
        abs: &str,
        data: &[u8],
        append: bool,
        uid: u32,
        now: i64,
    ) -> Result<(), FsError> {
        let canon = match self.resolve(abs, true) {
            Ok(c) => c,
            Err(FsError::NotFound) => {
                let parent = self.resolve(parent_of(abs), true)?;
                let name = base_name(abs);
                if parent == "/" {
                    format!("/{name}")
                } else {
                    format!("{parent}/{name}")
                }
            }
            Err(e) => return Err(e),
        };
        let existing = self.raw(&canon).cloned();
        let mut node = match existing {
            Some(n) => {
                match n.kind {
                    Kind::Dir => return Err(FsError::IsDir),
                    Kind::Dev(_) => return Ok(()),
                    Kind::Dynamic(_) => return Err(FsError::Denied),
                    _ => {}
                }
                if n.attrs & ATTR_IMMUTABLE != 0 || (n.attrs & ATTR_APPEND != 0 && !append) {
                    return Err(FsError::NotPermitted);
                }
                if !Self::may(&n, uid, 2) {
                    return Err(FsError::Denied);
                }
                n
            }
            None => {
                let (_, parent) = self.stat(parent_of(&canon))?;
                if !parent.is_dir() {
                    return Err(FsError::NotDir);
                }
                if !Self::may(parent, uid, 2) {
                    return Err(FsError::Denied);
                }
                Node {
                    kind: Kind::File(Arc::from(&[][..])),
                    mode: 0o644,
                    uid,
                    gid: uid,
                    mtime: now,
                    attrs: 0,
                }
            }
        };
        let content: Vec<u8> = match (&node.kind, append) {
            (Kind::File(old), true) => {
                let mut v = Vec::with_capacity(old.len() + data.len());
                v.extend_from_slice(old);
                v.extend_from_slice(data);
                v
            }
            (Kind::Binary { .. } | Kind::Fetched { .. }, true) => {
                let mut v = base::ELF_STUB.to_vec();
                v.extend_from_slice(data);
                v
            }
            _ => data.to_vec(),
        };
        node.kind = Kind::File(Arc::from(content));
        node.mtime = now;
        self.put(&canon, Some(node))?;
        if !self.dirty.contains(&canon) && self.dirty.len() < 64 {
            self.dirty.push(canon);
        }
        Ok(())
    }

    /// Creates a node (directory, symlink) at `abs`, whose parent must exist.
    pub fn create(&mut self, abs: &str, node: Node) -> Result<(), FsError> {
        if self.lstat(abs).is_ok() {
            return Err(FsError::Exists);
        }
        let parent = self.resolve(parent_of(abs), true)?;
        let (_, p) = self.stat(&parent)?;
        if !p.is_dir() {
            return Err(FsError::NotDir);
        }
        let name = base_name(abs);
        let canon = if parent == "/" {
            format!("/{name}")
        } else {
            format!("{parent}/{name}")
        };
        self.put(&canon, Some(node))
    }

    /// Puts `node` at `abs`, replacing a file or link already there (not a directory).
    pub fn replace(&mut self, abs: &str, node: Node, uid: u32) -> Result<(), FsError> {
        if let Ok((_, old)) = self.lstat(abs) {
            if old.is_dir() {
                return Err(FsError::IsDir);
            }
            if old.attrs & ATTR_IMMUTABLE != 0 {
                return Err(FsError::NotPermitted);
            }
            self.remove(abs, false, uid)?;
        }
        self.create(abs, node)
    }

    /// Replaces the metadata of an existing node (chmod, chown, chattr, touch).
    pub fn update(
        &mut self,
        abs: &str,
        follow: bool,
        f: impl FnOnce(&mut Node),
    ) -> Result<(), FsError> {
        let canon = self.resolve(abs, follow)?;
        let mut node = self.raw(&canon).cloned().ok_or(FsError::NotFound)?;
        f(&mut node);
        self.put(&canon, Some(node))
    }

    /// Direct children of a directory, merged over both layers, sorted by name.
    pub fn list(&self, abs: &str) -> Result<Vec<(String, Node)>, FsError> {
        let (canon, node) = self.stat(abs)?;
        if !node.is_dir() {
            return Err(FsError::NotDir);
        }
        let prefix = child_prefix(&canon);
        let mut out: BTreeMap<String, Node> = BTreeMap::new();
        let direct = |k: &str| {
            k.len() > prefix.len() && k.starts_with(&prefix) && !k[prefix.len()..].contains('/')
        };
        for (k, n) in self
            .base
            .nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
        {
            if !k.starts_with(&prefix) {
                break;
            }
            if direct(k) {
                out.insert(k[prefix.len()..].to_owned(), n.clone());
            }
        }
        for (k, n) in self
            .overlay
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
        {
            if !k.starts_with(&prefix) {
                break;
            }
            if direct(k) {
                let name = k[prefix.len()..].to_owned();
                match n {
                    Some(n) => {
                        out.insert(name, n.clone());
                    }
                    None => {
                        out.remove(&name);
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Removes a file, symlink or (with `recursive`, or when empty) a directory tree.
    pub fn remove(&mut self, abs: &str, recursive: bool, uid: u32) -> Result<(), FsError> {
        let canon = self.resolve(abs, false)?;
        if canon == "/" {
            return Err(FsError::Busy);
        }
        let node = self.raw(&canon).cloned().ok_or(FsError::NotFound)?;
        if node.attrs & (ATTR_IMMUTABLE | ATTR_APPEND) != 0 {
            return Err(FsError::NotPermitted);
        }
        let (_, parent) = self.stat(parent_of(&canon))?;
        if !Self::may(parent, uid, 2) {
            return Err(FsError::Denied);
        }
        if node.is_dir() {
            let children = self.list(&canon)?;
            if !children.is_empty() && !recursive {
                return Err(FsError::NotEmpty);
            }
            for (name, _) in children {
                let child = format!("{}{}", child_prefix(&canon), name);
                self.remove(&child, true, uid)?;
            }
        }
        self.put(&canon, None)
    }

    /// Moves a node (and, for a directory, everything under it).
    pub fn rename(&mut self, from: &str, to: &str, uid: u32) -> Result<(), FsError> {
        let src = self.resolve(from, false)?;
        let node = self.raw(&src).cloned().ok_or(FsError::NotFound)?;
        if node.attrs & ATTR_IMMUTABLE != 0 {
            return Err(FsError::NotPermitted);
        }
        let dst_parent = self.resolve(parent_of(to), true)?;
        let name = base_name(to);
        let dst = if dst_parent == "/" {
            format!("/{name}")
        } else {
            format!("{dst_parent}/{name}")
        };
        if dst == src {
            return Ok(());
        }
        if dst.starts_with(&child_prefix(&src)) {
            return Err(FsError::Busy);
        }
        self.copy_tree(&src, &dst, uid)?;
        self.remove(&src, true, 0)
    }

    /// Copies a node (recursively for directories) to `dst`, which must not exist.
    pub fn copy_tree(&mut self, src: &str, dst: &str, uid: u32) -> Result<(), FsError> {
        let node = self.raw(src).cloned().ok_or(FsError::NotFound)?;
        if let Ok((_, existing)) = self.lstat(dst) {
            if existing.is_dir() || node.is_dir() {
                return Err(FsError::Exists);
            }
            self.remove(dst, false, uid)?;
        }
        let is_dir = node.is_dir();
        let dst_parent = self.resolve(parent_of(dst), true)?;
        let (_, p) = self.stat(&dst_parent)?;
        if !p.is_dir() {
            return Err(FsError::NotDir);
        }
        if !Self::may(p, uid, 2) {
            return Err(FsError::Denied);
        }
        let is_file = matches!(node.kind, Kind::File(_));
        self.put(dst, Some(node))?;
        if is_file && !self.dirty.iter().any(|d| d == dst) && self.dirty.len() < 64 {
            self.dirty.push(dst.to_owned());
        }
        if is_dir {
            for (name, _) in self.list(src)? {
                self.copy_tree(
                    &format!("{}{}", child_prefix(src), name),
                    &format!("{}{}", child_prefix(dst), name),
                    uid,
                )?;
            }
        }
        Ok(())
    }

    /// Every path under `dir` (depth first, sorted), bounded by `limit`.
    pub fn walk(&self, dir: &str, limit: usize) -> Vec<(String, Node)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            if let Ok(children) = self.list(&d) {
                for (name, node) in children.into_iter().rev() {
                    if out.len() >= limit {
                        return out;
                    }
                    let path = format!("{}{}", child_prefix(&d), name);
                    if node.is_dir() {
                        stack.push(path.clone());
                    }
                    out.push((path, node));
                }
            }
        }
        out
    }

    /// Paths of the overlay's regular files, for effects.
    pub fn file_sha_and_size(&self, canon: &str) -> Option<(String, u64)> {
        use sha2::{Digest, Sha256};
        match self.raw(canon).map(|n| &n.kind) {
            Some(Kind::File(b)) => {
                let digest = Sha256::digest(b);
                let hex = digest
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<String>();
                Some((hex, b.len() as u64))
            }
            _ => None,
        }
    }

    /// Approximate heap bytes held by this session's overlay.
    pub fn heap_bytes(&self) -> usize {
        self.used + self.dirty.capacity() * std::mem::size_of::<String>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_dir() -> Node {
        Node {
            kind: Kind::Dir,
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: 0,
            attrs: 0,
        }
    }

    fn fs() -> Vfs {
        let mut b = BaseFs::default();
        b.nodes.insert("/".into(), node_dir());
        b.nodes.insert("/usr".into(), node_dir());
        b.nodes.insert("/usr/bin".into(), node_dir());
        b.nodes.insert(
            "/bin".into(),
            Node {
                kind: Kind::Link("usr/bin".into()),
                ..node_dir()
            },
        );
        b.nodes.insert(
            "/tmp".into(),
            Node {
                mode: 0o1777,
                ..node_dir()
            },
        );
        Vfs::new(Arc::new(b), 4096)
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("/root", "../etc/./passwd"), "/etc/passwd");
        assert_eq!(normalize("/", ".."), "/");
        assert_eq!(normalize("/a/b", "/x//y/"), "/x/y");
    }

    #[test]
    fn follows_symlinks_and_writes_copy_on_write() {
        let mut v = fs();
        v.write("/bin/x", b"hi", false, 0, 1).unwrap();
        assert_eq!(v.read("/usr/bin/x", 0, 10, 1, 0).unwrap(), b"hi");
        v.write("/usr/bin/x", b"!", true, 0, 1).unwrap();
        assert_eq!(v.read("/bin/x", 0, 10, 1, 0).unwrap(), b"hi!");
        assert_eq!(v.list("/bin").unwrap().len(), 1);
        v.remove("/bin/x", false, 0).unwrap();
        assert!(!v.exists("/usr/bin/x"));
        assert_eq!(v.used(), 0);
    }

    #[test]
    fn overlay_is_capped() {
        let mut v = fs();
        assert_eq!(
            v.write("/tmp/big", &[0; 8192], false, 0, 1),
            Err(FsError::NoSpace)
        );
        v.write("/tmp/a", &[0; 1000], false, 0, 1).unwrap();
        assert_eq!(
            v.write("/tmp/a", &[0; 4000], true, 0, 1),
            Err(FsError::NoSpace)
        );
    }

    #[test]
    fn immutable_files_refuse_writes() {
        let mut v = fs();
        v.write("/tmp/k", b"a", false, 0, 1).unwrap();
        v.update("/tmp/k", true, |n| n.attrs |= ATTR_IMMUTABLE)
            .unwrap();
        assert_eq!(
            v.write("/tmp/k", b"b", false, 0, 1),
            Err(FsError::NotPermitted)
        );
        assert_eq!(v.remove("/tmp/k", false, 0), Err(FsError::NotPermitted));
    }
}
