"""The differential config suite: botocore's own role assumption vs xacct-cred.

Every row is a pair of AWS config files plus an environment. It is run

* once through the AWS CLI v1's own role assumption: `aws sts get-caller-identity --profile r`,
  where `r` holds the role keys, so botocore assumes the role itself;
* once through xacct-cred: `aws sts get-caller-identity --profile xacct-wrapper` with
  `[profile xacct-wrapper] credential_process = <xacct-cred> --profile r` added to the same
  config file (`--profile` left out where the row tests AWS_PROFILE);
* and, for the rows the AWS CLI v2 from Debian (2.9.19) can take, once more through the CLI v2's
  own role assumption, compared with the same xacct-cred run.

Each run gets its own HOME, its own xacct-cred cache, its own recording STS
(recording_sts.py: one listener per endpoint label, plus an HTTPS CONNECT proxy with a test CA
for the default AWS endpoints) in front of moto, and an environment with none of the machine's
AWS_* or proxy variables. The outer `get-caller-identity` goes to the recorder's `outer`
listener via `--endpoint-url` (which never reaches the CLI's own role-assumption client), so
only the role calls are compared: per AssumeRole / AssumeRoleWithWebIdentity, in order, the
RoleArn, RoleSessionName, ExternalId, DurationSeconds (absent = STS's default 3600), SerialNumber,
TokenCode, WebIdentityToken, the endpoint label, the signing region, the source access key (by
name: which user, instance role or earlier session signed) and STS's HTTP status; and whether
the command succeeded. "Both refuse" is a pass only when both fail, with no role call, for the
reason the row names.

Outcomes per row: AGREE; REFUSE (both refuse, named reasons); DELIBERATE (we differ on purpose:
the difference is asserted exactly, with the reason); DIFFERENCE (xacct-cred differs from
botocore and should not: an `xfail(strict=True)` that asserts agreement, so the Rust fix flips it
and must remove the mark). See tests/e2e/README.md for the table and what it taught us.

The runs are made concurrently by one module fixture (a thread pool); each row is then its own
parametrized test so that a failure names its row and shows both sides' calls and stderr.
"""
import concurrent.futures
import dataclasses
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

import scenario
from recording_sts import Recorder, LocalCA
from world import VENV_BIN, aws_v1, aws_v2

DEV, PROD = scenario.DEV, scenario.PROD
ROLE = scenario.ROLE_ARN
HOP_NAME = "diff-chain-hop"
HOP = f"arn:aws:iam::{DEV}:role/{HOP_NAME}"
MFA = f"arn:aws:iam::{DEV}:mfa/asi-dev"
LABELS = ("env-sts", "env-global", "services", "profile-endpoint", "outer")
WRAPPER = "xacct-wrapper"
LOCAL_USER = "e2e-user"
CODE = "123456"
NO_REGION = "You must specify a region"

# ---------------------------------------------------------------------------------------------
# The table.
# Placeholders: {ROLE} {HOP} {MFA} {HOME}; {KEY}/{SECRET}: asi-dev's keys; {KEY2}/{SECRET2}: the
# chain user's keys; {env-sts} {env-global} {services} {profile-endpoint}: recorder listeners.


@dataclasses.dataclass
class Agree:
    """Both assume the role (at least one role call) with the same calls and both succeed."""


@dataclasses.dataclass
class Refuse:
    """Both fail without any role call; each stderr names the reason."""
    v1: str
    x: str


@dataclasses.dataclass
class Deliberate:
    """We differ on purpose; `check(cli, x)` asserts the exact difference."""
    reason: str
    check: object


@dataclasses.dataclass
class Difference:
    """A real difference: xfail(strict) until xacct-cred does what botocore does."""
    reason: str


@dataclasses.dataclass
class Row:
    id: str
    covers: str
    config: str
    credentials: str = "[dev]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    env: dict = dataclasses.field(default_factory=dict)
    profile: object = "r"  # --profile of both sides; None: neither gets one (AWS_PROFILE rows)
    config_path: str = ".aws/config"
    credentials_path: str = ".aws/credentials"
    expect: object = dataclasses.field(default_factory=Agree)
    # The CLI v2 run: "same" (the same expectation), another expectation, or a string saying
    # why the row is not run through v2.
    v2: object = "same"


R = "[profile r]\nrole_arn = {ROLE}\nsource_profile = dev\nrole_session_name = s1\nregion = eu-west-1\n"
R_NO_REGION = "[profile r]\nrole_arn = {ROLE}\nsource_profile = dev\nrole_session_name = s1\n"
R_CHAIN = "[profile r]\nrole_arn = {ROLE}\nsource_profile = hop\nrole_session_name = s1\nregion = eu-west-1\n"
HOP_PROFILE = "[profile hop]\nrole_arn = {HOP}\nsource_profile = u2\nrole_session_name = hop1\n"
U2 = "[u2]\naws_access_key_id = {KEY2}\naws_secret_access_key = {SECRET2}\n"
SERVICES = "services = local\n[services local]\nsts =\n  endpoint_url = {services}\n"
ENV_STS = {"AWS_ENDPOINT_URL_STS": "{env-sts}"}
NOT_V2_ENDPOINTS = "the CLI v2 2.9.19 predates AWS_ENDPOINT_URL*, endpoint_url, services and ignore_configured_endpoint_urls"


# Checks for the deliberate differences ------------------------------------------------------

def _matches(got, want):
    return re.fullmatch(want.pattern, got or "") is not None if isinstance(want, re.Pattern) else got == want


