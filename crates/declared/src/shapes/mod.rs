//! The shapes a declaration takes on a page, each in its own module.

pub(crate) mod flattened;
mod grid;
pub(crate) mod records;
pub(crate) mod table;
