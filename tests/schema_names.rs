//! utoipa names a component schema after its Rust type, and two types with one name silently
//! share one schema in `/openapi.json` (the second overwrites the first), so a response can
//! violate its own documented schema. This walks `src/` and fails on any repeated schema name;
//! give one of the two `#[schema(as = OtherName)]`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each `(schema name, where)` derived with `ToSchema` in one file's text.
fn schema_names(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if !(trimmed.starts_with("#[derive(") && trimmed.contains("ToSchema")) {
            continue;
        }
        let mut alias = None;
        for next in &lines[i + 1..] {
            let next = next.trim_start();
            if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                alias = rest.split(')').next().map(|s| s.trim().to_string());
            }
            let decl = next.strip_prefix("pub ").unwrap_or(next);
            let decl = decl.strip_prefix("(crate) ").unwrap_or(decl);
            if let Some(rest) = decl.strip_prefix("struct ").or_else(|| decl.strip_prefix("enum ")) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                found.push((alias.take().unwrap_or(name), i + 1));
                break;
            }
        }
    }
    found
}

#[test]
fn every_openapi_schema_name_belongs_to_one_type() {
    let mut files = Vec::new();
    rust_files(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut files);
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("read source");
        for (name, line) in schema_names(&text) {
            seen.entry(name).or_default().push(format!("{}:{line}", file.display()));
        }
    }
    assert!(seen.len() > 50, "the walk found too few schemas: {}", seen.len());
    let repeated: Vec<_> = seen.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(repeated.is_empty(), "schema names used by more than one type: {repeated:#?}");
}

#[test]
fn the_walk_sees_an_alias_and_a_repeat() {
    let text = "#[derive(ToSchema)]\n#[schema(as = Other)]\npub enum Reason {}\n\
                #[derive(Serialize, ToSchema)]\n#[serde(rename_all = \"snake_case\")]\nstruct Reason;\n";
    let names: Vec<String> = schema_names(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Other", "Reason"]);
}
