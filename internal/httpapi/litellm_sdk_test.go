package httpapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestLiteLLMTargetFromGoSDK: the OpenAI Go SDK sends target_model_names as
// a form field after the file when set with SetExtraFields (the lines may
// then name any model). option.WithJSONSet on an upload replaces the whole
// multipart body with a JSON object, losing the file: the 400 says so and
// what to use instead.
func TestLiteLLMTargetFromGoSDK(t *testing.T) {
	e := startLiteLLM(t, "seed.yaml", liteLLMOptions{vars: map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}})
	client := openai.NewClient(option.WithBaseURL(e.url+"/v1/"), option.WithAPIKey(e.key), option.WithMaxRetries(0))
	ctx := context.Background()
	file := readFixture(t, liteLLMFixture)

	params := openai.FileNewParams{File: strings.NewReader(file), Purpose: openai.FilePurposeBatch}
	params.SetExtraFields(map[string]any{"target_model_names": "bedrock-batch-claude"})
	f, err := client.Files.New(ctx, params)
	if err != nil {
		t.Fatalf("SetExtraFields upload: %v", err)
	}
	if f.Bytes != int64(len(file)) {
		t.Errorf("bytes = %d, want %d", f.Bytes, len(file))
	}

	_, err = client.Files.New(ctx, openai.FileNewParams{File: strings.NewReader(file), Purpose: openai.FilePurposeBatch},
		option.WithJSONSet("target_model_names", "bedrock-batch-claude"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "WithJSONSet") || !strings.Contains(apiErr.Message, "SetExtraFields") {
		t.Errorf("WithJSONSet upload: %v, want a 400 explaining the lost file and SetExtraFields", err)
	}
}
