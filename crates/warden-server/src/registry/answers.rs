//! Answers of the routes that take a schema in their body (registration, lookup, the two
//! compatibility checks), and of the reads of a subject's version and of a schema by id,
//! kept by request: the
//! same request (URL and body bytes; a read has none) sent again while nothing it rests
//! on has changed is answered with the bytes of its first answer, without parsing the
//! body, the path or the query or reading the registry's state again (a body is still
//! received, hashed and compared). Serializers send the same lookup or registration at
//! every start, and read the latest version; deserializers read each schema by id; CI
//! tools send the same checks. A kept read is answered before routing when no security
//! layer is in force (`crate::http::Api`).
//!
//! Coherence: every change to what an answer may rest on moves a counter after it is made
//! ([`Registry::changes`]): a subject's versions held in memory (forgotten, replaced or
//! appended to: registrations, IMPORTs, soft and hard deletes), any config or mode (all
//! forgotten at once: their writes and deletes, a context's deletion), a hard delete's
//! or an IMPORT overwrite's eviction, and the forgetting of a schema's rendered by-id body
//! (its versions changed). This process's writes make their change before they
//! answer, and other processes' arrive through the store's announcements, as for the state
//! held in memory itself (`settings.rs`). A request reads the counter before it reads any
//! of that state, and its answer is kept with that reading; a kept answer is served only
//! while the counter still reads the same. An answer that rests on anything read after a
//! change began is so never served after that change is made. (The alias rewrite, which
//! reads a subject's config before, is in the key: the routed URL names the subject it
//! resolved to.)
//!
//! Not counted: writes of associations. A kept registration answer is one that found its
//! schema already registered (a write moves the counter), and such a registration reads
//! associations only to refuse strong references the stored version already holds.

use bytes::Bytes;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Registry;
use super::cache::KnownAnswer;
use crate::metrics::ReadRoute;

/// The request an answer is kept under: whether it is a read (GET) or a submission
/// (POST), the URL's path and query (as routed: after the context and alias rewriting,
/// which the path's subject reflects) and the body's bytes (none for a read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnswerKey {
    read: bool,
    uri: Box<str>,
    body: Bytes,
}

impl Hash for AnswerKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        AnswerQuery {
            read: self.read,
            uri: &self.uri,
            body: &self.body,
        }
        .hash(state);
    }
}

/// An [`AnswerKey`] borrowed from a request, to look it up without a copy.
#[derive(Debug, Clone, Copy)]
struct AnswerQuery<'a> {
    read: bool,
    uri: &'a str,
    body: &'a [u8],
}

impl Hash for AnswerQuery<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.read.hash(state);
        self.uri.hash(state);
        self.body.hash(state);
    }
}

impl quick_cache::Equivalent<AnswerKey> for AnswerQuery<'_> {
    fn equivalent(&self, key: &AnswerKey) -> bool {
        self.read == key.read && self.uri == &*key.uri && self.body == &key.body[..]
    }
}

/// Where a request's answer goes once made ([`Registry::keep_answer`]). `None` inside for a
/// request too heavy to keep.
#[derive(Debug)]
pub(crate) struct AnswerSlot(Option<Pending>);

/// What a request finds kept for it ([`Registry::look_up`]).
enum Lookup {
    /// An answer kept at the registry's changes as they read now.
    Fresh(Arc<KnownAnswer>),
    /// None, or one kept before a change (`stale`): the request is answered anew, and
    /// its answer kept at `read_at`.
    Missed {
        read_at: u64,
        stale: Option<Arc<KnownAnswer>>,
    },
    /// Its key alone is over the per-entry share: neither looked up nor kept.
    TooHeavy,
}

/// A request being answered: its key's parts as the request holds them (the body not yet
/// copied), the registry's changes read before it was handled, and the answer kept for it
/// before the last change, if any.
#[derive(Debug)]
struct Pending {
    read: bool,
    uri: Box<str>,
    body: Bytes,
    read_at: u64,
    stale: Option<Arc<KnownAnswer>>,
    route: Option<Arc<ReadRoute>>,
}

impl Registry {
    /// A count that moves after every change to what an answer of the registry may rest
    /// on (see the module's notes): the sum of the changes of the versions and settings
    /// held in memory ([`super::settings::Memo::changes`]), of the hard deletes'
    /// evictions, and of the `GET /schemas/ids/{id}` bodies forgotten. Only its equality
    /// over time means anything.
    pub(crate) fn changes(&self) -> u64 {
        self.versions
            .changes()
            .wrapping_add(self.settings.changes())
            .wrapping_add(self.eviction_generation())
            .wrapping_add(self.usage_forgotten.load(Ordering::Acquire))
    }

