//! The AWS SDK for Rust with its default credential chain, as an app in a container uses it:
//! credentials from AWS_CONTAINER_CREDENTIALS_FULL_URI and the token or token file (end-to-end
//! tests of `xacct-cred exec --server` and `serve`).
//!
//! Usage: endpoint_client CALLS SECONDS — CALLS GetCallerIdentity calls with one client,
//! SECONDS apart; prints each Arn, or `ERROR: …` and exits 1.

use aws_config::BehaviorVersion;

fn main() -> std::process::ExitCode {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let [calls, seconds] = args[..] else {
        eprintln!("usage: endpoint_client CALLS SECONDS");
        return std::process::ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let sts = aws_sdk_sts::Client::new(&config);
        for i in 0..calls {
            if i > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
            }
            match sts.get_caller_identity().send().await {
                Ok(out) => println!("{}", out.arn().unwrap_or_default()),
                Err(e) => {
                    println!(
                        "ERROR: {}",
                        aws_smithy_types::error::display::DisplayErrorContext(e)
                    );
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
        std::process::ExitCode::SUCCESS
    })
}
