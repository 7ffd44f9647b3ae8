//! Supervisor Assist desktop shell (placeholder; being built).
pub fn main_entry() {}
