package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/batchgate/batchgate/internal/logctx"
)

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil))).With("component", "gw")
	ctx := logctx.WithRequestID(context.Background(), "req_1")
	log.InfoContext(ctx, "with id", "k", "v")
	log.Info("without id")
	dec := json.NewDecoder(&buf)
	var a, b map[string]any
	if err := dec.Decode(&a); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&b); err != nil {
		t.Fatal(err)
	}
	if a["request_id"] != "req_1" || a["component"] != "gw" || a["k"] != "v" {
		t.Errorf("record with context: %v", a)
	}
	if _, ok := b["request_id"]; ok {
		t.Errorf("record without context has a request id: %v", b)
	}
	if logctx.RequestID(context.Background()) != "" {
		t.Error("empty context has a request id")
	}
}
