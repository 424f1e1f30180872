//! CPU-heavy work off the async workers: parsing schemas and checking compatibility run on
//! tokio's blocking pool, at most [`WorkLimits::max_concurrent_work`] at once, each with the
//! request's deadline, so a large check neither stalls other requests (`/health/live`
//! included) nor outlives the request that asked for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use warden_core::{Interrupt, Interrupted, SchemaLimits, SchemaType};

use super::Registry;
use crate::error::{Error, Result};

/// What one request may cost: the size of a submitted schema, how many parses and checks
/// run at once, and how long one may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkLimits {
    /// Limits on a submitted schema, checked before it is compiled (42201 over a limit).
    pub schema: SchemaLimits,
    /// Most parses and compatibility checks running at once across all requests; others
    /// wait for a slot until their deadline. Default: the available cores.
    pub max_concurrent_work: usize,
    /// How long the work of one request may take, counted from when the registry starts
    /// on it: the request timeout. A check still running then stops and the request
    /// answers 50002. Default 30 s.
    pub deadline: Duration,
    /// `--strict-schemas`: every schema text is read as new
    /// ([`warden_core::schema::ParseOptions::NEW`]), lookups, IMPORT and stored schemas
    /// included. Default off: only new registrations are, as in Confluent.
    pub strict_schemas: bool,
    /// Most bytes a registered schema may hold: its text, references, metadata and rule
    /// set as stored. More answers 42209, as Confluent answers a schema larger than its
    /// Kafka topic takes (about 1 MB by default). Default 1 MiB.
    pub max_schema_bytes: usize,
    /// Most references of one submitted schema; more answers 42201. Default 1,000.
    pub max_references: usize,
    /// Most versions (soft-deleted ones included) one subject may have; a registration
    /// that would add one more answers 42201. Default 100,000.
    pub max_versions_per_subject: usize,
}

impl WorkLimits {
    /// The default [`WorkLimits::max_schema_bytes`]: 1 MiB.
    pub const DEFAULT_MAX_SCHEMA_BYTES: usize = 1024 * 1024;
    /// The default [`WorkLimits::max_references`].
    pub const DEFAULT_MAX_REFERENCES: usize = 1_000;
    /// The default [`WorkLimits::max_versions_per_subject`].
    pub const DEFAULT_MAX_VERSIONS_PER_SUBJECT: usize = 100_000;
}

impl Default for WorkLimits {
    fn default() -> Self {
        Self {
            schema: SchemaLimits::default(),
            max_concurrent_work: available_cores(),
            deadline: Duration::from_secs(30),
            strict_schemas: false,
            max_schema_bytes: Self::DEFAULT_MAX_SCHEMA_BYTES,
            max_references: Self::DEFAULT_MAX_REFERENCES,
            max_versions_per_subject: Self::DEFAULT_MAX_VERSIONS_PER_SUBJECT,
        }
    }
}

impl From<&crate::Settings> for WorkLimits {
    /// The limits `warden serve` was started with: `--max-enum-symbols`,
    /// `--max-union-branches`, `--max-fields`, `--max-concurrent-checks`,
    /// `--request-timeout-secs`, `--strict-schemas`, `--max-schema-bytes`,
    /// `--max-references` and `--max-versions-per-subject`.
    fn from(settings: &crate::Settings) -> Self {
        let mut schema = SchemaLimits::default();
        schema.max_enum_symbols = settings.max_enum_symbols;
        schema.max_union_branches = settings.max_union_branches;
        schema.max_fields = settings.max_fields;
        Self {
            schema,
            max_concurrent_work: settings.max_concurrent_checks,
            deadline: Duration::from_secs(settings.request_timeout_secs),
            strict_schemas: settings.strict_schemas,
            max_schema_bytes: settings.max_schema_bytes,
            max_references: settings.max_references,
            max_versions_per_subject: settings.max_versions_per_subject,
        }
    }
}

