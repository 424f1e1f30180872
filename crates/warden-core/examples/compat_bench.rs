//! The cost of the compatibility checks on pathological schemas (issue 13): an Avro enum
//! whose last symbol changes, an Avro union of `fixed` types that gains a branch, and a JSON
//! Schema `allOf` whose last entry changes. Each case parses both versions and checks the new
//! one against the old under BACKWARD, in a child process of its own so that its peak RSS is
//! its own; the table goes to stdout as Markdown. The check runs without limits; the last
//! column says whether the default [`SchemaLimits`] let the new version in at all.
//!
//! `cargo run --release -p warden-bench --bin compat_bench` runs every case;
//! `… -- CASE SIZE` runs one (`avro-enum`, `avro-union`, `json-allof`).

use std::time::{Duration, Instant};

use warden_core::{CompatibilityLevel, ParsedSchema, SchemaLimits, SchemaType, compat};

/// The cases and the sizes each runs at.
const CASES: &[(&str, &[usize])] = &[
    ("avro-enum", &[40_000, 100_000]),
    ("avro-union", &[4_000, 20_000]),
    ("json-allof", &[1_000, 2_000, 10_000]),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, case, size] = args.as_slice() {
        let size: usize = size.parse().expect("SIZE is a number");
        run_one(case, size);
        return;
    }
    println!("| case | size | parse | check | verdict | peak RSS | default limits |");
    println!("|---|---:|---:|---:|---|---:|---|");
    for (case, sizes) in CASES {
        for size in *sizes {
            let output = std::process::Command::new(&args[0])
                .args([*case, &size.to_string()])
                .output()
                .expect("the benchmark re-runs itself");
            let line = String::from_utf8_lossy(&output.stdout);
            if output.status.success() {
                print!("{line}");
            } else {
                println!("| {case} | {size} | failed: {} | | | | |", output.status);
            }
        }
    }
}

/// Parses both versions of `case` at `size`, checks them, and prints one table row.
fn run_one(case: &str, size: usize) {
    let (schema_type, old, new) = match case {
        "avro-enum" => (
            SchemaType::Avro,
            avro_enum(size, false),
            avro_enum(size, true),
        ),
        "avro-union" => (SchemaType::Avro, avro_union(size), avro_union(size + 1)),
        "json-allof" => (
            SchemaType::Json,
            json_all_of(size, false),
            json_all_of(size, true),
        ),
        other => panic!("unknown case {other}"),
    };
    let started = Instant::now();
    let parse = |text: &str| ParsedSchema::parse(schema_type, text, &[]);
    let new_text = new.clone();
    let (old, new) = match (parse(&old), parse(&new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            println!("| {case} | {size} | refused: {e} | | | {} | |", peak_rss());
            return;
        }
    };
    let parsed = started.elapsed();
    let started = Instant::now();
    let result = compat::check(CompatibilityLevel::Backward, &new, &[&old]);
    let checked = started.elapsed();
    let verdict = if result.is_compatible() {
        "compatible".to_owned()
    } else {
        let rules: Vec<&str> = result
            .failures
            .iter()
            .flat_map(|(_, v)| v.iter().map(|v| v.rule))
            .collect();
        format!("incompatible ({})", rules.join(", "))
    };
    let limits = match ParsedSchema::parse_with_limits(
        schema_type,
        &new_text,
        &[],
        &SchemaLimits::default(),
    ) {
        Ok(_) => "within".to_owned(),
        Err(e) => format!("refused ({})", e.to_string().replace('\'', "")),
    };
    println!(
        "| {case} | {size} | {} | {} | {verdict} | {} | {limits} |",
        millis(parsed),
        millis(checked),
        peak_rss()
    );
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// This process's peak resident set (`VmHWM`), in MiB.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or_else(|| "unknown".to_owned(), |kb| format!("{} MiB", kb / 1024))
}

/// A record with one enum field of `n` symbols; `changed` renames the last one.
fn avro_enum(n: usize, changed: bool) -> String {
    let symbols: Vec<String> = (0..n)
        .map(|i| {
            if changed && i + 1 == n {
                "\"CHANGED\"".to_owned()
            } else {
                format!("\"S{i}\"")
            }
        })
        .collect();
    format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"e","type":{{"type":"enum","name":"E","symbols":[{}]}}}}]}}"#,
        symbols.join(",")
    )
}

/// A record with one field, a union of `null` and `n` distinct `fixed` types.
fn avro_union(n: usize) -> String {
    let branches: Vec<String> = std::iter::once("\"null\"".to_owned())
        .chain((0..n).map(|i| format!(r#"{{"type":"fixed","name":"F{i}","size":16}}"#)))
        .collect();
    format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"u","type":[{}]}}]}}"#,
        branches.join(",")
    )
}

/// An `allOf` of `n` objects, each with one integer property; `changed` makes the last
/// property a string.
fn json_all_of(n: usize, changed: bool) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            let t = if changed && i + 1 == n {
                "string"
            } else {
                "integer"
            };
            format!(r#"{{"type":"object","properties":{{"p{i}":{{"type":"{t}"}}}}}}"#)
        })
        .collect();
    format!(r#"{{"allOf":[{}]}}"#, entries.join(","))
}
