//! The `sftp` subsystem: enough of SFTP v3 (draft-ietf-secsh-filexfer-02) for OpenSSH's `sftp`
//! and `scp` (SFTP mode) to upload, list and stat. The tree is the session's emulated one;
//! uploads are kept (up to the upload cap) for quarantine and land in the virtual FS.
//!
//! Bounded by construction: one packet is at most [`MAX_PACKET`] bytes, at most
//! [`MAX_HANDLES`] handles are open, and the bytes held for uploads across all handles never
//! exceed the upload cap. Malformed input is an [`SftpError`], never a panic.

use crate::terminal::SharedFs;
use sikker_shell::Shell;
use std::collections::HashMap;

/// OpenSSH's own limit on an SFTP message (`SFTP_MAX_MSG_LENGTH`).
pub const MAX_PACKET: usize = 256 * 1024;
const MAX_HANDLES: usize = 64;
/// What OpenSSH's `sftp-server` reports for `limits@openssh.com` under the usual 1024-file
/// rlimit; opening past [`MAX_HANDLES`] fails like running out of descriptors.
const REPORTED_HANDLES: u64 = 1019;
/// The extensions OpenSSH 9.x's `sftp-server` announces, in its order.
const EXTENSIONS: &[(&str, &str)] = &[
    ("posix-rename@openssh.com", "1"),
    ("statvfs@openssh.com", "2"),
    ("fstatvfs@openssh.com", "2"),
    ("hardlink@openssh.com", "1"),
    ("fsync@openssh.com", "1"),
    ("lsetstat@openssh.com", "1"),
    ("limits@openssh.com", "1"),
    ("expand-path@openssh.com", "1"),
    ("copy-data", "1"),
    ("home-directory", "1"),
    ("users-groups-by-id@openssh.com", "1"),
];
/// Entries one directory listing returns, and per READDIR reply.
const MAX_DIR_ENTRIES: usize = 512;
const DIR_BATCH: usize = 64;
const MAX_PATH: usize = 4096;
/// Bytes of virtual files held open for reading, across handles.
const MAX_READ_HELD: usize = 4 * 1024 * 1024;

const SSH_FXP_INIT: u8 = 1;
const SSH_FXP_VERSION: u8 = 2;
const SSH_FXP_OPEN: u8 = 3;
const SSH_FXP_CLOSE: u8 = 4;
const SSH_FXP_READ: u8 = 5;
const SSH_FXP_WRITE: u8 = 6;
const SSH_FXP_LSTAT: u8 = 7;
const SSH_FXP_FSTAT: u8 = 8;
const SSH_FXP_SETSTAT: u8 = 9;
const SSH_FXP_FSETSTAT: u8 = 10;
const SSH_FXP_OPENDIR: u8 = 11;
const SSH_FXP_READDIR: u8 = 12;
const SSH_FXP_REMOVE: u8 = 13;
const SSH_FXP_MKDIR: u8 = 14;
const SSH_FXP_RMDIR: u8 = 15;
const SSH_FXP_REALPATH: u8 = 16;
const SSH_FXP_STAT: u8 = 17;
const SSH_FXP_RENAME: u8 = 18;
const SSH_FXP_READLINK: u8 = 19;
const SSH_FXP_SYMLINK: u8 = 20;
const SSH_FXP_EXTENDED: u8 = 200;
const SSH_FXP_EXTENDED_REPLY: u8 = 201;
const SSH_FXP_STATUS: u8 = 101;
const SSH_FXP_HANDLE: u8 = 102;
const SSH_FXP_DATA: u8 = 103;
const SSH_FXP_NAME: u8 = 104;
const SSH_FXP_ATTRS: u8 = 105;

const FX_OK: u32 = 0;
const FX_EOF: u32 = 1;
const FX_NO_SUCH_FILE: u32 = 2;
const FX_PERMISSION_DENIED: u32 = 3;
const FX_FAILURE: u32 = 4;
const FX_OP_UNSUPPORTED: u32 = 8;

const PFLAG_WRITE: u32 = 0x02;
const PFLAG_CREAT: u32 = 0x08;
const PFLAG_TRUNC: u32 = 0x10;

const ATTR_SIZE: u32 = 0x1;
const ATTR_UIDGID: u32 = 0x2;
const ATTR_PERMISSIONS: u32 = 0x4;
const ATTR_ACMODTIME: u32 = 0x8;
const ATTR_EXTENDED: u32 = 0x8000_0000;

/// Why the subsystem gave up on a client: the channel is closed, as `sftp-server` would.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SftpError {
    #[error("sftp packet of {0} bytes is longer than the {MAX_PACKET}-byte limit")]
    PacketTooLong(usize),
    #[error("sftp packet is empty")]
    EmptyPacket,
    #[error("malformed sftp packet: {0} is cut short")]
    Truncated(&'static str),
    #[error("malformed sftp packet: {0} is longer than allowed")]
    FieldTooLong(&'static str),
    #[error("sftp request type {0} before INIT")]
    NotInitialized(u8),
}

/// A file the client finished (closed) or abandoned, with what was kept of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpUpload {
    pub path: String,
    /// Bytes the client wrote (the furthest offset reached).
    pub size: u64,
    /// The first `upload_bytes` of it.
    pub content: Vec<u8>,
    pub truncated: bool,
}

/// A change the client made to the tree, for the session record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpAction {
    pub op: &'static str,
    pub path: String,
    pub target: Option<String>,
}

