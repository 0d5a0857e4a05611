//! The debug exporter's config, with otelcol's keys and defaults.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sonde_api::config::{ComponentConfig, ConfigError};

/// How much of each batch is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// One summary line per batch.
    Basic,
    /// The summary plus one line per item.
    Normal,
    /// The summary plus every field.
    Detailed,
}

impl Verbosity {
    pub fn as_str(self) -> &'static str {
        match self {
            Verbosity::Basic => "basic",
            Verbosity::Normal => "normal",
            Verbosity::Detailed => "detailed",
        }
    }
}

impl fmt::Display for Verbosity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verbosity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Case-insensitive, as otelcol's level parsing is.
impl<'de> Deserialize<'de> for Verbosity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.to_ascii_lowercase().as_str() {
            "basic" => Ok(Verbosity::Basic),
            "normal" => Ok(Verbosity::Normal),
            "detailed" => Ok(Verbosity::Detailed),
            _ => Err(de::Error::custom(format!(
                "unknown verbosity level {text:?} (use basic, normal or detailed)"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub verbosity: Verbosity,
    /// Batches written per second before sampling starts.
    pub sampling_initial: u32,
    /// After `sampling_initial`, every n-th batch of the same second is written.
    pub sampling_thereafter: u32,
    /// true: through the collector's own log; false: straight to stdout.
    pub use_internal_logger: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            verbosity: Verbosity::Basic,
            sampling_initial: 2,
            sampling_thereafter: 1,
            use_internal_logger: true,
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.sampling_thereafter == 0 {
            return Err(ConfigError::new(
                &["sampling_thereafter"],
                "sampling_thereafter must be greater than zero",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn yaml(s: &str) -> serde_yaml::Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn defaults() {
        let c: Config = decode(&serde_yaml::Value::Null).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.verbosity, Verbosity::Basic);
        assert_eq!((c.sampling_initial, c.sampling_thereafter), (2, 1));
    }

    #[test]
    fn verbosity_is_case_insensitive() {
        let c: Config = decode(&yaml("verbosity: Detailed")).unwrap();
        assert_eq!(c.verbosity, Verbosity::Detailed);
        let err = decode::<Config>(&yaml("verbosity: loud")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "verbosity: unknown verbosity level \"loud\" (use basic, normal or detailed)"
        );
    }

    #[test]
    fn zero_thereafter_is_rejected() {
        let err = decode::<Config>(&yaml("sampling_thereafter: 0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sampling_thereafter: sampling_thereafter must be greater than zero"
        );
    }
}
