//! The simulator's tests, one binary: each module checks one part of what it promises, over
//! real HTTP, in-process (`support::start`) or as the real binary (`process`).

mod support;

mod auth;
mod clusters;
mod faults;
mod history;
mod jobs;
mod latency;
mod odd;
mod process;
