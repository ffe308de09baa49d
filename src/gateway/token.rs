//! The app-token: fetched once, cached for its lifetime less a safety margin, shared by
//! every thread of every client of one account in the process, refreshed by one thread at a
//! time, and shared with the other processes of the machine through a file (by default one
//! per account in the user's cache folder).
//!
//! The token endpoint is rate limited (about two calls a minute), so a till that fetched a
//! token per save, or per command, would soon be locked out: this cache keeps it working.

use crate::config::{AppCredentials, AppSource, Config};
use crate::error::{Error, ErrorKind, Result};
use crate::gateway::authorization::authorize;
use crate::gateway::cache_files::account_file_stem;
use crate::gateway::token_file::{FileToken, Owner, TokenFile};
use crate::gateway::transport::{HttpRequest, Method, Transport};
use crate::kingdee::api;
use crate::kingdee::codes::GatewayCode;
use crate::kingdee::signing;
use crate::log::LogLevel;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::{Duration, Instant};

const APP_SECRET_ROTATED: i64 = GatewayCode::AppSecretRotated.number();

/// Refresh this long before expiry at most, so a token never expires in flight.
const MAX_SAFETY_MARGIN: Duration = Duration::from_secs(300);
/// When the answer gives no usable expiry, trust a token for this long.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(3600);

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Fetched from the token endpoint by this process.
    Fetched,
    /// Read from the shared cache file, fetched by another process (or an earlier run).
    File,
}

/// A cached app-token, valid together with the app credentials it was issued under.
pub(crate) struct Token {
    value: String,
    refresh_at: Instant,
    /// Where it came from.
    pub origin: Origin,
    /// The app credentials (and routing domain) it was issued under.
    pub app: Arc<AppCredentials>,
}

impl Token {
    /// The `app-token` header value (a secret: never logged or put in a message).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// How long until it is replaced.
    pub fn refresh_in(&self) -> Duration {
        self.refresh_at.saturating_duration_since(Instant::now())
    }
}

#[derive(Default)]
struct Cached {
    app: Option<Arc<AppCredentials>>,
    token: Option<Arc<Token>>,
    /// The last token the gateway refused, so the shared file is not trusted to hold a
    /// better one when it still holds that.
    refused: Option<String>,
}

