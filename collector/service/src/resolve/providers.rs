//! Where a `--config` value comes from: `file:PATH` (or a bare path), `env:VAR`,
//! `yaml:INLINE`. Other schemes (http, https, s3 ...) are refused by name.

use serde_yaml::Value;

use super::{Env, ResolveError};

pub(super) fn retrieve(source: &str, env: Env) -> Result<Value, ResolveError> {
    let (scheme, rest) = split_scheme(source);
    let (name, text) = match scheme {
        Some("file") | None => {
            let path = rest;
            let text = std::fs::read_to_string(path).map_err(|e| {
                ResolveError::Retrieve(format!("unable to read the file {path}: {e}"))
            })?;
            (path.to_string(), text)
        }
        Some("env") => {
            let text = env(rest).ok_or_else(|| {
                ResolveError::Retrieve(format!("environment variable {rest:?} is not set"))
            })?;
            (format!("env:{rest}"), text)
        }
        Some("yaml") => ("yaml:".to_string(), rest.to_string()),
        Some(other) => {
            return Err(ResolveError::Retrieve(format!(
            "scheme \"{other}\" is not supported for uri \"{source}\" (supported: file, env, yaml)"
        )))
        }
    };
    serde_yaml::from_str(&text).map_err(|e| ResolveError::Parse {
        source_name: name,
        message: e.to_string(),
    })
}

/// `scheme:rest` when the part before the first colon looks like a URI scheme (letters,
/// at least two of them, so that `C:\x` stays a path), else a bare path.
fn split_scheme(source: &str) -> (Option<&str>, &str) {
    match source.split_once(':') {
        Some((scheme, rest))
            if scheme.len() >= 2
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == '-')
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic()) =>
        {
            (Some(scheme), rest)
        }
        _ => (None, source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(split_scheme("file:/a/b.yaml"), (Some("file"), "/a/b.yaml"));
        assert_eq!(split_scheme("/a/b.yaml"), (None, "/a/b.yaml"));
        assert_eq!(split_scheme("yaml:a: 1"), (Some("yaml"), "a: 1"));
        let no_env = |_: &str| None;
        assert_eq!(
            retrieve("http://x/c.yaml", &no_env).unwrap_err().to_string(),
            "cannot retrieve the configuration: scheme \"http\" is not supported for uri \"http://x/c.yaml\" (supported: file, env, yaml)"
        );
        assert!(retrieve("/definitely/not/here.yaml", &no_env)
            .unwrap_err()
            .to_string()
            .starts_with("cannot retrieve the configuration: unable to read the file /definitely/not/here.yaml: "));
    }
}
