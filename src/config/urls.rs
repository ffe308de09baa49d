//! The two URLs of a configuration, parsed strictly: the gateway's `base_url` (https, or
//! http to this machine only) and the `proxy`.

/// `scheme://host[:port]` of a gateway URL, or why it cannot be used. Plain http is allowed
/// only to this machine (a sandbox): anywhere else the app-token would cross the network in
/// clear text. The message never repeats a user name or password.
pub fn parse_base_url(text: &str) -> std::result::Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("`base_url` is not a URL ({e}); give it like https://api.kingdee.com")
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "`base_url` must not carry a user name or password; the gateway authenticates by signature"
                .into(),
        );
    }
    let host = match url.host() {
        Some(host) => host,
        None => return Err("`base_url` has no host; give it like https://api.kingdee.com".into()),
    };
    if url.path() != "/" && !url.path().is_empty() {
        return Err(format!(
            "`base_url` must not have a path (it has {:?}): request paths are signed, so the gateway must be at the root of the URL",
            url.path()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("`base_url` must not have a query or a fragment".into());
    }
    let loopback = match &host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "`base_url` uses plain http to {host}, which is not this machine: the app-token would cross the network unencrypted; use https:// (plain http is only for a sandbox on 127.0.0.1 or localhost)"
            ))
        }
        other => {
            return Err(format!(
                "`base_url` must start with https:// (or http:// for a local sandbox), not {other}://"
            ))
        }
    }
    let mut base = format!("{}://{host}", url.scheme());
    if let Some(port) = url.port() {
        base.push_str(&format!(":{port}"));
    }
    Ok(base)
}

/// Why a proxy URL cannot be used, if it cannot. Supported: http and https proxies (CONNECT
/// for https targets) and SOCKS4/4a/5/5h.
pub(crate) fn check_proxy(text: &str) -> std::result::Result<(), String> {
    const KNOWN: &str = "http://, https://, socks4://, socks4a://, socks5:// or socks5h://";
    let url = url::Url::parse(text)
        .map_err(|e| format!("`proxy` is not a URL ({e}); give it like http://10.0.0.1:3128"))?;
    if !matches!(
        url.scheme(),
        "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h"
    ) {
        return Err(format!(
            "`proxy` must start with {KNOWN}, not {}://",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err("`proxy` has no host; give it like http://10.0.0.1:3128".into());
    }
    ureq::Proxy::new(text).map(|_| ()).map_err(|_| {
        format!("`proxy` is not a proxy URL ureq can use; give it as {KNOWN}host:port")
    })
}
