//! Algorithm names, the caller's lists, and negotiation (RFC 4253 §7.1).

use crate::Error;

/// Key exchange methods this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kex {
    Mlkem768X25519Sha256,
    /// sntrup761x25519-sha512 under its IANA name (OpenSSH ≥ 9.9 offers both names).
    Sntrup761X25519Sha512,
    /// The same method under OpenSSH's vendor name (OpenSSH 8.5 on).
    Sntrup761X25519Sha512Openssh,
    Curve25519Sha256,
    Curve25519Sha256Libssh,
    EcdhSha2Nistp256,
    EcdhSha2Nistp384,
    EcdhSha2Nistp521,
    DhGexSha256,
    DhGroup16Sha512,
    DhGroup18Sha512,
    DhGroup14Sha256,
    DhGroup14Sha1,
    DhGexSha1,
    /// Oakley group 2 (1024 bits) with SHA-1: off by default, for personas of servers that
    /// still offered it (RHEL 7's OpenSSH 7.4).
    DhGroup1Sha1,
}

/// How a key exchange method runs.
#[derive(Clone, Copy)]
pub(crate) enum KexFamily {
    Ecdh,
    Dh(fn() -> &'static crate::dh::Group),
    GroupExchange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyAlg {
    Ed25519,
    EcdsaNistp256,
    EcdsaNistp384,
    RsaSha2_512,
    RsaSha2_256,
    /// RSA with SHA-1: off by default (as in OpenSSH ≥ 8.8), for personas of older servers.
    SshRsa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    ChaCha20Poly1305,
    Aes128Gcm,
    Aes256Gcm,
    Aes128Ctr,
    Aes192Ctr,
    Aes256Ctr,
    /// The CBC ciphers (RFC 4253 §6.3): off by default, for personas of servers that still
    /// offered them (RHEL 7's OpenSSH 7.4 lists all six).
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
    BlowfishCbc,
    Cast128Cbc,
    TripleDesCbc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlg {
    HmacSha256,
    HmacSha512,
    HmacSha1,
    HmacSha256Etm,
    HmacSha512Etm,
    HmacSha1Etm,
    Umac64,
    Umac128,
    Umac64Etm,
    Umac128Etm,
}

/// Compression methods. `zlib@openssh.com` starts after authentication succeeds (delayed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    ZlibOpenssh,
}

impl Compression {
    pub const ALL: [Compression; 2] = [Compression::None, Compression::ZlibOpenssh];
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::ZlibOpenssh => "zlib@openssh.com",
        }
    }
}

pub const KEX_STRICT_SERVER: &str = "kex-strict-s-v00@openssh.com";
pub const EXT_INFO_SERVER: &str = "ext-info-s";
pub const KEX_STRICT_CLIENT: &str = "kex-strict-c-v00@openssh.com";
pub const EXT_INFO_CLIENT: &str = "ext-info-c";

