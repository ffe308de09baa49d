use super::MAX_REQUEST_BYTES;
use crate::test_client::*;
use crate::{Certificate, Sandbox, SandboxOptions};
use crate::{
    SANDBOX_APP_KEY, SANDBOX_APP_SECRET, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_DOMAIN,
    SANDBOX_OUTER_INSTANCE_ID,
};
use jdy_member::api;
use serde_json::{json, Value};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let sb = sandbox();
    let mut c = Conn::new(&sb);
    let first = c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
    assert_eq!(first.header("Connection"), Some("keep-alive"));
    let token = first.json["data"]["app-token"]
        .as_str()
        .unwrap()
        .to_string();
    let second = c.send(&Req::business(
        "GET",
        api::MEMBER_DETAIL,
        &[("id", "1")],
        &token,
    ));
    assert_eq!(second.errcode(), 0);

    // Two pipelined requests in one write.
    let mut both = Req::business("GET", api::MEMBER_DETAIL, &[("id", "1")], &token).bytes();
    both.extend(Req::business("GET", api::MEMBER, &[], &token).bytes());
    let a = c.send_raw(&both);
    let b = c.read_reply();
    assert_eq!(a.json["data"], Value::Null);
    assert_eq!(b.json["data"]["count"], 0);

    // `Connection: close` is honoured.
    let last = c.send(
        &Req::business("GET", api::MEMBER_DETAIL, &[("id", "1")], &token)
            .set("Connection", "close"),
    );
    assert_eq!(last.header("Connection"), Some("close"));
    assert!(c.closed());
    assert_eq!(sb.stats().requests, 5);
}

#[test]
fn oversized_request_gets_413() {
    let sb = sandbox();
    // Declared too large: answered from the head alone.
    let mut c = Conn::new(&sb);
    let reply = c
        .send_raw(b"POST /jdy/v2/ls/member HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n");
    assert_eq!(reply.status, 413);
    assert_eq!(reply.header("Connection"), Some("close"));

    // Actually sent: the client can write it all and still read the answer.
    let mut c = Conn::new(&sb);
    let mut writer = c.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let mut bytes =
            b"POST /jdy/v2/ls/member HTTP/1.1\r\nContent-Length: 2200000\r\n\r\n".to_vec();
        bytes.resize(bytes.len() + 2_200_000, b'x');
        let _ = writer.write_all(&bytes);
    });
    let reply = c.read_reply();
    assert_eq!(reply.status, 413);
    sender.join().unwrap();

    // A head that never ends.
    let mut c = Conn::new(&sb);
    let mut writer = c.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let mut bytes = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
        bytes.resize(MAX_REQUEST_BYTES + 10, b'a');
        let _ = writer.write_all(&bytes);
    });
    assert_eq!(c.read_reply().status, 413);
    sender.join().unwrap();
    assert_eq!(sb.stats().rejections["http_413"], 3);
}

#[test]
fn malformed_requests_get_400_or_411_and_do_not_hurt_the_sandbox() {
    let sb = sandbox();
    let garbage: [&[u8]; 4] = [
        b"\x00\x01\x02 nonsense\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"GET nowhere HTTP/1.1\r\n\r\n",
    ];
    for bytes in garbage {
        let mut c = Conn::new(&sb);
        let reply = c.send_raw(bytes);
        assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(bytes));
        assert!(c.closed());
    }
    let mut c = Conn::new(&sb);
    let reply = c.send_raw(
        b"POST /jdy/v2/ls/member HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(reply.status, 411);

    // Non-UTF-8 header values and a half request closed early: no panic, still serving.
    let mut c = Conn::new(&sb);
    let reply = c.send_raw(b"GET /x HTTP/1.1\r\nX-Api-Auth-Version: \xff\xfe\r\n\r\n");
    reply.assert_gateway(5001);
    let mut half = TcpStream::connect(("127.0.0.1", sb.port())).unwrap();
    half.write_all(b"POST /jdy/v2/ls/member HTTP/1.1\r\nContent-Length: 10\r\n\r\nab")
        .unwrap();
    drop(half);
    assert_eq!(fetch_token(&sb).len(), 32);
    let stats = sb.stats();
    assert_eq!(stats.rejections["http_400"], 4);
    assert_eq!(stats.rejections["http_411"], 1);
}

#[test]
fn expect_continue_is_answered() {
    let sb = sandbox();
    let token = fetch_token(&sb);
    let mut c = Conn::new(&sb);
    let mut req = Req::business("POST", api::MEMBER, &[], &token)
        .json(&member_a())
        .set("Expect", "100-continue");
    let body = std::mem::take(&mut req.body);
    let mut head = req.bytes();
    head.truncate(head.len() - "Content-Length: 0\r\n\r\n".len());
    head.extend(format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes());
    c.stream.write_all(&head).unwrap();
    while !c.buf.ends_with(b"\r\n\r\n") {
        assert!(c.read_more() > 0);
    }
    assert!(c.buf.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"));
    c.buf.clear();
    let reply = c.send_raw(&body);
    assert_eq!(reply.errcode(), 0);
}

#[test]
fn client_configs_describe_this_sandbox() {
    let sb = sandbox();
    let direct = sb.client_config();
    assert_eq!(direct["client_id"], SANDBOX_CLIENT_ID);
    assert_eq!(direct["client_secret"], SANDBOX_CLIENT_SECRET);
    assert_eq!(direct["app_key"], SANDBOX_APP_KEY);
    assert_eq!(direct["app_secret"], SANDBOX_APP_SECRET);
    assert_eq!(direct["domain"], SANDBOX_DOMAIN);
    assert_eq!(direct["base_url"], sb.base_url());
    assert_eq!(sb.base_url(), format!("http://127.0.0.1:{}", sb.port()));
    let outer = sb.client_config_outer();
    assert_eq!(outer["outer_instance_id"], SANDBOX_OUTER_INSTANCE_ID);
    assert_eq!(outer["base_url"], sb.base_url());
    assert!(outer.get("app_secret").is_none());
}

#[test]
fn shutdown_frees_the_port() {
    let sb = sandbox();
    let port = sb.port();
    let mut idle = Conn::new(&sb);
    let token = fetch_token(&sb);
    assert_eq!(token.len(), 32);
    let started = Instant::now();
    sb.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(idle.closed());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    let again = Sandbox::start(SandboxOptions { port, ..options() }).unwrap();
    assert_eq!(again.port(), port);
    drop(again);
    TcpListener::bind(("127.0.0.1", port)).unwrap();
}

#[test]
fn https_is_served_with_a_ca_file_the_library_can_trust() {
    let sb = Sandbox::start(SandboxOptions {
        tls: Some(Certificate::Valid),
        ..options()
    })
    .unwrap();
    assert!(
        sb.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        sb.base_url()
    );
    let ca = sb.ca_file().unwrap().to_path_buf();
    assert!(std::fs::read_to_string(&ca)
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let config = sb.client_config();
    assert_eq!(config["ca_file"], ca.display().to_string());
    let mut config = config;
    config["token_cache_path"] = Value::Null;
    let client = jdy_member::Client::from_json(&config.to_string()).unwrap();
    let member = json!({"mobile": "13333333333", "name": "会员A"});
    let saved = client.save_member(member.as_object().unwrap()).unwrap();
    assert_eq!(saved.data["mobile"], "13333333333");
    drop(sb);
    assert!(!ca.exists(), "the CA file goes with the sandbox");
}