    /// The answer kept for a POST of `body` to `uri` (path and query), if one was kept and
    /// nothing changed since its request began; otherwise where to keep the answer this
    /// request will make. Counted as the `answer` cache in `warden_cache_requests_total`.
    pub(crate) fn known_answer(&self, uri: &str, body: &Bytes) -> Result<Bytes, AnswerSlot> {
        self.known(false, uri, body)
    }

    /// The answer kept for a GET of `uri`, as [`Registry::known_answer`] finds a POST's.
    /// Answered by `route` (its matched path, the `route` label of the request metrics),
    /// the answer it keeps is served before routing, counted under that route
    /// ([`Registry::kept_read`]).
    pub(crate) fn known_read(&self, uri: &str, route: Option<&str>) -> Result<Bytes, AnswerSlot> {
        self.known(true, uri, &Bytes::new()).map_err(|mut slot| {
            if let (Some(pending), Some(route)) = (&mut slot.0, route) {
                pending.route = Some(self.metrics.read_route(route));
            }
            slot
        })
    }

    /// The answer kept for a GET of `uri` (path and query, as routed) and the route that
    /// made it, if kept by a route ([`Registry::known_read`]) and nothing changed since its
    /// request began: what `crate::http::Api` answers before routing, when no security
    /// layer is in force. Counted as a hit of the `answer` cache only when found; a miss is
    /// counted by the route's own look-up ([`Registry::known_read`]), which follows it.
    pub(crate) fn kept_read(&self, uri: &str) -> Option<(Bytes, Arc<ReadRoute>)> {
        let Lookup::Fresh(known) = self.look_up(true, uri, &[]) else {
            return None;
        };
        let route = known.route.clone()?;
        self.metrics
            .count_cache_lookup(crate::metrics::CacheName::Answer, true);
        Some((known.answer.clone(), route))
    }

    fn known(&self, read: bool, uri: &str, body: &Bytes) -> Result<Bytes, AnswerSlot> {
        let (read_at, stale) = match self.look_up(read, uri, body) {
            Lookup::Fresh(known) => {
                self.metrics
                    .count_cache_lookup(crate::metrics::CacheName::Answer, true);
                return Ok(known.answer.clone());
            }
            Lookup::TooHeavy => return Err(AnswerSlot(None)),
            Lookup::Missed { read_at, stale } => (read_at, stale),
        };
        self.metrics
            .count_cache_lookup(crate::metrics::CacheName::Answer, false);
        Err(AnswerSlot(Some(Pending {
            read,
            uri: uri.into(),
            body: body.clone(),
            read_at,
            stale,
            route: None,
        })))
    }

    /// The answer kept for this request if it is fresh: kept at the registry's changes as
    /// they read now.
    fn look_up(&self, read: bool, uri: &str, body: &[u8]) -> Lookup {
        // Read before this request reads any state an answer rests on.
        let read_at = self.changes();
        if !self
            .answers
            .takes(super::cache::answer_key_weight(uri, body))
        {
            return Lookup::TooHeavy;
        }
        let known = self.answers.get(&AnswerQuery { read, uri, body });
        match known {
            Some(known) if known.read_at.load(Ordering::Acquire) == read_at => Lookup::Fresh(known),
            stale => Lookup::Missed { read_at, stale },
        }
    }

    /// Keeps `answer` (a 200's body) for [`Self::known_answer`], when this is the second
    /// time its request comes (`cache::SeenOnce`: most registrations come once). The key's
    /// body is a copy, so that it does not hold the connection's read buffer. An answer
    /// kept before the last change that this request answered the same is served again
    /// from now on, with nothing copied: a change elsewhere (a registration under another
    /// subject) costs each kept request one computation, not a new entry.
    pub(crate) fn keep_answer(&self, slot: AnswerSlot, answer: &Bytes) {
        // An answer made across a change is never served: not kept either, and it does not
        // replace a fresher one.
        let Some(request) = slot.0.filter(|request| request.read_at == self.changes()) else {
            return;
        };
        match &request.stale {
            Some(stale) if stale.answer == *answer => {
                // Made at a later reading than any this answer was kept at: the largest wins.
                stale.read_at.fetch_max(request.read_at, Ordering::AcqRel);
                return;
            }
            // Seen before: the stale answer was kept from it.
            Some(_) => {}
            None => {
                let query = AnswerQuery {
                    read: request.read,
                    uri: &request.uri,
                    body: &request.body,
                };
                if !self.answers_seen.again(&query) {
                    return;
                }
            }
        }
        let key_bytes = request.uri.len() + request.body.len();
        self.answers.insert(
            AnswerKey {
                read: request.read,
                uri: request.uri,
                body: Bytes::copy_from_slice(&request.body),
            },
            Arc::new(KnownAnswer {
                read_at: AtomicU64::new(request.read_at),
                answer: answer.clone(),
                key_bytes,
                route: request.route,
            }),
        );
    }
}
