// Package direct reads Amazon Bedrock batch inference output straight from
// S3 with the caller's own AWS credentials and region, bypassing the gateway
// (the "LiteLLM Direct" path of file_content(..., custom_llm_provider="bedrock")).
//
// A Bedrock batch job writes {outputS3Uri}/{jobId}/{inputFileName}.out, one
// JSON line per record, and a manifest.json.out with its counts. Open reads
// one such object, or every output object of a folder as one stream; ToOpenAI
// converts the Bedrock lines to OpenAI batch output lines:
//
//	rc, err := direct.Open(ctx, "s3://my-batch/out/fxwjh9qklkqn/", direct.Options{Region: "us-west-2"})
//	if err != nil {
//		return err
//	}
//	defer rc.Close()
//	err = direct.ToOpenAI(rc, os.Stdout, direct.ConvertOptions{ModelID: "us.anthropic.claude-3-5-sonnet-20240620-v1:0"})
//
// Credentials come from the SDK's standard chain (environment, shared config
// and SSO, instance roles), exactly as for the AWS CLI.
package direct

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Manifest is the name of the summary object Bedrock writes next to the output.
const Manifest = "manifest.json.out"

// Options say how to reach S3. The zero value uses the SDK's defaults.
type Options struct {
	// Region of the bucket. Default: AWS_REGION or the profile's region, else us-east-1.
	Region string
	// Profile is a shared config profile (as AWS_PROFILE). Default: the SDK's.
	Profile string
	// Endpoint overrides the S3 endpoint (an S3-compatible store, a VPC
	// endpoint). AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL work as well.
	// Path-style addressing is used whenever the endpoint is overridden.
	Endpoint string
	// Client, when set, is used as is and the fields above are ignored.
	Client *s3.Client
	// Bucket is FileContent's: the output bucket of the batch's model
	// ("bucket" or "bucket/prefix", as s3_bucket_name in the config).
	Bucket string
}

// ErrNotFound is returned (wrapped) when the URI names neither an object nor
// a folder holding output objects.
var ErrNotFound = errors.New("no such S3 object or output folder")

// NewClient returns the S3 client Open uses for opts.
func NewClient(ctx context.Context, opts Options) (*s3.Client, error) {
	if opts.Client != nil {
		return opts.Client, nil
	}
	var lo []func(*awsconfig.LoadOptions) error
	if opts.Region != "" {
		lo = append(lo, awsconfig.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		lo = append(lo, awsconfig.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// S3-compatible stores often send no checksums; the SDK would log
		// that on every GetObject, into the caller's stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		// S3-compatible servers need path-style addressing, and whoever
		// overrides the endpoint is talking to one (or to an endpoint that accepts it).
		if opts.Endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.UsePathStyle = true
		}
	}), nil
}

// ParseURI splits s3://bucket/key into its bucket and key. The key may be
// empty or end in "/" (a folder).
func ParseURI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://bucket/key URI", uri)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q has no bucket", uri)
	}
	return bucket, key, nil
}

// Objects returns the keys Open reads for uri, in order: the object itself,
// or, for a folder (a URI ending in "/", or one that names no object), every
// "*.out" object below it except manifest.json.out, sorted by key. A job's
// folder is {outputS3Uri}/{jobId}/; a folder above it yields every job's output.
func Objects(ctx context.Context, uri string, opts Options) ([]string, error) {
	client, err := NewClient(ctx, opts)
	if err != nil {
		return nil, err
	}
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return objects(ctx, client, bucket, key)
}

func objects(ctx context.Context, client *s3.Client, bucket, key string) ([]string, error) {
	if key != "" && !strings.HasSuffix(key, "/") {
		_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			return []string{key}, nil
		}
		if !isNotFound(err) {
			return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
		}
		key += "/"
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, key, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if strings.HasSuffix(k, ".out") && path.Base(k) != Manifest {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("s3://%s/%s: %w", bucket, strings.TrimSuffix(key, "/"), ErrNotFound)
	}
	sort.Strings(keys)
	return keys, nil
}

// Open returns the content of an S3 object, or of every output object of a
// folder concatenated (see Objects), as Bedrock wrote it. Objects are fetched
// one after the other while the stream is read; each is separated from the
// next by a newline when it does not end with one.
func Open(ctx context.Context, uri string, opts Options) (io.ReadCloser, error) {
	client, err := NewClient(ctx, opts)
	if err != nil {
		return nil, err
	}
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	keys, err := objects(ctx, client, bucket, key)
	if err != nil {
		return nil, err
	}
	r := &reader{ctx: ctx, client: client, bucket: bucket, keys: keys}
	// Open the first object now, so that access errors surface here.
	if err := r.next(); err != nil {
		return nil, err
	}
	return r, nil
}

// reader streams several objects in turn.
type reader struct {
	ctx    context.Context
	client *s3.Client
	bucket string
	keys   []string // still to open
	body   io.ReadCloser
	last   byte // the last byte read from the current object
	sep    bool // a newline is owed before the next object
}

func (r *reader) next() error {
	if r.body != nil {
		r.body.Close()
		r.body = nil
		r.sep = r.last != '\n' && r.last != 0 && len(r.keys) > 0
		r.last = 0
	}
	if len(r.keys) == 0 {
		return io.EOF
	}
	key := r.keys[0]
	r.keys = r.keys[1:]
	out, err := r.client.GetObject(r.ctx, &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("s3://%s/%s: %w", r.bucket, key, ErrNotFound)
		}
		return fmt.Errorf("get s3://%s/%s: %w", r.bucket, key, err)
	}
	r.body = out.Body
	return nil
}

func (r *reader) Read(p []byte) (int, error) {
	for {
		if len(p) == 0 {
			return 0, nil
		}
		if r.sep {
			p[0], r.sep = '\n', false
			return 1, nil
		}
		if r.body == nil {
			return 0, io.EOF
		}
		n, err := r.body.Read(p)
		if n > 0 {
			r.last = p[n-1]
		}
		if err == io.EOF {
			if nerr := r.next(); nerr != nil && nerr != io.EOF {
				return n, nerr
			}
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

func (r *reader) Close() error {
	r.keys = nil
	if r.body != nil {
		err := r.body.Close()
		r.body = nil
		return err
	}
	return nil
}

func isNotFound(err error) bool {
	var nk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf)
}
