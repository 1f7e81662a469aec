// Command s3put uploads a file to S3 with aws-sdk-go-v2's multipart upload
// (batchgate's own s3store, the same SDK calls and part size the gateway
// uses), as the baseline the gateway's upload is compared with.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/internal/s3store"
)

func main() {
	endpoint := flag.String("endpoint", "", "S3 endpoint URL")
	bucket := flag.String("bucket", "", "bucket")
	key := flag.String("key", "baseline.jsonl", "object key")
	file := flag.String("file", "", "file to upload")
	flag.Parse()

	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(*endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")})
	f, err := os.Open(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	start := time.Now()
	n, err := s3store.New(client).Put(context.Background(), *bucket, *key, f, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d %.3f\n", n, time.Since(start).Seconds())
}
