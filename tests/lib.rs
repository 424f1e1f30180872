//! Black-box system tests live in `api/`.