/// What one chunk of channel data produced.
#[derive(Debug, Default)]
pub struct SftpOutput {
    pub reply: Vec<u8>,
    pub uploads: Vec<SftpUpload>,
    pub actions: Vec<SftpAction>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Attrs {
    size: u64,
    uid: u32,
    gid: u32,
    /// Type and permission bits, as `st_mode`.
    mode: u32,
    mtime: u32,
    user: String,
    group: String,
}

enum Handle {
    Write {
        path: String,
        content: Vec<u8>,
        size: u64,
        truncated: bool,
    },
    Read {
        path: String,
        content: Vec<u8>,
    },
    Dir {
        path: String,
        entries: Vec<(String, Attrs)>,
        sent: usize,
    },
}

/// One `sftp` channel's server.
pub struct SftpServer {
    shell: Shell,
    inbuf: Vec<u8>,
    initialized: bool,
    handles: HashMap<u32, Handle>,
    next_handle: u32,
    upload_cap: u64,
    /// Upload bytes held across every open write handle; never above `upload_cap`.
    held: u64,
    /// The root filesystem's size in bytes and percent used, for `statvfs`.
    disk: (u64, u8),
    /// The login's shared filesystem and the version of it this server's shell has.
    fs: Option<(SharedFs, u64)>,
}

impl SftpServer {
    pub fn new(shell: Shell, upload_cap: u64) -> SftpServer {
        SftpServer {
            shell,
            inbuf: Vec::new(),
            initialized: false,
            handles: HashMap::new(),
            next_handle: 0,
            upload_cap,
            held: 0,
            disk: (20 << 30, 30),
            fs: None,
        }
    }

    /// Shares the filesystem with the other shells of the same login: what is uploaded here
    /// is there for a command in another channel, and the other way round.
    pub fn with_shared_fs(mut self, fs: SharedFs) -> SftpServer {
        let mut seen = 0;
        fs.adopt(&mut seen, &mut self.shell);
        self.fs = Some((fs, seen));
        self
    }

    /// The root filesystem `df` shows, so `statvfs` agrees with it.
    pub fn with_disk(mut self, total_bytes: u64, used_pct: u8) -> SftpServer {
        self.disk = (total_bytes, used_pct);
        self
    }

    /// Takes channel data, answers every complete packet in it.
    pub fn feed(&mut self, data: &[u8]) -> Result<SftpOutput, SftpError> {
        if let Some((fs, seen)) = &mut self.fs {
            fs.adopt(seen, &mut self.shell);
        }
        let out = self.feed_packets(data);
        if let Some((fs, seen)) = &mut self.fs {
            fs.publish(seen, &self.shell);
        }
        out
    }

    /// Ends the channel: files still open are handed over as they are, with whatever part of
    /// a WRITE had arrived.
    pub fn finish(&mut self) -> Vec<SftpUpload> {
        if let Some((fs, seen)) = &mut self.fs {
            fs.adopt(seen, &mut self.shell);
        }
        self.salvage_partial_write();
        let ids: Vec<u32> = self.handles.keys().copied().collect();
        let files = ids
            .into_iter()
            .filter_map(|id| self.close_handle(id))
            .collect();
        if let Some((fs, seen)) = &mut self.fs {
            fs.publish(seen, &self.shell);
        }
        files
    }

    /// A WRITE cut off mid-packet (the session ended while its data came in) still adds the
    /// data that arrived, so a cut upload keeps every byte the sensor received. Its file is
    /// marked truncated and sized to what the WRITE announced: what is kept is not the file.
    fn salvage_partial_write(&mut self) {
        let packet = std::mem::take(&mut self.inbuf);
        if !self.initialized || packet.len() <= 4 {
            return;
        }
        let mut r = Reader(&packet[4..]);
        let mut header = || -> Result<(u32, u64, u32), SftpError> {
            if r.u8("type")? != SSH_FXP_WRITE {
                return Err(SftpError::Truncated("a write"));
            }
            r.u32("request id")?;
            Ok((r.handle()?, r.u64("offset")?, r.u32("data length")?))
        };
        let Ok((h, offset, declared)) = header() else {
            return;
        };
        let arrived = &r.0[..r.0.len().min(declared as usize)];
        if !matches!(self.handles.get(&h), Some(Handle::Write { .. })) {
            return;
        }
        self.write(0, h, offset, arrived);
        if let Some(Handle::Write {
            size, truncated, ..
        }) = self.handles.get_mut(&h)
        {
            *size = (*size).max(offset.saturating_add(u64::from(declared)));
            *truncated = true;
        }
    }

    fn feed_packets(&mut self, mut data: &[u8]) -> Result<SftpOutput, SftpError> {
        let mut out = SftpOutput::default();
        while !data.is_empty() {
            // Never buffer more than one packet (plus its length word).
            if self.inbuf.len() < 4 {
                let take = (4 - self.inbuf.len()).min(data.len());
                self.inbuf.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.inbuf.len() < 4 {
                    break;
                }
            }
            let len = packet_len(&self.inbuf)?;
            let take = (4 + len - self.inbuf.len()).min(data.len());
            self.inbuf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.inbuf.len() == 4 + len {
                let packet = std::mem::take(&mut self.inbuf);
                self.handle_packet(&packet[4..], &mut out)?;
            }
        }
        Ok(out)
    }

