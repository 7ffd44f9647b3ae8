//! CXone simulator (placeholder; being built).
