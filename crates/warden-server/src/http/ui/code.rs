//! Schema texts for the UI: pretty-printed with the lines each JSON pointer spans (so a
//! change's path marks its lines), and highlighted token by token (JSON and `.proto`).

use std::collections::HashMap;

use maud::{Markup, html};
use serde_json::Value;

/// A schema text as lines, with the line range of each JSON pointer (JSON texts only).
#[derive(Debug, Default)]
pub(super) struct Code {
    pub(super) lines: Vec<String>,
    spans: HashMap<String, (usize, usize)>,
    proto: bool,
}

/// How a line is marked: part of a compatible change, or of a breaking one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Compatible,
    Breaking,
}

fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn emit(
    v: &Value,
    ptr: &str,
    indent: usize,
    prefix: &str,
    suffix: &str,
    lines: &mut Vec<String>,
    spans: &mut HashMap<String, (usize, usize)>,
) {
    let start = lines.len();
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) if !map.is_empty() => {
            lines.push(format!("{pad}{prefix}{{"));
            let last = map.len() - 1;
            for (i, (k, val)) in map.iter().enumerate() {
                let key = Value::String(k.clone()).to_string();
                emit(
                    val,
                    &format!("{ptr}/{}", escape_token(k)),
                    indent + 2,
                    &format!("{key}: "),
                    if i == last { "" } else { "," },
                    lines,
                    spans,
                );
            }
            lines.push(format!("{pad}}}{suffix}"));
        }
        Value::Array(items) if !items.is_empty() => {
            lines.push(format!("{pad}{prefix}["));
            let last = items.len() - 1;
            for (i, val) in items.iter().enumerate() {
                emit(
                    val,
                    &format!("{ptr}/{i}"),
                    indent + 2,
                    "",
                    if i == last { "" } else { "," },
                    lines,
                    spans,
                );
            }
            lines.push(format!("{pad}]{suffix}"));
        }
        scalar => lines.push(format!("{pad}{prefix}{scalar}{suffix}")),
    }
    spans.insert(ptr.to_owned(), (start, lines.len() - 1));
}

impl Code {
    /// A JSON schema (Avro or JSON Schema) pretty-printed, two spaces an indent.
    pub(super) fn json(text: &str) -> Code {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return Code::plain(text);
        };
        let mut code = Code::default();
        emit(&value, "", 0, "", "", &mut code.lines, &mut code.spans);
        code
    }

    /// A `.proto` text as it is.
    pub(super) fn proto(text: &str) -> Code {
        Code {
            lines: text.lines().map(str::to_owned).collect(),
            spans: HashMap::new(),
            proto: true,
        }
    }

    fn plain(text: &str) -> Code {
        Code {
            lines: text.lines().map(str::to_owned).collect(),
            ..Code::default()
        }
    }

    /// The lines a change's path covers: a JSON pointer (`/fields/1`, `#/properties/a`), or
    /// a Protobuf path (`#/Order/3`, `#/Order/payment/7`, `#/Status/1`).
    pub(super) fn lines_of(&self, path: &str) -> Option<(usize, usize)> {
        let pointer = path.strip_prefix('#').unwrap_or(path).trim_end_matches('/');
        if !self.proto {
            return self.spans.get(pointer).copied();
        }
        let mut from = 0;
        let mut found = None;
        for segment in pointer.split('/').skip(1) {
            let numeric = segment.parse::<u32>().is_ok();
            let hit = self.lines.iter().enumerate().skip(from).find(|(_, l)| {
                let t = l.trim();
                if numeric {
                    t.contains(&format!("= {segment};")) || t.contains(&format!("= {segment} ["))
                } else {
                    ["message ", "enum ", "oneof "].iter().any(|kw| {
                        t.starts_with(&format!("{kw}{segment} {{"))
                            || t == format!("{kw}{segment}{{")
                    })
                }
            });
            let (i, _) = hit?;
            found = Some(i);
            from = i + 1;
        }
        found.map(|i| (i, i))
    }

    /// The text, one highlighted line each, marked lines shaded.
    pub(super) fn render(&self, marks: &HashMap<usize, Mark>, label: &str) -> Markup {
        html! {
            pre.code aria-label=(label) tabindex="0" {
                @for (i, line) in self.lines.iter().enumerate() {
                    @let class = match marks.get(&i) {
                        Some(Mark::Breaking) => "ln chg-bad",
                        Some(Mark::Compatible) => "ln chg-ok",
                        None => "ln",
                    };
                    span class=(class) data-line=(i + 1) {
                        @if self.proto { (proto_line(line)) } @else { (json_line(line)) }
                        "\n"
                    }
                }
            }
        }
    }
}

/// One line of pretty JSON, tokens wrapped: keys `k`, strings `s`, numbers and literals `n`.
fn json_line(line: &str) -> Markup {
    let chars: Vec<char> = line.chars().collect();
    let mut parts: Vec<(Option<&'static str>, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let token: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            parts.push((Some(if is_key { "k" } else { "s" }), token));
        } else if c.is_ascii_digit() || c == '-' || c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "+-.".contains(chars[i]))
            {
                i += 1;
            }
            parts.push((Some("n"), chars[start..i].iter().collect()));
        } else {
            parts.push((None, c.to_string()));
            i += 1;
        }
    }
    tokens(&parts)
}

const PROTO_KEYWORDS: &[&str] = &[
    "syntax",
    "package",
    "import",
    "option",
    "message",
    "enum",
    "oneof",
    "map",
    "repeated",
    "optional",
    "required",
    "reserved",
    "extensions",
    "extend",
    "service",
    "rpc",
    "returns",
    "stream",
    "public",
    "weak",
    "to",
    "max",
    "edition",
];

/// One `.proto` line: comments `c`, strings `s`, numbers `n`, keywords `w`.
fn proto_line(line: &str) -> Markup {
    let (code, comment) = match line.find("//") {
        Some(at) if !line[..at].contains('"') => (&line[..at], Some(&line[at..])),
        _ => (line, None),
    };
    let chars: Vec<char> = code.chars().collect();
    let mut parts: Vec<(Option<&'static str>, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            parts.push((Some("s"), chars[start..i].iter().collect()));
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let class = if word.chars().all(|c| c.is_ascii_digit()) {
                Some("n")
            } else if PROTO_KEYWORDS.contains(&word.as_str()) {
                Some("w")
            } else {
                None
            };
            parts.push((class, word));
        } else {
            parts.push((None, c.to_string()));
            i += 1;
        }
    }
    if let Some(comment) = comment {
        parts.push((Some("c"), comment.to_owned()));
    }
    tokens(&parts)
}

fn tokens(parts: &[(Option<&'static str>, String)]) -> Markup {
    html! {
        @for (class, text) in parts {
            @match class {
                Some(class) => span class=(class) { (text) },
                None => (text),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_find_their_lines_in_pretty_json() {
        let code = Code::json(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
        );
        let (start, end) = code.lines_of("/fields/1").unwrap();
        assert!(code.lines[start].trim() == "{");
        assert!(code.lines[start + 1].contains("\"b\""));
        assert!(code.lines[end].trim().starts_with('}'));
        assert_eq!(code.lines_of("/"), Some((0, code.lines.len() - 1)));
    }

    #[test]
    fn protobuf_paths_find_the_field_line() {
        let code =
            Code::proto("syntax = \"proto3\";\nmessage M {\n  int32 x = 1;\n  string y = 2;\n}\n");
        assert_eq!(code.lines_of("#/M/2"), Some((3, 3)));
        assert_eq!(code.lines_of("#/M"), Some((1, 1)));
    }
}