impl Kex {
    pub const ALL: [Kex; 15] = [
        Kex::Mlkem768X25519Sha256,
        Kex::Sntrup761X25519Sha512,
        Kex::Sntrup761X25519Sha512Openssh,
        Kex::Curve25519Sha256,
        Kex::Curve25519Sha256Libssh,
        Kex::EcdhSha2Nistp256,
        Kex::EcdhSha2Nistp384,
        Kex::EcdhSha2Nistp521,
        Kex::DhGexSha256,
        Kex::DhGroup16Sha512,
        Kex::DhGroup18Sha512,
        Kex::DhGroup14Sha256,
        Kex::DhGroup14Sha1,
        Kex::DhGexSha1,
        Kex::DhGroup1Sha1,
    ];
    pub(crate) fn family(self) -> KexFamily {
        match self {
            Kex::Mlkem768X25519Sha256
            | Kex::Sntrup761X25519Sha512
            | Kex::Sntrup761X25519Sha512Openssh
            | Kex::Curve25519Sha256
            | Kex::Curve25519Sha256Libssh
            | Kex::EcdhSha2Nistp256
            | Kex::EcdhSha2Nistp384
            | Kex::EcdhSha2Nistp521 => KexFamily::Ecdh,
            Kex::DhGroup1Sha1 => KexFamily::Dh(crate::dh::group1),
            Kex::DhGroup14Sha1 | Kex::DhGroup14Sha256 => KexFamily::Dh(crate::dh::group14),
            Kex::DhGroup16Sha512 => KexFamily::Dh(crate::dh::group16),
            Kex::DhGroup18Sha512 => KexFamily::Dh(crate::dh::group18),
            Kex::DhGexSha256 | Kex::DhGexSha1 => KexFamily::GroupExchange,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Kex::Mlkem768X25519Sha256 => "mlkem768x25519-sha256",
            Kex::Sntrup761X25519Sha512 => "sntrup761x25519-sha512",
            Kex::Sntrup761X25519Sha512Openssh => "sntrup761x25519-sha512@openssh.com",
            Kex::Curve25519Sha256 => "curve25519-sha256",
            Kex::Curve25519Sha256Libssh => "curve25519-sha256@libssh.org",
            Kex::EcdhSha2Nistp256 => "ecdh-sha2-nistp256",
            Kex::EcdhSha2Nistp384 => "ecdh-sha2-nistp384",
            Kex::EcdhSha2Nistp521 => "ecdh-sha2-nistp521",
            Kex::DhGexSha256 => "diffie-hellman-group-exchange-sha256",
            Kex::DhGroup16Sha512 => "diffie-hellman-group16-sha512",
            Kex::DhGroup18Sha512 => "diffie-hellman-group18-sha512",
            Kex::DhGroup14Sha256 => "diffie-hellman-group14-sha256",
            Kex::DhGroup14Sha1 => "diffie-hellman-group14-sha1",
            Kex::DhGexSha1 => "diffie-hellman-group-exchange-sha1",
            Kex::DhGroup1Sha1 => "diffie-hellman-group1-sha1",
        }
    }
    pub fn hash(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            Kex::EcdhSha2Nistp384 => &aws_lc_rs::digest::SHA384,
            Kex::Sntrup761X25519Sha512
            | Kex::Sntrup761X25519Sha512Openssh
            | Kex::EcdhSha2Nistp521
            | Kex::DhGroup16Sha512
            | Kex::DhGroup18Sha512 => &aws_lc_rs::digest::SHA512,
            Kex::DhGroup14Sha1 | Kex::DhGexSha1 | Kex::DhGroup1Sha1 => {
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY
            }
            _ => &aws_lc_rs::digest::SHA256,
        }
    }
}

impl HostKeyAlg {
    pub const ALL: [HostKeyAlg; 6] = [
        HostKeyAlg::Ed25519,
        HostKeyAlg::EcdsaNistp256,
        HostKeyAlg::EcdsaNistp384,
        HostKeyAlg::RsaSha2_512,
        HostKeyAlg::RsaSha2_256,
        HostKeyAlg::SshRsa,
    ];
    pub fn name(self) -> &'static str {
        match self {
            HostKeyAlg::Ed25519 => "ssh-ed25519",
            HostKeyAlg::EcdsaNistp256 => "ecdsa-sha2-nistp256",
            HostKeyAlg::EcdsaNistp384 => "ecdsa-sha2-nistp384",
            HostKeyAlg::RsaSha2_512 => "rsa-sha2-512",
            HostKeyAlg::RsaSha2_256 => "rsa-sha2-256",
            HostKeyAlg::SshRsa => "ssh-rsa",
        }
    }
}

