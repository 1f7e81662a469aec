package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate/internal/local"
)

const model = local.ModelName

func TestUploadFieldOrders(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	file := lines(3, model)
	tests := []struct {
		name  string
		parts []part
	}{
		{"FieldsFirst", []part{{"purpose", "batch"}, {"target_model_names", model}, {"file", file}}},
		{"FieldsAfterFile", []part{{"file", file}, {"purpose", "batch"}, {"target_model_names", model}}},
		{"ExtraBodyAsInSpecCurl", []part{{"purpose", "batch"}, {"file", file}, {"extra_body", `{"target_model_names": "` + model + `"}`}}},
		{"ArrayForm", []part{{"purpose", "batch"}, {"target_model_names[]", model}, {"file", file}}},
		{"InferredFromLines", []part{{"purpose", "batch"}, {"file", file}}},
		{"DeploymentIDAsTarget", []part{{"purpose", "batch"}, {"file", file}, {"target_model_names", "bedrock/" + local.ModelID}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(key, tt.parts...)
			var f struct {
				ID, Object, Purpose, Filename string
				Bytes                         int64
			}
			r.json(t, &f)
			if r.status != 200 || !strings.HasPrefix(f.ID, "file-") || f.Object != "file" || f.Purpose != "batch" || f.Bytes != int64(len(file)) {
				t.Errorf("status=%d file=%+v (body %s)", r.status, f, r.body)
			}
		})
	}
}

func TestUploadRejectsBadFiles(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	ok := line("a", model, "hi")
	tests := []struct {
		name      string
		parts     []part
		status    int
		param     string
		line      int
		substring string
	}{
		{"ErrNotJSON", []part{{"purpose", "batch"}, {"file", ok + "\n{not json\n"}}, 400, "", 2, ""},
		{"ErrDuplicateCustomID", []part{{"purpose", "batch"}, {"file", ok + "\n" + ok + "\n"}}, 400, "custom_id", 2, "line 1"},
		{"ErrWrongModel", []part{{"purpose", "batch"}, {"file", ok + "\n" + line("b", "gpt-4o", "hi") + "\n"}}, 400, "body.model", 2, "gpt-4o"},
		{"ErrEmptyFile", []part{{"purpose", "batch"}, {"file", "\n\n"}}, 400, "file", 0, "empty"},
		{"ErrNoFile", []part{{"purpose", "batch"}}, 400, "file", 0, "no file"},
		{"ErrPurpose", []part{{"purpose", "fine-tune"}, {"file", ok}}, 400, "purpose", 0, "fine-tune"},
		{"ErrPurposeAfterFile", []part{{"file", ok}, {"purpose", "assistants"}}, 400, "purpose", 0, "assistants"},
		{"ErrMissingPurpose", []part{{"file", ok}}, 400, "purpose", 0, "required"},
		{"ErrUnknownTarget", []part{{"purpose", "batch"}, {"target_model_names", "nope"}, {"file", ok}}, 400, "target_model_names", 0, "nope"},
		{"ErrTargetMismatchAfterFile", []part{{"purpose", "batch"}, {"file", ok}, {"target_model_names", "bedrock/other-model"}}, 400, "target_model_names", 0, "does not match"},
		{"ErrSeveralTargets", []part{{"purpose", "batch"}, {"target_model_names", model + ",x"}, {"file", ok}}, 400, "target_model_names", 0, "one model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(key, tt.parts...)
			var ae apiError
			r.json(t, &ae)
			if r.status != tt.status || ae.Error.Type != "invalid_request_error" || ae.Error.Message == "" {
				t.Fatalf("status=%d body=%s, want %d invalid_request_error", r.status, r.body, tt.status)
			}
			if tt.param != "" && (ae.Error.Param == nil || *ae.Error.Param != tt.param) {
				t.Errorf("param=%v, want %q (body %s)", ae.Error.Param, tt.param, r.body)
			}
			if ae.Error.Line != tt.line {
				t.Errorf("line=%d, want %d (body %s)", ae.Error.Line, tt.line, r.body)
			}
			if !strings.Contains(strings.ToLower(ae.Error.Message), strings.ToLower(tt.substring)) {
				t.Errorf("message %q does not mention %q", ae.Error.Message, tt.substring)
			}
		})
	}
	// Nothing half-accepted is visible.
	r := e.do(key, "GET", "/v1/files", "", nil)
	var list struct{ Data []any }
	r.json(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("%d files visible after rejected uploads: %s", len(list.Data), r.body)
	}
}

