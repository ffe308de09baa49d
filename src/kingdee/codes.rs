//! Kingdee's error codes and what each means for a client: the one table the transport, the
//! retry policy and the sandbox share (notes §3).

use crate::error::ErrorKind;

/// What a client does about a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Nothing helps but a person (configuration, permission, a bug).
    Report,
    /// Fetch a new app-token and try once more.
    NewToken,
    /// Fetch the app credentials again (the app secret rotated) and try once more.
    Reauthorize,
    /// Sign again with the gateway's clock and try once more.
    CorrectClock,
    /// Refused before it reached the service: certainly not applied; wait and try again.
    Wait,
    /// The service may have acted on it: a save is looked up before it is sent again.
    LookUp,
}

/// A code of the gateway (answered under HTTP 519) or of the API platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayCode {
    /// 4001-4005: auth type, client id or client secret wrong.
    Credentials(i64),
    /// 4006: timestamp invalid or expired (outside 5 minutes).
    Timestamp,
    /// 4007: `X-Api-SignHeaders` invalid.
    SignHeaders,
    /// 4008: signature invalid.
    Signature,
    /// 4009: app-token empty.
    TokenEmpty,
    /// 4010: app-token invalid.
    TokenInvalid,
    /// 4011: app-token expired.
    TokenExpired,
    /// 4012: no permission for this API.
    NoPermission,
    /// 5000: gateway internal error.
    Internal,
    /// 5001: API not found.
    ApiNotFound,
    /// 5002: method not allowed.
    MethodNotAllowed,
    /// 5003: service unavailable.
    Unavailable,
    /// 5004: service timeout.
    Timeout,
    /// 5005: request cancelled.
    Cancelled,
    /// 5006: circuit breaker open.
    CircuitOpen,
    /// 5007: overloaded.
    Overloaded,
    /// 1030002006: app secret check failed (Kingdee rotated the app secret).
    AppSecretRotated,
    /// 1000202001: JWT token expired.
    JwtExpired,
    /// 2000002000: system error (the seed's listed code).
    SystemError,
}

impl GatewayCode {
    /// Every code with a fixed meaning, for tables and tests.
    pub const ALL: [GatewayCode; 23] = [
        GatewayCode::Credentials(4001),
        GatewayCode::Credentials(4002),
        GatewayCode::Credentials(4003),
        GatewayCode::Credentials(4004),
        GatewayCode::Credentials(4005),
        GatewayCode::Timestamp,
        GatewayCode::SignHeaders,
        GatewayCode::Signature,
        GatewayCode::TokenEmpty,
        GatewayCode::TokenInvalid,
        GatewayCode::TokenExpired,
        GatewayCode::NoPermission,
        GatewayCode::Internal,
        GatewayCode::ApiNotFound,
        GatewayCode::MethodNotAllowed,
        GatewayCode::Unavailable,
        GatewayCode::Timeout,
        GatewayCode::Cancelled,
        GatewayCode::CircuitOpen,
        GatewayCode::Overloaded,
        GatewayCode::AppSecretRotated,
        GatewayCode::JwtExpired,
        GatewayCode::SystemError,
    ];

    /// The number on the wire.
    pub const fn number(self) -> i64 {
        match self {
            GatewayCode::Credentials(n) => n,
            GatewayCode::Timestamp => 4006,
            GatewayCode::SignHeaders => 4007,
            GatewayCode::Signature => 4008,
            GatewayCode::TokenEmpty => 4009,
            GatewayCode::TokenInvalid => 4010,
            GatewayCode::TokenExpired => 4011,
            GatewayCode::NoPermission => 4012,
            GatewayCode::Internal => 5000,
            GatewayCode::ApiNotFound => 5001,
            GatewayCode::MethodNotAllowed => 5002,
            GatewayCode::Unavailable => 5003,
            GatewayCode::Timeout => 5004,
            GatewayCode::Cancelled => 5005,
            GatewayCode::CircuitOpen => 5006,
            GatewayCode::Overloaded => 5007,
            GatewayCode::AppSecretRotated => 1_030_002_006,
            GatewayCode::JwtExpired => 1_000_202_001,
            GatewayCode::SystemError => 2_000_002_000,
        }
    }

