//! What talks to AWS, off the cache-hit path: [`source_credential`] the identity that calls
//! AssumeRole, [`stored_key`] a source key from the key store and its MFA session, [`sts`]
//! AssumeRole and its failures, [`mfa`] the code it may need,
//! [`error_body`] the error bodies the SDK could not parse, [`query`] signed IAM/STS calls
//! without an SDK client (`keys rotate`), [`http_client`] the one client for
//! requests made outside an SDK client. Nothing here reads or writes the cache.

pub mod caller;
pub mod error_body;
pub mod http_client;
pub mod mfa;
pub mod query;
pub mod source_credential;
pub mod stored_key;
pub mod sts;