func TestUploadReportsEveryProblem(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	file := line("a", model, "hi") + "\n" + `{"method":"POST"}` + "\n" + line("c", model, "hi") + "\n" + `[]` + "\n"
	r := e.upload(key, part{"purpose", "batch"}, part{"file", file})
	var ae apiError
	r.json(t, &ae)
	if r.status != 400 || len(ae.Error.Data) != 2 || ae.Error.Data[0].Line != 2 || ae.Error.Data[1].Line != 4 {
		t.Fatalf("status=%d body=%s, want problems on lines 2 and 4", r.status, r.body)
	}
	if !strings.HasPrefix(ae.Error.Message, "Line 2:") {
		t.Errorf("message %q does not start with the first line", ae.Error.Message)
	}
}

func TestUploadTooLarge(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	r := e.upload(key, part{"purpose", "batch"}, part{"file", lines(20000, model)}) // > 1 MiB limit of the test server
	var ae apiError
	r.json(t, &ae)
	if r.status != 413 || ae.Error.Message == "" {
		t.Errorf("status=%d body=%.300s, want 413", r.status, r.body)
	}
}

// TestFileListOrder: GET /v1/files takes OpenAI's order (desc by default,
// asc oldest first), paged with after either way; another order is a 400.
func TestFileListOrder(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	var ids []string // oldest first
	for range 3 {
		ids = append(ids, e.uploadOK(key, lines(1, model)))
		time.Sleep(2 * time.Millisecond) // distinct created_at
	}
	list := func(query string) []string {
		t.Helper()
		var page struct{ Data []struct{ ID string } }
		r := e.json(key, "GET", "/v1/files?"+query, nil)
		if r.status != 200 {
			t.Fatalf("GET /v1/files?%s: %d %s", query, r.status, r.body)
		}
		r.json(t, &page)
		var got []string
		for _, f := range page.Data {
			got = append(got, f.ID)
		}
		return got
	}
	if got := list("order=asc"); !slices.Equal(got, ids) {
		t.Errorf("order=asc = %v, want %v", got, ids)
	}
	if got := list("order=asc&limit=1&after=" + ids[0]); !slices.Equal(got, ids[1:2]) {
		t.Errorf("order=asc after the first = %v, want %v", got, ids[1:2])
	}
	if got := list("order=desc&limit=2"); !slices.Equal(got, []string{ids[2], ids[1]}) {
		t.Errorf("order=desc = %v", got)
	}
	wantError(t, "order=sideways", e.json(key, "GET", "/v1/files?order=sideways", nil), 400, "order")
}

// TestUploadCountsEveryProblem: a file with 150 bad lines says 150, though
// error.data lists only the first MaxErrors (20), and no message sends the
// user to error.data.
func TestUploadCountsEveryProblem(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	var b strings.Builder
	for i := 1; i <= 150; i++ {
		b.WriteString(`{"method":"POST"}` + "\n")
	}
	r := e.upload(key, part{"purpose", "batch"}, part{"file", b.String()})
	var ae apiError
	r.json(t, &ae)
	if r.status != 400 || len(ae.Error.Data) != 20 {
		t.Fatalf("status=%d, %d problems in error.data, want 400 with 20: %.300s", r.status, len(ae.Error.Data), r.body)
	}
	if !strings.Contains(ae.Error.Message, "150 lines have problems") || strings.Contains(ae.Error.Message, "error.data") {
		t.Errorf("message %q: want the count of 150 and no pointer to error.data", ae.Error.Message)
	}
}

// TestUploadBrokenJSONNamesColumn: a line that is not JSON says where it breaks.
func TestUploadBrokenJSONNamesColumn(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	r := e.upload(key, part{"purpose", "batch"}, part{"file", line("a", model, "hi") + "\n" + `{"custom_id":"b" "method":"POST"}` + "\n"})
	var ae apiError
	r.json(t, &ae)
	if r.status != 400 || ae.Error.Line != 2 || !strings.Contains(ae.Error.Message, "column 18") {
		t.Fatalf("status=%d line=%d message=%q, want line 2 naming column 18", r.status, ae.Error.Line, ae.Error.Message)
	}
}
