//! builder.yaml and the binary's component list must name the same crates.

use std::collections::BTreeSet;

use sonde_api::Kind;

#[test]
fn builder_yaml_matches_the_registry() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../builder.yaml"))
        .unwrap();
    let manifest: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let registry = sonde::components::registry();
    for kind in [
        Kind::Receiver,
        Kind::Processor,
        Kind::Exporter,
        Kind::Extension,
    ] {
        let listed: BTreeSet<String> = manifest[kind.section()]
            .as_sequence()
            .unwrap_or_else(|| panic!("builder.yaml has no {} list", kind.section()))
            .iter()
            .map(|entry| entry["crate"].as_str().unwrap().to_string())
            .collect();
        let built: BTreeSet<String> = registry
            .type_names(kind)
            .iter()
            .map(|name| {
                let module = registry.factory(kind, name).unwrap().module();
                module.split(' ').next().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            listed,
            built,
            "{} in builder.yaml vs the binary",
            kind.section()
        );
    }
}