/// The cores this process may use (1 when unknown): the default of
/// [`WorkLimits::max_concurrent_work`].
pub(crate) fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The registry's pool of work slots and its limits.
/// Schema text (the schema and everything it is parsed or checked with, in bytes) up to
/// which work runs on the request's own task instead of the pool: a 2 KiB Avro record
/// parses and checks in microseconds, and the largest thing that fits (about 600 JSON
/// Schema `allOf` entries to pair) in well under 100 ms.
pub(crate) const INLINE_BYTES: usize = 2 * 1024;

/// [`INLINE_BYTES`] for Avro: its parse and its checks are linear in the schema (the
/// largest check the default limits allow takes milliseconds, BENCHMARKS.md "Pathological
/// compatibility checks"), so below this the hand-off to the pool costs more than the work.
pub(crate) const INLINE_BYTES_AVRO: usize = 32 * 1024;

/// The schema text up to which work on schemas of `format` runs on the request's task.
fn inline_bytes(format: SchemaType) -> usize {
    match format {
        SchemaType::Avro => INLINE_BYTES_AVRO,
        SchemaType::Json | SchemaType::Protobuf => INLINE_BYTES,
    }
}

#[derive(Debug)]
pub(crate) struct Work {
    limits: WorkLimits,
    slots: Arc<Semaphore>,
}

impl Default for Work {
    fn default() -> Self {
        Self::new(WorkLimits::default())
    }
}

impl Work {
    fn new(limits: WorkLimits) -> Self {
        let max = limits.max_concurrent_work.max(1);
        Self {
            limits: WorkLimits {
                max_concurrent_work: max,
                ..limits
            },
            slots: Arc::new(Semaphore::new(max)),
        }
    }

    /// The limits on a submitted schema.
    pub(crate) fn schema_limits(&self) -> &SchemaLimits {
        &self.limits.schema
    }

    /// The limits on registrations: bytes of a schema, references, versions per subject.
    pub(crate) fn limits(&self) -> &WorkLimits {
        &self.limits
    }

    /// Whether every schema text is read as new (`--strict-schemas`).
    pub(crate) fn strict_schemas(&self) -> bool {
        self.limits.strict_schemas
    }

    /// The deadline of work that starts now.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.limits.deadline
    }

    /// Runs `job` on the blocking pool once a slot is free, with an [`Interrupt`] set at
    /// `deadline` or when the caller stops waiting (the request timed out or the client
    /// left), and returns its result.
    ///
    /// Errors: 50002 when no slot freed up before the deadline, or when `job` stopped
    /// ([`Stop::Interrupted`], its check saw the interrupt); `job`'s own errors as they are.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        deadline: Instant,
        job: impl FnOnce(&Interrupt) -> Result<T, Stop> + Send + 'static,
    ) -> Result<T> {
        let slot =
            tokio::time::timeout_at(deadline.into(), Arc::clone(&self.slots).acquire_owned())
                .await
                .map_err(|_| self.timed_out())?
                .expect("the work semaphore is never closed");
        let cancelled = Arc::new(AtomicBool::new(false));
        // Set when this future is dropped before the job ends: the job then stops at its
        // next look at the interrupt, and frees its slot.
        let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
        let interrupt = Interrupt::at(deadline).with_flag(cancelled);
        let handle = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            if interrupt.is_set() {
                return Err(Stop::Interrupted);
            }
            job(&interrupt)
        });
        match handle.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Stop::Failed(e))) => Err(e),
            Ok(Err(Stop::Interrupted)) => Err(self.timed_out()),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Like [`run`](Self::run), but work on at most [`INLINE_BYTES`] of schema text
    /// ([`INLINE_BYTES_AVRO`] for Avro) of `format` runs at once on the calling task: for
    /// schemas that small, parsing or checking costs less than handing the job to another
    /// thread, and the limits keep its worst case to tens of milliseconds.
    pub(crate) async fn run_sized<T: Send + 'static>(
        &self,
        format: SchemaType,
        text_bytes: usize,
        deadline: Instant,
        job: impl FnOnce(&Interrupt) -> Result<T, Stop> + Send + 'static,
    ) -> Result<T> {
        if text_bytes > inline_bytes(format) {
            return self.run(deadline, job).await;
        }
        match job(&Interrupt::at(deadline)) {
            Ok(value) => Ok(value),
            Err(Stop::Failed(e)) => Err(e),
            Err(Stop::Interrupted) => Err(self.timed_out()),
        }
    }

    /// The error of work stopped at its deadline: 50002 with the timeout layer's message.
    fn timed_out(&self) -> Error {
        Error::OperationTimeout(format!(
            "The request did not finish within {} ms",
            self.limits.deadline.as_millis()
        ))
    }
}

