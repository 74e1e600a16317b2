//! The client's EXT_INFO and OpenSSH ≥ 9.6's second EXT_INFO (`ext-info-in-auth@openssh.com`),
//! driven in memory through a whole connection: identification, curve25519-sha256, NEWKEYS,
//! the client's EXT_INFO, SERVICE_REQUEST and USERAUTH_REQUESTs, every packet encrypted.

mod common;

use common::memory_client::*;
use sikker_ssh::{AuthMethod, Error, Event, HostKey, ServerConfig, ServerConnection};
use std::sync::Arc;

const IN_AUTH: &[u8] = b"ext-info-in-auth@openssh.com";

/// Server packets, as payloads.
type Packets = Vec<Vec<u8>>;

fn config() -> ServerConfig {
    let mut c = ServerConfig::new(
        "SSH-2.0-OpenSSH_9.6",
        vec![HostKey::generate_ed25519().expect("host key")],
    );
    // Not the default list, so that the test sees it is this one that is sent.
    c.server_sig_algs = vec!["ssh-ed25519".into(), "rsa-sha2-512".into()];
    c
}

fn server_sig_algs(c: &ServerConfig) -> String {
    c.server_sig_algs.join(",")
}

/// A connection past the key exchange, its client, and the config it runs with.
fn connected(config: ServerConfig, ext_info_c: bool) -> (ServerConnection, Client) {
    let mut conn = ServerConnection::new(Arc::new(config));
    let (client, _) = Client::connect(&mut conn, ext_info_c);
    (conn, client)
}

/// Sends `payload`, answers the one auth event it raises with `answer`, and returns the
/// server's packets.
fn auth_round(
    conn: &mut ServerConnection,
    client: &mut Client,
    payload: &[u8],
    answer: impl FnOnce(&mut ServerConnection),
) -> Vec<Vec<u8>> {
    client.send(conn, payload);
    let events = poll_all(conn).expect("auth request");
    assert!(matches!(events.as_slice(), [Event::Auth(_)]), "{events:?}");
    answer(conn);
    assert!(poll_all(conn).expect("after the answer").is_empty());
    client.receive(conn)
}

fn reject(conn: &mut ServerConnection) {
    conn.reject_auth().expect("reject");
}

fn types(packets: &[Vec<u8>]) -> Vec<u8> {
    packets.iter().map(|p| p[0]).collect()
}

/// The second EXT_INFO: exactly one extension, server-sig-algs, the configured list.
fn assert_second_ext_info(packet: &[u8], config: &ServerConfig) {
    assert_eq!(
        ext_info_entries(packet),
        [("server-sig-algs".to_string(), server_sig_algs(config))]
    );
}

/// Client EXT_INFO (or none), SERVICE_REQUEST, two password attempts; the server's packets
/// for the service request and for each attempt.
fn session(
    config: ServerConfig,
    ext_info_c: bool,
    client_ext_info: Option<Vec<u8>>,
) -> (Packets, Packets, Packets) {
    let (mut conn, mut client) = connected(config, ext_info_c);
    if let Some(p) = client_ext_info {
        client.send(&mut conn, &p);
    }
    client.send(&mut conn, &service_request("ssh-userauth"));
    assert!(poll_all(&mut conn).expect("service request").is_empty());
    let service = client.receive(&mut conn);
    let first = auth_round(
        &mut conn,
        &mut client,
        &password_request("root", "123456"),
        reject,
    );
    let second = auth_round(
        &mut conn,
        &mut client,
        &password_request("root", "toor"),
        reject,
    );
    (service, first, second)
}

#[test]
fn second_ext_info_before_the_first_auth_answer_only() {
    let c = config();
    let sig_algs = server_sig_algs(&c);
    let (_, client) = connected(config(), true);
    // The first EXT_INFO, with the first NEWKEYS, has the same list and more.
    let first = client.first_ext_info.expect("first EXT_INFO");
    assert_eq!(first[0], ("server-sig-algs".into(), sig_algs));
    assert!(first.len() > 1, "{first:?}");

    let asked = ext_info(1, &[(IN_AUTH, b"0")]);
    let (service, first, second) = session(config(), true, Some(asked));
    assert_eq!(types(&service), [MSG_SERVICE_ACCEPT]);
    assert_eq!(types(&first), [MSG_EXT_INFO, MSG_USERAUTH_FAILURE]);
    assert_second_ext_info(&first[0], &c);
    // Once per connection.
    assert_eq!(types(&second), [MSG_USERAUTH_FAILURE]);
}

#[test]
fn among_other_extensions() {
    let asked = ext_info(
        3,
        &[
            (b"something@example.com", b"x"),
            (IN_AUTH, b"0"),
            (b"other", b""),
        ],
    );
    let (_, first, _) = session(config(), true, Some(asked));
    assert_eq!(types(&first), [MSG_EXT_INFO, MSG_USERAUTH_FAILURE]);
    assert_second_ext_info(&first[0], &config());
}