    /// The code with this number, if it has a fixed meaning.
    pub fn from_number(number: i64) -> Option<GatewayCode> {
        match number {
            4001..=4005 => Some(GatewayCode::Credentials(number)),
            _ => GatewayCode::ALL.into_iter().find(|c| c.number() == number),
        }
    }

    /// What a client does about it.
    pub const fn remedy(self) -> Remedy {
        match self {
            GatewayCode::TokenEmpty
            | GatewayCode::TokenInvalid
            | GatewayCode::TokenExpired
            | GatewayCode::JwtExpired => Remedy::NewToken,
            GatewayCode::AppSecretRotated => Remedy::Reauthorize,
            GatewayCode::Timestamp => Remedy::CorrectClock,
            GatewayCode::Unavailable | GatewayCode::CircuitOpen | GatewayCode::Overloaded => {
                Remedy::Wait
            }
            GatewayCode::Internal
            | GatewayCode::Timeout
            | GatewayCode::Cancelled
            | GatewayCode::SystemError => Remedy::LookUp,
            GatewayCode::Credentials(_)
            | GatewayCode::SignHeaders
            | GatewayCode::Signature
            | GatewayCode::NoPermission
            | GatewayCode::ApiNotFound
            | GatewayCode::MethodNotAllowed => Remedy::Report,
        }
    }

    /// The error kind a caller sees when the remedy did not help (or there is none), and the
    /// advice of its message.
    pub const fn meaning(self) -> (ErrorKind, &'static str) {
        use ErrorKind::*;
        match self {
            GatewayCode::Credentials(_) => (Auth, "the gateway rejected the client credentials; check `client_id` and `client_secret`"),
            GatewayCode::Timestamp => (Auth, "the gateway refused the request timestamp: this machine's clock is probably more than 5 minutes off; correct the clock"),
            GatewayCode::SignHeaders => (Auth, "the gateway refused the signed-header list; this is a bug in jdy-member, please report it"),
            GatewayCode::Signature => (Auth, "the gateway rejected the request signature; check that `client_secret` belongs to `client_id`"),
            GatewayCode::TokenEmpty | GatewayCode::TokenInvalid | GatewayCode::TokenExpired | GatewayCode::JwtExpired => (Auth, "the gateway refused the app-token even after a fresh one was fetched; check `app_key` and `app_secret`"),
            GatewayCode::NoPermission => (Auth, "this app has no permission for this API (or the routing domain is wrong); grant the API to the app in the Kingdee developer console and check `domain`"),
            GatewayCode::AppSecretRotated => (Auth, "the app secret check failed: Kingdee has rotated the app secret; with `outer_instance_id` the library re-authorizes by itself, with a direct `app_secret` put the new one in the configuration"),
            GatewayCode::Internal | GatewayCode::Unavailable | GatewayCode::Timeout | GatewayCode::Cancelled | GatewayCode::CircuitOpen | GatewayCode::Overloaded => (Server, "the gateway is unavailable or overloaded; try again later"),
            GatewayCode::ApiNotFound | GatewayCode::MethodNotAllowed => (Api, "the gateway does not know this API or method; check `base_url`, or upgrade jdy-member"),
            GatewayCode::SystemError => (Server, "Kingdee reported a system error; try again later, and if it persists report it on the Kingdee developer community"),
        }
    }
}

/// The advice for a business `errcode` without a fixed meaning: Kingdee's `description`
/// says why.
pub const BUSINESS_REFUSAL: &str = "Kingdee refused the request; `description` says why";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_remedies_follow_the_notes() {
        for code in GatewayCode::ALL {
            assert_eq!(GatewayCode::from_number(code.number()), Some(code));
        }
        assert_eq!(
            GatewayCode::from_number(4003),
            Some(GatewayCode::Credentials(4003))
        );
        assert_eq!(GatewayCode::from_number(123), None);
        assert_eq!(GatewayCode::TokenExpired.remedy(), Remedy::NewToken);
        assert_eq!(GatewayCode::JwtExpired.remedy(), Remedy::NewToken);
        assert_eq!(GatewayCode::Overloaded.remedy(), Remedy::Wait);
        assert_eq!(GatewayCode::Internal.remedy(), Remedy::LookUp);
        assert_eq!(GatewayCode::Signature.remedy(), Remedy::Report);
    }
}
