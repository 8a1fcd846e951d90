//! `xacct-cred serve -p P…` and `xacct-cred exec --server -p P -- CMD…`: the credential
//! endpoint (`crate::server`) in the foreground, or for the life of one command.
//!
//! Both first get each profile's session the ordinary way (so a broken set-up fails at once,
//! with the usual message and exit code, before anything is printed or run), then listen,
//! then hand out the variables: printed by `serve`, in the command's environment for `exec`.
//! The process environment is written at most once, before the first thread exists (the
//! server's renewals write none: `server::sessions::InServer`). Secrets go only to the endpoint's responses; the token
//! only to the command's environment, stdout, or the `--token-file` asked for.

use crate::InheritedEnv;
use crate::cache::{self, CacheMode, CacheSettings};
use crate::child;
use crate::cli::{ExecArgs, ServeArgs};
use crate::diag::debug;
use crate::env::{self, Environment};
use crate::error::{Error, Result};
use crate::output::Format;
use crate::plan::Plan;
use crate::plan::RoleInputs;
use crate::server::sessions::{InServer, ServedProfile};
use crate::server::token::Token;
use crate::server::{self, Endpoint};
use crate::session::{self, Caller, SystemClock};
use crate::{loop_guard, output};
use std::io::Write;
use std::path::Path;
use token_file::TokenFile;
use token_port::TokenPort;

mod outliving;
mod token_file;
mod token_port;

const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
const TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
const TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

pub fn run(args: &ServeArgs, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    let ip = server::loopback_address(&args.address)?;
    let mut plans = Vec::new();
    for name in &args.profiles {
        if plans.iter().any(|(n, _): &(String, Plan)| n == name) {
            return Err(Error::config(format!("profile {name} is given twice"))
                .hint("Each -p names one profile to serve; give each once."));
        }
        let role = RoleInputs {
            profile: Some(name.clone()),
            ..Default::default()
        };
        let config = role.load_config(env)?;
        plans.push((name.clone(), Plan::build(&config, &role, env)?));
    }
    let settings = CacheSettings {
        mode: CacheMode::Use,
        store: args.store.clone(),
    };
    let regions: Vec<Option<String>> = plans
        .iter()
        .map(|(_, p)| p.region_configured.then(|| p.region.clone()))
        .collect();
    let profiles = start_profiles(plans, &settings, env, inherited)?;
    // The path is claimed first (a second serve on it is refused before it binds); its clients
    // keep the address they were given, so a later serve listens there again.
    // Absolute from here on: the clients, whatever their working directory, read the file
    // this serve wrote (a relative path would have them read whatever another user put under
    // that name where they run).
    let token_path = match &args.token_file {
        Some(path) => Some(std::path::absolute(path).map_err(|e| {
            Error::config(format!("--token-file {}: {e}", path.display()))
                .hint("Give an absolute path.")
        })?),
        None => None,
    };
    let (claim, token_port) = match &token_path {
        Some(path) => {
            let claim = TokenFile::claim(path)?;
            let port = TokenPort::recall(path, claim.had_old(), &args.store)?;
            (Some(claim), Some(port))
        }
        None => (None, None),
    };
    let port = match &token_port {
        Some(t) => t.port(ip, args.port)?,
        None => args.port,
    };
    let endpoint =
        Endpoint::bind(ip, port, Token::generate()?, profiles).map_err(|e| match &token_port {
            Some(t) => t.held(e),
            None => e,
        })?;
    let token_file = match (claim, &token_port) {
        (Some(claim), Some(t)) => {
            t.remember(endpoint.address())?;
            Some(claim.publish(endpoint.token())?)
        }
        _ => None,
    };
    let text = render(&endpoint, &regions, args.format, token_path.as_deref())?;
    let runtime = runtime()?;
    let result = runtime.block_on(async {
        let stop = shutdown_signals()?;
        let refused = endpoint.start()?;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| {
                Error::config(format!(
                    "could not write the endpoint's variables to stdout: {e}"
                ))
            })?;
        drop(out);
        let why = stop.await;
        debug(|| {
            format!(
                "{why}: stopping; {} requests refused without the token",
                refused.get()
            )
        });
        Ok(())
    });
    drop(token_file);
    // Nothing a renewal still waits for outlives the server.
    crate::leftovers::end_all_watched();
    result
}

