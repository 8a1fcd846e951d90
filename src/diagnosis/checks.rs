//! The doctor's steps: each checks one link of the chain and records what it found in the
//! report, skipping the steps that depend on a failed one.

use super::key_store;
use super::report::Report;
use crate::aws::{mfa, source_credential, stored_key, sts};
use crate::cache::{self, CacheDir, StoreSettings};
use crate::cli::DoctorArgs;
use crate::env::Environment;
use crate::error::{Error, Kind, key_id_tail};
use crate::plan::{Plan, SourceSpec};
use crate::renew::{SOURCE_TIMEOUT, source_timed_out};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

const CLOCK_WARN_SECS: i64 = 60;
/// The keys whose presence the config step reports (names only, never values).
const KNOWN_KEYS: &[&str] = &[
    "role_arn",
    "source_profile",
    "credential_source",
    "role_session_name",
    "external_id",
    "duration_seconds",
    "mfa_serial",
    "region",
    "endpoint_url",
    "services",
    "credential_process",
    "aws_access_key_id",
    "aws_secret_access_key",
    "sso_session",
    "web_identity_token_file",
];
const CLOCK_FAIL_SECS: i64 = 300;

pub(super) fn diagnose(args: &DoctorArgs, env: &Environment, report: Report) -> Report {
    let mut r = report;
    const AFTER_CONFIG: &[&str] = &["plan", "source credential", "clock", "assume role", "cache"];

    let config = match args.role.load_config(env) {
        Ok(c) => c,
        Err(e) => {
            r.fail("config", &e);
            r.skip(AFTER_CONFIG);
            return r;
        }
    };
    let exists = |p: &std::path::Path| if p.exists() { "found" } else { "missing" };
    let mut detail = format!(
        "{} ({}), {} ({})",
        config.config_file.display(),
        exists(&config.config_file),
        config.credentials_file.display(),
        exists(&config.credentials_file)
    );
    if let Some(name) = args
        .role
        .profile
        .as_deref()
        .or_else(|| env.get("AWS_PROFILE"))
    {
        match config.profile(name) {
            Some(p) => {
                let keys: Vec<&str> = KNOWN_KEYS
                    .iter()
                    .copied()
                    .filter(|k| p.get(k).is_some())
                    .collect();
                detail.push_str(&format!(
                    "; profile {name} has {}",
                    if keys.is_empty() {
                        "none of the keys xacct-cred reads".to_string()
                    } else {
                        keys.join(", ")
                    }
                ));
            }
            None => detail.push_str(&format!("; profile {name} is not there")),
        }
    }
    r.pass("config", detail);

    let plan = match Plan::build(&config, &args.role, env) {
        Ok(p) => p,
        Err(e) => {
            r.fail("plan", &e);
            r.skip(&AFTER_CONFIG[1..]);
            return r;
        }
    };
    r.pass(
        "plan",
        format!(
            "assume {} as session {} for {} s via {}, in {}{}",
            plan.role.role_arn.arn,
            plan.role.session_name,
            plan.role.duration_seconds,
            plan.source.describe(),
            plan.region,
            plan.sts_endpoint
                .as_deref()
                .map(|e| format!(" at {e}"))
                .unwrap_or_default()
        ),
    );

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            r.fail(
                "source credential",
                &Error::config(format!("could not start the I/O runtime: {e}")),
            );
            return r;
        }
    };
    runtime.block_on(network_steps(&mut r, &plan, env));
    cache_step(&mut r, &plan, &args.store);
    r
}

/// A bound for each STS step: its operation timeout, and a GetCallerIdentity after an
/// AccessDenied, with room to spare. The source's bound is renewal's ([`SOURCE_TIMEOUT`]).
const STS_STEP_TIMEOUT: Duration = Duration::from_secs(30);

fn step_timed_out(what: &str, bound: Duration) -> Error {
    Error::new(
        Kind::StsUnavailable,
        format!("{what} did not answer within {} s", bound.as_secs()),
    )
    .hint("Check the network, proxy (HTTPS_PROXY) and the STS endpoint (AWS_ENDPOINT_URL_STS / endpoint_url).")
}