    fn handle_packet(&mut self, packet: &[u8], out: &mut SftpOutput) -> Result<(), SftpError> {
        let mut r = Reader(packet);
        let kind = r.u8("type")?;
        if kind == SSH_FXP_INIT {
            let _version = r.u32("version")?;
            self.initialized = true;
            let mut p = Packet::new(SSH_FXP_VERSION);
            p.u32(3);
            for (name, version) in EXTENSIONS {
                p.string(name.as_bytes());
                p.string(version.as_bytes());
            }
            out.reply.extend(p.finish());
            return Ok(());
        }
        if !self.initialized {
            return Err(SftpError::NotInitialized(kind));
        }
        let id = r.u32("request id")?;
        let reply = match kind {
            SSH_FXP_REALPATH => {
                let path = r.path()?;
                let abs = self.normalize(&path);
                let attrs = Attrs {
                    mode: 0o040755,
                    ..Attrs::default()
                };
                name_reply(id, &[(abs.clone(), abs, attrs)])
            }
            SSH_FXP_STAT | SSH_FXP_LSTAT => {
                let path = self.normalize(&r.path()?);
                match self.stat(&path, kind == SSH_FXP_STAT) {
                    Some(a) => attrs_reply(id, &a),
                    None => status(id, FX_NO_SUCH_FILE, "No such file"),
                }
            }
            SSH_FXP_FSTAT => {
                let h = r.handle()?;
                match self.handles.get(&h) {
                    Some(Handle::Write { size, .. }) => attrs_reply(
                        id,
                        &Attrs {
                            size: *size,
                            mode: 0o100644,
                            ..self.owner()
                        },
                    ),
                    Some(Handle::Read { path, .. }) | Some(Handle::Dir { path, .. }) => {
                        let path = path.clone();
                        match self.stat(&path, true) {
                            Some(a) => attrs_reply(id, &a),
                            None => status(id, FX_NO_SUCH_FILE, "No such file"),
                        }
                    }
                    None => status(id, FX_FAILURE, "Failure"),
                }
            }
            SSH_FXP_OPEN => {
                let path = self.normalize(&r.path()?);
                let pflags = r.u32("pflags")?;
                let _attrs = r.attrs()?;
                self.open(id, path, pflags, out)
            }
            SSH_FXP_WRITE => {
                let h = r.handle()?;
                let offset = r.u64("offset")?;
                let data = r.string("data")?;
                self.write(id, h, offset, data)
            }
            SSH_FXP_READ => {
                let h = r.handle()?;
                let offset = r.u64("offset")?;
                let len = r.u32("length")?;
                match self.handles.get(&h) {
                    Some(Handle::Read { content, .. }) => {
                        let start = usize::try_from(offset).unwrap_or(usize::MAX);
                        if start >= content.len() {
                            status(id, FX_EOF, "End of file")
                        } else {
                            let n = (len as usize).min(64 * 1024).min(content.len() - start);
                            let mut p = Packet::new(SSH_FXP_DATA);
                            p.u32(id);
                            p.string(&content[start..start + n]);
                            p.finish()
                        }
                    }
                    _ => status(id, FX_FAILURE, "Failure"),
                }
            }
            SSH_FXP_CLOSE => {
                let h = r.handle()?;
                if self.handles.contains_key(&h) {
                    out.uploads.extend(self.close_handle(h));
                    status(id, FX_OK, "Success")
                } else {
                    status(id, FX_FAILURE, "Failure")
                }
            }
            SSH_FXP_OPENDIR => {
                let path = self.normalize(&r.path()?);
                self.opendir(id, path)
            }
            SSH_FXP_READDIR => {
                let h = r.handle()?;
                match self.handles.get_mut(&h) {
                    Some(Handle::Dir { entries, sent, .. }) => {
                        if *sent >= entries.len() {
                            status(id, FX_EOF, "End of file")
                        } else {
                            let end = (*sent + DIR_BATCH).min(entries.len());
                            let batch: Vec<(String, String, Attrs)> = entries[*sent..end]
                                .iter()
                                .map(|(n, a)| (n.clone(), longname(n, a), a.clone()))
                                .collect();
                            *sent = end;
                            name_reply(id, &batch)
                        }
                    }
                    _ => status(id, FX_FAILURE, "Failure"),
                }
            }
            SSH_FXP_SETSTAT | SSH_FXP_FSETSTAT => {
                if kind == SSH_FXP_SETSTAT {
                    let path = self.normalize(&r.path()?);
                    let attrs = r.attrs()?;
                    if let Some(mode) = attrs {
                        out.actions.push(SftpAction {
                            op: "setstat",
                            path,
                            target: Some(format!("{:o}", mode & 0o7777)),
                        });
                    }
                } else {
                    let _ = r.handle()?;
                    let _ = r.attrs()?;
                }
                status(id, FX_OK, "Success")
            }
            SSH_FXP_MKDIR | SSH_FXP_RMDIR | SSH_FXP_REMOVE => {
                let path = self.normalize(&r.path()?);
                let (op, cmd) = match kind {
                    SSH_FXP_MKDIR => ("mkdir", "mkdir"),
                    SSH_FXP_RMDIR => ("rmdir", "rmdir"),
                    _ => ("remove", "rm -f"),
                };
                if kind == SSH_FXP_MKDIR {
                    let _ = r.attrs()?;
                }
                out.actions.push(SftpAction {
                    op,
                    path: path.clone(),
                    target: None,
                });
                self.fs_op(id, &format!("{cmd} {}", quote(&path)))
            }
            SSH_FXP_RENAME => {
                let from = self.normalize(&r.path()?);
                let to = self.normalize(&r.path()?);
                out.actions.push(SftpAction {
                    op: "rename",
                    path: from.clone(),
                    target: Some(to.clone()),
                });
                self.fs_op(id, &format!("mv -f {} {}", quote(&from), quote(&to)))
            }
            SSH_FXP_READLINK => {
                let path = self.normalize(&r.path()?);
                if !shell_safe(&path) {
                    out.reply.extend(status(id, FX_FAILURE, "Failure"));
                    return Ok(());
                }
                let o = self.shell.execute(&format!("readlink {}", quote(&path)));
                let target = String::from_utf8_lossy(&o.output).trim_end().to_owned();
                if o.exit_code == 0 && !target.is_empty() {
                    name_reply(id, &[(target.clone(), target, Attrs::default())])
                } else {
                    status(id, FX_FAILURE, "Failure")
                }
            }
            SSH_FXP_SYMLINK => {
                let link = r.path()?;
                let target = r.path()?;
                out.actions.push(SftpAction {
                    op: "symlink",
                    path: self.normalize(&link),
                    target: Some(target),
                });
                status(id, FX_PERMISSION_DENIED, "Permission denied")
            }
            SSH_FXP_EXTENDED => {
                let name = r.string("extension name")?;
                self.extended(id, name, &mut r, out)?
            }
            _ => status(id, FX_OP_UNSUPPORTED, "Operation unsupported"),
        };
        out.reply.extend(reply);
        Ok(())
    }

