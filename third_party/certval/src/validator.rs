//! RFC5280-compliant certification path validation

pub mod cert_path;
pub mod name_constraints_set;
pub mod path_results;
pub mod path_settings;
pub mod path_validator;
pub mod pdv_certificate;
pub mod pdv_extension;
pub mod pdv_trust_anchor;
pub mod policy_graph;
mod policy_utilities;

pub use crate::{
    validator::cert_path::*, validator::name_constraints_set::*, validator::path_results::*,
    validator::path_settings::*, validator::path_validator::*, validator::pdv_certificate::*,
    validator::pdv_extension::*, validator::pdv_trust_anchor::*,
};
