//! A source profile whose key is in the key store (no keys in the files): the role resolves
//! from the store, the cache hit never opens it, `credential_process = xacct-cred keys export`
//! is read directly while real loops are still refused, and — with mfa_serial — one MFA code
//! makes an MFA session (kept in the store) from which every renewal assumes the role without
//! a code, in the background too, until it ends.
//!
//! The store here is the encrypted file (fast to set up, works everywhere); tests/keys.rs runs
//! the same items through the Secret Service and keyutils.

mod support;

use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use support::fake::{Reply, Request, assume_role_ok, sts_error};
use support::*;

const SERIAL: &str = "arn:aws:iam::222222222222:mfa/asi-dev";
const MFA_KEY_ID: &str = "ASIAMFASESSION000001";

/// A scenario whose dev profile has no keys in the files; its key is in the file store.
fn stored(sts: &FakeServer, extra: &str) -> Scenario {
    let mut s = Scenario::new();
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nregion = eu-west-1\n{extra}\n[profile dev]\nregion = eu-west-1\n"
    ));
    s.credentials("");
    s.set("AWS_ENDPOINT_URL_STS", &sts.url());
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("data/keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "correct horse battery");
    let mut child = s
        .command(&["keys", "add", "dev", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{DEV_KEY_ID}\n{DEV_SECRET}\n").as_bytes())
        .unwrap();
    drop(stdin);
    Outcome::from(child.wait_with_output().unwrap()).ok();
    s
}

/// The access key id that signed a request (SigV4's `Credential=ID/…`).
fn signed_by(req: &Request) -> String {
    let auth = req.header("authorization").unwrap_or_default();
    auth.split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').next())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_source_profile_without_keys_resolves_from_the_store_and_a_cache_hit_never_opens_it() {
    let sts = fake::sts();
    let mut s = stored(&sts, "");
    let first = s.run(&["--profile", "prod"]);
    first.ok();
    assert_eq!(signed_by(&sts.last("AssumeRole")), DEV_KEY_ID);
    // Without the passphrase the store cannot be opened (no terminal): the hit does not try.
    s.unset("XACCT_CRED_FILE_PASSPHRASE");
    let hit = s.run(&["--profile", "prod"]);
    assert_eq!(hit.ok().stdout, first.stdout);
    assert_eq!(sts.count("AssumeRole"), 1);
    // A renewal does open it, and says why it could not.
    s.run(&["--profile", "prod", "--refresh"])
        .failed(3)
        .stderr_has(&["key store file", "XACCT_CRED_FILE_PASSPHRASE"]);
    // The cache entry names the source by profile and store, never by a secret.
    let entry = std::fs::read_to_string(s.entry_file()).unwrap();
    assert!(!entry.contains(DEV_SECRET));
}

#[test]
fn a_profile_with_no_key_anywhere_says_how_to_store_one() {
    let sts = fake::sts();
    let s = stored(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = other\n[profile other]\nregion = eu-west-1\n"
    ));
    s.run(&["--profile", "prod"]).failed(3).stderr_has(&[
        "source_profile other has no keys in the config files, and the key store file",
        "xacct-cred keys import other",
    ]);
    assert_eq!(sts.count("AssumeRole"), 0);
}

#[test]
fn keys_export_as_the_source_profiles_credential_process_is_allowed_and_real_loops_are_not() {
    let sts = fake::sts();
    let s = stored(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\n[profile dev]\ncredential_process = '{BIN}' keys export dev\n"
    ));
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(signed_by(&sts.last("AssumeRole")), DEV_KEY_ID);
    // What the AWS CLI runs for the source profile itself.
    let exported = s.run(&["keys", "export", "dev"]);
    assert_eq!(exported.ok().json()["AccessKeyId"], DEV_KEY_ID);
    // A source whose credential_process runs xacct-cred for the same role is still a loop.
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\n[profile dev]\ncredential_process = {BIN} --profile prod\n"
    ));
    s.run(&["--profile", "prod", "--refresh"])
        .failed(3)
        .stderr_has(&["loops back into itself"]);
}

/// An STS that gives MFA sessions (expiring `mfa_left` seconds from now) only for the right
/// code, and assumes the role only when signed by such a session — the role's trust policy
/// requiring aws:MultiFactorAuthPresent — and never with a code of its own.
fn mfa_sts(mfa_left: Arc<AtomicI64>) -> FakeServer {
    FakeServer::start(move |req: &Request, n| match req.action().as_str() {
        "GetSessionToken" => {
            let p = req.params();
            if signed_by(req) != DEV_KEY_ID
                || p.get("SerialNumber").map(String::as_str) != Some(SERIAL)
                || p.get("TokenCode").map(String::as_str) != Some("123456")
            {
                return sts_error(403, "AccessDenied", "MultiFactorAuthentication failed");
            }
            let exp = time::OffsetDateTime::now_utc()
                + time::Duration::seconds(mfa_left.load(Ordering::SeqCst));
            let exp = exp
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            Reply::xml(
                200,
                format!(
                    r#"<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials><AccessKeyId>{MFA_KEY_ID}</AccessKeyId><SecretAccessKey>fake-secret-mfa</SecretAccessKey><SessionToken>fake-token-mfa-{n}</SessionToken><Expiration>{exp}</Expiration></Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>req-gst</RequestId></ResponseMetadata></GetSessionTokenResponse>"#
                ),
            )
        }
        "AssumeRole" => {
            let mfa_present = signed_by(req) == MFA_KEY_ID
                && req
                    .header("x-amz-security-token")
                    .is_some_and(|t| t.starts_with("fake-token-mfa-"));
            let p = req.params();
            if !mfa_present || p.contains_key("TokenCode") || p.contains_key("SerialNumber") {
                return sts_error(403, "AccessDenied", "not authorized: MFA required");
            }
            assume_role_ok(req, n, Duration::from_secs(3600))
        }
        "GetCallerIdentity" => fake::caller_identity("arn:aws:iam::222222222222:user/asi-dev"),
        _ => sts_error(400, "InvalidAction", "unknown action"),
    })
}

