//! Basic utility functionality supporting certification path validation

pub mod crypto;
pub mod crypto_composite;
pub mod crypto_pqc;
pub mod error;
pub(crate) mod lock;
pub mod pdv_alg_oids;
pub mod pdv_utilities;
pub mod pqc_oids;
pub mod time_of_interest;

pub use self::{crypto::*, error::*, pdv_alg_oids::*, pdv_utilities::*, time_of_interest::*};
