//! The credential that signs a call to STS, and how messages name it: what every way of getting
//! one (`source_credential`, `stored_key`) hands to `sts`. Holds no logic.

use aws_credential_types::Credentials;

/// The credentials that will sign AssumeRole, and how messages should name them.
#[derive(Debug, Clone)]
pub struct SourceCredential {
    pub credentials: Credentials,
    pub description: String,
}
