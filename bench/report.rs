//! Formatting shared by the benchmark binaries (`mod report;` in each): the machine's load and
//! grouped numbers for Markdown tables.

/// The 1, 5 and 15 minute load averages, or `unknown` off Linux.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// `n` rounded, with thousands separated by commas: `1234567.8` → `1,234,568`.
pub(crate) fn group(n: f64) -> String {
    let digits = format!("{:.0}", n.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
