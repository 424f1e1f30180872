//! Delivery reports handed from librdkafka's polling thread to each record's [`Delivery`].
//!
//! `rdkafka`'s `FutureProducer` gives every record a `futures` one-shot channel: the channel's
//! shared state and a `Box` around its sender, two allocations per record, the sender freed on
//! the polling thread. Here a record's report travels in one [`DeliverySlot`] behind an
//! [`Arc`]: the producer hands librdkafka one reference as the record's opaque and the
//! [`Delivery`] keeps the other; the memory is freed by whichever lets go last, in the usual
//! order the application's thread that allocated it. With glibc's allocator, memory
//! allocated on the application's thread and freed on librdkafka's makes the two threads
//! wait on each other's arena lock (BENCHMARKS.md, "The allocator decides…").

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use rdkafka::Message as _;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryResult, ProducerContext};

use crate::{Delivered, ProduceError};

/// The [`crate::Producer`]'s `rdkafka` client context: logs and statistics as `rdkafka`'s
/// default context does, and each record's delivery report (partition and offset, or the
/// broker's or client's error) handed to the record's [`Delivery`].
#[derive(Debug, Default, Clone, Copy)]
pub struct DeliveryContext;

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Arc<DeliverySlot>;

    fn delivery(&self, report: &DeliveryResult<'_>, slot: Arc<DeliverySlot>) {
        slot.complete(match report {
            Ok(message) => Ok((message.partition(), message.offset())),
            Err((error, _)) => Err(Box::new(error.clone())),
        });
    }
}

/// Where one record's delivery report waits for its [`Delivery`]: the record's opaque in
/// librdkafka, one for each record [`crate::Producer`] sends. A record sent through
/// [`crate::Producer::inner`] directly needs one too (`DeliverySlot::default()`); its report
/// is then kept in the slot and read by nothing.
#[derive(Debug, Default)]
pub struct DeliverySlot(Mutex<Report>);

#[derive(Debug, Default)]
enum Report {
    /// Neither reported nor awaited yet.
    #[default]
    Pending,
    /// Not reported; the waker of the task awaiting it.
    Awaited(Waker),
    /// The error boxed: the slot stays small (a `KafkaError` is several `String`s wide).
    Reported(Result<Delivered, Box<KafkaError>>),
    /// Reported and handed out.
    Taken,
}

impl DeliverySlot {
    fn report(&self) -> MutexGuard<'_, Report> {
        // A panic while the lock is held leaves a whole `Report`: nothing to repair.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the report and wakes the task awaiting it.
    fn complete(&self, outcome: Result<Delivered, Box<KafkaError>>) {
        let previous = std::mem::replace(&mut *self.report(), Report::Reported(outcome));
        if let Report::Awaited(waker) = previous {
            waker.wake();
        }
    }
}

/// An enqueued record: resolves to its partition and offset when the broker acknowledges
/// it, or to [`ProduceError::Kafka`] with the broker's or client's error (a record purged
/// before delivery, for one, resolves to `KafkaError::MessageProduction(PurgeQueue)`).
///
/// Panics when polled again after it resolved.
#[must_use = "a record is only known delivered when its Delivery resolves"]
pub struct Delivery(pub(crate) Arc<DeliverySlot>);

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Delivery")
    }
}

impl Future for Delivery {
    type Output = Result<Delivered, ProduceError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut report = self.0.report();
        match std::mem::replace(&mut *report, Report::Taken) {
            Report::Reported(outcome) => {
                Poll::Ready(outcome.map_err(|error| ProduceError::Kafka(*error)))
            }
            Report::Awaited(waker) if waker.will_wake(cx.waker()) => {
                *report = Report::Awaited(waker);
                Poll::Pending
            }
            Report::Pending | Report::Awaited(_) => {
                *report = Report::Awaited(cx.waker().clone());
                Poll::Pending
            }
            Report::Taken => panic!("a Delivery was polled after it resolved"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_report_before_or_after_the_first_poll_resolves_the_delivery() {
        let slot = Arc::new(DeliverySlot::default());
        let (early, opaque) = (Delivery(Arc::clone(&slot)), slot);
        opaque.complete(Ok((2, 40)));
        drop(opaque);
        assert_eq!(early.await.unwrap(), (2, 40));

        let slot = Arc::new(DeliverySlot::default());
        let (late, opaque) = (Delivery(Arc::clone(&slot)), slot);
        let awaited = tokio::spawn(late);
        // The report comes only once the task awaits it.
        while !matches!(*opaque.report(), Report::Awaited(_)) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        std::thread::spawn(move || {
            opaque.complete(Err(Box::new(KafkaError::Canceled)));
        })
        .join()
        .unwrap();
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), awaited)
            .await
            .expect("the report wakes the awaiting task")
            .unwrap();
        assert!(matches!(
            outcome,
            Err(ProduceError::Kafka(KafkaError::Canceled))
        ));

        // A delivery dropped unawaited: its report still finds the slot whole.
        let slot = Arc::new(DeliverySlot::default());
        drop(Delivery(Arc::clone(&slot)));
        slot.complete(Ok((0, 1)));
        assert!(matches!(*slot.report(), Report::Reported(Ok((0, 1)))));
    }
}
