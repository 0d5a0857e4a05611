//! Config resolution as otelcol does it: read every `--config` source, expand
//! `${...}` references, deep-merge them in order, then apply `--set` overrides.
//!
//! The result is one YAML tree; decoding it into typed configs comes after.

mod expand;
mod merge;
mod providers;

use serde_yaml::Value;

pub use expand::expand;
pub use merge::merge;

/// Why the config could not be resolved into one tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResolveError {
    #[error("at least one config flag must be provided")]
    NoConfig,
    #[error("cannot retrieve the configuration: {0}")]
    Retrieve(String),
    #[error("cannot parse {source_name} as YAML: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("retrieved value (type={0}) cannot be used as a Conf")]
    NotAMap(&'static str),
    #[error("{0}")]
    Expand(String),
    #[error("invalid --set {flag:?}: {message}")]
    Set { flag: String, message: String },
}

/// Environment lookup, injectable so tests do not touch the process environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Resolves `--config` sources and `--set` flags into one config tree.
pub fn resolve(configs: &[String], sets: &[String], env: Env) -> Result<Value, ResolveError> {
    if configs.is_empty() {
        return Err(ResolveError::NoConfig);
    }
    let mut tree = Value::Mapping(Default::default());
    for source in configs {
        let mut value = providers::retrieve(source, env)?;
        match value {
            Value::Mapping(_) => {}
            Value::Null => value = Value::Mapping(Default::default()),
            ref other => return Err(ResolveError::NotAMap(type_name(other))),
        }
        expand(&mut value, env).map_err(ResolveError::Expand)?;
        merge(&mut tree, value);
    }
    for flag in sets {
        merge(&mut tree, set_flag(flag)?);
    }
    Ok(tree)
}

/// `--set a::b=c` or `--set a.b=c`: a one-path tree with the value parsed as YAML.
fn set_flag(flag: &str) -> Result<Value, ResolveError> {
    let (path, raw) = flag.split_once('=').ok_or_else(|| ResolveError::Set {
        flag: flag.to_string(),
        message: "missing equal sign".to_string(),
    })?;
    let keys: Vec<&str> = if path.contains("::") {
        path.split("::").collect()
    } else {
        path.split('.').collect()
    };
    if keys.iter().any(|k| k.is_empty()) {
        return Err(ResolveError::Set {
            flag: flag.to_string(),
            message: "empty key".to_string(),
        });
    }
    let mut value: Value = serde_yaml::from_str(raw).map_err(|e| ResolveError::Set {
        flag: flag.to_string(),
        message: e.to_string(),
    })?;
    for key in keys.iter().rev() {
        let mut map = serde_yaml::Mapping::new();
        map.insert(Value::String(key.to_string()), value);
        value = Value::Mapping(map);
    }
    Ok(value)
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "sequence",
        Value::Mapping(_) => "map",
        Value::Tagged(_) => "tagged",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("4317".into()),
            "HOST" => Some("0.0.0.0".into()),
            _ => None,
        }
    }

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn merges_sources_in_order_then_sets() {
        let a = "yaml:receivers: {otlp: {protocols: {grpc: {endpoint: 'a:1'}}}}\nexporters: {debug: {}}\nlist: [1, 2]".to_string();
        let b =
            "yaml:receivers: {otlp: {protocols: {http: {}}}}\nlist: [3]\nexporters: {debug: null}"
                .to_string();
        let got = resolve(
            &[a, b],
            &[
                "receivers::otlp::protocols::grpc::endpoint=b:2".into(),
                "x.y=5".into(),
            ],
            &env,
        )
        .unwrap();
        assert_eq!(
            got,
            y("receivers: {otlp: {protocols: {grpc: {endpoint: 'b:2'}, http: {}}}}\nexporters: {}\nlist: [3]\nx: {y: 5}")
        );
    }

    #[test]
    fn env_provider_and_expansion() {
        let got = resolve(
            &["yaml:port: ${env:PORT}\nhost: ${HOST}:${env:PORT}".into()],
            &[],
            &env,
        )
        .unwrap();
        assert_eq!(got, y("port: 4317\nhost: '0.0.0.0:4317'"));
    }

    #[test]
    fn errors() {
        assert_eq!(resolve(&[], &[], &env), Err(ResolveError::NoConfig));
        assert_eq!(
            resolve(&["yaml:[1]".into()], &[], &env),
            Err(ResolveError::NotAMap("sequence"))
        );
        assert_eq!(
            resolve(&["yaml:a: 1".into()], &["nope".into()], &env)
                .unwrap_err()
                .to_string(),
            "invalid --set \"nope\": missing equal sign"
        );
    }
}
