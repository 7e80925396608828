//! Integration tests of the diff engine, gathered in one binary so linking stays fast.

mod support;

mod consent;
mod cookie_db;
mod docs;
mod matcher_props;
mod rules;
mod seeds;