#[test]
fn one_mfa_code_for_many_renewals_then_one_prompt_and_cache_clear_drops_it() {
    let mfa_left = Arc::new(AtomicI64::new(12 * 3600));
    let sts = mfa_sts(mfa_left.clone());
    let mut s = stored(&sts, &format!("mfa_serial = {SERIAL}\n"));
    // No code and no terminal: it says so, and calls nothing.
    s.run(&["--profile", "prod"])
        .failed(7)
        .stderr_has(&["no terminal to ask on"]);
    assert_eq!(sts.requests().len(), 0);
    s.run(&["--profile", "prod", "--token-code", "123456"]).ok();
    for _ in 0..4 {
        s.run(&["--profile", "prod", "--refresh"]).ok();
    }
    assert_eq!(sts.count("GetSessionToken"), 1, "one code");
    assert_eq!(
        sts.count("AssumeRole"),
        5,
        "five sessions, none with a code"
    );
    // The doctor shows the store, why it was chosen, and the MFA session's time left, and
    // assumes the role from that session as a renewal does.
    let doctor = s.run(&["doctor", "--profile", "prod"]);
    doctor.ok();
    for said in [
        "source_profile dev's key …0001",
        "is in file (XACCT_CRED_KEYS_FILE is set",
        "MFA session: 11 h",
    ] {
        assert!(doctor.stdout.contains(said), "{said}:\n{}", doctor.stdout);
    }
    assert_eq!(
        sts.count("GetSessionToken"),
        1,
        "the doctor needed no code either"
    );
    // The MFA session is in the store, never in the plain cache.
    let cache = s.cache_dir();
    for f in std::fs::read_dir(&cache).unwrap() {
        let text = std::fs::read(f.unwrap().path()).unwrap();
        assert!(
            !text
                .windows(MFA_KEY_ID.len())
                .any(|w| w == MFA_KEY_ID.as_bytes())
        );
    }
    // `cache clear` drops it: the next renewal needs a code again.
    s.run(&["cache", "clear"]).ok();
    s.run(&["--profile", "prod"])
        .failed(7)
        .stderr_has(&["an MFA code is needed"]);
    // An MFA session about to end is not used: one prompt (here, the code) makes the next.
    mfa_left.store(120, Ordering::SeqCst);
    s.set("XACCT_CRED_TOKEN_CODE", "123456");
    s.run(&["--profile", "prod"]).ok();
    s.unset("XACCT_CRED_TOKEN_CODE");
    s.run(&["--profile", "prod", "--refresh"])
        .failed(7)
        .stderr_has(&["an MFA code is needed"]);
    assert_eq!(sts.count("GetSessionToken"), 2);
}

/// `cache clear --profile P` that cannot open the store (no passphrase, no terminal) says the
/// MFA session stays and fails, after clearing the role session; without a profile, a warning.
#[test]
fn cache_clear_says_so_when_the_mfa_session_could_not_be_dropped() {
    let sts = mfa_sts(Arc::new(AtomicI64::new(12 * 3600)));
    let mut s = stored(&sts, &format!("mfa_serial = {SERIAL}\n"));
    s.run(&["--profile", "prod", "--token-code", "123456"]).ok();
    s.unset("XACCT_CRED_FILE_PASSPHRASE");
    s.run(&["cache", "clear", "--profile", "prod"])
        .failed(3)
        .stderr_has(&[
            "the MFA session was not dropped",
            "XACCT_CRED_FILE_PASSPHRASE",
        ]);
    assert!(
        s.entry_files().is_empty(),
        "the role session was not cleared"
    );
    s.run(&["cache", "clear"])
        .ok()
        .stderr_has(&["warning", "MFA sessions"]);
    // It is still there: with the passphrase back, a renewal needs no code.
    s.set("XACCT_CRED_FILE_PASSPHRASE", "correct horse battery");
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(sts.count("GetSessionToken"), 1);
}

#[test]
fn an_mfa_profile_renews_in_the_background_while_its_mfa_session_lasts() {
    let sts = mfa_sts(Arc::new(AtomicI64::new(12 * 3600)));
    let s = stored(&sts, &format!("mfa_serial = {SERIAL}\n"));
    s.run(&["--profile", "prod", "--token-code", "123456"]).ok();
    // Ten minutes left: inside the 16-minute window, above the 5-minute margin.
    s.set_time_left(Duration::from_secs(600));
    let served = s.run(&["--profile", "prod"]);
    served.ok();
    assert!(
        s.eventually(Duration::from_secs(15), || sts.count("AssumeRole") == 2),
        "the detached renewal assumed the role: {:?}",
        sts.requests()
            .iter()
            .map(|r| r.action())
            .collect::<Vec<_>>()
    );
    assert!(s.wait_until_no_processes(Duration::from_secs(10)));
    assert_eq!(sts.count("GetSessionToken"), 1, "no second code");
    let fresh = s.run(&["--profile", "prod"]);
    assert_ne!(fresh.ok().stdout, served.stdout, "the renewed session");
    s.kill_processes();
}
