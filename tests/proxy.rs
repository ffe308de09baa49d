//! The `proxy` setting: requests go through an HTTP CONNECT proxy, for http and https
//! targets alike.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// A minimal CONNECT proxy on loopback: tunnels to loopback targets, refuses any other
/// (this machine has no other network), and records every CONNECT line.
fn start_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            thread::spawn(move || tunnel(stream, &log));
        }
    });
    (port, seen)
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    log.lock().unwrap().push(first.trim().to_string());
    let target = first
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let mut client = client;
    if !target.starts_with("127.0.0.1:") {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let Ok(upstream) = TcpStream::connect(&target) else {
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let mut up_write = upstream.try_clone().unwrap();
    let mut down_write = client.try_clone().unwrap();
    let mut up_read = upstream;
    // Bytes the reader already buffered belong to the tunnel too.
    let buffered = reader.buffer().to_vec();
    let _ = up_write.write_all(&buffered);
    let mut from_client = reader.into_inner();
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut up_write);
    });
    let mut buf = [0u8; 16384];
    while let Ok(n) = up_read.read(&mut buf) {
        if n == 0 || down_write.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

#[test]
fn an_http_target_is_reached_through_the_proxy() {
    let sandbox = sandbox();
    let (port, seen) = start_proxy();
    let mut config = config(&sandbox);
    config["proxy"] = format!("http://127.0.0.1:{port}").into();
    let client = CClient::new(&config);
    let saved = expect_ok(&client.save(&seed_member()));
    assert_eq!(saved["name"], "会员A");
    let seen = seen.lock().unwrap();
    let expected = format!("CONNECT 127.0.0.1:{} HTTP/1.1", sandbox.port());
    assert!(seen.contains(&expected), "{seen:?}");
}

#[test]
fn an_https_target_is_asked_of_the_proxy_with_connect() {
    let (port, seen) = start_proxy();
    let config = serde_json::json!({
        "client_id": "fake", "client_secret": "fake-secret", "app_key": "k",
        "app_secret": "fake-app-secret", "domain": "https://tf.jdy.com",
        "proxy": format!("http://127.0.0.1:{port}"), "max_retries": 0,
    });
    let client = CClient::new(&config);
    let error = expect_error(&client.save(&seed_member()), "network");
    assert!(
        error["message"].as_str().unwrap().contains("proxy"),
        "{error}"
    );
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|l| l == "CONNECT api.kingdee.com:443 HTTP/1.1"),
        "{seen:?}"
    );
}
