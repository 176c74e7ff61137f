//! Certification path building, graph generation, and graph serialization/deserialization

pub mod file_utils;
pub mod graph_builder;
pub mod uri_utils;

pub use crate::builder::{file_utils::*, graph_builder::*, uri_utils::*};
