//! What the caller asks for, before the profile is read: the role inputs a [`super::Plan`] is
//! built from. Plain data with no parsing of its own; the command line (`cli`) fills it in.

use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::Result;

/// What role to assume and with what: every field overrides the same key of the profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleInputs {
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub credential_source: Option<super::CredentialSource>,
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<i64>,
    pub mfa_serial: Option<String>,
    /// The one secret among them: [`RoleInputs::without_secrets`] drops it before the inputs
    /// go anywhere else (the detached renewal's arguments).
    pub token_code: Option<String>,
    pub region: Option<String>,
}

impl RoleInputs {
    /// The shared config files, with the profile these inputs name selected (see
    /// [`super::named_profile`]).
    pub fn load_config(&self, env: &Environment) -> Result<SharedConfig> {
        SharedConfig::load(env, super::named_profile(self, env).as_deref())
    }

    /// The same inputs with no MFA code.
    pub fn without_secrets(&self) -> RoleInputs {
        RoleInputs {
            token_code: None,
            ..self.clone()
        }
    }
}
