// The AWS SDK for JavaScript v3 with its default credential chain, as an app in a container
// uses it: credentials from AWS_CONTAINER_CREDENTIALS_FULL_URI and the token (or token file).
// Usage: node endpoint_client.mjs CALLS SECONDS — CALLS GetCallerIdentity calls with one client,
// SECONDS apart; prints each Arn, or "ERROR: …" and exits 1.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const [calls, seconds] = process.argv.slice(2).map(Number);
const sts = new STSClient({ region: process.env.AWS_REGION ?? "us-east-1" });
for (let i = 0; i < calls; i++) {
  if (i > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
  try {
    console.log((await sts.send(new GetCallerIdentityCommand({}))).Arn);
  } catch (e) {
    console.log(`ERROR: ${e.name}: ${e.message}`);
    process.exit(1);
  }
}
