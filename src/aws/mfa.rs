//! The MFA code: from --token-code / XACCT_CRED_TOKEN_CODE, else asked for on the terminal.
//!
//! The caller of a credential_process captures its stdout and stderr, so a prompt there would
//! be invisible; `/dev/tty` is the only way to reach the person. Without a terminal (CI, a
//! daemon, an SDK app) it fails at once rather than hang. Asked only on a cache miss, with the
//! refresh lock held, so fifty parallel callers cause one prompt, not fifty.

use crate::error::{Error, Kind, Result};
use crate::plan::{Plan, TokenCode};

/// The code to send with AssumeRole, if the role needs one.
pub fn token_code(plan: &Plan) -> Result<Option<String>> {
    let Some(serial) = &plan.role.mfa_serial else {
        return Ok(None);
    };
    if let Some(code) = &plan.role.token_code {
        return Ok(Some(code.expose().to_string()));
    }
    let code = ask(serial).map_err(|why| {
        let profile = plan.profile.as_deref().unwrap_or("PROFILE");
        Error::new(Kind::Mfa, format!("an MFA code is needed for {} (mfa_serial {serial}) and there is no terminal to ask on ({why})", plan.role.role_arn.arn))
            .hint(format!("Run `xacct-cred --profile {profile}` once in a terminal (the session is then cached for its duration), or pass --token-code CODE / set XACCT_CRED_TOKEN_CODE."))
    })?;
    let code: TokenCode = code.parse().map_err(|why: String| {
        Error::new(Kind::Mfa, why).hint("Enter the code your MFA device shows now.")
    })?;
    Ok(Some(code.expose().to_string()))
}

fn ask(serial: &str) -> std::result::Result<String, String> {
    crate::prompt::ask(&format!("MFA code for {serial}: "))
}
