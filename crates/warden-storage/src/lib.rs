//! warden-storage
