//! `${...}` expansion in string values, as otelcol's confmap does it:
//! `${env:VAR}`, `${VAR}` (the same), `${env:VAR:-default}`, and `$$` for a literal `$`.
//! A value that is one reference and nothing else takes the type of what it expands
//! to (`port: ${env:PORT}` is a number); inside a longer string it is text.

use serde_yaml::Value;

use super::Env;

pub fn expand(value: &mut Value, env: Env) -> Result<(), String> {
    match value {
        Value::String(s) => {
            if let Some(new) = expand_scalar(s, env)? {
                *value = new;
            }
        }
        Value::Sequence(items) => {
            for item in items {
                expand(item, env)?;
            }
        }
        Value::Mapping(map) => {
            for (_, item) in map.iter_mut() {
                expand(item, env)?;
            }
        }
        Value::Tagged(t) => expand(&mut t.value, env)?,
        _ => {}
    }
    Ok(())
}

/// `None` when the string has nothing to expand.
fn expand_scalar(s: &str, env: Env) -> Result<Option<Value>, String> {
    if !s.contains('$') {
        return Ok(None);
    }
    // A whole-value reference keeps the YAML type of the variable's content.
    if let Some(inner) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        if !inner.contains("${") && !inner.contains('}') {
            let text = lookup(inner, env)?;
            return Ok(Some(typed(&text)));
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r
                .find('}')
                .ok_or_else(|| format!("unterminated reference in {s:?}"))?;
            out.push_str(&lookup(&r[..end], env)?);
            rest = &r[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(Some(Value::String(out)))
}

/// Resolves `env:VAR`, `env:VAR:-default` or `VAR`. An unset variable is empty, as in otelcol.
fn lookup(reference: &str, env: Env) -> Result<String, String> {
    let (scheme, name) = match reference.split_once(':') {
        Some((scheme, rest)) if !scheme.is_empty() && !scheme.contains('-') => (scheme, rest),
        _ => ("env", reference),
    };
    if scheme != "env" {
        return Err(format!(
            "scheme \"{scheme}\" is not supported in reference \"${{{reference}}}\""
        ));
    }
    let (name, default) = match name.split_once(":-") {
        Some((n, d)) => (n, Some(d)),
        None => (name, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("environment variable \"{name}\" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$"));
    }
    // As in the shell, `:-` also replaces a variable that is set but empty.
    Ok(match (env(name), default) {
        (Some(v), Some(d)) if v.is_empty() => d.to_string(),
        (Some(v), _) => v,
        (None, Some(d)) => d.to_string(),
        (None, None) => String::new(),
    })
}

/// Parses expanded text as a YAML scalar; maps and lists stay text.
fn typed(text: &str) -> Value {
    match serde_yaml::from_str::<Value>(text) {
        Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::String(_))) => v,
        Ok(Value::Null) if text.trim().is_empty() => Value::String(String::new()),
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".into()),
            "N" => Some("42".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(s: &str) -> Value {
        let mut v = Value::String(s.into());
        expand(&mut v, &env).unwrap();
        v
    }

    #[test]
    fn references() {
        assert_eq!(run("${env:A}"), Value::String("alpha".into()));
        assert_eq!(run("${A}"), Value::String("alpha".into()));
        assert_eq!(run("${env:N}"), Value::Number(42.into()));
        assert_eq!(run("x-${N}-y"), Value::String("x-42-y".into()));
        assert_eq!(
            run("${env:MISSING:-fallback}"),
            Value::String("fallback".into())
        );
        assert_eq!(
            run("${env:EMPTY:-fallback}"),
            Value::String("fallback".into())
        );
        assert_eq!(run("${env:MISSING}"), Value::String("".into()));
        assert_eq!(
            run("$${env:A} costs $$5"),
            Value::String("${env:A} costs $5".into())
        );
        assert_eq!(run("plain $ sign"), Value::String("plain $ sign".into()));
    }

    #[test]
    fn bad_references() {
        let mut v = Value::String("${file:/x}".into());
        assert_eq!(
            expand(&mut v, &env).unwrap_err(),
            "scheme \"file\" is not supported in reference \"${file:/x}\""
        );
        let mut v = Value::String("a ${env:A".into());
        assert_eq!(
            expand(&mut v, &env).unwrap_err(),
            "unterminated reference in \"a ${env:A\""
        );
    }
}
