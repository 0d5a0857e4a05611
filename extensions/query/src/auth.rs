//! The optional client check: `Authorization: Basic ...` or `Bearer ...` against the
//! configured credentials, compared in constant time. A refusal names the scheme in
//! `WWW-Authenticate`, as RFC 7235 asks of a 401.

use base64::Engine;

use crate::config::Auth;

/// What a request must carry, prepared once from the config.
#[derive(Debug, Clone)]
pub enum Required {
    Nothing,
    /// The whole `Authorization` value expected.
    Header {
        expected: String,
        challenge: &'static str,
    },
}

impl Required {
    pub fn from_config(auth: Option<&Auth>) -> Required {
        let Some(auth) = auth else {
            return Required::Nothing;
        };
        if let Some(basic) = &auth.basic {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", basic.username, basic.password));
            return Required::Header {
                expected: format!("Basic {token}"),
                challenge: r#"Basic realm="sonde query", charset="UTF-8""#,
            };
        }
        if let Some(bearer) = &auth.bearer {
            return Required::Header {
                expected: format!("Bearer {}", bearer.token),
                challenge: r#"Bearer realm="sonde query""#,
            };
        }
        Required::Nothing
    }

    /// `Ok` when the request may go on; else the `WWW-Authenticate` value to answer.
    pub fn check(&self, authorization: Option<&[u8]>) -> Result<(), &'static str> {
        match self {
            Required::Nothing => Ok(()),
            Required::Header {
                expected,
                challenge,
            } => match authorization {
                Some(given) if matches(expected.as_bytes(), given) => Ok(()),
                _ => Err(challenge),
            },
        }
    }
}

/// Equal, in a time that depends only on the lengths; the scheme is case-insensitive.
fn matches(expected: &[u8], given: &[u8]) -> bool {
    if expected.len() != given.len() {
        return false;
    }
    let scheme_end = expected.iter().position(|b| *b == b' ').unwrap_or(0);
    let mut diff = 0u8;
    for (i, (a, b)) in expected.iter().zip(given).enumerate() {
        diff |= if i < scheme_end {
            a.to_ascii_lowercase() ^ b.to_ascii_lowercase()
        } else {
            a ^ b
        };
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Basic, Bearer};

    fn basic() -> Required {
        Required::from_config(Some(&Auth {
            basic: Some(Basic {
                username: "grafana".into(),
                password: "s3cret".into(),
            }),
            bearer: None,
        }))
    }

    #[test]
    fn nothing_configured_lets_everyone_in() {
        assert_eq!(Required::from_config(None).check(None), Ok(()));
    }

    #[test]
    fn basic_credentials() {
        let r = basic();
        // base64("grafana:s3cret")
        assert_eq!(r.check(Some(b"Basic Z3JhZmFuYTpzM2NyZXQ=")), Ok(()));
        assert_eq!(r.check(Some(b"basic Z3JhZmFuYTpzM2NyZXQ=")), Ok(()));
        let challenge = r#"Basic realm="sonde query", charset="UTF-8""#;
        assert_eq!(r.check(None), Err(challenge));
        // base64("grafana:wrong!")
        assert_eq!(r.check(Some(b"Basic Z3JhZmFuYTp3cm9uZyE=")), Err(challenge));
        assert_eq!(
            r.check(Some(b"Bearer Z3JhZmFuYTpzM2NyZXQ=")),
            Err(challenge)
        );
    }

    #[test]
    fn bearer_token() {
        let r = Required::from_config(Some(&Auth {
            basic: None,
            bearer: Some(Bearer {
                token: "abc123".into(),
            }),
        }));
        assert_eq!(r.check(Some(b"Bearer abc123")), Ok(()));
        assert_eq!(
            r.check(Some(b"Bearer abc124")),
            Err(r#"Bearer realm="sonde query""#)
        );
        assert_eq!(
            r.check(Some(b"Bearer abc12")),
            Err(r#"Bearer realm="sonde query""#)
        );
        assert_eq!(r.check(None), Err(r#"Bearer realm="sonde query""#));
    }
}