impl Cipher {
    /// The six ciphers OpenSSH ≥ 7.6 still offers, then the CBC ciphers in RHEL 7's order.
    pub const ALL: [Cipher; 12] = [
        Cipher::ChaCha20Poly1305,
        Cipher::Aes128Gcm,
        Cipher::Aes256Gcm,
        Cipher::Aes128Ctr,
        Cipher::Aes192Ctr,
        Cipher::Aes256Ctr,
        Cipher::Aes128Cbc,
        Cipher::Aes192Cbc,
        Cipher::Aes256Cbc,
        Cipher::BlowfishCbc,
        Cipher::Cast128Cbc,
        Cipher::TripleDesCbc,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Cipher::ChaCha20Poly1305 => "chacha20-poly1305@openssh.com",
            Cipher::Aes128Gcm => "aes128-gcm@openssh.com",
            Cipher::Aes256Gcm => "aes256-gcm@openssh.com",
            Cipher::Aes128Ctr => "aes128-ctr",
            Cipher::Aes192Ctr => "aes192-ctr",
            Cipher::Aes256Ctr => "aes256-ctr",
            Cipher::Aes128Cbc => "aes128-cbc",
            Cipher::Aes192Cbc => "aes192-cbc",
            Cipher::Aes256Cbc => "aes256-cbc",
            Cipher::BlowfishCbc => "blowfish-cbc",
            Cipher::Cast128Cbc => "cast128-cbc",
            Cipher::TripleDesCbc => "3des-cbc",
        }
    }
    /// AEAD ciphers carry their own integrity: the MAC list does not apply.
    pub fn is_aead(self) -> bool {
        matches!(
            self,
            Cipher::ChaCha20Poly1305 | Cipher::Aes128Gcm | Cipher::Aes256Gcm
        )
    }
    /// Whether this is one of the CBC ciphers, whose chaining value carries from one packet
    /// to the next.
    pub fn is_cbc(self) -> bool {
        matches!(
            self,
            Cipher::Aes128Cbc
                | Cipher::Aes192Cbc
                | Cipher::Aes256Cbc
                | Cipher::BlowfishCbc
                | Cipher::Cast128Cbc
                | Cipher::TripleDesCbc
        )
    }
    /// Key bytes taken from the key exchange: 128 bits for Blowfish and CAST-128 (their
    /// ciphers take other lengths; SSH fixes these), three DES keys for 3DES.
    pub fn key_len(self) -> usize {
        match self {
            Cipher::ChaCha20Poly1305 => 64,
            Cipher::Aes128Gcm
            | Cipher::Aes128Ctr
            | Cipher::Aes128Cbc
            | Cipher::BlowfishCbc
            | Cipher::Cast128Cbc => 16,
            Cipher::Aes192Ctr | Cipher::Aes192Cbc | Cipher::TripleDesCbc => 24,
            Cipher::Aes256Gcm | Cipher::Aes256Ctr | Cipher::Aes256Cbc => 32,
        }
    }
    /// IV bytes: the block size for CTR and CBC, GCM's 12-byte nonce, none for ChaCha20.
    pub fn iv_len(self) -> usize {
        match self {
            Cipher::ChaCha20Poly1305 => 0,
            Cipher::Aes128Gcm | Cipher::Aes256Gcm => 12,
            Cipher::BlowfishCbc | Cipher::Cast128Cbc | Cipher::TripleDesCbc => 8,
            _ => 16,
        }
    }
}