    fn extended(
        &mut self,
        id: u32,
        name: &[u8],
        r: &mut Reader<'_>,
        out: &mut SftpOutput,
    ) -> Result<Vec<u8>, SftpError> {
        Ok(match name {
            b"posix-rename@openssh.com" | b"hardlink@openssh.com" => {
                let from = self.normalize(&r.path()?);
                let to = self.normalize(&r.path()?);
                let (op, cmd) = if name == b"hardlink@openssh.com" {
                    ("hardlink", "ln")
                } else {
                    ("rename", "mv -f")
                };
                out.actions.push(SftpAction {
                    op,
                    path: from.clone(),
                    target: Some(to.clone()),
                });
                self.fs_op(id, &format!("{cmd} {} {}", quote(&from), quote(&to)))
            }
            b"statvfs@openssh.com" | b"fstatvfs@openssh.com" => {
                if name == b"statvfs@openssh.com" {
                    r.path()?;
                } else {
                    r.handle()?;
                }
                let (bsize, total, used_pct) = (4096u64, self.disk.0, u64::from(self.disk.1));
                let blocks = total / bsize;
                let free = blocks.saturating_sub(blocks * used_pct.min(100) / 100);
                let files = total / 16_384;
                let mut p = Packet::new(SSH_FXP_EXTENDED_REPLY);
                p.u32(id);
                for v in [
                    bsize,
                    bsize,
                    blocks,
                    free,
                    free.saturating_sub(blocks / 20),
                    files,
                    files * 9 / 10,
                    files * 9 / 10,
                    0x6d2f_1a0c_83b4_5e21,
                    0x1000, // ST_RELATIME
                    255,
                ] {
                    p.u64(v);
                }
                p.finish()
            }
            b"fsync@openssh.com" => {
                r.handle()?;
                status(id, FX_OK, "Success")
            }
            b"lsetstat@openssh.com" => {
                let path = self.normalize(&r.path()?);
                if let Some(mode) = r.attrs()? {
                    out.actions.push(SftpAction {
                        op: "setstat",
                        path,
                        target: Some(format!("{:o}", mode & 0o7777)),
                    });
                }
                status(id, FX_OK, "Success")
            }
            b"limits@openssh.com" => {
                let mut p = Packet::new(SSH_FXP_EXTENDED_REPLY);
                p.u32(id);
                p.u64(MAX_PACKET as u64);
                p.u64(MAX_PACKET as u64 - 1024);
                p.u64(MAX_PACKET as u64 - 1024);
                p.u64(REPORTED_HANDLES);
                p.finish()
            }
            b"expand-path@openssh.com" => {
                let path = r.path()?;
                let home = self.home();
                let expanded = if path == "~" {
                    home
                } else if let Some(rest) = path.strip_prefix("~/") {
                    join(&home, rest)
                } else {
                    path
                };
                let abs = self.normalize(&expanded);
                name_reply(id, &[(abs.clone(), abs, Attrs::default())])
            }
            b"home-directory" => {
                let _user = r.path()?;
                let home = self.home();
                name_reply(id, &[(home.clone(), home, Attrs::default())])
            }
            b"copy-data" => {
                let from = r.handle()?;
                let offset = r.u64("read offset")?;
                let len = r.u64("read length")?;
                let to = r.handle()?;
                let to_offset = r.u64("write offset")?;
                let chunk = match self.handles.get(&from) {
                    Some(Handle::Read { content, .. }) => {
                        let start = usize::try_from(offset).unwrap_or(usize::MAX);
                        let start = start.min(content.len());
                        let n = usize::try_from(len).unwrap_or(usize::MAX);
                        let n = if n == 0 { content.len() - start } else { n };
                        content[start..start + n.min(content.len() - start)].to_vec()
                    }
                    _ => return Ok(status(id, FX_FAILURE, "Failure")),
                };
                self.write(id, to, to_offset, &chunk)
            }
            b"users-groups-by-id@openssh.com" => {
                let uids = r.string("uids")?;
                let gids = r.string("gids")?;
                let mut p = Packet::new(SSH_FXP_EXTENDED_REPLY);
                p.u32(id);
                for ids in [uids, gids] {
                    let mut names = Packet::new(0);
                    for id in ids.chunks(4) {
                        let name = match id {
                            [0, 0, 0, 0] => "root".to_owned(),
                            [a, b, c, d]
                                if u32::from_be_bytes([*a, *b, *c, *d]) == self.owner().uid =>
                            {
                                self.shell.username().to_owned()
                            }
                            _ => String::new(),
                        };
                        names.string(name.as_bytes());
                    }
                    p.string(&names.0[5..]);
                }
                p.finish()
            }
            _ => status(id, FX_OP_UNSUPPORTED, "Operation unsupported"),
        })
    }

    fn home(&mut self) -> String {
        let o = self.shell.execute("echo \"$HOME\"");
        let home = String::from_utf8_lossy(&o.output).trim().to_owned();
        if home.starts_with('/') {
            home
        } else {
            self.shell.cwd().to_owned()
        }
    }

    fn owner(&self) -> Attrs {
        let user = self.shell.username().to_owned();
        let uid = if user == "root" { 0 } else { 1000 };
        Attrs {
            uid,
            gid: uid,
            group: user.clone(),
            user,
            mtime: now(),
            ..Attrs::default()
        }
    }

