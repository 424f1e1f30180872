//! `warden usage --proxy URL…`: merges the schema usage figures of several `warden proxy`
//! instances (`GET /usage` on their admin ports) and lists the registered versions that no
//! record has used for a given time: the schemas that are safe to delete, as far as the
//! traffic through those proxies shows (each proxy counts since it started).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use warden_proxy::Usage;

use crate::registry::RegistryArgs;

/// `warden usage`.
#[derive(Debug, clap::Args)]
pub(crate) struct UsageArgs {
    /// A proxy's admin URL (`http://HOST:9193`); repeat for several proxies.
    #[arg(long = "proxy", value_name = "URL", required = true)]
    proxies: Vec<String>,
    /// List the registered versions no record has used for this long: a number and a unit,
    /// `s`, `m`, `h` or `d` (default 7d).
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    unused_for: Duration,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `30s`, `15m`, `12h`, `7d`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and a unit (s, m, h, d)"))?;
    let seconds = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("{s:?}: unknown unit {other:?} (s, m, h, d)")),
    };
    Ok(Duration::from_secs(n * seconds))
}

/// Runs `warden usage`: prints the merged figures, then the unused versions.
pub(crate) async fn run(args: UsageArgs) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut merged: HashMap<(String, u32), (u64, u64)> = HashMap::new();
    for proxy in &args.proxies {
        let url = format!("{}/usage", proxy.trim_end_matches('/'));
        let response = http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        let usage: Vec<Usage> = response
            .json()
            .await
            .with_context(|| format!("{url} did not answer usage figures"))?;
        for u in usage {
            let entry = merged.entry((u.subject, u.schema_id)).or_default();
            entry.0 += u.records;
            entry.1 = entry.1.max(u.last_seen);
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut rows: Vec<_> = merged.iter().collect();
    rows.sort();
    println!("SUBJECT\tSCHEMA ID\tRECORDS\tLAST SEEN (s ago)");
    for ((subject, id), (records, last_seen)) in rows {
        println!(
            "{subject}\t{id}\t{records}\t{}",
            now.saturating_sub(*last_seen)
        );
    }
    let client = args.registry.client()?;
    let cutoff = now.saturating_sub(args.unused_for.as_secs());
    let mut unused: Vec<_> = client
        .schemas(false)
        .await?
        .into_iter()
        .filter(|e| {
            merged
                .get(&(e.subject.as_str().to_owned(), e.id.get()))
                .is_none_or(|(_, last_seen)| *last_seen < cutoff)
        })
        .collect();
    unused.sort_by(|a, b| (&a.subject, a.version).cmp(&(&b.subject, b.version)));
    println!();
    println!(
        "UNUSED FOR {}s: SUBJECT\tVERSION\tSCHEMA ID",
        args.unused_for.as_secs()
    );
    for e in unused {
        println!("{}\t{}\t{}", e.subject, e.version, e.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("week").is_err());
        assert!(parse_duration("3w").is_err());
    }
}
