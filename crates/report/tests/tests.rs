//! One test binary for the crate (linking once keeps the suite fast on CI's two cores).

mod contract;
mod html;
mod render;
mod sample;
mod views;
mod write;
