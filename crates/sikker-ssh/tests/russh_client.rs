//! Interoperability with russh's client (the one the sensor bench drives) on 127.0.0.1:
//! password and public key auth, exec, a PTY shell, with each cipher and MAC russh shares
//! with us.

mod common;

use common::{key_dir, start, PASSWORD};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{cipher, kex, mac, ChannelMsg, Disconnect, Preferred};
use sikker_ssh::{Cipher, Event, MacAlg};
use std::borrow::Cow;
use std::sync::Arc;

struct Client;

impl client::Handler for Client {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

fn config(cipher: Option<cipher::Name>, mac: Option<mac::Name>) -> Arc<client::Config> {
    config_kex(kex::CURVE25519, cipher, mac)
}

fn config_kex(
    method: kex::Name,
    cipher: Option<cipher::Name>,
    mac: Option<mac::Name>,
) -> Arc<client::Config> {
    let mut preferred = Preferred {
        kex: Cow::Owned(vec![
            method,
            kex::EXTENSION_SUPPORT_AS_CLIENT,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
        ]),
        ..Preferred::default()
    };
    if let Some(c) = cipher {
        preferred.cipher = Cow::Owned(vec![c]);
    }
    if let Some(m) = mac {
        preferred.mac = Cow::Owned(vec![m]);
    }
    Arc::new(client::Config {
        preferred,
        ..Default::default()
    })
}

/// Runs `command` and returns (stdout, exit status).
async fn exec(handle: &client::Handle<Client>, command: &str) -> (Vec<u8>, Option<u32>) {
    let mut ch = handle.channel_open_session().await.expect("open session");
    ch.exec(true, command).await.expect("exec");
    let mut out = Vec::new();
    let mut status = None;
    while let Some(msg) = ch.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    (out, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_exec_with_every_shared_cipher_and_mac() {
    let (port, log) = start(common::config()).await;
    let mut combos: Vec<(cipher::Name, Option<mac::Name>)> = vec![
        (cipher::CHACHA20_POLY1305, None),
        (cipher::AES_128_GCM, None),
        (cipher::AES_256_GCM, None),
    ];
    for c in [
        cipher::AES_128_CTR,
        cipher::AES_192_CTR,
        cipher::AES_256_CTR,
    ] {
        for m in [
            mac::HMAC_SHA1,
            mac::HMAC_SHA256,
            mac::HMAC_SHA512,
            mac::HMAC_SHA1_ETM,
            mac::HMAC_SHA256_ETM,
            mac::HMAC_SHA512_ETM,
        ] {
            combos.push((c, Some(m)));
        }
    }
    for (c, m) in combos {
        let mut h = client::connect(config(Some(c), m), ("127.0.0.1", port), Client)
            .await
            .expect("connect");
        let auth = h.authenticate_password("root", "nope").await.expect("auth");
        assert!(!auth.success());
        let auth = h
            .authenticate_password("root", PASSWORD)
            .await
            .expect("auth");
        assert!(auth.success(), "{c:?}/{m:?}");
        let (out, status) = exec(&h, "cat /etc/passwd").await;
        assert_eq!(out, b"exec:cat /etc/passwd\n", "{c:?}/{m:?}");
        assert_eq!(status, Some(3));
        let n = log
            .lock()
            .expect("log")
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::KexInit { negotiated, .. } => Some(*negotiated),
                _ => None,
            })
            .expect("kex");
        assert_eq!(n.cipher_s2c.name(), c.as_ref());
        assert!(n.strict);
        if let Some(m) = m {
            assert_eq!(n.mac_c2s.map(MacAlg::name), Some(m.as_ref()));
        } else {
            assert!(matches!(
                n.cipher_c2s,
                Cipher::ChaCha20Poly1305 | Cipher::Aes128Gcm | Cipher::Aes256Gcm
            ));
        }
        h.disconnect(Disconnect::ByApplication, "", "en")
            .await
            .expect("disconnect");
    }
}

/// The CBC ciphers russh has (`des` feature for 3des-cbc), with the MAC over the
/// plaintext and encrypt-then-MAC, over a few exchanges of packets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cbc_ciphers_russh_shares_with_us() {
    let (port, log) = start(common::config_all()).await;
    for c in [
        cipher::AES_128_CBC,
        cipher::AES_192_CBC,
        cipher::AES_256_CBC,
        cipher::TRIPLE_DES_CBC,
    ] {
        for m in [mac::HMAC_SHA1, mac::HMAC_SHA256_ETM] {
            let mut h = client::connect(config(Some(c), Some(m)), ("127.0.0.1", port), Client)
                .await
                .unwrap_or_else(|e| panic!("{c:?}/{m:?}: {e}"));
            let auth = h
                .authenticate_password("root", PASSWORD)
                .await
                .expect("auth");
            assert!(auth.success(), "{c:?}/{m:?}");
            let (out, status) = exec(&h, "big 20000").await;
            assert_eq!(out.len(), 20000, "{c:?}/{m:?}");
            assert_eq!(status, Some(3));
            let n = log
                .lock()
                .expect("log")
                .iter()
                .rev()
                .find_map(|e| match e {
                    Event::KexInit { negotiated, .. } => Some(*negotiated),
                    _ => None,
                })
                .expect("kex");
            assert_eq!(n.cipher_c2s.name(), c.as_ref());
            assert_eq!(n.mac_s2c.map(MacAlg::name), Some(m.as_ref()));
            h.disconnect(Disconnect::ByApplication, "", "en")
                .await
                .expect("disconnect");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_key_and_pty_shell() {
    let (port, log) = start(common::config()).await;
    let mut h = client::connect(config(None, None), ("127.0.0.1", port), Client)
        .await
        .expect("connect");
    let key = russh::keys::load_secret_key(key_dir().join("user_rsa"), None).expect("user key");
    let key = PrivateKeyWithHashAlg::new(Arc::new(key), Some(HashAlg::Sha512));
    let auth = h.authenticate_publickey("admin", key).await.expect("auth");
    assert!(auth.success());
    let mut ch = h.channel_open_session().await.expect("open");
    ch.request_pty(true, "xterm-256color", 120, 40, 0, 0, &[])
        .await
        .expect("pty");
    ch.request_shell(true).await.expect("shell");
    ch.window_change(100, 30, 0, 0)
        .await
        .expect("window change");
    ch.data(&b"hello\n"[..]).await.expect("data");
    ch.data(&b"exit\n"[..]).await.expect("data");
    let mut out = Vec::new();
    let mut status = None;
    while let Some(msg) = ch.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    assert_eq!(out, b"$ hello\nexit\n\r\nbye\r\n");
    assert_eq!(status, Some(0));
    let events = log.lock().expect("log").clone();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ChannelRequest {
            request: sikker_ssh::ChannelRequest::WindowChange {
                cols: 100,
                rows: 30,
                ..
            },
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(e, Event::Auth(a) if a.user == "admin"
        && matches!(&a.method, sikker_ssh::AuthMethod::PublicKey { algorithm, signature: sikker_ssh::SignatureCheck::Valid, .. } if algorithm == "rsa-sha2-512"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kex_russh_shares_with_us() {
    let (port, log) = start(common::config_all()).await;
    for method in [
        kex::MLKEM768X25519_SHA256,
        kex::CURVE25519,
        kex::CURVE25519_PRE_RFC_8731,
        kex::ECDH_SHA2_NISTP256,
        kex::ECDH_SHA2_NISTP384,
        kex::ECDH_SHA2_NISTP521,
        kex::DH_GEX_SHA256,
        kex::DH_G16_SHA512,
        kex::DH_G18_SHA512,
        kex::DH_G14_SHA256,
        kex::DH_G14_SHA1,
        kex::DH_GEX_SHA1,
        kex::DH_G1_SHA1,
    ] {
        let mut h = client::connect(config_kex(method, None, None), ("127.0.0.1", port), Client)
            .await
            .unwrap_or_else(|e| panic!("{method:?}: {e}"));
        let auth = h
            .authenticate_password("root", PASSWORD)
            .await
            .expect("auth");
        assert!(auth.success(), "{method:?}");
        let (out, _) = exec(&h, "w").await;
        assert_eq!(out, b"exec:w\n", "{method:?}");
        let n = log
            .lock()
            .expect("log")
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::KexInit { negotiated, .. } => Some(*negotiated),
                _ => None,
            })
            .expect("kex");
        assert_eq!(n.kex.name(), method.as_ref());
        h.disconnect(Disconnect::ByApplication, "", "en")
            .await
            .expect("disconnect");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zlib_compression() {
    let (port, log) = start(common::config()).await;
    let mut preferred = Preferred {
        kex: Cow::Owned(vec![
            kex::CURVE25519,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
        ]),
        ..Preferred::default()
    };
    preferred.compression = Cow::Owned(vec![russh::compression::ZLIB_LEGACY]);
    let config = Arc::new(client::Config {
        preferred,
        ..Default::default()
    });
    let mut h = client::connect(config, ("127.0.0.1", port), Client)
        .await
        .expect("connect");
    assert!(h
        .authenticate_password("root", PASSWORD)
        .await
        .expect("auth")
        .success());
    for _ in 0..3 {
        let (out, status) = exec(&h, "big 100000").await;
        assert_eq!(out.len(), 100000);
        assert_eq!(status, Some(3));
    }
    let n = log
        .lock()
        .expect("log")
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::KexInit { negotiated, .. } => Some(*negotiated),
            _ => None,
        })
        .expect("kex");
    assert_eq!(n.compression_s2c, sikker_ssh::Compression::ZlibOpenssh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_initiated_rekeying() {
    let mut config = common::config();
    config.rekey_after_bytes = 2048;
    let (port, log) = start(config).await;
    let mut h = client::connect(
        config_kex(kex::CURVE25519, None, None),
        ("127.0.0.1", port),
        Client,
    )
    .await
    .expect("connect");
    assert!(h
        .authenticate_password("root", PASSWORD)
        .await
        .expect("auth")
        .success());
    for i in 0..6 {
        let (out, status) = exec(&h, "big 5000").await;
        assert_eq!(out.len(), 5000, "round {i}");
        assert_eq!(status, Some(3));
    }
    let rekeys = common::rekeys_logged(&log, 3).await;
    assert!(rekeys >= 3, "re-keys: {rekeys}");
}

/// The generic driver over an in-memory stream (no sockets at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_driver_over_an_in_memory_pipe() {
    let (client_end, server_end) = tokio::io::duplex(4096);
    let log: common::Log = Arc::default();
    let server_log = log.clone();
    let server = tokio::spawn(async move {
        let mut conn = sikker_ssh::ServerConnection::new(Arc::new(common::config()));
        let mut h = common::EchoHandler::new(server_log);
        sikker_ssh::driver::serve(server_end, &mut conn, &mut h).await
    });
    let mut h = client::connect_stream(config(None, None), client_end, Client)
        .await
        .expect("handshake over the pipe");
    assert!(h
        .authenticate_password("root", PASSWORD)
        .await
        .expect("auth")
        .success());
    let (out, status) = exec(&h, "big 70000").await;
    assert_eq!(out.len(), 70000);
    assert_eq!(status, Some(3));
    h.disconnect(Disconnect::ByApplication, "", "en")
        .await
        .expect("disconnect");
    drop(h);
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server ends")
        .expect("server task");
    assert!(r.is_ok(), "{r:?}");
    assert!(log
        .lock()
        .expect("log")
        .iter()
        .any(|e| matches!(e, Event::Disconnected { reason: 11, .. })));
}
