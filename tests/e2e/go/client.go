// The AWS SDK for Go v2 (what Terraform's AWS provider is built on) as an app uses it, built
// from Debian's golang-github-aws-aws-sdk-go-v2-dev in GOPATH mode (go_client.py builds it).
// That version (config 1.17) reads no AWS_ENDPOINT_URL*, so the endpoints are passed to the
// clients explicitly, from AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL.
//
// Usage:
//
//	client PROFILE ls|get KEY|put KEY|whoami   the profile's credential_process (xacct-cred)
//	client --endpoint CALLS SECONDS            the default chain: AWS_CONTAINER_CREDENTIALS_FULL_URI
//	                                           and AWS_CONTAINER_AUTHORIZATION_TOKEN; CALLS
//	                                           GetCallerIdentity calls with one client, SECONDS
//	                                           apart; prints each Arn, or "ERROR: …" and exits 1
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const bucket = "asi-production-bucket"

func fail(err error) {
	fmt.Fprintf(os.Stderr, "%v\n", err)
	os.Exit(1)
}

func stsClient(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		if url := os.Getenv("AWS_ENDPOINT_URL_STS"); url != "" {
			o.EndpointResolver = sts.EndpointResolverFromURL(url)
		}
	})
}

func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		if url := os.Getenv("AWS_ENDPOINT_URL"); url != "" {
			o.EndpointResolver = s3.EndpointResolverFromURL(url)
		}
	})
}

func endpointLoop(ctx context.Context, calls int, seconds float64) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		fmt.Printf("ERROR: %v\n", err)
		os.Exit(1)
	}
	client := stsClient(cfg)
	for i := 0; i < calls; i++ {
		if i > 0 {
			time.Sleep(time.Duration(seconds * float64(time.Second)))
		}
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			fmt.Printf("ERROR: %v\n", err)
			os.Exit(1)
		}
		fmt.Println(aws.ToString(out.Arn))
	}
}

func main() {
	ctx := context.Background()
	args := os.Args[1:]
	if len(args) == 3 && args[0] == "--endpoint" {
		calls, err1 := strconv.Atoi(args[1])
		seconds, err2 := strconv.ParseFloat(args[2], 64)
		if err1 != nil || err2 != nil {
			fail(fmt.Errorf("usage: client --endpoint CALLS SECONDS"))
		}
		endpointLoop(ctx, calls, seconds)
		return
	}
	if len(args) < 2 {
		fail(fmt.Errorf("usage: client PROFILE ls|get KEY|put KEY|whoami"))
	}
	profile, op, key := args[0], args[1], ""
	if len(args) > 2 {
		key = args[2]
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile), config.WithRegion("us-east-1"))
	if err != nil {
		fail(err)
	}
	switch op {
	case "ls":
		out, err := s3Client(cfg).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			fail(err)
		}
		for _, o := range out.Contents {
			fmt.Println(aws.ToString(o.Key))
		}
	case "get":
		out, err := s3Client(cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			fail(err)
		}
		defer out.Body.Close()
		if _, err := io.Copy(os.Stdout, out.Body); err != nil {
			fail(err)
		}
	case "put":
		_, err := s3Client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("written by go")})
		if err != nil {
			fail(err)
		}
		fmt.Println("written")
	case "whoami":
		out, err := stsClient(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			fail(err)
		}
		fmt.Println(aws.ToString(out.Arn))
	default:
		fail(fmt.Errorf("unknown operation %q", op))
	}
}
