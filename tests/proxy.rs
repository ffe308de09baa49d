//! The `proxy` setting: requests go through an HTTP CONNECT proxy or a SOCKS5 proxy, for
//! http and https targets alike.

mod common;

use common::*;
use jdy_member_sandbox::{Behaviour, Certificate, Sandbox, SandboxOptions};
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

/// Copies bytes both ways between two connections until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a_read, mut b_write) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    thread::spawn(move || {
        let _ = std::io::copy(&mut a_read, &mut b_write);
    });
    let (mut b_read, mut a_write) = (b, a);
    let _ = std::io::copy(&mut b_read, &mut a_write);
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT to IPv4 or a host name) that tunnels
/// to loopback targets only and records each target.
fn start_socks5() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            thread::spawn(move || socks5(stream, &log));
        }
    });
    (port, seen)
}

fn socks5(mut client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut head = [0u8; 2];
    if client.read_exact(&mut head).is_err() || head[0] != 5 {
        return;
    }
    let mut methods = vec![0u8; head[1] as usize];
    let _ = client.read_exact(&mut methods);
    let _ = client.write_all(&[5, 0]);
    let mut request = [0u8; 4];
    if client.read_exact(&mut request).is_err() || request[1] != 1 {
        return;
    }
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            let _ = client.read_exact(&mut ip);
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            let _ = client.read_exact(&mut len);
            let mut name = vec![0u8; len[0] as usize];
            let _ = client.read_exact(&mut name);
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return,
    };
    let mut port = [0u8; 2];
    let _ = client.read_exact(&mut port);
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    log.lock().unwrap().push(target.clone());
    let upstream = match host.as_str() {
        "127.0.0.1" | "localhost" => TcpStream::connect(&target).ok(),
        _ => None,
    };
    let Some(upstream) = upstream else {
        // 0x04: host unreachable.
        let _ = client.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]);
        return;
    };
    let _ = client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]);
    pipe(client, upstream);
}

#[test]
fn a_socks5_proxy_reaches_the_gateway() {
    let sandbox = sandbox();
    let (port, seen) = start_socks5();
    for scheme in ["socks5", "socks5h"] {
        let mut config = config(&sandbox);
        config["proxy"] = format!("{scheme}://127.0.0.1:{port}").into();
        let client = CClient::new(&config);
        let mobile = if scheme == "socks5" {
            13_333_330_001
        } else {
            13_333_330_002
        };
        let saved = expect_ok(&client.save(&member(mobile, "代理")));
        assert_eq!(saved["mobile"], mobile.to_string());
    }
    let seen = seen.lock().unwrap();
    let expected = format!("127.0.0.1:{}", sandbox.port());
    assert!(
        seen.iter().filter(|t| **t == expected).count() >= 2,
        "{seen:?}"
    );
}

#[test]
fn https_goes_through_both_kinds_of_proxy_end_to_end() {
    let sandbox = Sandbox::start(SandboxOptions {
        tls: Some(Certificate::Valid),
        behaviour: Behaviour::unlimited(),
        ..SandboxOptions::default()
    })
    .unwrap();
    let (connect_port, connects) = start_proxy();
    let (socks_port, socks) = start_socks5();
    for (i, proxy) in [
        format!("http://127.0.0.1:{connect_port}"),
        format!("socks5://127.0.0.1:{socks_port}"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut config = config(&sandbox);
        config["proxy"] = proxy.clone().into();
        let saved =
            expect_ok(&CClient::new(&config).save(&member(13_333_331_000 + i as u64, "加密代理")));
        assert_eq!(saved["name"], "加密代理", "{proxy}");
    }
    assert!(!connects.lock().unwrap().is_empty());
    assert!(!socks.lock().unwrap().is_empty());
}