/// Why a job ended without a value.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Its check saw the interrupt (deadline passed, or the caller went away).
    Interrupted,
    /// It failed on its own.
    Failed(Error),
}

impl From<Interrupted> for Stop {
    fn from(_: Interrupted) -> Self {
        Stop::Interrupted
    }
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

/// Sets its flag when dropped.
#[derive(Debug)]
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Registry {
    /// This registry with `limits` on submitted schemas, on concurrent parses and checks,
    /// and on how long one may run (the request timeout); call it before serving. Without
    /// it, [`WorkLimits::default`] applies.
    pub fn with_limits(mut self, limits: WorkLimits) -> Self {
        self.work = Work::new(limits);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(slots: usize, deadline: Duration) -> Work {
        Work::new(WorkLimits {
            schema: SchemaLimits::default(),
            max_concurrent_work: slots,
            deadline,
            ..WorkLimits::default()
        })
    }

    #[tokio::test]
    async fn a_job_runs_off_the_async_workers_and_returns_its_result() {
        let work = work(1, Duration::from_secs(10));
        let runtime_thread = std::thread::current().id();
        let job_thread = work
            .run(work.deadline(), |_| Ok(std::thread::current().id()))
            .await
            .unwrap();
        assert_ne!(job_thread, runtime_thread);
    }

    #[tokio::test]
    async fn a_job_past_its_deadline_is_interrupted_and_answers_50002() {
        let work = work(1, Duration::from_millis(50));
        let started = Instant::now();
        let result = work
            .run(work.deadline(), |interrupt| {
                while !interrupt.is_set() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err::<(), _>(Stop::Interrupted)
            })
            .await;
        let Err(Error::OperationTimeout(message)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(message, "The request did not finish within 50 ms");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_dropped_caller_stops_its_job_and_frees_the_slot() {
        let work = Arc::new(work(1, Duration::from_secs(60)));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let running = {
            let work = Arc::clone(&work);
            tokio::spawn(async move {
                work.run(work.deadline(), move |interrupt| {
                    let _ = started_tx.send(());
                    while !interrupt.is_set() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Ok(())
                })
                .await
            })
        };
        started_rx.await.unwrap();
        running.abort();
        // The only slot is free again once the job saw the flag.
        let next =
            tokio::time::timeout(Duration::from_secs(5), work.run(work.deadline(), |_| Ok(7)))
                .await;
        assert_eq!(next.expect("the slot was freed").unwrap(), 7);
    }

    #[tokio::test]
    async fn work_waiting_for_a_slot_past_its_deadline_answers_50002() {
        let work = Arc::new(work(1, Duration::from_millis(100)));
        let busy = {
            let work = Arc::clone(&work);
            tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(2);
                work.run(deadline, |_| {
                    std::thread::sleep(Duration::from_millis(500));
                    Ok(())
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let waiting = work.run(work.deadline(), |_| Ok(())).await;
        assert!(
            matches!(&waiting, Err(Error::OperationTimeout(m)) if m.contains("100 ms")),
            "{waiting:?}"
        );
        busy.await.unwrap().unwrap();
    }
}