    fn new_handle(&mut self, h: Handle) -> Option<u32> {
        if self.handles.len() >= MAX_HANDLES {
            return None;
        }
        let id = self.next_handle;
        self.next_handle = self.next_handle.wrapping_add(1);
        self.handles.insert(id, h);
        Some(id)
    }

    fn open(&mut self, id: u32, path: String, pflags: u32, out: &mut SftpOutput) -> Vec<u8> {
        let handle = if pflags & (PFLAG_WRITE | PFLAG_CREAT | PFLAG_TRUNC) != 0 {
            out.actions.push(SftpAction {
                op: "open",
                path: path.clone(),
                target: None,
            });
            if self
                .stat(&path, true)
                .is_some_and(|a| a.mode & 0o170000 == 0o040000)
            {
                return status(id, FX_FAILURE, "Failure");
            }
            Handle::Write {
                path,
                content: Vec::new(),
                size: 0,
                truncated: false,
            }
        } else {
            let open_reads: usize = self
                .handles
                .values()
                .map(|h| match h {
                    Handle::Read { content, .. } => content.len(),
                    _ => 0,
                })
                .sum();
            match self.shell.read_file(&path) {
                Some(content) if open_reads + content.len() > MAX_READ_HELD => {
                    return status(id, FX_FAILURE, "Failure")
                }
                Some(content) => Handle::Read { path, content },
                None => return status(id, FX_NO_SUCH_FILE, "No such file"),
            }
        };
        match self.new_handle(handle) {
            Some(h) => handle_reply(id, h),
            None => status(id, FX_FAILURE, "Failure"),
        }
    }

    fn write(&mut self, id: u32, h: u32, offset: u64, data: &[u8]) -> Vec<u8> {
        let cap = self.upload_cap;
        let held_before = self.held;
        let Some(Handle::Write {
            content,
            size,
            truncated,
            ..
        }) = self.handles.get_mut(&h)
        else {
            return status(id, FX_FAILURE, "Failure");
        };
        let end = offset.saturating_add(data.len() as u64);
        *size = (*size).max(end);
        // Keep what fits under the per-file cap and the cap on bytes held by this channel.
        let room = cap.saturating_sub(held_before) + content.len() as u64;
        let keep_end = end.min(cap).min(room);
        if keep_end < end {
            *truncated = true;
        }
        if offset < keep_end {
            let (start, stop) = (offset as usize, keep_end as usize);
            if content.len() < stop {
                content.resize(stop, 0);
            }
            content[start..stop].copy_from_slice(&data[..stop - start]);
        }
        self.held = self.handles.values().map(Handle::held).sum();
        status(id, FX_OK, "Success")
    }

    fn close_handle(&mut self, h: u32) -> Option<SftpUpload> {
        let handle = self.handles.remove(&h)?;
        self.held = self.handles.values().map(Handle::held).sum();
        let Handle::Write {
            path,
            content,
            size,
            truncated,
        } = handle
        else {
            return None;
        };
        // The file shows up in the tree like any write; a full overlay just leaves it out.
        let _ = self.shell.write_file(&path, &content);
        Some(SftpUpload {
            path,
            size,
            truncated: truncated || (content.len() as u64) < size,
            content,
        })
    }

    fn opendir(&mut self, id: u32, path: String) -> Vec<u8> {
        match self.stat(&path, true) {
            Some(a) if a.mode & 0o170000 == 0o040000 => {}
            Some(_) => return status(id, FX_FAILURE, "Not a directory"),
            None => return status(id, FX_NO_SUCH_FILE, "No such file"),
        }
        if !shell_safe(&path) {
            return status(id, FX_FAILURE, "Failure");
        }
        let listing = self.shell.execute(&format!("ls -a1 {}", quote(&path)));
        let mut entries = Vec::new();
        for name in String::from_utf8_lossy(&listing.output).lines() {
            if entries.len() >= MAX_DIR_ENTRIES || name.is_empty() {
                continue;
            }
            let full = if name == "." {
                path.clone()
            } else {
                join(&path, name)
            };
            if let Some(a) = self.stat(&full, false) {
                entries.push((name.to_owned(), a));
            }
        }
        match self.new_handle(Handle::Dir {
            path,
            entries,
            sent: 0,
        }) {
            Some(h) => handle_reply(id, h),
            None => status(id, FX_FAILURE, "Failure"),
        }
    }

    fn fs_op(&mut self, id: u32, command: &str) -> Vec<u8> {
        if !shell_safe(command) {
            return status(id, FX_FAILURE, "Failure");
        }
        let o = self.shell.execute(command);
        if o.exit_code == 0 {
            status(id, FX_OK, "Success")
        } else if String::from_utf8_lossy(&o.output).contains("No such file") {
            status(id, FX_NO_SUCH_FILE, "No such file")
        } else if String::from_utf8_lossy(&o.output).contains("ermission denied") {
            status(id, FX_PERMISSION_DENIED, "Permission denied")
        } else {
            status(id, FX_FAILURE, "Failure")
        }
    }

