//! The insert plan of a table, from what `DESC TABLE` says it has: which of the
//! columns sonde writes go into the insert. Pure: the DESC text in, a plan or an
//! error out.
//!
//! A column sonde writes is required or optional. An optional one (a column some
//! contrib generation lacks) is left out of the insert and of the rows when the table
//! lacks it; a required one missing fails. A column sonde writes whose type is not the
//! one it encodes fails too. Columns sonde does not know are left to the server, which
//! fills them from their `DEFAULT` (or their type's zero value).

/// One column sonde can write, in row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: &'static str,
    /// The type sonde encodes, as `DESC` spells it (`LowCardinality` aside).
    pub ty: &'static str,
    pub optional: bool,
}

/// One line of `DESC TABLE`'s TabSeparated answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescColumn {
    pub name: String,
    pub ty: String,
    /// `DEFAULT`, `MATERIALIZED`, `ALIAS`, `EPHEMERAL`, or empty.
    pub default_kind: String,
}

/// `DESC TABLE`'s TabSeparated answer: name, type, default kind, then columns not
/// read here. Blank lines are skipped.
pub fn parse_desc(text: &str) -> Vec<DescColumn> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let mut next = || fields.next().unwrap_or("").to_string();
            DescColumn {
                name: next(),
                ty: next(),
                default_kind: next(),
            }
        })
        .collect()
}

/// `LowCardinality(T)` is `T` on the RowBinary wire, so a type matches with or
/// without it, at any depth (`Map(LowCardinality(String), String)`).
fn wire_type(ty: &str) -> String {
    let mut out = ty.replace(' ', "");
    while let Some(start) = out.find("LowCardinality(") {
        let inner = start + "LowCardinality(".len();
        let mut depth = 1;
        let mut end = None;
        for (i, c) in out[inner..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(inner + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        out = format!("{}{}{}", &out[..start], &out[inner..end], &out[end + 1..]);
    }
    out
}

/// Which of a table's specs are in the insert, and the insert's column list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertPlan {
    /// One per spec, in spec order.
    pub present: Vec<bool>,
    /// The present columns' names, in row order.
    pub columns: Vec<&'static str>,
}

impl InsertPlan {
    /// Every column present: the current generation, without asking the server.
    pub fn all(specs: &[ColumnSpec]) -> InsertPlan {
        InsertPlan {
            present: vec![true; specs.len()],
            columns: specs.iter().map(|s| s.name).collect(),
        }
    }

    /// Whether the column `name` is in the insert.
    pub fn has(&self, specs: &[ColumnSpec], name: &str) -> bool {
        specs
            .iter()
            .zip(&self.present)
            .any(|(s, present)| s.name == name && *present)
    }
}

/// The plan of `table` (named in errors) from its `DESC`.
pub fn plan(table: &str, specs: &[ColumnSpec], desc: &[DescColumn]) -> Result<InsertPlan, String> {
    let mut present = Vec::with_capacity(specs.len());
    let mut columns = Vec::with_capacity(specs.len());
    for spec in specs {
        match desc.iter().find(|c| c.name == spec.name) {
            Some(found) => {
                if wire_type(&found.ty) != wire_type(spec.ty) {
                    return Err(format!(
                        "table {table}: column {} has type {}, but sonde writes {}",
                        spec.name, found.ty, spec.ty
                    ));
                }
                present.push(true);
                columns.push(spec.name);
            }
            None if spec.optional => present.push(false),
            None => {
                return Err(format!(
                    "table {table} has no column {} ({}), which sonde writes",
                    spec.name, spec.ty
                ))
            }
        }
    }
    Ok(InsertPlan { present, columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_cardinality_is_the_plain_type_on_the_wire() {
        assert_eq!(
            wire_type("Map(LowCardinality(String), String)"),
            "Map(String,String)"
        );
        assert_eq!(wire_type("LowCardinality(String)"), "String");
        assert_eq!(wire_type("DateTime64(9)"), "DateTime64(9)");
    }

    #[test]
    fn parses_desc_lines() {
        let desc = parse_desc(
            "Timestamp\tDateTime64(9)\t\t\t\tDelta(8), ZSTD(1)\t\n\
             TimestampTime\tDateTime\tDEFAULT\ttoDateTime(Timestamp)\t\t\t\n\n",
        );
        assert_eq!(
            desc,
            vec![
                DescColumn {
                    name: "Timestamp".into(),
                    ty: "DateTime64(9)".into(),
                    default_kind: String::new(),
                },
                DescColumn {
                    name: "TimestampTime".into(),
                    ty: "DateTime".into(),
                    default_kind: "DEFAULT".into(),
                },
            ]
        );
    }
}