def differ(cli_values, x_values, index=0, cli_fails_with=None):
    """Both assume with the same calls except for the named fields of call `index`, which hold
    exactly these values (a compiled pattern matches the whole value). `cli_fails_with`: the
    CLI's own command then fails with this (its get-caller-identity, not the role call)."""
    def check(cli, x):
        if cli_fails_with:
            assert not cli.ok and cli_fails_with in cli.stderr, "the CLI fails with " + cli_fails_with
        else:
            assert cli.ok, "the CLI succeeds"
        assert x.ok, "xacct-cred succeeds"
        assert len(cli.calls) == len(x.calls) > index, "as many role calls"
        fields = set(cli_values) | set(x_values)
        strip = lambda calls: [{k: v for k, v in c.items() if i != index or k not in fields} for i, c in enumerate(calls)]
        assert strip(cli.calls) == strip(x.calls), "the same calls apart from " + ", ".join(sorted(fields))
        for side, want, run in (("CLI", cli_values, cli), ("xacct-cred", x_values, x)):
            for k, v in want.items():
                assert _matches(run.calls[index].get(k), v), f"{side} sent {k} = {run.calls[index].get(k)!r}, the row says {v!r}"
    return check


def x_refuses_locally(field, value, x_message):
    """botocore sends `field` = value as written (moto accepts it; real STS's validation would
    not); xacct-cred refuses before sending anything."""
    def check(cli, x):
        assert cli.ok and len(cli.calls) == 1 and cli.calls[0].get(field) == value, f"the CLI sent {field} = {value!r}"
        assert not x.ok and x.calls == [] and x_message in x.stderr, f"xacct-cred refused with {x_message!r}, sending nothing"
    return check


def cli_refuses_for_want_of_region(x_region):
    """With an endpoint URL configured and no region, botocore cannot build the STS client and
    refuses before any call; xacct-cred signs with the region it found."""
    def check(cli, x):
        assert not cli.ok and cli.calls == [] and NO_REGION in cli.stderr, "the CLI refuses: " + NO_REGION
        assert x.ok and [c["signing_region"] for c in x.calls] == [x_region], f"xacct-cred signs for {x_region}"
    return check


def global_vs_regional(x_region):
    """No region for the CLI: its AssumeRole goes to the global endpoint, signed for us-east-1,
    then its own get-caller-identity fails for want of a region; xacct-cred uses the regional
    endpoint of the region it found."""
    return differ({"endpoint": "https://sts.amazonaws.com", "signing_region": "us-east-1"},
                  {"endpoint": f"https://sts.{x_region}.amazonaws.com", "signing_region": x_region}, cli_fails_with=NO_REGION)


def regional(region):
    return {"endpoint": f"https://sts.{region}.amazonaws.com", "signing_region": region}


def cli_assumes_x_refuses(x_message, action="AssumeRole"):
    """botocore assumes the role (one call, answered); xacct-cred refuses before sending anything."""
    def check(cli, x):
        assert cli.ok and [(c["Action"], c["status"]) for c in cli.calls] == [(action, 200)], f"the CLI made one {action}"
        assert not x.ok and x.calls == [] and x_message in x.stderr, f"xacct-cred refused with {x_message!r}, sending nothing"
    return check


LEGACY = differ({"endpoint": "https://sts.amazonaws.com", "signing_region": "us-east-1"}, regional("eu-west-1"))


def dropped_duration(cli, x):
    x_refuses_locally("DurationSeconds", "3600", "not a whole number of seconds")(cli, x)
    assert "DurationSeconds" not in cli.raw_calls[0], "botocore sent no DurationSeconds"


def cli_refuses(cli_message, x_key):
    """botocore refuses before any role call; xacct-cred assumes the role signed by x_key."""
    def check(cli, x):
        assert not cli.ok and cli.calls == [] and cli_message in cli.stderr, f"the CLI refuses: {cli_message!r}"
        assert x.ok and len(x.calls) == 1 and x.calls[0]["key"] == x_key and x.calls[0]["status"] == 200, f"xacct-cred assumes the role with {x_key}'s keys"
    return check