#[test]
fn none_unless_the_client_asks() {
    for client_ext_info in [
        None,
        Some(ext_info(0, &[])),
        Some(ext_info(1, &[(b"something@example.com", b"0")])),
        // Another version of the extension is no request (and no error).
        Some(ext_info(1, &[(IN_AUTH, b"1")])),
        Some(ext_info(1, &[(IN_AUTH, b"")])),
    ] {
        let label = format!("{client_ext_info:?}");
        let (service, first, second) = session(config(), true, client_ext_info);
        assert_eq!(types(&service), [MSG_SERVICE_ACCEPT], "{label}");
        assert_eq!(types(&first), [MSG_USERAUTH_FAILURE], "{label}");
        assert_eq!(types(&second), [MSG_USERAUTH_FAILURE], "{label}");
    }
}

/// Where sshd does not take an EXT_INFO it answers UNIMPLEMENTED with the packet's sequence
/// number, and sends no second EXT_INFO.
fn assert_unimplemented(packets: &[Vec<u8>], seq: u32) {
    assert_eq!(types(packets), [MSG_UNIMPLEMENTED], "{packets:?}");
    assert_eq!(Read(&packets[0][1..]).u32(), seq);
}

#[test]
fn off_in_the_config_or_without_ext_info_c() {
    let mut off = config();
    off.ext_info_in_auth = false;
    for (config, ext_info_c) in [(off, true), (config(), false)] {
        let (mut conn, mut client) = connected(config, ext_info_c);
        assert_eq!(client.first_ext_info.is_some(), ext_info_c);
        let seq = client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
        assert!(poll_all(&mut conn).expect("EXT_INFO").is_empty());
        assert_unimplemented(&client.receive(&mut conn), seq);
        client.send(&mut conn, &service_request("ssh-userauth"));
        poll_all(&mut conn).expect("service");
        assert_eq!(types(&client.receive(&mut conn)), [MSG_SERVICE_ACCEPT]);
        let first = auth_round(
            &mut conn,
            &mut client,
            &password_request("root", "x"),
            reject,
        );
        assert_eq!(types(&first), [MSG_USERAUTH_FAILURE]);
    }
}

#[test]
fn one_ext_info_and_only_before_the_service_request() {
    // A second EXT_INFO is not taken; the first one's request stands.
    let (mut conn, mut client) = connected(config(), true);
    client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
    let seq = client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
    poll_all(&mut conn).expect("EXT_INFO twice");
    assert_unimplemented(&client.receive(&mut conn), seq);
    client.send(&mut conn, &service_request("ssh-userauth"));
    poll_all(&mut conn).expect("service");
    client.receive(&mut conn);
    let first = auth_round(
        &mut conn,
        &mut client,
        &password_request("root", "x"),
        reject,
    );
    assert_eq!(types(&first), [MSG_EXT_INFO, MSG_USERAUTH_FAILURE]);

    // After SERVICE_REQUEST it is too late.
    let (mut conn, mut client) = connected(config(), true);
    client.send(&mut conn, &service_request("ssh-userauth"));
    let seq = client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
    poll_all(&mut conn).expect("late EXT_INFO");
    let packets = client.receive(&mut conn);
    assert_eq!(types(&packets), [MSG_SERVICE_ACCEPT, MSG_UNIMPLEMENTED]);
    assert_unimplemented(&packets[1..], seq);
    let first = auth_round(
        &mut conn,
        &mut client,
        &password_request("root", "x"),
        reject,
    );
    assert_eq!(types(&first), [MSG_USERAUTH_FAILURE]);
}

#[test]
fn before_every_kind_of_answer_and_after_a_banner() {
    type Answer = fn(&mut ServerConnection);
    let answers: [(Answer, &[u8], &[u8]); 4] = [
        (
            |c| c.accept_auth().expect("accept"),
            b"password",
            &[MSG_EXT_INFO, MSG_USERAUTH_SUCCESS],
        ),
        (reject, b"password", &[MSG_EXT_INFO, MSG_USERAUTH_FAILURE]),
        (
            |c| {
                c.keyboard_interactive_prompt("", "", &[("Password: ", false)])
                    .expect("prompt")
            },
            b"keyboard-interactive",
            &[MSG_EXT_INFO, MSG_USERAUTH_INFO_REQUEST],
        ),
        // sshd sends its Banner before the second EXT_INFO.
        (
            |c| {
                c.send_auth_banner("Authorized uses only.\r\n");
                c.reject_auth().expect("reject")
            },
            b"password",
            &[MSG_USERAUTH_BANNER, MSG_EXT_INFO, MSG_USERAUTH_FAILURE],
        ),
    ];
    for (answer, method, want) in answers {
        let (mut conn, mut client) = connected(config(), true);
        client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
        client.send(&mut conn, &service_request("ssh-userauth"));
        poll_all(&mut conn).expect("service");
        client.receive(&mut conn);
        let request = if method == b"password" {
            password_request("root", "x")
        } else {
            keyboard_interactive_request("root")
        };
        let packets = auth_round(&mut conn, &mut client, &request, answer);
        assert_eq!(types(&packets), want);
        let at = want
            .iter()
            .position(|&t| t == MSG_EXT_INFO)
            .expect("EXT_INFO");
        assert_second_ext_info(&packets[at], &config());
    }
}

