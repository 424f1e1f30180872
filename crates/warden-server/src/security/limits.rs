//! Per-principal rate limits on changes: every write, delete, config, mode, import and
//! administration request takes a token from its principal's bucket (the client's IP
//! address when authentication is off). A bucket holds `write_burst` tokens and refills at
//! `writes_per_second`; a request finding it empty answers 429 with `Retry-After`, in
//! Confluent's body. Reads are never limited.

use std::time::{Duration, Instant};

use dashmap::DashMap;
use serde::Deserialize;

/// `[server.limits]` of `warden.toml` (or `--max-writes-per-second`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Changes a principal may make per second, on average; none or 0 is no limit.
    #[serde(default)]
    pub writes_per_second: Option<f64>,
    /// Changes a principal may make at once after a quiet time; default: one second's
    /// worth (at least 1).
    #[serde(default)]
    pub write_burst: Option<u32>,
}

/// Token buckets by principal.
#[derive(Debug)]
pub struct WriteLimiter {
    rate: f64,
    burst: f64,
    buckets: DashMap<String, (f64, Instant)>,
}

/// How long a bucket unused stays in memory.
const FORGET_AFTER: Duration = Duration::from_secs(300);

impl WriteLimiter {
    /// The limiter of `config`; `None` when it sets no limit.
    pub fn new(config: &LimitsConfig) -> Option<Self> {
        let rate = config.writes_per_second.filter(|r| *r > 0.0)?;
        let burst = config
            .write_burst
            .map_or_else(|| rate.ceil().max(1.0), |b| f64::from(b.max(1)));
        Some(Self {
            rate,
            burst,
            buckets: DashMap::new(),
        })
    }

    /// Takes a token of `key`'s bucket; `Err` with the wait until one is there.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut entry = self
            .buckets
            .entry(key.to_owned())
            .or_insert((self.burst, now));
        let (tokens, at) = *entry;
        let tokens = (tokens + now.duration_since(at).as_secs_f64() * self.rate).min(self.burst);
        if tokens >= 1.0 {
            *entry = (tokens - 1.0, now);
            Ok(())
        } else {
            *entry = (tokens, now);
            Err(Duration::from_secs_f64((1.0 - tokens) / self.rate))
        }
    }

    /// Forgets the buckets unused for five minutes (they would be full again anyway).
    pub fn forget_idle(&self) {
        self.buckets
            .retain(|_, (_, at)| at.elapsed() < FORGET_AFTER);
    }

    /// The limit, for messages.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = WriteLimiter::new(&LimitsConfig {
            writes_per_second: Some(10.0),
            write_burst: Some(3),
        })
        .unwrap();
        for _ in 0..3 {
            assert!(limiter.take("alice").is_ok());
        }
        let wait = limiter.take("alice").unwrap_err();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert!(limiter.take("bob").is_ok(), "buckets are per principal");
        std::thread::sleep(Duration::from_millis(120));
        assert!(limiter.take("alice").is_ok());
        assert!(WriteLimiter::new(&LimitsConfig::default()).is_none());
    }
}
