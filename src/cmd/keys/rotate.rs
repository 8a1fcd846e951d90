//! `keys rotate PROFILE`: a new access key for the stored one, with a working key in the store
//! at every step. CreateAccessKey (signed with the current key), store the new key, check it
//! with GetCallerIdentity (waiting a bounded time for IAM's eventual consistency), then
//! DeleteAccessKey of the old one (signed with the new). A failure puts the old key back
//! (if it was replaced), deletes the new one where it can, and says which key is where.

use super::store_and_check;
use crate::aws::query::{self, Failed, Service};
use crate::env::Environment;
use crate::error::{Error, Kind, Result, key_id_tail};
use crate::keys::{Backend, KeyStore, StoredKey};
use aws_credential_types::Credentials;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long a new key may take to work (IAM is eventually consistent; seconds, usually).
const VERIFY_WAIT: Duration = Duration::from_secs(20);
const IAM_VERSION: &str = "2010-05-08";
const STS_VERSION: &str = "2011-06-15";

pub fn run(profile: &str, flag: Option<Backend>, env: &Environment) -> Result<()> {
    let store = KeyStore::open(flag, env)?;
    let Some(old) = store.key(profile)? else {
        return Err(Error::config(format!(
            "the key store {} holds no key for profile {profile} to rotate",
            store.backend().name()
        ))
        .hint(format!(
            "Store it first: xacct-cred keys import {profile} (or keys add {profile})."
        )));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::config(format!("could not start the I/O runtime: {e}")))?;
    runtime.block_on(rotate(profile, &store, &old, env))
}

