//! Integration tests of the I/O layer (token source, events WebSocket, Assist publisher, KB client) against the
//! `cxone-sim` simulator over loopback.

mod common;
mod kb;
mod publish;
mod token;
mod ws;
