//! Damage to valid encodings: truncation, bit flips, inserted and deleted bytes.

use proptest::prelude::*;

/// One change to a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
pub(crate) enum Damage {
    /// Keep only the first `n` bytes.
    Truncate(usize),
    /// Flip one bit.
    FlipBit(usize, u8),
    /// Overwrite one byte.
    Set(usize, u8),
    /// Insert one byte.
    Insert(usize, u8),
    /// Remove one byte.
    Remove(usize),
    /// Append bytes.
    Append(Vec<u8>),
}

pub(crate) fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), 0u8..8).prop_map(|(p, b)| Damage::FlipBit(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, v)| Damage::Set(p, v)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, v)| Damage::Insert(p, v)),
        any::<usize>().prop_map(Damage::Remove),
        prop::collection::vec(any::<u8>(), 1..4).prop_map(Damage::Append),
    ]
}

/// One to three damages.
pub(crate) fn damages() -> impl Strategy<Value = Vec<Damage>> {
    prop::collection::vec(damage(), 1..4)
}

pub(crate) fn apply(bytes: &[u8], damages: &[Damage]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for d in damages {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
        match d {
            Damage::Truncate(n) => out.truncate(at(*n, out.len())),
            Damage::FlipBit(p, b) if !out.is_empty() => {
                let i = at(*p, out.len());
                out[i] ^= 1 << b;
            }
            Damage::Set(p, v) if !out.is_empty() => {
                let i = at(*p, out.len());
                out[i] = *v;
            }
            Damage::Insert(p, v) => {
                let i = at(*p, out.len() + 1);
                out.insert(i, *v);
            }
            Damage::Remove(p) if !out.is_empty() => {
                let i = at(*p, out.len());
                out.remove(i);
            }
            Damage::Append(extra) => out.extend_from_slice(extra),
            Damage::FlipBit(..) | Damage::Set(..) | Damage::Remove(_) => {}
        }
    }
    out
}