async fn network_steps(r: &mut Report, plan: &Plan, env: &Environment) {
    let serial = plan.role.mfa_serial.as_deref();
    let stored = match &plan.source {
        SourceSpec::Stored { name, .. } => match key_store::step(r, name, serial, env) {
            Some(opened) => Some(opened),
            None => {
                r.skip(&["source credential", "clock", "assume role"]);
                return;
            }
        },
        _ => None,
    };
    let resolved = match &stored {
        Some(o) => Ok(stored_key::credential(&o.name, &o.store, &o.key)),
        // A helper given up on runs on: doctor is a foreground call, and someone may be
        // waiting on it (a browser login); see `leftovers` for who ends one.
        None => tokio::time::timeout(SOURCE_TIMEOUT, source_credential::resolve(plan, env))
            .await
            .unwrap_or_else(|_| Err(source_timed_out(plan))),
    };
    let source = match resolved {
        Ok(s) => s,
        Err(e) => {
            r.fail("source credential", &e);
            r.skip(&["clock", "assume role"]);
            return;
        }
    };
    let client = sts::client(plan, &source);
    let date = ServerDate::default();
    let identity = tokio::time::timeout(
        STS_STEP_TIMEOUT,
        client
            .get_caller_identity()
            .customize()
            .interceptor(date.clone())
            .send(),
    )
    .await;
    let Ok(identity) = identity else {
        r.fail(
            "source credential",
            &step_timed_out("STS GetCallerIdentity", STS_STEP_TIMEOUT),
        );
        r.skip(&["clock", "assume role"]);
        return;
    };
    let kind = match &plan.source {
        SourceSpec::Ec2InstanceMetadata { .. } => {
            " (IMDSv2: token PUT, role name and credentials all answered)"
        }
        _ => "",
    };
    match identity {
        Ok(id) => r.pass(
            "source credential",
            format!(
                "{}{kind} is {}",
                source.description,
                id.arn().unwrap_or("(no ARN)")
            ),
        ),
        Err(e) => {
            let e = Error::new(Kind::Sts, format!("{} was resolved, but STS GetCallerIdentity refused it: {}", source.description, crate::error::causes(&e)))
                .hint("Those keys are wrong, expired or deactivated; check them with aws sts get-caller-identity on the source profile.");
            r.fail("source credential", &e);
        }
    }

    match date.offset_seconds() {
        None => r.warn("clock", "STS's reply had no Date header to compare with", "Make sure NTP (chrony, systemd-timesyncd) keeps this clock in sync."),
        Some(offset) if offset.abs() > CLOCK_FAIL_SECS => r.fail(
            "clock",
            &Error::config(format!("this clock is {offset:+} s off STS's (SigV4 rejects requests more than 15 minutes off; sessions look expired early or late)"))
                .hint("Sync the clock (NTP: chrony, systemd-timesyncd, or sntp -sS time.apple.com on macOS)."),
        ),
        Some(offset) if offset.abs() > CLOCK_WARN_SECS => r.warn("clock", format!("this clock is {offset:+} s off STS's"), "Sync the clock with NTP before it drifts further."),
        Some(offset) => r.pass("clock", format!("within {} s of STS's clock", offset.abs().max(1))),
    }

    // A key-store source with MFA assumes the role from its MFA session, as a renewal does.
    let from_session = match &stored {
        Some(o) if serial.is_some() => {
            Some(stored_key::mfa_source(plan, &o.name, &o.store, &o.key).await)
        }
        _ => None,
    };
    let chosen = match from_session {
        Some(session) => session.map(|s| (s, None)),
        None => mfa::token_code(plan).map(|code| (source, code)),
    };
    let (source, token_code) = match chosen {
        Ok(chosen) => chosen,
        Err(e) => {
            r.fail("assume role", &e);
            return;
        }
    };
    let assumed = tokio::time::timeout(
        STS_STEP_TIMEOUT,
        sts::assume_role(plan, &source, token_code),
    )
    .await
    .unwrap_or_else(|_| Err(step_timed_out("STS AssumeRole", STS_STEP_TIMEOUT)));
    match assumed {
        Ok(assumed) => r.pass(
            "assume role",
            format!(
                "{} (access key {}, expires {})",
                assumed
                    .assumed_role_arn
                    .as_deref()
                    .unwrap_or(&plan.role.role_arn.arn),
                key_id_tail(&assumed.credentials.access_key_id),
                crate::credentials::format_expiration(assumed.credentials.expiration)
            ),
        ),
        Err(e) => r.fail("assume role", &e),
    }
}

fn cache_step(r: &mut Report, plan: &Plan, store: &StoreSettings) {
    let dir = match store.locate().and_then(CacheDir::open) {
        Ok(d) => d,
        Err(e) => return r.fail("cache", &e),
    };
    let key = cache::key(plan);
    let now = OffsetDateTime::now_utc();
    let (window, margin) = store.window_and_margin(plan.role.duration());
    let mut detail = match dir.read(&key) {
        Err(e) => return r.fail("cache", &e),
        Ok(None) => format!(
            "{} is private; no session cached for this role yet",
            dir.path().display()
        ),
        Ok(Some(entry)) => {
            let state = match entry.state(now, window, margin) {
                _ if !entry.is_for(plan) => "written for another role or source; will be replaced",
                state => state.describe(),
            };
            format!(
                "{} is private; session cached, {} min left ({state}; window {} s, margin {} s)",
                dir.path().display(),
                entry.time_left(now).whole_minutes(),
                window.as_secs(),
                margin.as_secs()
            )
        }
    };
    if let Some(failure) = dir.last_failure(&key) {
        detail.push_str(&format!("; last failed renewal {}", failure.describe(now)));
    }
    r.pass("cache", detail);
}

/// Keeps the `Date` header of the reply and when it arrived, for the clock check.
#[derive(Debug, Clone, Default)]
struct ServerDate(Arc<Mutex<Option<(String, OffsetDateTime)>>>);

impl ServerDate {
    /// Local clock minus the server's, in seconds.
    fn offset_seconds(&self) -> Option<i64> {
        let (date, local) = self.0.lock().ok()?.clone()?;
        let server = parse_http_date(&date)?;
        Some((local - server).whole_seconds())
    }
}

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "ServerDate"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date")
            && let Ok(mut slot) = self.0.lock()
        {
            *slot = Some((date.to_string(), OffsetDateTime::now_utc()));
        }
        Ok(())
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate), by aws-smithy-types' parser.
fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let t = aws_smithy_types::DateTime::from_str(s, aws_smithy_types::date_time::Format::HttpDate)
        .ok()?;
    OffsetDateTime::from_unix_timestamp(t.secs()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        let t = parse_http_date("Mon, 23 Nov 2026 16:21:44 GMT").unwrap();
        assert_eq!(
            crate::credentials::format_expiration(t),
            "2026-11-23T16:21:44Z"
        );
        assert!(parse_http_date("yesterday").is_none());
        assert!(parse_http_date("Mon, 32 Nov 2026 16:21:44 GMT").is_none());
    }
}
