//! For the sandbox's own tests: a raw HTTP/1.1 connection and requests signed by hand with
//! the library's signing, so that every byte the sandbox gets and sends can be checked.

use crate::options::Behaviour;
use crate::{
    Sandbox, SandboxOptions, SANDBOX_APP_KEY, SANDBOX_APP_SECRET, SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET, SANDBOX_DOMAIN,
};
use jdy_member::api;
use jdy_member::signing::{self, gateway_headers, new_nonce, Query};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub fn now_ms() -> u64 {
    crate::clock::machine_now_ms()
}

/// The test default: the documented gateway without its rate limits (tests of the limits
/// set their own).
pub fn options() -> SandboxOptions {
    SandboxOptions {
        behaviour: Behaviour::unlimited(),
        ..SandboxOptions::default()
    }
}

pub fn sandbox() -> Sandbox {
    Sandbox::start(options()).unwrap()
}

/// A raw HTTP/1.1 connection; `buf` keeps bytes past the last answer.
pub struct Conn {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub raw: Vec<u8>,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn errcode(&self) -> u64 {
        self.json["errcode"].as_u64().unwrap()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.raw.clone()).unwrap()
    }

    /// Asserts a gateway rejection with its three-key body.
    pub fn assert_gateway(&self, code: u64) {
        assert_eq!(self.status, 519, "{self:?}");
        assert_eq!(self.errcode(), code, "{self:?}");
        let object = self.json.as_object().unwrap();
        assert_eq!(object.len(), 3, "{self:?}");
        assert!(object["description"].as_str().unwrap().is_ascii());
        assert!(!object["description_cn"].as_str().unwrap().is_empty());
    }
}

impl Conn {
    pub fn new(sb: &Sandbox) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", sb.port())).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, req: &Req) -> Reply {
        self.send_raw(&req.bytes())
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> Reply {
        self.stream.write_all(bytes).unwrap();
        self.read_reply()
    }

    pub fn read_more(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).unwrap();
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    pub fn read_reply(&mut self) -> Reply {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(len) = response.parse(&self.buf).unwrap() {
                let status = response.code.unwrap();
                let headers: Vec<(String, String)> = response
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8(h.value.to_vec()).unwrap(),
                        )
                    })
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
                while self.buf.len() < len + length {
                    assert!(self.read_more() > 0, "connection closed mid-body");
                }
                let raw = self.buf[len..len + length].to_vec();
                self.buf.drain(..len + length);
                // Null for the non-JSON answers some faults give.
                let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                return Reply {
                    status,
                    headers,
                    raw,
                    json,
                };
            }
            assert!(self.read_more() > 0, "connection closed before an answer");
        }
    }

    /// True when the server has closed the connection.
    pub fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 64];
        matches!(self.stream.read(&mut chunk), Ok(0) | Err(_))
    }
}

/// A request under construction; signed with the sandbox credentials by default.
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn unsigned(method: &str, path: &str) -> Req {
        Req {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn signed_at(method: &str, path: &str, params: &[(&str, &str)], ts: u64) -> Req {
        let query = Query::from_params(params);
        let headers = gateway_headers(
            SANDBOX_CLIENT_ID,
            SANDBOX_CLIENT_SECRET,
            method,
            path,
            &query,
            &new_nonce(),
            ts,
        );
        Req {
            query: query.wire,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
            ..Req::unsigned(method, path)
        }
    }

    pub fn signed(method: &str, path: &str, params: &[(&str, &str)]) -> Req {
        Req::signed_at(method, path, params, now_ms())
    }

    /// A signed business call with token and router headers.
    pub fn business(method: &str, path: &str, params: &[(&str, &str)], token: &str) -> Req {
        Req::signed(method, path, params)
            .set("app-token", token)
            .set("X-GW-Router-Addr", SANDBOX_DOMAIN)
    }

    pub fn set(mut self, name: &str, value: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn remove(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn json(mut self, body: &Value) -> Req {
        self.body = serde_json::to_vec(body).unwrap();
        self.set("Content-Type", "application/json")
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut text = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            text.push('?');
            text.push_str(&self.query);
        }
        text.push_str(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

pub fn token_request(app_key: &str, secret: &str) -> Req {
    let sig = signing::app_signature(app_key, secret);
    Req::signed(
        "GET",
        api::TOKEN,
        &[("app_key", app_key), ("app_signature", &sig)],
    )
}

pub fn fetch_token(sb: &Sandbox) -> String {
    let reply = Conn::new(sb).send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.errcode(), 0, "{reply:?}");
    reply.json["data"]["app-token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The member of the API spec's own example.
pub fn member_a() -> Value {
    json!({
        "address": "410", "birthday": "2022-08-01", "custom_no": "1", "customer": "001",
        "detail_address": "XXX", "enable": "1", "end_date": "2022-01-01", "is_delete": "0",
        "join_way": "1", "label": null, "level": "1", "mbcard_id": "1",
        "mobile": "13333333333", "name": "会员A", "period": "1", "referrere_mp": "1",
        "remark": "备注", "sale_shop": "1", "sex_group": "1", "shop": "850693217107061760",
        "source": "1", "start_date": "2022-01-01"
    })
}

pub fn member(mobile: &str) -> Value {
    json!({"mobile": mobile, "name": "故障测试"})
}

pub fn save_member(conn: &mut Conn, token: &str, member: &Value) -> Reply {
    conn.send(&Req::business("POST", api::MEMBER, &[], token).json(member))
}

pub fn control_post(c: &mut Conn, name: &str, body: &str) -> Reply {
    let mut req = Req::unsigned("POST", &format!("/__sandbox/{name}"));
    req.body = body.as_bytes().to_vec();
    c.send(&req)
}

/// The plaintext of an encrypted personal field.
pub fn plain(value: &Value) -> String {
    let text = value.as_str().unwrap();
    jdy_member::privacy::decrypt(SANDBOX_CLIENT_SECRET, text).unwrap_or_else(|| text.to_string())
}
