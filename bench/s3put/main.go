// Command s3put uploads a file to S3 with aws-sdk-go-v2's multipart upload
// (batchgate's own s3store, the same SDK calls and part size the gateway
// uses), as the baseline the gateway's upload is compared with. With -get it
// instead downloads an object (to /dev/null), the download baseline.
// It prints the bytes moved and the seconds taken.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
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
	part := flag.Int("part", 0, "part size in bytes (default: s3store's)")
	get := flag.Bool("get", false, "download bucket/key instead (a key ending in / downloads every Bedrock output object under it but manifests)")
	flag.Parse()

	// The same client options as the gateway's (internal/awsconf).
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(*endpoint), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	ctx := context.Background()
	store := s3store.New(client)
	store.PartSize = *part
	start := time.Now()
	var n int64
	var err error
	if *get {
		n, err = download(ctx, store, *bucket, *key)
	} else {
		var f *os.File
		if f, err = os.Open(*file); err == nil {
			defer f.Close()
			n, err = store.Put(ctx, *bucket, *key, f, "")
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d %.3f\n", n, time.Since(start).Seconds())
}

func download(ctx context.Context, store *s3store.Store, bucket, key string) (int64, error) {
	keys := []string{key}
	if key == "" || key[len(key)-1] == '/' {
		objs, err := store.List(ctx, bucket, key)
		if err != nil {
			return 0, err
		}
		keys = keys[:0]
		for _, o := range objs {
			// Bedrock's output objects only: not the manifest, nor the
			// OpenAI form batchgate writes beside them.
			if strings.HasSuffix(o.Key, ".out") && !strings.HasSuffix(o.Key, "manifest.json.out") {
				keys = append(keys, o.Key)
			}
		}
	}
	var total int64
	for _, k := range keys {
		rc, err := store.Get(ctx, bucket, k)
		if err != nil {
			return total, err
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