impl MacAlg {
    /// In OpenSSH's order of preference.
    pub const ALL: [MacAlg; 10] = [
        MacAlg::Umac64Etm,
        MacAlg::Umac128Etm,
        MacAlg::HmacSha256Etm,
        MacAlg::HmacSha512Etm,
        MacAlg::HmacSha1Etm,
        MacAlg::Umac64,
        MacAlg::Umac128,
        MacAlg::HmacSha256,
        MacAlg::HmacSha512,
        MacAlg::HmacSha1,
    ];
    pub fn name(self) -> &'static str {
        match self {
            MacAlg::HmacSha256 => "hmac-sha2-256",
            MacAlg::HmacSha512 => "hmac-sha2-512",
            MacAlg::HmacSha1 => "hmac-sha1",
            MacAlg::HmacSha256Etm => "hmac-sha2-256-etm@openssh.com",
            MacAlg::HmacSha512Etm => "hmac-sha2-512-etm@openssh.com",
            MacAlg::HmacSha1Etm => "hmac-sha1-etm@openssh.com",
            MacAlg::Umac64 => "umac-64@openssh.com",
            MacAlg::Umac128 => "umac-128@openssh.com",
            MacAlg::Umac64Etm => "umac-64-etm@openssh.com",
            MacAlg::Umac128Etm => "umac-128-etm@openssh.com",
        }
    }
    pub fn etm(self) -> bool {
        matches!(
            self,
            MacAlg::HmacSha256Etm
                | MacAlg::HmacSha512Etm
                | MacAlg::HmacSha1Etm
                | MacAlg::Umac64Etm
                | MacAlg::Umac128Etm
        )
    }
    /// Tag length for the UMAC family, `None` for HMAC.
    pub fn umac_tag_len(self) -> Option<usize> {
        match self {
            MacAlg::Umac64 | MacAlg::Umac64Etm => Some(8),
            MacAlg::Umac128 | MacAlg::Umac128Etm => Some(16),
            _ => None,
        }
    }
    pub fn key_len(self) -> usize {
        match self {
            MacAlg::HmacSha256 | MacAlg::HmacSha256Etm => 32,
            MacAlg::HmacSha512 | MacAlg::HmacSha512Etm => 64,
            MacAlg::HmacSha1 | MacAlg::HmacSha1Etm => 20,
            _ => 16,
        }
    }
}

fn lookup<T: Copy>(all: &[T], name: fn(T) -> &'static str, wanted: &str) -> Option<T> {
    all.iter().copied().find(|&a| name(a) == wanted)
}

/// The name lists the server presents in its KEXINIT, in preference order. The sensor passes a
/// persona's OpenSSH lists here; every name must be one this crate implements.
#[derive(Clone, Debug)]
pub struct Algorithms {
    pub(crate) kex: Vec<Kex>,
    pub(crate) host_key: Vec<HostKeyAlg>,
    pub(crate) cipher: Vec<Cipher>,
    pub(crate) mac: Vec<MacAlg>,
    pub(crate) compression: Vec<Compression>,
    /// Offer strict KEX (`kex-strict-s-v00@openssh.com`).
    pub(crate) strict: bool,
    /// Put `ext-info-s` in the kex list, as OpenSSH ≥ 9.6 does.
    pub(crate) ext_info_s: bool,
}

impl Default for Algorithms {
    /// Everything implemented, in OpenSSH 10's order of preference (SHA-1 key exchanges,
    /// which OpenSSH no longer enables by default, left out; the finite-field groups that
    /// sshd 10 dropped from its list kept at the end, where its client still has them). The
    /// CBC ciphers are left out too: upstream sshd has not offered them by default since 6.7.
    fn default() -> Self {
        Algorithms {
            kex: Kex::ALL[..12].to_vec(),
            host_key: HostKeyAlg::ALL[..5].to_vec(),
            cipher: Cipher::ALL[..6].to_vec(),
            mac: MacAlg::ALL.to_vec(),
            // OpenSSH's server default (Compression yes).
            compression: Compression::ALL.to_vec(),
            strict: true,
            ext_info_s: true,
        }
    }
}

/// The name lists a server with these [`Algorithms`] sends in its KEXINIT, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameLists {
    /// With `ext-info-s` and `kex-strict-s-v00@openssh.com` where they are offered.
    pub kex: Vec<&'static str>,
    /// Before narrowing to the host keys the server holds.
    pub host_key: Vec<&'static str>,
    pub cipher: Vec<&'static str>,
    pub mac: Vec<&'static str>,
    pub compression: Vec<&'static str>,
}

