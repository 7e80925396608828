//! Integration tests of the diff engine, gathered in one binary so linking stays fast.
