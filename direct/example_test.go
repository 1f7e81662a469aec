package direct_test

import (
	"context"
	"log"
	"os"

	"github.com/batchgate/batchgate/direct"
)

// Read a finished job's output folder with the caller's AWS credentials and
// print it as OpenAI batch output lines.
func Example() {
	ctx := context.Background()
	rc, err := direct.Open(ctx, "s3://my-batch/litellm-batch-outputs/fxwjh9qklkqn/", direct.Options{Region: "us-west-2"})
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	err = direct.ToOpenAI(rc, os.Stdout, direct.ConvertOptions{
		ModelID: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		Model:   "bedrock-batch-claude",
		Lines:   direct.OutputLines, // successes only; direct.ErrorLines for the failures
	})
	if err != nil {
		log.Fatal(err)
	}
}
