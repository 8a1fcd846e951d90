"""Warms the AWS CLI's own role cache (~/.aws/cli/cache) for a role profile, using the CLI's
bundled botocore to compute the cache key, so `aws configure export-credentials` is served from
its cache without contacting STS. Run with the Python the CLI itself runs on."""
import datetime
import json
import os
import sys

try:  # AWS CLI v2 bundles its own botocore
    from awscli.botocore.credentials import AssumeRoleCredentialFetcher
except ImportError:
    from botocore.credentials import AssumeRoleCredentialFetcher

role_arn, out_dir = sys.argv[1], sys.argv[2]
fetcher = AssumeRoleCredentialFetcher(client_creator=None, source_credentials=None, role_arn=role_arn, extra_args={}, cache={})
key = fetcher._create_cache_key()
exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, key + ".json"), "w") as f:
    json.dump({"Credentials": {"AccessKeyId": "ASIACLIV2CACHED", "SecretAccessKey": "cli-secret", "SessionToken": "cli-token", "Expiration": exp},
               "AssumedRoleUser": {"AssumedRoleId": "AROA:x", "Arn": role_arn + "/x"}, "ResponseMetadata": {}}, f)
print(key)
