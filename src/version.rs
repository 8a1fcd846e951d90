//! Version strings: the crate version, the commit and the target, set by build.rs.

pub const SHORT: &str = env!("CARGO_PKG_VERSION");
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("XACCT_CRED_COMMIT"),
    ", target ",
    env!("XACCT_CRED_TARGET"),
    ")"
);