impl Algorithms {
    /// The lists by name, as KEXINIT carries them: what a fingerprint of the server (HASSH-server,
    /// ssh-audit) is taken from.
    pub fn names(&self) -> NameLists {
        let mut kex: Vec<&'static str> = self.kex.iter().map(|k| k.name()).collect();
        // Where OpenSSH ≥ 9.6 puts them: "…,ext-info-s,kex-strict-s-v00@openssh.com".
        if self.ext_info_s {
            kex.push(EXT_INFO_SERVER);
        }
        if self.strict {
            kex.push(KEX_STRICT_SERVER);
        }
        NameLists {
            kex,
            host_key: self.host_key.iter().map(|h| h.name()).collect(),
            cipher: self.cipher.iter().map(|c| c.name()).collect(),
            mac: self.mac.iter().map(|m| m.name()).collect(),
            compression: self.compression.iter().map(|c| c.name()).collect(),
        }
    }

    /// Builds the lists from names; an unknown name is an error, so a persona never advertises
    /// what the server would fail to speak.
    pub fn from_names<S: AsRef<str>>(
        kex: &[S],
        host_key: &[S],
        cipher: &[S],
        mac: &[S],
        compression: &[S],
    ) -> Result<Self, Error> {
        fn all<T: Copy, S: AsRef<str>>(
            names: &[S],
            table: &[T],
            name: fn(T) -> &'static str,
        ) -> Result<Vec<T>, Error> {
            names
                .iter()
                .map(|n| {
                    lookup(table, name, n.as_ref())
                        .ok_or_else(|| Error::UnsupportedAlgorithm(n.as_ref().to_owned()))
                })
                .collect()
        }
        // The markers OpenSSH puts at the end of its kex list: whether to send them follows
        // the persona (OpenSSH before the Terrapin fix offered no strict KEX).
        let kex_names: Vec<&str> = kex
            .iter()
            .map(|s| s.as_ref())
            .filter(|n| *n != KEX_STRICT_SERVER && *n != EXT_INFO_SERVER)
            .collect();
        let has = |m: &str| kex.iter().any(|n| n.as_ref() == m);
        let a = Algorithms {
            strict: has(KEX_STRICT_SERVER),
            ext_info_s: has(EXT_INFO_SERVER),
            compression: all(compression, &Compression::ALL, Compression::name)?,
            kex: all(&kex_names, &Kex::ALL, Kex::name)?,
            host_key: all(host_key, &HostKeyAlg::ALL, HostKeyAlg::name)?,
            cipher: all(cipher, &Cipher::ALL, Cipher::name)?,
            mac: all(mac, &MacAlg::ALL, MacAlg::name)?,
        };
        if a.kex.is_empty()
            || a.host_key.is_empty()
            || a.cipher.is_empty()
            || a.compression.is_empty()
        {
            return Err(Error::UnsupportedAlgorithm("(empty list)".into()));
        }
        Ok(a)
    }
}

/// One name-list of a peer's KEXINIT as it was sent: the comma-separated text (invalid UTF-8
/// replaced), kept whole. A real client's KEXINIT carries some 70 names; one string per list
/// instead of one per name, and fingerprints such as HASSH hash the lists as sent anyway.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NameList(String);

impl NameList {
    pub fn new(raw: &[u8]) -> NameList {
        NameList(String::from_utf8_lossy(raw).into_owned())
    }

    /// The list as sent, commas included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The names in order. An empty list has none; an empty name between two commas is kept,
    /// as the peer sent it.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (!self.0.is_empty())
            .then(|| self.0.split(','))
            .into_iter()
            .flatten()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for NameList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Names joined with commas, as a KEXINIT carries them.
impl<S: AsRef<str>> FromIterator<S> for NameList {
    fn from_iter<I: IntoIterator<Item = S>>(names: I) -> NameList {
        let mut s = String::new();
        for (i, n) in names.into_iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(n.as_ref());
        }
        NameList(s)
    }
}