    /// An absolute, lexically normal path; relative ones start at the login directory.
    fn normalize(&self, path: &str) -> String {
        let joined = if path.starts_with('/') {
            path.to_owned()
        } else {
            join(self.shell.cwd(), path)
        };
        let mut parts: Vec<&str> = Vec::new();
        for p in joined.split('/') {
            match p {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        format!("/{}", parts.join("/"))
    }

    /// The node's attributes, read from the emulated `stat` so both views agree.
    fn stat(&mut self, path: &str, follow: bool) -> Option<Attrs> {
        if !shell_safe(path) {
            return None;
        }
        let target = if follow {
            let o = self.shell.execute(&format!("readlink -f {}", quote(path)));
            if o.exit_code != 0 {
                return None;
            }
            String::from_utf8_lossy(&o.output).trim_end().to_owned()
        } else {
            path.to_owned()
        };
        let o = self.shell.execute(&format!("stat {}", quote(&target)));
        if o.exit_code != 0 {
            return None;
        }
        parse_stat(&String::from_utf8_lossy(&o.output))
    }
}

impl Handle {
    fn held(&self) -> u64 {
        match self {
            Handle::Write { content, .. } => content.len() as u64,
            _ => 0,
        }
    }
}

/// Reads the fields SFTP needs out of GNU `stat`'s default output.
fn parse_stat(text: &str) -> Option<Attrs> {
    let mut a = Attrs::default();
    let after = |line: &str, key: &str| line.split_once(key).map(|(_, r)| r.trim().to_owned());
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("Size:") {
            a.size = rest.split_whitespace().next()?.parse().ok()?;
        } else if line.starts_with("Access: (") {
            // Access: (0755/drwxr-xr-x)  Uid: (    0/    root)   Gid: (    0/    root)
            let perm = after(line, "(")?;
            let (octal, rest) = perm.split_once('/')?;
            let kind = match rest.chars().next()? {
                'd' => 0o040000,
                'l' => 0o120000,
                'c' => 0o020000,
                _ => 0o100000,
            };
            a.mode = kind | u32::from_str_radix(octal, 8).ok()?;
            let ids = |key: &str| -> Option<(u32, String)> {
                let s = after(line, key)?;
                let inner = s.trim_start_matches('(');
                let (n, name) = inner.split_once('/')?;
                let name = name.split(')').next()?.trim().to_owned();
                Some((n.trim().parse().ok()?, name))
            };
            (a.uid, a.user) = ids("Uid:")?;
            (a.gid, a.group) = ids("Gid:")?;
        } else if let Some(rest) = line.strip_prefix("Modify:") {
            a.mtime = parse_time(rest.trim()).unwrap_or(0);
        }
    }
    (a.mode != 0).then_some(a)
}

/// `2024-03-05 12:34:56.000000000 +0000` as unix seconds.
fn parse_time(s: &str) -> Option<u32> {
    let (date, time) = s.split_once(' ')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(['.', ' ']).next()?.split(':');
    let mut n = || t.next().and_then(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (n()?, n()?, n()?);
    let secs = days_from_civil(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss;
    u32::try_from(secs).ok()
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0)
}

/// The `ls -l` line `sftp-server` sends with each READDIR entry.
fn longname(name: &str, a: &Attrs) -> String {
    let kind = match a.mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        _ => '-',
    };
    let mut mode = String::from(kind);
    for shift in [6, 3, 0] {
        let bits = (a.mode >> shift) & 7;
        mode.push(if bits & 4 != 0 { 'r' } else { '-' });
        mode.push(if bits & 2 != 0 { 'w' } else { '-' });
        mode.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    let links = if kind == 'd' { 2 } else { 1 };
    let t = i64::from(a.mtime);
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .get(m.saturating_sub(1) as usize)
    .copied()
    .unwrap_or("Jan");
    let when = if i64::from(now()) - t < 180 * 86_400 {
        let s = t.rem_euclid(86_400);
        format!("{month} {d:>2} {:02}:{:02}", s / 3600, s % 3600 / 60)
    } else {
        format!("{month} {d:>2}  {y}")
    };
    format!(
        "{mode}    {links} {:<8} {:<8} {:>8} {when} {name}",
        a.user, a.group, a.size
    )
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether a quoted path can go to the emulated shell as one word on one line.
fn shell_safe(s: &str) -> bool {
    !s.contains(['\n', '\r', '\0'])
}

/// Single-quotes a path for the emulated shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The length word of a buffered packet, checked against the limits.
fn packet_len(buf: &[u8]) -> Result<usize, SftpError> {
    let len = match buf {
        [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]) as usize,
        _ => return Err(SftpError::Truncated("length")),
    };
    if len > MAX_PACKET {
        return Err(SftpError::PacketTooLong(len));
    }
    if len == 0 {
        return Err(SftpError::EmptyPacket);
    }
    Ok(len)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SftpError> {
        if self.0.len() < n {
            return Err(SftpError::Truncated(what));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, SftpError> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, SftpError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, SftpError> {
        let hi = u64::from(self.u32(what)?);
        let lo = u64::from(self.u32(what)?);
        Ok(hi << 32 | lo)
    }
    fn string(&mut self, what: &'static str) -> Result<&'a [u8], SftpError> {
        let n = self.u32(what)? as usize;
        self.take(n, what)
    }
    fn path(&mut self) -> Result<String, SftpError> {
        let b = self.string("path")?;
        if b.len() > MAX_PATH {
            return Err(SftpError::FieldTooLong("path"));
        }
        Ok(String::from_utf8_lossy(b).into_owned())
    }
    fn handle(&mut self) -> Result<u32, SftpError> {
        let b = self.string("handle")?;
        // Our handles are 4 bytes; anything else names no open file.
        Ok(match b {
            [a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
            _ => u32::MAX,
        })
    }
    /// Skips an ATTRS structure, returning its permissions when present.
    fn attrs(&mut self) -> Result<Option<u32>, SftpError> {
        let flags = self.u32("attrs flags")?;
        if flags & ATTR_SIZE != 0 {
            self.u64("attrs size")?;
        }
        if flags & ATTR_UIDGID != 0 {
            self.u64("attrs uid/gid")?;
        }
        let mut perms = None;
        if flags & ATTR_PERMISSIONS != 0 {
            perms = Some(self.u32("attrs permissions")?);
        }
        if flags & ATTR_ACMODTIME != 0 {
            self.u64("attrs times")?;
        }
        if flags & ATTR_EXTENDED != 0 {
            let count = self.u32("attrs extended count")?;
            for _ in 0..count {
                // Each pair consumes at least 8 bytes, so a huge count fails fast.
                self.string("attrs extended type")?;
                self.string("attrs extended data")?;
            }
        }
        Ok(perms)
    }
}

struct Packet(Vec<u8>);

impl Packet {
    fn new(kind: u8) -> Packet {
        Packet(vec![0, 0, 0, 0, kind])
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn string(&mut self, s: &[u8]) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s);
    }
    fn attrs(&mut self, a: &Attrs) {
        self.u32(ATTR_SIZE | ATTR_UIDGID | ATTR_PERMISSIONS | ATTR_ACMODTIME);
        self.u64(a.size);
        self.u32(a.uid);
        self.u32(a.gid);
        self.u32(a.mode);
        self.u32(a.mtime);
        self.u32(a.mtime);
    }
    fn finish(mut self) -> Vec<u8> {
        let len = (self.0.len() - 4) as u32;
        self.0[..4].copy_from_slice(&len.to_be_bytes());
        self.0
    }
}

fn status(id: u32, code: u32, message: &str) -> Vec<u8> {
    let mut p = Packet::new(SSH_FXP_STATUS);
    p.u32(id);
    p.u32(code);
    p.string(message.as_bytes());
    p.string(b"");
    p.finish()
}

fn handle_reply(id: u32, h: u32) -> Vec<u8> {
    let mut p = Packet::new(SSH_FXP_HANDLE);
    p.u32(id);
    p.string(&h.to_be_bytes());
    p.finish()
}

fn attrs_reply(id: u32, a: &Attrs) -> Vec<u8> {
    let mut p = Packet::new(SSH_FXP_ATTRS);
    p.u32(id);
    p.attrs(a);
    p.finish()
}

fn name_reply(id: u32, names: &[(String, String, Attrs)]) -> Vec<u8> {
    let mut p = Packet::new(SSH_FXP_NAME);
    p.u32(id);
    p.u32(names.len() as u32);
    for (name, long, a) in names {
        p.string(name.as_bytes());
        p.string(long.as_bytes());
        p.attrs(a);
    }
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sikker_shell::{Persona, System};

    fn server(cap: u64) -> SftpServer {
        let system = System::new(Persona::generate(7));
        SftpServer::new(Shell::new(&system, "root"), cap)
    }

    fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 1) as u32).to_be_bytes().to_vec();
        v.push(kind);
        v.extend_from_slice(body);
        v
    }

    fn s(x: &[u8]) -> Vec<u8> {
        let mut v = (x.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(x);
        v
    }

    fn init(sv: &mut SftpServer) {
        let out = sv.feed(&packet(SSH_FXP_INIT, &3u32.to_be_bytes())).unwrap();
        assert_eq!(out.reply[4..9], [SSH_FXP_VERSION, 0, 0, 0, 3]);
    }

    /// Opens `path` for writing and returns the handle bytes.
    fn open_write(sv: &mut SftpServer, path: &str) -> Vec<u8> {
        let mut body = 1u32.to_be_bytes().to_vec();
        body.extend(s(path.as_bytes()));
        body.extend((PFLAG_WRITE | PFLAG_CREAT | PFLAG_TRUNC).to_be_bytes());
        body.extend(0u32.to_be_bytes());
        let out = sv.feed(&packet(SSH_FXP_OPEN, &body)).unwrap();
        assert_eq!(out.reply[4], SSH_FXP_HANDLE, "{:?}", out.reply);
        out.reply[13..17].to_vec()
    }

    fn write(sv: &mut SftpServer, handle: &[u8], offset: u64, data: &[u8]) -> Vec<u8> {
        let mut body = 2u32.to_be_bytes().to_vec();
        body.extend(s(handle));
        body.extend(offset.to_be_bytes());
        body.extend(s(data));
        sv.feed(&packet(SSH_FXP_WRITE, &body)).unwrap().reply
    }

    #[test]
    fn upload_split_across_reads_is_kept_and_lands_in_the_tree() {
        let mut sv = server(1024);
        init(&mut sv);
        let h = open_write(&mut sv, "/tmp/x.sh");
        // One WRITE packet fed a byte at a time.
        let mut body = 2u32.to_be_bytes().to_vec();
        body.extend(s(&h));
        body.extend(0u64.to_be_bytes());
        body.extend(s(b"#!/bin/sh\n"));
        let mut reply = Vec::new();
        for b in packet(SSH_FXP_WRITE, &body) {
            reply.extend(sv.feed(&[b]).unwrap().reply);
        }
        assert_eq!(reply, status(2, FX_OK, "Success"));
        let mut body = 3u32.to_be_bytes().to_vec();
        body.extend(s(&h));
        let out = sv.feed(&packet(SSH_FXP_CLOSE, &body)).unwrap();
        assert_eq!(out.uploads.len(), 1);
        assert_eq!(out.uploads[0].path, "/tmp/x.sh");
        assert_eq!(out.uploads[0].content, b"#!/bin/sh\n");
        assert!(!out.uploads[0].truncated);
        assert_eq!(sv.shell.read_file("/tmp/x.sh").unwrap(), b"#!/bin/sh\n");
        let a = sv.stat("/tmp/x.sh", true).unwrap();
        assert_eq!((a.size, a.mode & 0o170000), (10, 0o100000));
    }

    #[test]
    fn a_write_cut_off_mid_packet_keeps_what_arrived() {
        let mut sv = server(1024);
        init(&mut sv);
        let h = open_write(&mut sv, "/tmp/cut.bin");
        write(&mut sv, &h, 0, b"first ");
        let mut body = 2u32.to_be_bytes().to_vec();
        body.extend(s(&h));
        body.extend(6u64.to_be_bytes());
        body.extend(s(b"second half never came"));
        let whole = packet(SSH_FXP_WRITE, &body);
        // Everything up to and including "second" arrived.
        let cut = whole.len() - b" half never came".len();
        assert!(sv.feed(&whole[..cut]).unwrap().reply.is_empty());
        let files = sv.finish();
        assert_eq!(files[0].content, b"first second");
        assert_eq!(files[0].size, 6 + 22);
        assert!(files[0].truncated);
        // A cut that ends inside the header adds nothing, and nothing is held after.
        let h = open_write(&mut sv, "/tmp/cut2.bin");
        let mut body = 3u32.to_be_bytes().to_vec();
        body.extend(s(&h));
        let header = packet(SSH_FXP_WRITE, &body);
        sv.feed(&header[..header.len() - 2]).unwrap();
        let files = sv.finish();
        assert!(files[0].content.is_empty());
        assert!(sv.inbuf.is_empty());
    }

    #[test]
    fn uploads_over_the_cap_are_cut_and_say_so() {
        let mut sv = server(8);
        init(&mut sv);
        let h = open_write(&mut sv, "/tmp/big");
        write(&mut sv, &h, 0, b"0123456789");
        // A far offset cannot make the server allocate.
        write(&mut sv, &h, u64::MAX - 4, b"abc");
        let files = sv.finish();
        assert_eq!(files[0].content, b"01234567");
        assert_eq!(files[0].size, u64::MAX - 1);
        assert!(files[0].truncated);
        // The cap holds across handles too.
        let a = open_write(&mut sv, "/tmp/a");
        let b = open_write(&mut sv, "/tmp/b");
        write(&mut sv, &a, 0, b"aaaaaa");
        write(&mut sv, &b, 0, b"bbbbbb");
        assert!(sv.held <= 8);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let mut sv = server(8);
        assert_eq!(
            sv.feed(&packet(SSH_FXP_OPEN, &[0; 8])).unwrap_err(),
            SftpError::NotInitialized(SSH_FXP_OPEN)
        );
        let mut sv = server(8);
        assert!(matches!(
            sv.feed(&[0xff, 0xff, 0xff, 0xff]),
            Err(SftpError::PacketTooLong(_))
        ));
        let mut sv = server(8);
        assert_eq!(sv.feed(&[0, 0, 0, 0]).unwrap_err(), SftpError::EmptyPacket);
        let mut sv = server(8);
        init(&mut sv);
        // A string claiming more bytes than the packet has.
        let mut body = 1u32.to_be_bytes().to_vec();
        body.extend(1000u32.to_be_bytes());
        assert_eq!(
            sv.feed(&packet(SSH_FXP_STAT, &body)).unwrap_err(),
            SftpError::Truncated("path")
        );
        // Attributes claiming four billion extensions.
        let mut body = 1u32.to_be_bytes().to_vec();
        body.extend(s(b"/tmp"));
        body.extend(ATTR_EXTENDED.to_be_bytes());
        body.extend(u32::MAX.to_be_bytes());
        assert!(sv.feed(&packet(SSH_FXP_SETSTAT, &body)).is_err());
        // Pseudo-random garbage after INIT never panics.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let mut sv = server(64);
            init(&mut sv);
            let len = (x % 40) as usize;
            let mut body = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                body.push(x as u8);
            }
            let kind = (x >> 8) as u8 % 22;
            let _ = sv.feed(&packet(kind, &body));
        }
    }

    #[test]
    fn openssh_extensions_answer() {
        let mut sv = server(8);
        let out = sv.feed(&packet(SSH_FXP_INIT, &3u32.to_be_bytes())).unwrap();
        let text = String::from_utf8_lossy(&out.reply).into_owned();
        assert!(text.contains("posix-rename@openssh.com") && text.contains("limits@openssh.com"));
        let mut body = 4u32.to_be_bytes().to_vec();
        body.extend(s(b"limits@openssh.com"));
        let reply = sv.feed(&packet(SSH_FXP_EXTENDED, &body)).unwrap().reply;
        assert_eq!(reply[4], SSH_FXP_EXTENDED_REPLY);
        assert_eq!(reply[9..17], (MAX_PACKET as u64).to_be_bytes());
        let mut body = 5u32.to_be_bytes().to_vec();
        body.extend(s(b"expand-path@openssh.com"));
        body.extend(s(b"~/x/../y"));
        let reply = sv.feed(&packet(SSH_FXP_EXTENDED, &body)).unwrap().reply;
        assert_eq!(reply[4], SSH_FXP_NAME);
        assert_eq!(reply[13..17], 7u32.to_be_bytes(), "{reply:?}");
        assert_eq!(&reply[17..24], b"/root/y");
        let mut body = 6u32.to_be_bytes().to_vec();
        body.extend(s(b"no-such@example.com"));
        let reply = sv.feed(&packet(SSH_FXP_EXTENDED, &body)).unwrap().reply;
        assert_eq!(reply, status(6, FX_OP_UNSUPPORTED, "Operation unsupported"));
    }

    #[test]
    fn stat_and_listing_come_from_the_virtual_tree() {
        let mut sv = server(8);
        init(&mut sv);
        let etc = sv.stat("/etc", true).unwrap();
        assert_eq!(etc.mode & 0o170000, 0o040000);
        assert!(sv.stat("/nonexistent", true).is_none());
        let reply = sv.opendir(9, "/etc".into());
        assert_eq!(reply[4], SSH_FXP_HANDLE);
        let Some(Handle::Dir { entries, .. }) = sv.handles.values().next() else {
            panic!("a directory handle");
        };
        assert!(entries.iter().any(|(n, _)| n == "passwd"), "{entries:?}");
        let passwd = entries.iter().find(|(n, _)| n == "passwd").unwrap();
        assert!(longname("passwd", &passwd.1).starts_with("-rw-r--r--    1 root     root"));
        assert_eq!(
            parse_time("1970-01-02 00:00:01.000000000 +0000"),
            Some(86_401)
        );
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
