//! Benchmarks: `commons bench-data` fills a database at scale, and
//! `commons bench` measures a live server over HTTP on loopback.

pub mod data;
pub mod lag;
pub mod load;
pub mod run;
pub mod text;
