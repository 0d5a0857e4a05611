//! Typed decoding of a component's YAML.
//!
//! A component config is a plain struct with `#[serde(default, deny_unknown_fields)]`
//! that implements [`ComponentConfig`]. [`decode`] turns the YAML into it and reports
//! failures with the key path inside the component; the service prefixes the
//! component's own path (`receivers::otlp`).

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub mod duration;

/// A component's config: defaults for every key, and a check beyond types.
pub trait ComponentConfig: DeserializeOwned + Serialize + Default {
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// A config error with the key path where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    path: Vec<String>,
    kind: ConfigErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// Keys the struct does not have (otelcol: `'x.y' has invalid keys: foo`).
    InvalidKeys(Vec<String>),
    /// Anything else: a bad type, a bad value, a failed check.
    Invalid(String),
}

impl ConfigError {
    /// An error at `path` (keys from the component's root).
    pub fn new(path: &[&str], message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.iter().map(|s| s.to_string()).collect(),
            kind: ConfigErrorKind::Invalid(message.into()),
        }
    }

    pub fn invalid_keys(path: &[&str], keys: Vec<String>) -> ConfigError {
        ConfigError {
            path: path.iter().map(|s| s.to_string()).collect(),
            kind: ConfigErrorKind::InvalidKeys(keys),
        }
    }

    /// The same error seen from further up: `prefix` is put in front of the path.
    pub fn under(mut self, prefix: &[&str]) -> ConfigError {
        let mut path: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
        path.append(&mut self.path);
        self.path = path;
        self
    }

    pub fn path(&self) -> &[String] {
        &self.path
    }

    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ConfigErrorKind::InvalidKeys(keys) => {
                write!(
                    f,
                    "'{}' has invalid keys: {}",
                    self.path.join("."),
                    keys.join(", ")
                )
            }
            ConfigErrorKind::Invalid(msg) if self.path.is_empty() => f.write_str(msg),
            ConfigErrorKind::Invalid(msg) => write!(f, "{}: {}", self.path.join("::"), msg),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Decodes `value` into `T` and runs its check. A null or absent config is the default.
pub fn decode<T: ComponentConfig>(value: &serde_yaml::Value) -> Result<T, ConfigError> {
    let config: T = if value.is_null() {
        T::default()
    } else {
        serde_path_to_error::deserialize(value.clone()).map_err(|err| {
            let mut path: Vec<String> = err
                .path()
                .iter()
                .map(|seg| seg.to_string())
                .filter(|seg| seg != "?" && seg != ".")
                .collect();
            let message = err.inner().to_string();
            let kind = match unknown_field(&message) {
                Some(key) => {
                    // The path ends at the unknown key itself; otelcol names its parent.
                    if path.last() == Some(&key) {
                        path.pop();
                    }
                    ConfigErrorKind::InvalidKeys(vec![key])
                }
                None => ConfigErrorKind::Invalid(message),
            };
            ConfigError { path, kind }
        })?
    };
    config.validate()?;
    Ok(config)
}

/// The default config of `T` as YAML.
pub fn default_value<T: ComponentConfig>() -> serde_yaml::Value {
    serde_yaml::to_value(T::default()).unwrap_or(serde_yaml::Value::Null)
}

/// serde says "unknown field `foo`, expected ..."; otelcol lists the key alone.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    Some(rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        endpoint: String,
    }

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Outer {
        inner: Inner,
        size: u32,
    }

    impl ComponentConfig for Outer {
        fn validate(&self) -> Result<(), ConfigError> {
            if self.size > 10 {
                return Err(ConfigError::new(&["size"], "must be at most 10"));
            }
            Ok(())
        }
    }

    fn yaml(s: &str) -> serde_yaml::Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn null_is_default() {
        assert_eq!(
            decode::<Outer>(&serde_yaml::Value::Null).unwrap(),
            Outer::default()
        );
    }

    #[test]
    fn unknown_key_names_its_path() {
        let err = decode::<Outer>(&yaml("inner: {foo: 1}")).unwrap_err();
        assert_eq!(err.to_string(), "'inner' has invalid keys: foo");
        let err = decode::<Outer>(&yaml("bar: 1"))
            .unwrap_err()
            .under(&["receivers", "x"]);
        assert_eq!(err.to_string(), "'receivers.x' has invalid keys: bar");
    }

    #[test]
    fn bad_type_names_its_path() {
        let err = decode::<Outer>(&yaml("inner: {endpoint: [1]}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inner::endpoint: invalid type: sequence, expected a string"
        );
    }

    #[test]
    fn validate_runs() {
        let err = decode::<Outer>(&yaml("size: 11"))
            .unwrap_err()
            .under(&["processors", "p"]);
        assert_eq!(err.to_string(), "processors::p::size: must be at most 10");
    }
}
