//! The AWS SDK for Rust as a real client of xacct-cred (end-to-end tests): loads a profile the
//! standard way, so its credentials come from that profile's `credential_process`, and talks to
//! S3 and STS at AWS_ENDPOINT_URL.
//!
//! Usage: s3_client PROFILE ls|get KEY|put KEY|whoami [BUCKET]
//! (BUCKET defaults to $S3_CLIENT_BUCKET; `ls` takes an empty KEY before it.)

use aws_config::BehaviorVersion;

/// An SDK error with its causes, for stderr.
fn shown(e: impl std::error::Error) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(e).to_string()
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(profile), Some(op)) = (args.first(), args.get(1)) else {
        eprintln!("usage: s3_client PROFILE ls|get KEY|put KEY|whoami [BUCKET]");
        return std::process::ExitCode::from(2);
    };
    let key = args.get(2).cloned().unwrap_or_default();
    let bucket = args
        .get(3)
        .cloned()
        .or_else(|| std::env::var("S3_CLIENT_BUCKET").ok())
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .profile_name(profile)
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        match op.as_str() {
            "ls" => {
                let out = s3
                    .list_objects_v2()
                    .bucket(&bucket)
                    .send()
                    .await
                    .map_err(shown)?;
                for o in out.contents() {
                    println!("{}", o.key().unwrap_or_default());
                }
            }
            "get" => {
                let out = s3
                    .get_object()
                    .bucket(&bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(shown)?;
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .into_bytes();
                print!("{}", String::from_utf8_lossy(&bytes));
            }
            "put" => {
                s3.put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(b"written by rust".to_vec().into())
                    .send()
                    .await
                    .map_err(shown)?;
                println!("written");
            }
            "whoami" => {
                let sts = aws_sdk_sts::Client::new(&config);
                let out = sts.get_caller_identity().send().await.map_err(shown)?;
                println!("{}", out.arn().unwrap_or_default());
            }
            other => return Err(format!("unknown operation {other}")),
        }
        Ok::<(), String>(())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