/// `exec --server`: the command runs with the endpoint in its environment; its exit status
/// becomes ours.
pub fn exec(args: &ExecArgs, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    child::refuse_nested(env, args.allow_nested)?;
    if args.cache.mode == CacheMode::Off {
        return Err(Error::config("exec --server serves from the cache; --no-cache would assume the role again on every request")
            .hint("Leave out --no-cache (use --refresh to start from a new session)."));
    }
    let plan = Plan::build(&args.role.load_config(env)?, &args.role, env)?;
    let name = plan.profile.clone().unwrap_or_else(|| "role".to_string());
    let marker = plan
        .profile
        .clone()
        .unwrap_or_else(|| plan.role.role_arn.arn.clone());
    let region = plan.region_configured.then(|| plan.region.clone());
    // --refresh applies to the first session only; every request after is an ordinary one.
    let mut settings = args.cache.clone();
    let first_mode = settings.mode;
    settings.mode = CacheMode::Use;
    let profiles = start_profiles_with(vec![(name, plan)], first_mode, &settings, env, inherited)?;
    let endpoint = Endpoint::bind(
        server::loopback_address("127.0.0.1")?,
        0,
        Token::generate()?,
        profiles,
    )?;
    let (_, url) = endpoint.urls().remove(0);
    let mut vars = vec![
        (FULL_URI, url.as_str()),
        (TOKEN, endpoint.token().expose()),
        (child::EXEC_MARKER, marker.as_str()),
    ];
    if let Some(r) = &region {
        vars.extend([
            ("AWS_REGION", r.as_str()),
            ("AWS_DEFAULT_REGION", r.as_str()),
        ]);
    }
    let cmd = child::command(&args.command, &vars);
    // To find what still carries it once the command ends (never shown).
    let endpoint_token = endpoint.token().expose().to_string();
    let runtime = runtime()?;
    let code = runtime.block_on(async {
        #[cfg(unix)]
        let forwarding = child::Forwarding::register()?;
        let refused = endpoint.start()?;
        let mut process = child::spawn(cmd, &args.command[0])?;
        #[cfg(unix)]
        let forwarding = forwarding.start(process.id().unwrap_or(0));
        let status = process.wait().await;
        #[cfg(unix)]
        forwarding.stop();
        debug(|| {
            format!(
                "the command ended; {} requests refused without the token",
                refused.get()
            )
        });
        let left = outliving::holding(TOKEN, &endpoint_token);
        if !left.is_empty() {
            let pids: Vec<String> = left.iter().map(u32::to_string).collect();
            crate::say!(
                "{} started by {} still run with this endpoint's variables (pid {}); the endpoint stops now, so they get no credentials from it, and another local user who takes its port could answer them with credentials of their own. End them, or wait for them in the command (e.g. `wait` in a script).",
                if left.len() == 1 { "a process" } else { "processes" },
                args.command[0],
                pids.join(", ")
            );
        }
        status
            .map(child::exit_code)
            .map_err(|e| Error::config(format!("could not wait for {}: {e}", args.command[0])))
    })?;
    drop(runtime); // stops the endpoint before we go
    crate::leftovers::end_all_watched();
    std::process::exit(code)
}

/// Gets each profile's session once (failing as credential_process would), then starts the
/// profile's worker.
fn start_profiles(
    plans: Vec<(String, Plan)>,
    settings: &CacheSettings,
    env: &Environment,
    inherited: &dyn InheritedEnv,
) -> Result<Vec<ServedProfile>> {
    start_profiles_with(plans, settings.mode, settings, env, inherited)
}

