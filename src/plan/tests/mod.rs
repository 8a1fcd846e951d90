//! A table of profile files + flags + environment → plan or error. No file, variable or
//! network is touched: the config is parsed from strings and the environment is made up.
use super::*;

mod accepted;
mod refused;

pub(super) const CREDS: &str = "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n[hop]\naws_access_key_id = AKIAHOP\naws_secret_access_key = hop-secret\n";
pub(super) const ROLE: &str = "arn:aws:iam::111111111111:role/readonly";

pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) config: &'static str,
    pub(super) args: RoleInputs,
    pub(super) env: &'static [(&'static str, &'static str)],
    pub(super) expect: std::result::Result<fn(&Plan), &'static str>,
}

pub(super) fn args(profile: Option<&str>) -> RoleInputs {
    RoleInputs {
        profile: profile.map(str::to_string),
        ..RoleInputs::default()
    }
}

fn cases() -> Vec<Case> {
    let mut all = accepted::cases();
    all.extend(refused::cases());
    all
}

#[test]
fn plan_table() {
    for case in cases() {
        let config = SharedConfig::from_strings(case.config, CREDS).unwrap();
        let env = Environment::from_pairs(case.env.iter().copied());
        match (Plan::build(&config, &case.args, &env), case.expect) {
            (Ok(plan), Ok(check)) => check(&plan),
            (Err(e), Err(needle)) => {
                assert!(e.to_string().contains(needle), "{}: {e}", case.name)
            }
            (Ok(plan), Err(needle)) => panic!(
                "{}: expected an error with {needle:?}, got {plan:?}",
                case.name
            ),
            (Err(e), Ok(_)) => panic!("{}: unexpected error: {e}", case.name),
        }
    }
}

#[test]
fn debug_of_a_plan_never_shows_the_mfa_code() {
    let config = SharedConfig::from_strings("[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\nmfa_serial = arn:aws:iam::1:mfa/x\n", CREDS).unwrap();
    let args = RoleInputs {
        profile: Some("p".into()),
        token_code: Some("482913".into()),
        ..RoleInputs::default()
    };
    let plan = Plan::build(&config, &args, &Environment::default()).unwrap();
    assert_eq!(
        plan.role.token_code.as_ref().map(|c| c.expose()),
        Some("482913")
    );
    assert!(!format!("{plan:?}").contains("482913"));
}
