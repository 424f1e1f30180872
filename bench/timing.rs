//! Timing shared by `rules_bench` and `encrypt_bench` (`mod timing;` in each): their
//! command-line options and the median rate of a serializer call.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Distinct records each measurement cycles through.
pub(crate) const DISTINCT: usize = 10_000;

/// `--records N` (default 100,000) and `--runs N` (default `default_runs`) from the command
/// line.
pub(crate) fn options(default_runs: usize) -> (usize, usize) {
    let (mut records, mut runs) = (100_000, default_runs);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let n: usize = args
            .next()
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or_else(|| panic!("{arg} needs a number"));
        match arg.as_str() {
            "--records" => records = n,
            "--runs" => runs = n.max(1),
            other => panic!("unknown option {other} (expected --records N, --runs N)"),
        }
    }
    (records, runs)
}

/// The median of `runs` timed runs of `records` calls of `f` (after one warm-up pass), in
/// records per second.
pub(crate) async fn measure<F, Fut>(records: usize, runs: usize, mut f: F) -> f64
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for i in 0..DISTINCT {
        black_box(f(i).await);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut sum = 0;
        for i in 0..records {
            sum += f(i % DISTINCT).await;
        }
        times.push(start.elapsed());
        black_box(sum);
    }
    times.sort();
    records as f64 / times[times.len() / 2].as_secs_f64()
}