async fn rotate(profile: &str, store: &KeyStore, old: &StoredKey, env: &Environment) -> Result<()> {
    let (iam, sts) = services(env);
    let (old_tail, where_) = (key_id_tail(&old.access_key_id), store.backend().name());
    let refused =
        |what: String, f: Failed| Error::new(kind(&f), format!("keys rotate: {what}: {}", f.what));
    let user = caller(&sts, &signing(old)).await.map_err(|f| {
        refused(format!("the current key {old_tail} does not work"), f)
            .hint("Nothing was changed. Check the key (xacct-cred keys list) and the network.")
    })?;
    let created = query::call(&iam, &signing(old), "CreateAccessKey", IAM_VERSION, &[])
        .await
        .map_err(|f| {
            let hint = if f.code == "LimitExceeded" {
                "IAM allows two keys per user: delete the unused one (aws iam list-access-keys), then rotate again. Nothing was changed."
            } else {
                "Nothing was changed: the store still holds the current key."
            };
            refused(format!("no new key was created for {user}"), f).hint(hint)
        })?;
    let (Some(id), Some(secret)) = (
        query::element(&created, "AccessKeyId"),
        query::element(&created, "SecretAccessKey"),
    ) else {
        return Err(Error::new(Kind::Sts, "keys rotate: IAM answered CreateAccessKey without a key")
            .hint("A key may have been created: check aws iam list-access-keys. The store still holds the current key."));
    };
    let new = StoredKey {
        access_key_id: id.to_string(),
        secret_access_key: crate::credentials::Secret::new(secret),
        created: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 ns"),
    };
    let new_tail = key_id_tail(&new.access_key_id);
    crate::say!("created the key {new_tail} for {user}");
    // Undoes the new key: the old one back in the store, then the new one deleted in IAM — only
    // then: while the store may still hold the new key, deleting it could leave no working key.
    let undo = async |why: Error| -> Error {
        let restored = store_and_check(store, profile, old).is_ok();
        let deleted = restored && delete(&iam, old, &new.access_key_id).await.is_ok();
        let place = match restored {
            true => format!("the store {where_} holds the old key {old_tail} again"),
            false => format!(
                "the old key {old_tail} could not be put back in the store {where_}, which may hold the new key {new_tail} (xacct-cred keys export {profile} shows which); both keys stay active in IAM"
            ),
        };
        let iam_side = match (restored, deleted) {
            (false, _) => "delete the one the store does not hold once it is working again".into(),
            (true, true) => format!("the new key {new_tail} was deleted in IAM"),
            (true, false) => format!(
                "the new key {new_tail} is still active in IAM: delete it with aws iam delete-access-key --access-key-id {}",
                new.access_key_id
            ),
        };
        Error::new(why.kind(), format!("{}; {place}; {iam_side}", why.what()))
            .hint("Fix the cause above and rotate again.")
    };
    if let Err(e) = store_and_check(store, profile, &new) {
        return Err(undo(e).await);
    }
    crate::say!("stored {new_tail} in {where_}");
    let started = Instant::now();
    let works = loop {
        match caller(&sts, &signing(&new)).await {
            Ok(arn) => break Ok(arn),
            Err(f) if started.elapsed() < VERIFY_WAIT => {
                crate::diag::debug(|| format!("the new key does not work yet: {}", f.what));
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(f) => break Err(f),
        }
    };
    match works {
        Ok(arn) if arn == user => crate::say!("{new_tail} works ({arn})"),
        Ok(arn) => {
            let e = Error::new(
                Kind::Sts,
                format!("keys rotate: the new key {new_tail} signs as {arn}, not {user}"),
            );
            return Err(undo(e).await);
        }
        Err(f) => {
            let e = refused(
                format!(
                    "the new key {new_tail} did not work within {} s",
                    VERIFY_WAIT.as_secs()
                ),
                f,
            );
            return Err(undo(e).await);
        }
    }
    let _ = store.remove_mfa_session(profile);
    delete(&iam, &new, &old.access_key_id).await.map_err(|f| {
        refused(format!("the store {where_} holds the new key {new_tail}, which works, but the old key {old_tail} was not deleted"), f)
            .hint(format!("Delete it: aws iam delete-access-key --access-key-id {}", old.access_key_id))
    })?;
    crate::say!("deleted the old key {old_tail}; profile {profile} now uses {new_tail}.");
    Ok(())
}

async fn delete(
    iam: &Service,
    signer: &StoredKey,
    key_id: &str,
) -> std::result::Result<String, Failed> {
    query::call(
        iam,
        &signing(signer),
        "DeleteAccessKey",
        IAM_VERSION,
        &[("AccessKeyId", key_id)],
    )
    .await
}

/// The ARN the key signs as.
async fn caller(sts: &Service, credentials: &Credentials) -> std::result::Result<String, Failed> {
    let reply = query::call(sts, credentials, "GetCallerIdentity", STS_VERSION, &[]).await?;
    query::element(&reply, "Arn")
        .map(str::to_string)
        .ok_or(Failed {
            code: String::new(),
            what: "GetCallerIdentity answered without an ARN".into(),
        })
}

fn signing(key: &StoredKey) -> Credentials {
    Credentials::new(
        &key.access_key_id,
        key.secret_access_key.expose(),
        None,
        None,
        "XacctCredKeyStore",
    )
}

fn kind(f: &Failed) -> Kind {
    if f.code.is_empty() {
        Kind::StsUnavailable
    } else {
        Kind::Sts
    }
}

/// IAM (global, signed for us-east-1) and STS (regional), each overridable as the SDKs allow:
/// `AWS_ENDPOINT_URL_IAM` / `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`.
fn services(env: &Environment) -> (Service, Service) {
    let region = env
        .get("AWS_REGION")
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .unwrap_or(crate::plan::DEFAULT_REGION)
        .to_string();
    let url = |var: &str, default: String| {
        env.get(var)
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
            .map_or(default, str::to_string)
    };
    (
        Service {
            url: url("AWS_ENDPOINT_URL_IAM", "https://iam.amazonaws.com".into()),
            name: "iam",
            region: "us-east-1".into(),
        },
        Service {
            url: url(
                "AWS_ENDPOINT_URL_STS",
                format!("https://sts.{region}.amazonaws.com"),
            ),
            name: "sts",
            region,
        },
    )
}