/// What a client's KEXINIT offered, as sent (kept for the caller's fingerprinting, e.g. HASSH).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientKexInit {
    pub kex: NameList,
    pub host_key: NameList,
    pub cipher_c2s: NameList,
    pub cipher_s2c: NameList,
    pub mac_c2s: NameList,
    pub mac_s2c: NameList,
    pub compression_c2s: NameList,
    pub compression_s2c: NameList,
    pub first_kex_packet_follows: bool,
}

/// The outcome of negotiation for one key exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub kex: Kex,
    pub host_key: HostKeyAlg,
    pub cipher_c2s: Cipher,
    pub cipher_s2c: Cipher,
    /// `None` for AEAD ciphers.
    pub mac_c2s: Option<MacAlg>,
    pub mac_s2c: Option<MacAlg>,
    pub compression_c2s: Compression,
    pub compression_s2c: Compression,
    pub strict: bool,
    pub ext_info: bool,
}

/// The first name on the client's list that the server also has (RFC 4253 §7.1).
fn choose<T: Copy>(
    kind: &'static str,
    client: &NameList,
    server: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, Error> {
    client
        .iter()
        .find_map(|c| server.iter().copied().find(|&s| name(s) == c))
        .ok_or_else(|| Error::NoCommonAlgorithm {
            kind,
            client: client.as_str().to_owned(),
        })
}

pub(crate) fn negotiate(
    client: &ClientKexInit,
    server: &Algorithms,
    host_keys: &[HostKeyAlg],
) -> Result<Negotiated, Error> {
    let kex = choose("kex", &client.kex, &server.kex, Kex::name)?;
    let hk: Vec<HostKeyAlg> = server
        .host_key
        .iter()
        .copied()
        .filter(|a| host_keys.contains(a))
        .collect();
    let host_key = choose("host key", &client.host_key, &hk, HostKeyAlg::name)?;
    let cipher_c2s = choose("cipher", &client.cipher_c2s, &server.cipher, Cipher::name)?;
    let cipher_s2c = choose("cipher", &client.cipher_s2c, &server.cipher, Cipher::name)?;
    let mac_c2s = if cipher_c2s.is_aead() {
        None
    } else {
        Some(choose("mac", &client.mac_c2s, &server.mac, MacAlg::name)?)
    };
    let mac_s2c = if cipher_s2c.is_aead() {
        None
    } else {
        Some(choose("mac", &client.mac_s2c, &server.mac, MacAlg::name)?)
    };
    let compression_c2s = choose(
        "compression",
        &client.compression_c2s,
        &server.compression,
        Compression::name,
    )?;
    let compression_s2c = choose(
        "compression",
        &client.compression_s2c,
        &server.compression,
        Compression::name,
    )?;
    Ok(Negotiated {
        compression_c2s,
        compression_s2c,
        kex,
        host_key,
        cipher_c2s,
        cipher_s2c,
        mac_c2s,
        mac_s2c,
        strict: server.strict && client.kex.contains(KEX_STRICT_CLIENT),
        ext_info: client.kex.contains(EXT_INFO_CLIENT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(kex: &[&str], ciphers: &[&str], macs: &[&str]) -> ClientKexInit {
        let v = |l: &[&str]| l.iter().collect::<NameList>();
        ClientKexInit {
            kex: v(kex),
            host_key: v(&["ssh-ed25519", "rsa-sha2-512"]),
            cipher_c2s: v(ciphers),
            cipher_s2c: v(ciphers),
            mac_c2s: v(macs),
            mac_s2c: v(macs),
            compression_c2s: v(&["none"]),
            compression_s2c: v(&["none"]),
            first_kex_packet_follows: false,
        }
    }

    #[test]
    fn the_clients_preference_wins() {
        let c = client(
            &[
                "sntrup4591761x25519-sha512@tinyssh.org",
                "ecdh-sha2-nistp256",
                "curve25519-sha256",
            ],
            &["aes256-ctr", "chacha20-poly1305@openssh.com"],
            &["hmac-sha1", "hmac-sha2-256"],
        );
        let n = negotiate(&c, &Algorithms::default(), &HostKeyAlg::ALL).unwrap();
        assert_eq!(n.kex, Kex::EcdhSha2Nistp256);
        assert_eq!(n.cipher_c2s, Cipher::Aes256Ctr);
        assert_eq!(n.mac_c2s, Some(MacAlg::HmacSha1));
        assert!(!n.strict && !n.ext_info);
    }

    #[test]
    fn host_key_only_from_keys_the_server_has() {
        let c = client(&["curve25519-sha256"], &["aes128-ctr"], &["hmac-sha2-256"]);
        let n = negotiate(&c, &Algorithms::default(), &[HostKeyAlg::RsaSha2_512]).unwrap();
        assert_eq!(n.host_key, HostKeyAlg::RsaSha2_512);
        let e = negotiate(&c, &Algorithms::default(), &[HostKeyAlg::EcdsaNistp256]);
        assert!(matches!(
            e,
            Err(Error::NoCommonAlgorithm {
                kind: "host key",
                ..
            })
        ));
    }

    #[test]
    fn markers_and_aead_rules() {
        let c = client(
            &["curve25519-sha256", EXT_INFO_CLIENT, KEX_STRICT_CLIENT],
            &["aes128-gcm@openssh.com"],
            &[],
        );
        let n = negotiate(&c, &Algorithms::default(), &HostKeyAlg::ALL).unwrap();
        assert!(n.strict && n.ext_info);
        assert_eq!(n.mac_c2s, None);
        let c = client(&["curve25519-sha256"], &["aes128-ctr"], &["hmac-md5"]);
        assert!(matches!(
            negotiate(&c, &Algorithms::default(), &HostKeyAlg::ALL),
            Err(Error::NoCommonAlgorithm { kind: "mac", .. })
        ));
        let c = client(
            &["diffie-hellman-group1-sha1"],
            &["aes128-ctr"],
            &["hmac-sha1"],
        );
        assert!(negotiate(&c, &Algorithms::default(), &HostKeyAlg::ALL).is_err());
    }

    #[test]
    fn unknown_names_in_the_configuration_are_refused() {
        let e = Algorithms::from_names(
            &[
                "curve25519-sha256",
                "sntrup4591761x25519-sha512@tinyssh.org",
            ],
            &["ssh-ed25519"],
            &["aes128-ctr"],
            &["hmac-sha1"],
            &["none"],
        );
        assert!(matches!(e, Err(Error::UnsupportedAlgorithm(n)) if n.starts_with("sntrup4591761")));
        let ok = Algorithms::from_names(
            &["curve25519-sha256", KEX_STRICT_SERVER],
            &["ssh-ed25519"],
            &["aes128-ctr"],
            &["hmac-sha1"],
            &["none"],
        )
        .unwrap();
        assert_eq!(ok.kex, [Kex::Curve25519Sha256]);
        assert!(ok.strict && !ok.ext_info_s);
        // A persona without the marker (OpenSSH before 9.6) offers no strict KEX.
        let old = Algorithms::from_names(
            &["curve25519-sha256"],
            &["ssh-ed25519"],
            &["aes128-ctr"],
            &["hmac-sha1"],
            &["none"],
        )
        .unwrap();
        let c = client(
            &["curve25519-sha256", KEX_STRICT_CLIENT],
            &["aes128-ctr"],
            &["hmac-sha1"],
        );
        assert!(!negotiate(&c, &old, &HostKeyAlg::ALL).unwrap().strict);
    }

    /// CentOS 7's sshd (RHEL's OpenSSH 7.4): the Oakley group 2 key exchange and six CBC
    /// ciphers, none of which the defaults offer.
    #[test]
    fn rhel7_cbc_ciphers_and_group1() {
        let ciphers = [
            "chacha20-poly1305@openssh.com",
            "aes128-ctr",
            "aes192-ctr",
            "aes256-ctr",
            "aes128-gcm@openssh.com",
            "aes256-gcm@openssh.com",
            "aes128-cbc",
            "aes192-cbc",
            "aes256-cbc",
            "blowfish-cbc",
            "cast128-cbc",
            "3des-cbc",
        ];
        let rhel7 = Algorithms::from_names(
            &[
                "curve25519-sha256",
                "diffie-hellman-group14-sha1",
                "diffie-hellman-group1-sha1",
            ],
            &["ssh-rsa", "ssh-ed25519"],
            &ciphers,
            &["hmac-sha1", "hmac-sha1-etm@openssh.com"],
            &["none"],
        )
        .unwrap();
        assert_eq!(
            rhel7.cipher.iter().map(|c| c.name()).collect::<Vec<_>>(),
            ciphers
        );
        assert_eq!(rhel7.kex[2], Kex::DhGroup1Sha1);
        assert_eq!(
            Kex::DhGroup1Sha1.hash(),
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY
        );
        assert!(matches!(Kex::DhGroup1Sha1.family(), KexFamily::Dh(_)));
        for (c, key, iv) in [
            (Cipher::BlowfishCbc, 16, 8),
            (Cipher::Cast128Cbc, 16, 8),
            (Cipher::TripleDesCbc, 24, 8),
            (Cipher::Aes192Cbc, 24, 16),
        ] {
            assert!(c.is_cbc() && !c.is_aead());
            assert_eq!((c.key_len(), c.iv_len()), (key, iv), "{c:?}");
        }
        let c = client(
            &["diffie-hellman-group1-sha1"],
            &["3des-cbc"],
            &["hmac-sha1"],
        );
        let n = negotiate(&c, &rhel7, &HostKeyAlg::ALL).unwrap();
        assert_eq!(
            (n.kex, n.cipher_c2s),
            (Kex::DhGroup1Sha1, Cipher::TripleDesCbc)
        );
        assert_eq!(n.mac_s2c, Some(MacAlg::HmacSha1));
        let default = Algorithms::default();
        assert!(!default.kex.contains(&Kex::DhGroup1Sha1));
        assert!(!default.cipher.iter().any(|c| c.is_cbc()));
        let c = client(&["curve25519-sha256"], &["aes128-cbc"], &["hmac-sha1"]);
        assert!(matches!(
            negotiate(&c, &default, &HostKeyAlg::ALL),
            Err(Error::NoCommonAlgorithm { kind: "cipher", .. })
        ));
    }

    #[test]
    fn both_sntrup761_names_are_one_sha512_method() {
        let names = [
            "sntrup761x25519-sha512",
            "sntrup761x25519-sha512@openssh.com",
        ];
        let a = Algorithms::from_names(
            &names,
            &["ssh-ed25519"],
            &["aes128-ctr"],
            &["hmac-sha1"],
            &["none"],
        )
        .unwrap();
        assert_eq!(
            a.kex,
            [
                Kex::Sntrup761X25519Sha512,
                Kex::Sntrup761X25519Sha512Openssh
            ]
        );
        for k in &a.kex {
            assert_eq!(k.hash(), &aws_lc_rs::digest::SHA512);
            assert!(matches!(k.family(), KexFamily::Ecdh));
        }
        // An OpenSSH 8.9–9.8 client knows only the vendor name.
        let c = client(
            &["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"],
            &["aes128-ctr"],
            &["hmac-sha1"],
        );
        let n = negotiate(&c, &Algorithms::default(), &HostKeyAlg::ALL).unwrap();
        assert_eq!(n.kex, Kex::Sntrup761X25519Sha512Openssh);
    }
}