fn start_profiles_with(
    plans: Vec<(String, Plan)>,
    first_mode: CacheMode,
    settings: &CacheSettings,
    env: &Environment,
    inherited: &dyn InheritedEnv,
) -> Result<Vec<ServedProfile>> {
    // The chain, for a source credential_process that renewals start: exactly what
    // credential_process writes, with one profile. With several, the renewals of different
    // profiles would need different values in the one process environment, so none is written
    // (a loop is then caught one process further down, by the child xacct-cred itself).
    if let [(_, plan)] = plans.as_slice() {
        inherited.set(env::CHAIN, &loop_guard::chain_with(&cache::key(plan), env));
    }
    // What this server's source helpers start carries this mark: what they leave behind can
    // then be told apart from everything else in the session (see `leftovers`).
    inherited.set(env::SERVER_MARK, &crate::leftovers::new_mark()?);
    // Renewals in this process (see `server::sessions`), the first included.
    let renewer = InServer {
        env: env.clone(),
        store: settings.store.clone(),
    };
    let first = CacheSettings {
        mode: first_mode,
        store: settings.store.clone(),
    };
    let mut profiles = Vec::new();
    for (name, plan) in plans {
        session::obtain(
            &plan,
            &first,
            Caller::ComesBack,
            env,
            &SystemClock,
            &renewer,
        )?;
        let path = server::path_for(&name);
        profiles.push(ServedProfile::start(
            name,
            path,
            plan,
            settings.clone(),
            env.clone(),
        )?);
    }
    Ok(profiles)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::config(format!("could not start the I/O runtime: {e}")))
}

/// Resolves with the name of the first of SIGTERM, SIGINT, SIGHUP to arrive (Ctrl-C elsewhere).
fn shutdown_signals() -> Result<impl Future<Output = &'static str>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(1);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, name) in [
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::interrupt(), "SIGINT"),
            (SignalKind::hangup(), "SIGHUP"),
            // Ctrl-\: without it the default action kills serve and leaves its helpers running.
            (SignalKind::quit(), "SIGQUIT"),
        ] {
            let mut stream =
                signal(kind).map_err(|e| Error::config(format!("could not handle {name}: {e}")))?;
            let tx = tx.clone();
            tokio::spawn(async move {
                if stream.recv().await.is_some() {
                    let _ = tx.send(name).await;
                }
            });
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send("Ctrl-C").await;
        }
    });
    Ok(async move { rx.recv().await.unwrap_or("shutdown") })
}

/// The variables to print: one block per profile, or one JSON object keyed by profile.
fn render(
    endpoint: &Endpoint,
    regions: &[Option<String>],
    format: Format,
    token_file: Option<&Path>,
) -> Result<String> {
    let token_file = token_file.map(|p| p.to_string_lossy().into_owned());
    let urls = endpoint.urls();
    let blocks = urls.iter().zip(regions).map(|((name, url), region)| {
        let mut vars = vec![(FULL_URI, url.as_str())];
        match &token_file {
            Some(path) => vars.push((TOKEN_FILE, path.as_str())),
            None => vars.push((TOKEN, endpoint.token().expose())),
        }
        if let Some(r) = region {
            vars.extend([
                ("AWS_REGION", r.as_str()),
                ("AWS_DEFAULT_REGION", r.as_str()),
            ]);
        }
        (name, vars)
    });
    if format == Format::Json {
        let doc: serde_json::Map<String, serde_json::Value> = blocks
            .map(|(name, vars)| {
                let vars = vars
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                (name.clone(), serde_json::Value::Object(vars))
            })
            .collect();
        return Ok(format!("{}\n", serde_json::Value::Object(doc)));
    }
    let several = urls.len() > 1;
    let mut out = String::new();
    for (name, vars) in blocks {
        if several {
            // '#' starts a comment in all four formats; the name cannot end it.
            let shown: String = name
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            out.push_str(&format!("# profile {shown}\n"));
        }
        out.push_str(&output::render_vars(&vars, format)?);
    }
    Ok(out)
}