ROWS = [
    # --- every role-profile key -------------------------------------------------------------
    Row("role-arn-source-profile", "role_arn + source_profile + role_session_name + region; the default (regional) endpoint, seen through the proxy", R),
    Row("no-role-session-name", "role_session_name left out", R.replace("role_session_name = s1\n", ""),
        expect=Deliberate("default session name: botocore uses botocore-session-<unix time>, xacct-cred the local user name ($USER), which CloudTrail can attribute and which keeps the cache key stable",
                          differ({"RoleSessionName": re.compile(r"botocore-session-\d+")}, {"RoleSessionName": LOCAL_USER}))),
    Row("external-id", "external_id", R + "external_id = ext-42:a/b\n"),
    Row("duration-seconds", "duration_seconds", R + "duration_seconds = 1800\n"),
    Row("duration-seconds-max", "duration_seconds = 43200 (STS's maximum)", R + "duration_seconds = 43200\n"),
    Row("duration-seconds-below-min", "duration_seconds = 600", R + "duration_seconds = 600\n",
        expect=Refuse(v1="valid min value: 900", x="outside what STS allows")),
    Row("duration-seconds-above-max", "duration_seconds = 43201", R + "duration_seconds = 43201\n",
        expect=Deliberate("xacct-cred checks STS's 900-43200 s range before sending; botocore sends 43201, which real STS rejects (moto does not)",
                          x_refuses_locally("DurationSeconds", "43201", "outside what STS allows"))),
    Row("duration-seconds-not-a-number", "duration_seconds = 1h", R + "duration_seconds = 1h\n",
        expect=Deliberate("botocore silently drops a duration_seconds that is not an integer (so the session lasts 3600 s); xacct-cred refuses it and names the line",
                          dropped_duration)),
    Row("mfa-serial", "mfa_serial: botocore reads the code from its prompt (stdin), xacct-cred from XACCT_CRED_TOKEN_CODE", R + "mfa_serial = {MFA}\n",
        env={"XACCT_CRED_TOKEN_CODE": CODE}),
    Row("credential-source-environment", "credential_source = Environment (keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
        "[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\nrole_session_name = s1\nregion = eu-west-1\n", credentials="",
        env={"AWS_ACCESS_KEY_ID": "{KEY2}", "AWS_SECRET_ACCESS_KEY": "{SECRET2}"}),
    Row("credential-source-ec2", "credential_source = Ec2InstanceMetadata (our IMDSv2 emulator)",
        "[profile r]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\nrole_session_name = s1\nregion = eu-west-1\n", credentials="",
        env={"AWS_EC2_METADATA_DISABLED": None, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "{IMDS}/"}),  # the CLI v2 2.9.19 needs the slash
    Row("credential-source-ecs", "credential_source = EcsContainer (AWS_CONTAINER_CREDENTIALS_FULL_URI on 127.0.0.1)",
        "[profile r]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\nrole_session_name = s1\nregion = eu-west-1\n", credentials="",
        env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{ECS}"}),
    Row("credential-source-lowercase", "credential_source = environment (not the documented spelling)",
        "[profile r]\nrole_arn = {ROLE}\ncredential_source = environment\nrole_session_name = s1\nregion = eu-west-1\n",
        env={"AWS_ACCESS_KEY_ID": "{KEY2}", "AWS_SECRET_ACCESS_KEY": "{SECRET2}"},
        expect=Refuse(v1='credential source "environment" referenced in profile "r" is not valid', x="is not a source xacct-cred knows")),
    Row("source-and-credential-source", "both source_profile and credential_source", R + "credential_source = Environment\n",
        expect=Refuse(v1="contains both source_profile and credential_source", x="both source_profile and credential_source are set")),
    Row("no-source", "role_arn without source_profile or credential_source", R.replace("source_profile = dev\n", ""),
        expect=Refuse(v1="missing: source_profile or credential_source", x="neither source_profile nor credential_source is set")),
    Row("missing-source-profile", "source_profile names a profile that does not exist", R.replace("source_profile = dev", "source_profile = nope"),
        expect=Refuse(v1='The source_profile "nope" referenced in the profile "r" does not exist', x="profile nope (source_profile in profile r) is not defined")),
    Row("source-profile-without-credentials", "source_profile names a profile with no credentials", R + "[profile dev]\nregion = eu-west-1\n", credentials="",
        expect=Refuse(v1='The source profile "dev" must have credentials', x="source_profile dev has no keys in the config files")),

    # --- region --------------------------------------------------------------------------------
    Row("no-region-anywhere", "no region in the profiles or the environment; default endpoint", R_NO_REGION,
        expect=Deliberate("xacct-cred always has a region (us-east-1 by default) and uses the regional endpoint; botocore with no region uses the global endpoint sts.amazonaws.com, signed for us-east-1 (the same region: only the host differs)",
                          global_vs_regional("us-east-1")),
        v2=Deliberate("as for the CLI v1", global_vs_regional("us-east-1"))),
    Row("region-only-on-source-profile", "only the source profile has a region; default endpoint", R_NO_REGION + "[profile dev]\nregion = sa-east-1\n",
        expect=Deliberate("documented in docs/COMPATIBILITY.md (region): xacct-cred falls back to the source profile's region; botocore reads only the role profile's (here none: global endpoint, us-east-1)",
                          global_vs_regional("sa-east-1")),
        v2=Deliberate("as for the CLI v1", global_vs_regional("sa-east-1"))),
    Row("region-only-on-source-profile-endpoint", "only the source profile has a region; AWS_ENDPOINT_URL_STS set", R_NO_REGION + "[profile dev]\nregion = sa-east-1\n", env=ENV_STS,
        expect=Deliberate("documented in docs/COMPATIBILITY.md (region): xacct-cred signs with the source profile's region; botocore, with an endpoint URL and no region of the role profile, refuses",
                          cli_refuses_for_want_of_region("sa-east-1")),
        v2=NOT_V2_ENDPOINTS),
    Row("aws-region", "AWS_REGION alone (no region in the profiles)", R_NO_REGION, env={"AWS_REGION": "eu-west-2"},
        expect=Deliberate("botocore 1.x reads only AWS_DEFAULT_REGION; xacct-cred reads AWS_REGION first, as the CLI v2 and every other SDK do",
                          global_vs_regional("eu-west-2")),
        v2=Agree()),
    Row("aws-default-region", "AWS_DEFAULT_REGION beats the profile's region", R, env={"AWS_DEFAULT_REGION": "ca-central-1"}),
    Row("aws-region-and-default-region", "AWS_REGION and AWS_DEFAULT_REGION both set, and the profile's region", R,
        env={"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "ca-central-1"},
        expect=Deliberate("botocore 1.x ignores AWS_REGION and signs for AWS_DEFAULT_REGION; xacct-cred (like the CLI v2 and the other SDKs) prefers AWS_REGION",
                          differ(regional("ca-central-1"), regional("eu-north-1"))),
        v2=Agree()),
    Row("aws-region-with-endpoint", "AWS_REGION alone, AWS_ENDPOINT_URL_STS set", R_NO_REGION, env={"AWS_REGION": "eu-west-2", **ENV_STS},
        expect=Deliberate("botocore 1.x ignores AWS_REGION, so with an endpoint URL it has no region and refuses; xacct-cred signs for AWS_REGION",
                          cli_refuses_for_want_of_region("eu-west-2")),
        v2=NOT_V2_ENDPOINTS),
    Row("sts-regional-endpoints-legacy", "sts_regional_endpoints = legacy in eu-west-1", R + "sts_regional_endpoints = legacy\n",
        expect=Deliberate("botocore 1.x sends the legacy global regions (eu-west-1 here) to sts.amazonaws.com signed for us-east-1; xacct-cred, like the AWS CLI v2 and every AWS SDK (regional only), sends to sts.eu-west-1.amazonaws.com: sts_regional_endpoints = legacy is deprecated and only the host differs", LEGACY),
        v2=Agree()),
    Row("aws-sts-regional-endpoints-legacy", "AWS_STS_REGIONAL_ENDPOINTS=legacy in eu-west-1", R, env={"AWS_STS_REGIONAL_ENDPOINTS": "legacy"},
        expect=Deliberate("as sts-regional-endpoints-legacy: AWS_STS_REGIONAL_ENDPOINTS=legacy is read by botocore 1.x only; xacct-cred, the CLI v2 and the SDKs stay regional", LEGACY),
        v2=Agree()),
    Row("sts-regional-endpoints-regional", "sts_regional_endpoints = regional in us-east-1", R.replace("eu-west-1", "us-east-1") + "sts_regional_endpoints = regional\n"),
    Row("sts-regional-endpoints-legacy-opt-in-region", "sts_regional_endpoints = legacy in ap-east-1 (not one of the legacy global regions)",
        R.replace("eu-west-1", "ap-east-1") + "sts_regional_endpoints = legacy\n"),
    Row("use-fips-endpoint", "use_fips_endpoint = true", R.replace("eu-west-1", "us-west-2") + "use_fips_endpoint = true\n"),
    Row("aws-use-fips-endpoint", "AWS_USE_FIPS_ENDPOINT=true", R.replace("eu-west-1", "us-west-2"), env={"AWS_USE_FIPS_ENDPOINT": "true"}),
    Row("aws-use-dualstack-endpoint", "AWS_USE_DUALSTACK_ENDPOINT=true", R.replace("eu-west-1", "us-west-2"), env={"AWS_USE_DUALSTACK_ENDPOINT": "true"}),
    Row("use-dualstack-endpoint", "use_dualstack_endpoint = true", R.replace("eu-west-1", "us-west-2") + "use_dualstack_endpoint = true\n"),

    # --- endpoints -----------------------------------------------------------------------------
    Row("aws-endpoint-url-sts", "AWS_ENDPOINT_URL_STS", R, env=ENV_STS, v2=NOT_V2_ENDPOINTS),
    Row("aws-endpoint-url", "AWS_ENDPOINT_URL", R, env={"AWS_ENDPOINT_URL": "{env-global}"}, v2=NOT_V2_ENDPOINTS),
    Row("endpoint-url", "endpoint_url in the role profile", R + "endpoint_url = {profile-endpoint}\n", v2=NOT_V2_ENDPOINTS),
    Row("services", "services section of the role profile (a continuation line: sts = / endpoint_url = ...)", R + SERVICES, v2=NOT_V2_ENDPOINTS),
    Row("aws-endpoint-url-sts-beats-services", "AWS_ENDPOINT_URL_STS and a services section", R + SERVICES, env=ENV_STS, v2=NOT_V2_ENDPOINTS),
    Row("aws-endpoint-url-and-services", "AWS_ENDPOINT_URL and a services section naming another STS (both send to AWS_ENDPOINT_URL)", R + SERVICES, env={"AWS_ENDPOINT_URL": "{env-global}"},
        v2=NOT_V2_ENDPOINTS),
    Row("aws-endpoint-url-beats-endpoint-url", "AWS_ENDPOINT_URL and the profile's endpoint_url", R + "endpoint_url = {profile-endpoint}\n", env={"AWS_ENDPOINT_URL": "{env-global}"}, v2=NOT_V2_ENDPOINTS),
    Row("services-beats-endpoint-url", "a services section and endpoint_url", R + "endpoint_url = {profile-endpoint}\n" + SERVICES, v2=NOT_V2_ENDPOINTS),
    Row("services-without-sts", "a services section with s3 only, and AWS_ENDPOINT_URL", R + "services = local\n[services local]\ns3 =\n  endpoint_url = {services}\n",
        env={"AWS_ENDPOINT_URL": "{env-global}"}, v2=NOT_V2_ENDPOINTS),
    Row("services-section-missing", "services = names a section that does not exist", R + "services = nope\n",
        expect=Refuse(v1='the "nope" services configuration does not exist', x="names a [services nope] section that does not exist"),
        v2=NOT_V2_ENDPOINTS),
    Row("ignore-configured-endpoint-urls", "ignore_configured_endpoint_urls = true in the profile, with AWS_ENDPOINT_URL_STS and endpoint_url set",
        R + "endpoint_url = {profile-endpoint}\nignore_configured_endpoint_urls = true\n", env=ENV_STS, v2=NOT_V2_ENDPOINTS),
    Row("aws-ignore-configured-endpoint-urls", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true with AWS_ENDPOINT_URL_STS and endpoint_url",
        R + "endpoint_url = {profile-endpoint}\n", env={"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", **ENV_STS}, v2=NOT_V2_ENDPOINTS),
    Row("ignore-configured-endpoint-urls-env-false", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false with ignore_configured_endpoint_urls = true in the profile",
        R + "endpoint_url = {profile-endpoint}\nignore_configured_endpoint_urls = true\n", env={"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
        v2=NOT_V2_ENDPOINTS),
    Row("endpoint-url-on-source-profile-only", "endpoint_url only in the source profile", R + "[profile dev]\nendpoint_url = {profile-endpoint}\n", v2=NOT_V2_ENDPOINTS),
    Row("endpoint-url-not-a-url", "endpoint_url = localhost:1 (no scheme)", R + "endpoint_url = localhost:1\n",
        expect=Refuse(v1="Invalid endpoint: localhost:1", x="is not an http(s) URL"), v2=NOT_V2_ENDPOINTS),

    # --- which profile, which files ------------------------------------------------------------
    Row("aws-profile", "AWS_PROFILE names the role profile (no --profile; xacct-cred run without --profile)", R, env={"AWS_PROFILE": "r"}, profile=None),
    Row("aws-default-profile", "AWS_DEFAULT_PROFILE names the role profile", R, env={"AWS_DEFAULT_PROFILE": "r"}, profile=None),
    Row("aws-default-profile-beats-aws-profile", "AWS_PROFILE=r and AWS_DEFAULT_PROFILE=r2 (r2 has session name s2)",
        R + R.replace("[profile r]", "[profile r2]").replace("s1", "s2"), env={"AWS_PROFILE": "r", "AWS_DEFAULT_PROFILE": "r2"}, profile=None,
        expect=Deliberate("botocore 1.x looks up AWS_DEFAULT_PROFILE before AWS_PROFILE (session s2); xacct-cred, like the AWS CLI v2, prefers AWS_PROFILE (s1) (the Rust and JS SDKs read only AWS_PROFILE)",
                          differ({"RoleSessionName": "s2"}, {"RoleSessionName": "s1"})),
        v2=Agree()),
    Row("implicit-default-profile", "no --profile, no AWS_PROFILE: the role keys are in [default] (both use it)", R.replace("[profile r]", "[default]"), profile=None),
    Row("default-section", "the role in [default], --profile default", R.replace("[profile r]", "[default]"), profile="default"),
    Row("profile-default-section", "the role in [profile default] of the config file", R.replace("[profile r]", "[profile default]"), profile="default"),
    Row("profile-default-then-default", "[profile default] (s1) followed by [default] (s2)",
        R.replace("[profile r]", "[profile default]") + R.replace("[profile r]", "[default]").replace("s1", "s2"), profile="default",
        expect=Deliberate("aws-config's profile parser (the Rust SDK's, which xacct-cred uses) always prefers [profile default] over [default] in the config file, whichever comes later (s1); botocore and the CLI v2 let the later section win (s2)",
                          differ({"RoleSessionName": "s2"}, {"RoleSessionName": "s1"}))),
    Row("config-files-with-tilde", "AWS_CONFIG_FILE=~/alt/config, AWS_SHARED_CREDENTIALS_FILE=~/alt/credentials, nothing in ~/.aws", R,
        config_path="alt/config", credentials_path="alt/credentials", env={"AWS_CONFIG_FILE": "~/alt/config", "AWS_SHARED_CREDENTIALS_FILE": "~/alt/credentials"}),
    Row("config-files-absolute", "AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE as absolute paths", R,
        config_path="alt/config", credentials_path="alt/credentials", env={"AWS_CONFIG_FILE": "{HOME}/alt/config", "AWS_SHARED_CREDENTIALS_FILE": "{HOME}/alt/credentials"}),
    Row("role-in-credentials-file", "the role keys in [r] of the credentials file; only region in the config file", "[profile r]\nregion = eu-west-1\n",
        credentials="[dev]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n[r]\nrole_arn = {ROLE}\nsource_profile = dev\nrole_session_name = s1\n"),
    Row("key-in-both-files", "role_session_name in both files: the credentials file wins", R,
        credentials="[dev]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n[r]\nrole_session_name = from-credentials\n"),
    Row("key-case", "ROLE_ARN / Source_Profile spelled in other cases", R.replace("role_arn", "ROLE_ARN").replace("source_profile", "Source_Profile")),
    Row("profile-name-case", "--profile R for [profile r]", R, profile="R",
        expect=Refuse(v1="The config profile (R) could not be found", x="profile R (--profile) is not defined")),
    Row("section-prefix-case", "[Profile r] instead of [profile r]", R.replace("[profile r]", "[Profile r]"),
        expect=Refuse(v1="The config profile (r) could not be found", x="profile r (--profile) is not defined")),
    Row("whitespace", "no spaces around =, trailing blanks and tabs, extra spaces in the section header",
        "[profile   r  ]\nrole_arn={ROLE}   \nsource_profile   =   dev\t\nrole_session_name\t= s1\nregion = eu-west-1  \n"),
    Row("indented-first-key", "the first key after the section header indented by a tab", R.replace("role_arn", "\trole_arn"),
        expect=Deliberate("aws-config's profile parser (the Rust SDK's, which xacct-cred uses) reads an indented first key as a continuation of nothing and rejects the file, naming the line, as the Rust SDK would; botocore's configparser reads it as a key",
                          cli_assumes_x_refuses("Expected a property definition, found continuation"))),
    Row("comments", "# and ; comment lines, also between keys", "# top\n; semicolon\n" + R.replace("region", "# role_session_name = nope\n; external_id = nope\nregion")),
    Row("inline-comment", "role_session_name = s1 # a comment", R.replace("s1\n", "s1 # a comment\n"),
        expect=Deliberate("aws-config's parser (and so xacct-cred) strips ' # comment'; botocore keeps it in the value and sends 's1 # a comment', which real STS rejects (a space is not allowed in a session name)",
                          differ({"RoleSessionName": "s1 # a comment"}, {"RoleSessionName": "s1"}))),
    Row("hash-without-space", "role_session_name = s1#x", R.replace("s1\n", "s1#x\n"),
        expect=Deliberate("xacct-cred checks the session name's characters before sending; botocore sends 's1#x', which real STS rejects (moto does not)",
                          x_refuses_locally("RoleSessionName", "s1#x", "would be rejected by STS"))),
    Row("continuation-line", "external_id = abc continued on an indented line", R + "external_id = abc\n  def\n",
        expect=Deliberate("both parsers join the lines with a newline; botocore sends ExternalId 'abc\\ndef', which real STS rejects; xacct-cred refuses it before sending",
                          x_refuses_locally("ExternalId", "abc\ndef", "external ID (external_id in profile r) would be rejected by STS"))),
    Row("quoted-profile-name", '[profile "r"]', R.replace("[profile r]", '[profile "r"]'),
        expect=Deliberate("aws-config's profile parser (the Rust SDK's, which xacct-cred uses) does not unquote section names, so [profile \"r\"] is not profile r, as in the Rust SDK; botocore splits section names with shlex",
                          cli_assumes_x_refuses("profile r (--profile) is not defined"))),
    Row("session-name-with-space", "role_session_name = a b", R.replace("s1", "a b"),
        expect=Deliberate("xacct-cred checks the session name before sending; botocore sends 'a b', which real STS rejects (moto does not)",
                          x_refuses_locally("RoleSessionName", "a b", "would be rejected by STS"))),

    # --- self-sourced, loops, chains -----------------------------------------------------------
    Row("self-sourced-static-keys", "a profile with static keys whose source_profile is itself",
        "[profile r]\nrole_arn = {ROLE}\nsource_profile = r\nrole_session_name = s1\nregion = eu-west-1\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n", credentials=""),
    Row("self-sourced-without-keys", "source_profile = itself, no keys", R.replace("source_profile = dev", "source_profile = r"),
        expect=Refuse(v1="Infinite loop in credential configuration detected", x="names itself as its source_profile")),
    Row("source-profile-loop", "r -> b -> r", R.replace("source_profile = dev", "source_profile = b") + "[profile b]\nrole_arn = {HOP}\nsource_profile = r\n",
        expect=Refuse(v1="Infinite loop in credential configuration detected", x="infinite loop")),
    Row("source-profile-loop-with-keys", "r -> b -> r where r also holds static keys",
        R.replace("source_profile = dev", "source_profile = b") + "aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n[profile b]\nrole_arn = {HOP}\nsource_profile = r\n", credentials="",
        expect=Refuse(v1="Infinite loop in credential configuration detected", x="infinite loop")),
    Row("role-profile-with-static-keys", "the role profile also holds static keys; source_profile = dev", R + "aws_access_key_id = {KEY2}\naws_secret_access_key = {SECRET2}\n"),
    Row("role-chaining", "source_profile is itself a role (hop), whose source has keys", R_CHAIN + HOP_PROFILE, credentials=U2),
    Row("role-chaining-hop-duration", "role chaining; the hop has duration_seconds and external_id", R_CHAIN + HOP_PROFILE + "duration_seconds = 1800\nexternal_id = hop-ext\n", credentials=U2,
        expect=Deliberate("the hop below the role is assumed by aws-config's profile provider, as the Rust SDK assumes it, which sends the hop's role_arn, external_id and role_session_name but not its duration_seconds (STS's 3600 s); botocore sends the hop's DurationSeconds 1800. The last call, xacct-cred's own, sends every key",
                          differ({"DurationSeconds": "1800"}, {"DurationSeconds": "3600"}, index=0))),
    # No XACCT_CRED_TOKEN_CODE here: with it, xacct-cred refuses at once (a code but no mfa_serial in r).
    Row("role-chaining-hop-mfa", "role chaining; the hop has mfa_serial", R_CHAIN + HOP_PROFILE + "mfa_serial = {MFA}\n", credentials=U2,
        expect=Deliberate("the hop below the role is assumed by aws-config's profile provider, as the Rust SDK assumes it, which ignores the hop's mfa_serial (no SerialNumber, no TokenCode); botocore prompts and sends both for the hop. xacct-cred's own call (the role profile's mfa_serial) does send them",
                          differ({"SerialNumber": MFA, "TokenCode": CODE}, {"SerialNumber": None, "TokenCode": None}, index=0))),
    Row("role-chaining-no-hop-session-name", "role chaining; the hop has no role_session_name", R_CHAIN + HOP_PROFILE.replace("role_session_name = hop1\n", ""), credentials=U2,
        expect=Deliberate("default session name of the hop: botocore-session-<unix time> in botocore, assume-role-from-profile-<ms> in aws-config (which assumes the hop for xacct-cred)",
                          differ({"RoleSessionName": re.compile(r"botocore-session-\d+")}, {"RoleSessionName": re.compile(r"assume-role-from-profile-\d+")}, index=0))),
    Row("role-chaining-hop-endpoint", "role chaining; the hop has its own region and endpoint_url, the role profile neither endpoint nor AWS_ENDPOINT_URL*",
        R_CHAIN + HOP_PROFILE + "region = sa-east-1\nendpoint_url = {profile-endpoint}\n", credentials=U2,
        expect=Deliberate("the hop below the role is assumed by aws-config's profile provider, as the Rust SDK assumes it, at the hop profile's own endpoint_url (profile-endpoint); botocore assumes every hop with the top profile's configuration (the regional eu-west-1 endpoint). Both sign with eu-west-1",
                          differ({"endpoint": "https://sts.eu-west-1.amazonaws.com"}, {"endpoint": "profile-endpoint"}, index=0)),
        v2=NOT_V2_ENDPOINTS),
    Row("role-chaining-top-endpoint", "role chaining; only the role profile has endpoint_url", R_CHAIN + "endpoint_url = {profile-endpoint}\n" + HOP_PROFILE, credentials=U2,
        expect=Deliberate("the hop below the role is assumed by aws-config's profile provider, as the Rust SDK assumes it, at the default regional endpoint (the hop profile has no endpoint_url); botocore sends both hops to the role profile's endpoint_url. xacct-cred's own last call goes to profile-endpoint in both",
                          differ({"endpoint": "profile-endpoint"}, {"endpoint": "https://sts.eu-west-1.amazonaws.com"}, index=0)),
        v2=NOT_V2_ENDPOINTS),
    Row("role-chaining-aws-endpoint-url-sts", "role chaining with AWS_ENDPOINT_URL_STS", R_CHAIN + HOP_PROFILE, credentials=U2, env=ENV_STS, v2=NOT_V2_ENDPOINTS),
    Row("source-with-keys-and-role", "the source profile has static keys and a role_arn (no source of its own): both use its keys, no chaining",
        R_CHAIN + "[profile hop]\nrole_arn = {HOP}\naws_access_key_id = {KEY2}\naws_secret_access_key = {SECRET2}\n", credentials=""),

    # --- web identity, credential_process ----------------------------------------------------
    Row("web-identity-role-profile", "role_arn + web_identity_token_file in the role profile itself",
        "[profile r]\nrole_arn = {HOP}\nweb_identity_token_file = {HOME}/web-identity-token\nrole_session_name = w1\nregion = eu-west-1\n", credentials="",
        expect=Deliberate("xacct-cred assumes roles from a source credential and does not call AssumeRoleWithWebIdentity for the role profile itself: it refuses with a hint (the AWS CLI and SDKs assume such a profile natively; as a source_profile it works, see web-identity-source); botocore calls AssumeRoleWithWebIdentity",
                          cli_assumes_x_refuses("assumes its role with a web identity token", action="AssumeRoleWithWebIdentity"))),
    Row("web-identity-source", "source_profile is a web identity profile (AssumeRoleWithWebIdentity, then AssumeRole)",
        R.replace("source_profile = dev", "source_profile = wi") + "[profile wi]\nrole_arn = {HOP}\nweb_identity_token_file = {HOME}/web-identity-token\nrole_session_name = w1\n", credentials=""),
    Row("web-identity-token-file-with-tilde", "as web-identity-source, with web_identity_token_file = ~/web-identity-token",
        R.replace("source_profile = dev", "source_profile = wi") + "[profile wi]\nrole_arn = {HOP}\nweb_identity_token_file = ~/web-identity-token\nrole_session_name = w1\n", credentials="",
        expect=Refuse(v1="No such file or directory: '~/web-identity-token'", x="No such file or directory")),
    Row("credential-process-source", "source_profile with credential_process", R + "[profile dev]\ncredential_process = {HOME}/source-credentials.sh\n", credentials=""),
    Row("credential-process-with-tilde", "source_profile with credential_process = ~/source-credentials.sh", R + "[profile dev]\ncredential_process = ~/source-credentials.sh\n", credentials="",
        expect=Deliberate("inherited from aws-config, which runs a source's credential_process through sh -c (so ~ expands); botocore splits the line itself and runs it without a shell, and finds no file '~/source-credentials.sh'. xacct-cred accepting it is harmless",
                          cli_refuses("No such file or directory: '~/source-credentials.sh'", "diff-chain-user"))),
]

V2_ROWS = [r for r in ROWS if not isinstance(r.v2, str) or r.v2 == "same"]


# ---------------------------------------------------------------------------------------------
# Running the rows.

@dataclasses.dataclass
class Run:
    rc: int
    raw_calls: list
    calls: list  # normalised: what is compared
    stderr: str
    connects: list

    @property
    def ok(self):
        return self.rc == 0

    def show(self):
        return f"exit {self.rc}\n  calls: {json.dumps(self.calls, indent=None)}\n  stderr: {self.stderr.strip()[-700:]}"


def normalise(call):
    c = dict(call)
    c.setdefault("DurationSeconds", "3600")  # STS's default when botocore leaves it out
    return c


class Ecs:
    """The container credentials endpoint: serves the instance role's session as JSON."""

    def __init__(self, credentials):
        body = json.dumps({**credentials, "RoleArn": f"arn:aws:iam::{DEV}:role/{scenario.EC2_ROLE_NAME}"}).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200 if self.path == "/creds" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/creds"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Lab:
    """What every run shares: moto (from the world), the extra identities, the CA, the key book."""

    def __init__(self, world, binary, directory):
        self.world, self.binary, self.dir = world, binary, directory
        s = world.secrets
        self.ca = LocalCA(os.path.join(directory, "ca"))
        self.admin = {acct: boto3.client("sts", endpoint_url=world.moto.url, region_name="us-east-1",
                                         aws_access_key_id=s["admin"][acct]["id"], aws_secret_access_key=s["admin"][acct]["secret"]) for acct in (DEV, PROD)}
        iam = boto3.client("iam", endpoint_url=world.moto.url, region_name="us-east-1",
                           aws_access_key_id=s["admin"][DEV]["id"], aws_secret_access_key=s["admin"][DEV]["secret"])
        # The first hop of the chains and the web identity role. moto checks same-account trust
        # policies against the caller's exact ARN, so the principals are named one by one.
        iam.create_user(UserName="diff-chain-user")
        iam.put_user_policy(UserName="diff-chain-user", PolicyName="assume", PolicyDocument=scenario.policy(scenario.allow("sts:AssumeRole", [ROLE, HOP])))
        key = iam.create_access_key(UserName="diff-chain-user")["AccessKey"]
        iam.create_role(RoleName=HOP_NAME, AssumeRolePolicyDocument=scenario.policy(scenario.allow(
            "sts:AssumeRole", None, {"AWS": [f"arn:aws:iam::{DEV}:user/diff-chain-user", f"arn:aws:iam::{DEV}:user/admin"]})))
        iam.put_role_policy(RoleName=HOP_NAME, PolicyName="assume", PolicyDocument=scenario.policy(scenario.allow("sts:AssumeRole", [ROLE])))
        self.key2, self.secret2 = key["AccessKeyId"], key["SecretAccessKey"]
        self.key_names = {s["user_key_id"]: "asi-dev", self.key2: "diff-chain-user", s["instance"]["AccessKeyId"]: "instance-role"}
        self.ecs = Ecs(s["instance"])

    def stop(self):
        self.ecs.stop()

    def web_identity(self, role_arn, session_name, duration):
        """A real moto session of the role, for the recorder's AssumeRoleWithWebIdentity answer."""
        account = role_arn.split(":")[4]
        c = self.admin[account].assume_role(RoleArn=role_arn, RoleSessionName=session_name or "web-identity", DurationSeconds=duration)["Credentials"]
        creds = {"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"], "SessionToken": c["SessionToken"],
                 "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}
        return creds, f"arn:aws:sts::{account}:assumed-role/{role_arn.split('/')[-1]}/{session_name}"

    def env(self, home, recorder, row):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "XACCT_CRED_")) and "proxy" not in k.lower() and k not in ("SSL_CERT_DIR", "USERNAME")}
        env.update({
            "HOME": home, "USER": LOCAL_USER, "LOGNAME": LOCAL_USER,
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
            "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true",
            # Default AWS endpoints reach the recorder's proxy; its CA is the only one trusted.
            "HTTPS_PROXY": recorder.proxy_url, "https_proxy": recorder.proxy_url,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "AWS_CA_BUNDLE": self.ca.pem, "SSL_CERT_FILE": self.ca.pem,
            "XACCT_CRED_CACHE_DIR": os.path.join(home, "xacct-cred-cache"),
        })
        for k, v in row.env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = self.fill(v, home, recorder)
        return env

    def fill(self, text, home, recorder):
        s = self.world.secrets
        values = {"ROLE": ROLE, "HOP": HOP, "MFA": MFA, "HOME": home, "KEY": s["user_key_id"], "SECRET": s["user_secret"],
                  "KEY2": self.key2, "SECRET2": self.secret2, "IMDS": self.world.imds.url, "ECS": self.ecs.url, **recorder.urls}
        return re.sub(r"\{([A-Za-z0-9-]+)\}", lambda m: values[m.group(1)], text)

    def run(self, row, side):
        """side: 'v1' or 'v2' (the CLI assumes the role itself) or 'x' (through xacct-cred)."""
        recorder = Recorder(self.world.moto.url, self.key_names, self.web_identity, self.ca, LABELS)
        home = tempfile.mkdtemp(prefix=f"{row.id}-{side}-", dir=self.dir)
        try:
            config = self.fill(row.config, home, recorder)
            if side == "x":
                flag = f" --profile {row.profile}" if row.profile else ""
                config += f"\n[profile {WRAPPER}]\ncredential_process = {self.binary}{flag}\nregion = us-east-1\n"
            for rel, text in ((row.config_path, config), (row.credentials_path, self.fill(row.credentials, home, recorder))):
                path = os.path.join(home, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
            with open(os.path.join(home, "web-identity-token"), "w") as f:
                f.write("eyJhbGciOiJub25lIn0.eyJzdWIiOiJlMmUifQ.")
            script = os.path.join(home, "source-credentials.sh")
            with open(script, "w") as f:
                f.write("#!/bin/sh\nprintf '%s' '" + json.dumps({"Version": 1, "AccessKeyId": self.key2, "SecretAccessKey": self.secret2}) + "'\n")
            os.chmod(script, stat.S_IRWXU)
            cli = aws_v2() if side == "v2" else aws_v1()
            profile = ["--profile", WRAPPER] if side == "x" else (["--profile", row.profile] if row.profile else [])
            # start_new_session: no controlling terminal, so botocore's MFA prompt reads stdin.
            p = subprocess.run([cli, "sts", "get-caller-identity", *profile, "--endpoint-url", recorder.urls["outer"], "--output", "json"],
                               env=self.env(home, recorder, row), input=f"{CODE}\n{CODE}\n", capture_output=True, text=True, timeout=90,
                               start_new_session=True)
        finally:
            recorder.stop()
            shutil.rmtree(home, ignore_errors=True)
        raw = recorder.role_calls()
        return Run(p.returncode, raw, [normalise(c) for c in raw], p.stderr, list(recorder.connects))


@pytest.fixture(scope="module")
def results(world, binary, tmp_path_factory, request):
    """The selected rows (all of them unless -k narrows it) through their clients, concurrently;
    {(row id, side): Run}."""
    assert os.access(aws_v2(), os.X_OK), f"the AWS CLI v2 is missing ({aws_v2()}); scripts/setup-test-deps.sh installs it"
    wanted = set()
    for item in request.session.items:
        row = getattr(item, "callspec", None) and item.callspec.params.get("row")
        if row:
            wanted |= {(row.id, "v2" if item.originalname == "test_cli_v2_vs_xacct_cred" else "v1"), (row.id, "x")}
    jobs = [(row, side) for row in ROWS for side in ("v1", "x")] + [(row, "v2") for row in V2_ROWS]
    jobs = [(row, side) for row, side in jobs if not wanted or (row.id, side) in wanted]
    lab = Lab(world, binary, str(tmp_path_factory.mktemp("differential")))
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=int(os.environ.get("XACCT_E2E_DIFF_WORKERS", "6"))) as pool:
            futures = {(row.id, side): pool.submit(lab.run, row, side) for row, side in jobs}
        out = {k: f.result() for k, f in futures.items()}
        if os.environ.get("XACCT_E2E_DIFF_DUMP"):  # for regenerating the README's table
            with open(os.environ["XACCT_E2E_DIFF_DUMP"], "w") as f:
                json.dump({f"{row} {side}": dataclasses.asdict(run) for (row, side), run in out.items()}, f, indent=1)
        yield out
    finally:
        lab.stop()