/// The app credentials and token of one account, shared by its clients in this process.
pub(crate) struct TokenCache {
    source: AppSource,
    client_id: String,
    client_secret: String,
    file: Option<TokenFile>,
    cached: RwLock<Cached>,
    /// Held while fetching, so only one authorization or token request is in flight.
    refresh: Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not disable the client: the guarded data stays consistent
    // because it is only replaced whole.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// When to stop using a token that expires at `expires_ms` (gateway clock).
fn refresh_at(transport: &Transport, expires_ms: Option<u64>) -> Instant {
    let lifetime = expires_ms
        .map(|at| Duration::from_millis(at.saturating_sub(transport.now_ms())))
        .unwrap_or(FALLBACK_LIFETIME);
    let margin = (lifetime / 10).min(MAX_SAFETY_MARGIN);
    Instant::now() + lifetime.saturating_sub(margin)
}

fn registry() -> &'static Mutex<HashMap<String, Weak<TokenCache>>> {
    static REGISTRY: std::sync::OnceLock<Mutex<HashMap<String, Weak<TokenCache>>>> =
        std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl TokenCache {
    /// The cache of `config`'s account in this process, created on first use: every client
    /// of one account (same gateway, client, app and secrets) shares one token.
    pub fn shared(config: &Config, file: Option<PathBuf>) -> Arc<TokenCache> {
        let secrets = match &config.app_source {
            AppSource::Direct(app) => format!("{}\n{}", config.client_secret, app.app_secret),
            AppSource::Authorize { .. } => config.client_secret.clone(),
        };
        let key = format!(
            "{}\n{}\n{}",
            config.account_key(),
            account_file_stem(&secrets),
            file.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        let mut caches = registry().lock().unwrap_or_else(|p| p.into_inner());
        caches.retain(|_, weak| weak.strong_count() > 0);
        if let Some(existing) = caches.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        let created = Arc::new(TokenCache::new(
            config.app_source.clone(),
            &config.client_id,
            &config.client_secret,
            file.as_deref().map(TokenFile::new),
        ));
        caches.insert(key, Arc::downgrade(&created));
        created
    }

    /// A cache of its own (not shared).
    pub fn new(
        source: AppSource,
        client_id: &str,
        client_secret: &str,
        file: Option<TokenFile>,
    ) -> TokenCache {
        let cached = match &source {
            AppSource::Direct(app) => Cached {
                app: Some(Arc::new(app.clone())),
                ..Cached::default()
            },
            AppSource::Authorize { .. } => Cached::default(),
        };
        TokenCache {
            source,
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            file,
            cached: RwLock::new(cached),
            refresh: Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cached> {
        self.cached.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cached> {
        self.cached.write().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh_token(&self) -> Option<Arc<Token>> {
        self.read()
            .token
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    /// A valid token, fetching one (and the app credentials) if needed.
    pub fn token(&self, transport: &Transport, deadline: Option<Instant>) -> Result<Arc<Token>> {
        if let Some(token) = self.fresh_token() {
            return Ok(token);
        }
        let _refreshing = lock(&self.refresh);
        // Another thread may have refreshed while this one waited.
        if let Some(token) = self.fresh_token() {
            return Ok(token);
        }
        let app = self.app_credentials(transport, deadline)?;
        let token = match self.shared_or_fetched(transport, &app, deadline) {
            Err(e) if e.errcode == Some(APP_SECRET_ROTATED) && self.can_reauthorize() => {
                self.write().app = None;
                let app = self.app_credentials(transport, deadline)?;
                self.shared_or_fetched(transport, &app, deadline)?
            }
            other => other?,
        };
        let token = Arc::new(token);
        self.write().token = Some(token.clone());
        Ok(token)
    }

    /// The token from the shared file when it is fresh there, else a new one (written to
    /// the file for the other processes).
    fn shared_or_fetched(
        &self,
        transport: &Transport,
        app: &Arc<AppCredentials>,
        deadline: Option<Instant>,
    ) -> Result<Token> {
        let Some(file) = &self.file else {
            return fetch_token(transport, app, deadline);
        };
        let owner = Owner {
            client_id: &self.client_id,
            client_secret: &self.client_secret,
            app_key: &app.app_key,
            domain: &app.domain,
        };
        let _locked = match file.lock() {
            Ok(guard) => Some(guard),
            Err(e) => {
                // Working without the shared cache beats not working.
                transport.log(
                    LogLevel::Warn,
                    &format!(
                        "token cache lock {} unusable ({e}); fetching without it",
                        file.path().display()
                    ),
                );
                None
            }
        };
        let refused = self.read().refused.clone();
        if let Some(shared) = file.read(&owner) {
            let at = refresh_at(transport, Some(shared.expires_ms));
            if Instant::now() < at && refused.as_deref() != Some(shared.value.as_str()) {
                transport.log(
                    LogLevel::Debug,
                    "app-token taken from the shared cache file",
                );
                return Ok(Token {
                    value: shared.value,
                    refresh_at: at,
                    origin: Origin::File,
                    app: app.clone(),
                });
            }
        }
        let (token, expires_ms) = fetch(transport, app, deadline)?;
        let shared = FileToken {
            value: token.value.clone(),
            expires_ms: expires_ms
                .unwrap_or_else(|| transport.now_ms() + FALLBACK_LIFETIME.as_millis() as u64),
        };
        if let Err(e) = file.write(&owner, &shared) {
            transport.log(
                LogLevel::Warn,
                &format!("token cache {} not written ({e})", file.path().display()),
            );
        }
        Ok(token)
    }

    /// Forgets `failed` (if it is still the cached token) so the next call fetches anew.
    pub fn invalidate_token(&self, failed: &Arc<Token>) {
        let mut cached = self.write();
        cached.refused = Some(failed.value.clone());
        if cached
            .token
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(t, failed))
        {
            cached.token = None;
        }
    }

    /// Whether the app credentials can be fetched again (authorization mode).
    pub fn can_reauthorize(&self) -> bool {
        matches!(self.source, AppSource::Authorize { .. })
    }

    /// Forgets the app credentials and token issued under `failed`'s app, so the next call
    /// re-authorizes (the app secret was rotated).
    pub fn invalidate_app(&self, failed: &Arc<Token>) {
        if !self.can_reauthorize() {
            return;
        }
        let mut cached = self.write();
        cached.refused = Some(failed.value.clone());
        if cached
            .app
            .as_ref()
            .is_some_and(|a| Arc::ptr_eq(a, &failed.app))
        {
            cached.app = None;
            cached.token = None;
        }
    }

    /// Must be called with `refresh` held.
    fn app_credentials(
        &self,
        transport: &Transport,
        deadline: Option<Instant>,
    ) -> Result<Arc<AppCredentials>> {
        if let Some(app) = self.read().app.clone() {
            return Ok(app);
        }
        let AppSource::Authorize {
            outer_instance_id,
            account_id,
        } = &self.source
        else {
            return Err(Error::internal(
                "direct app credentials missing from the cache",
            ));
        };
        let app = Arc::new(authorize(
            transport,
            outer_instance_id,
            account_id.as_deref(),
            deadline,
        )?);
        self.write().app = Some(app.clone());
        Ok(app)
    }
}

fn fetch_token(
    transport: &Transport,
    app: &Arc<AppCredentials>,
    deadline: Option<Instant>,
) -> Result<Token> {
    fetch(transport, app, deadline).map(|(token, _)| token)
}

/// A new token and its expiry (epoch ms, gateway clock) when the answer gives one.
fn fetch(
    transport: &Transport,
    app: &Arc<AppCredentials>,
    deadline: Option<Instant>,
) -> Result<(Token, Option<u64>)> {
    let params = [
        ("app_key".to_string(), app.app_key.clone()),
        (
            "app_signature".to_string(),
            signing::app_signature(&app.app_key, &app.app_secret),
        ),
    ];
    let data = transport
        .send(&HttpRequest {
            deadline,
            ..HttpRequest::new(Method::Get, api::TOKEN, &params)
        })?
        .into_data("the app-token request (kingdee_auth_token)")?;
    let value = match data.get("app-token").and_then(Value::as_str) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => {
            return Err(Error::new(
                ErrorKind::Server,
                "the token answer has no `app-token`; try again later",
            ))
        }
    };
    let expires_ms = match data.get("expires") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    transport.log(LogLevel::Debug, "app-token fetched");
    Ok((
        Token {
            value,
            refresh_at: refresh_at(transport, expires_ms),
            origin: Origin::Fetched,
            app: app.clone(),
        },
        expires_ms,
    ))
}
