// The AWS SDK for JavaScript v3 as a user's app would use it: fromIni({ profile }) with the
// profile whose credential_process is xacct-cred. Endpoints come from AWS_ENDPOINT_URL*.
// Usage: node client.mjs PROFILE ls|get KEY|put KEY|whoami [BUCKET]
import { S3Client, ListObjectsV2Command, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromIni } from "@aws-sdk/credential-providers";

const [profile, op, arg, bucket = "asi-production-bucket"] = process.argv.slice(2);
const credentials = fromIni({ profile });
const region = "us-east-1";
const s3 = new S3Client({ region, credentials, forcePathStyle: true });
try {
  if (op === "ls") {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const o of out.Contents ?? []) console.log(o.Key);
  } else if (op === "get") {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: arg }));
    process.stdout.write(await out.Body.transformToString());
  } else if (op === "put") {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: arg, Body: "written by js" }));
    console.log("written");
  } else if (op === "whoami") {
    const sts = new STSClient({ region, credentials });
    console.log((await sts.send(new GetCallerIdentityCommand({}))).Arn);
  }
} catch (e) {
  console.error(`${e.name}: ${e.message}`);
  process.exit(1);
}