#[test]
fn auth_events_are_unchanged() {
    let (mut conn, mut client) = connected(config(), true);
    client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
    client.send(&mut conn, &service_request("ssh-userauth"));
    client.send(&mut conn, &password_request("root", "123456"));
    let events = poll_all(&mut conn).expect("events");
    assert!(
        matches!(events.as_slice(), [Event::Auth(a)] if a.user == "root"
            && matches!(&a.method, AuthMethod::Password { password, .. } if password == "123456")),
        "{events:?}"
    );
}

/// A malformed client EXT_INFO ends the connection with an error, as it ends sshd's.
#[test]
fn malformed_ext_info_is_an_error() {
    let mut truncated_value = ext_info(1, &[(IN_AUTH, b"0")]);
    truncated_value.pop();
    // Truncated fields are `Truncated`; what reads but is wrong is `Protocol`.
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("no count", vec![MSG_EXT_INFO, 0, 0], false),
        (
            "count beyond the entries",
            ext_info(2, &[(IN_AUTH, b"0")]),
            false,
        ),
        // 37 bytes of entries cannot hold 5 (8 bytes each at least).
        (
            "count the payload cannot hold",
            ext_info(5, &[(IN_AUTH, b"0")]),
            true,
        ),
        ("count far beyond the payload", ext_info(1023, &[]), true),
        ("truncated value", truncated_value, false),
        (
            "name length beyond the payload",
            [
                &[MSG_EXT_INFO, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0][..],
                &[0; 8],
            ]
            .concat(),
            false,
        ),
        ("NUL in a name", ext_info(1, &[(b"a\0b", b"0")]), true),
        (
            "NUL in ext-info-in-auth's value",
            ext_info(1, &[(IN_AUTH, b"0\0")]),
            true,
        ),
        (
            "trailing bytes",
            [ext_info(1, &[(IN_AUTH, b"0")]), vec![0]].concat(),
            true,
        ),
    ];
    for (label, payload, protocol) in cases {
        let (mut conn, mut client) = connected(config(), true);
        client.send(&mut conn, &payload);
        match poll_all(&mut conn) {
            Err(Error::Protocol(_)) if protocol => {}
            Err(Error::Truncated(_)) if !protocol => {}
            other => panic!("{label}: {other:?}"),
        }
        assert!(conn.is_closed(), "{label}");
    }
}

/// sshd reads at most 1023 entries: more is answered with UNIMPLEMENTED, not read, and not
/// fatal; the client gets no second chance.
#[test]
fn too_many_entries_are_unimplemented() {
    for count in [1024, u32::MAX] {
        let (mut conn, mut client) = connected(config(), true);
        let seq = client.send(&mut conn, &ext_info(count, &[(IN_AUTH, b"0")]));
        assert!(poll_all(&mut conn).expect("not fatal").is_empty());
        assert_unimplemented(&client.receive(&mut conn), seq);
        let seq = client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
        poll_all(&mut conn).expect("second");
        assert_unimplemented(&client.receive(&mut conn), seq);
        client.send(&mut conn, &service_request("ssh-userauth"));
        poll_all(&mut conn).expect("service");
        client.receive(&mut conn);
        let first = auth_round(
            &mut conn,
            &mut client,
            &password_request("root", "x"),
            reject,
        );
        assert_eq!(types(&first), [MSG_USERAUTH_FAILURE]);
    }
}

/// A re-key before SERVICE_REQUEST ends the time an EXT_INFO is taken, as in sshd (whose
/// dispatch table is reset at every NEWKEYS and given the EXT_INFO handler back only after
/// the first).
#[test]
fn not_after_a_rekey() {
    let (mut conn, mut client) = connected(config(), true);
    let events = client.rekey(&mut conn);
    assert!(events.contains(&Event::KeyExchangeDone { initial: false }));
    assert!(
        client.receive(&mut conn).is_empty(),
        "no EXT_INFO on a re-key"
    );
    let seq = client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
    poll_all(&mut conn).expect("EXT_INFO after the re-key");
    assert_unimplemented(&client.receive(&mut conn), seq);

    // Taken before the re-key, the request stands.
    let (mut conn, mut client) = connected(config(), true);
    client.send(&mut conn, &ext_info(1, &[(IN_AUTH, b"0")]));
    poll_all(&mut conn).expect("EXT_INFO");
    client.rekey(&mut conn);
    client.send(&mut conn, &service_request("ssh-userauth"));
    poll_all(&mut conn).expect("service");
    assert_eq!(types(&client.receive(&mut conn)), [MSG_SERVICE_ACCEPT]);
    let first = auth_round(
        &mut conn,
        &mut client,
        &password_request("root", "x"),
        reject,
    );
    assert_eq!(types(&first), [MSG_EXT_INFO, MSG_USERAUTH_FAILURE]);
}
