//! What talks to AWS, off the cache-hit path: [`source_credential`] the identity that calls
//! AssumeRole, [`sts`] AssumeRole and its failures, [`mfa`] the code it may need,
//! [`error_body`] the error bodies the SDK could not parse, [`http_client`] the one client for
//! requests made outside an SDK client. Nothing here reads or writes the cache.

pub mod error_body;
pub mod http_client;
pub mod mfa;
pub mod source_credential;
pub mod sts;