def compare(row, expect, cli, x, cli_name):
    context = f"\n{cli_name} (its own role assumption): {cli.show()}\nxacct-cred: {x.show()}"
    if isinstance(expect, (Agree, Difference)):
        if isinstance(expect, Agree):
            assert cli.ok and cli.calls, "the row must assume the role" + context
            for run in (cli, x):
                assert all(c.get("status") == 200 for c in run.calls), "every role call succeeded" + context
        assert cli.calls == x.calls, "the same role calls" + context
        assert cli.ok == x.ok, "both succeed or both fail" + context
    elif isinstance(expect, Refuse):
        assert not cli.ok and cli.calls == [] and expect.v1 in cli.stderr, f"{cli_name} refuses: {expect.v1!r}" + context
        assert not x.ok and x.calls == [] and expect.x in x.stderr, f"xacct-cred refuses: {expect.x!r}" + context
    elif isinstance(expect, Deliberate):
        try:
            expect.check(cli, x)
        except AssertionError as e:
            raise AssertionError(f"the deliberate difference ({expect.reason}) is not what the row says: {e}" + context) from None
    else:
        raise AssertionError(f"unknown expectation {expect!r}")


def params(rows, v2=False):
    out = []
    for row in rows:
        expect = row.expect if not v2 or row.v2 == "same" else row.v2
        marks = [pytest.mark.xfail(strict=True, reason="difference: " + expect.reason)] if isinstance(expect, Difference) else []
        out.append(pytest.param(row, expect, id=row.id, marks=marks))
    return out


def test_the_table_has_at_least_40_distinct_rows():
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)) and len(ids) >= 40


@pytest.mark.parametrize("row,expect", params(ROWS))
def test_cli_v1_vs_xacct_cred(row, expect, results):
    compare(row, expect, results[(row.id, "v1")], results[(row.id, "x")], "AWS CLI v1")


@pytest.mark.parametrize("row,expect", params(V2_ROWS, v2=True))
def test_cli_v2_vs_xacct_cred(row, expect, results):
    compare(row, expect, results[(row.id, "v2")], results[(row.id, "x")], "AWS CLI v2")


def test_no_run_reached_beyond_the_recorders(results):
    """Every default-endpoint request went through the recording proxy to a host of AWS's STS."""
    assert any(run.connects for run in results.values()), "some rows use the default endpoints"
    for (row, side), run in results.items():
        for hostport in run.connects:
            assert re.fullmatch(r"sts(-fips)?(\.[a-z0-9-]+)?\.(amazonaws\.com|api\.aws):443", hostport), (row, side, hostport)
