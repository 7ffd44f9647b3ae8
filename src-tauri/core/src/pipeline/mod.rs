//! The running system: stages joined by bounded channels, and the handle the shell drives it with.

pub mod api;
