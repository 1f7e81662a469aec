package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/sqlite"
)

// pipeObjects keeps the objects put, in memory.
type pipeObjects struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (m *pipeObjects) Put(_ context.Context, _, key string, r io.Reader, _ string) (int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = b
	return int64(len(b)), nil
}
func (m *pipeObjects) Get(_ context.Context, _, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, &batchgate.Error{Code: batchgate.ENOTFOUND, Message: key}
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (m *pipeObjects) List(context.Context, string, string) ([]batchgate.Object, error) {
	return nil, nil
}
func (m *pipeObjects) Delete(_ context.Context, _, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}

// uploadSequential is the reference: every line checked and translated one
// after the other, as UploadFile did before it used several cores. It
// returns the records and the file's estimates, or the file's problems (as
// UploadFile reports them).
func uploadSequential(g *Gateway, c Caller, target string, data []byte) ([]byte, *batchgate.File, error) {
	var dep *Deployment
	if target != "" {
		dep = g.deployment(target)
	}
	f := &batchgate.File{}
	ids := map[string]int{}
	var problems []*batchgate.Error
	nProblems := 0
	var recs, out bytes.Buffer
	br := bufio.NewReaderSize(bytes.NewReader(data), 256<<10)
	lineNo := 0
	for {
		line, err := readLine(br, g.MaxLineBytes)
		if len(line) > 0 {
			lineNo++
			out.Reset()
			if le := g.uploadLine(c, lineNo, line, &dep, target != "", f, ids, &out); le != nil {
				nProblems++
				if len(problems) < g.MaxErrors {
					problems = append(problems, le)
				}
			} else {
				recs.Write(out.Bytes())
			}
		}
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLineTooLong) {
			nProblems++
			if len(problems) < g.MaxErrors {
				problems = append(problems, &batchgate.Error{Code: batchgate.EINVALID, Line: lineNo + 1, Message: fmt.Sprintf("line is longer than %d bytes", g.MaxLineBytes)})
			}
			break
		}
	}
	if len(problems) > 0 {
		return nil, nil, fileInvalid(problems, nProblems)
	}
	return recs.Bytes(), f, nil
}

func newPipeTestGateway(t *testing.T) (*Gateway, *pipeObjects) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir()+"/pipe.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	objs := &pipeObjects{objs: map[string][]byte{}}
	dep := &Deployment{ModelName: "claude", Model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		BedrockModelID: "us.anthropic.claude-3-5-sonnet-20240620-v1:0", InputBucket: "pipe", OutputBucket: "pipe",
		Quotas: Quotas{MinRecords: 100, MaxRecordsPerJob: 50_000, MaxBytesPerFile: 1 << 30, MaxBytesPerJob: 5 << 30}, Objects: objs}
	return New(store, []*Deployment{dep}, slog.New(slog.NewTextHandler(io.Discard, nil))), objs
}

// pipeTestFile writes n chat lines of about 3 KB (so an upload spans many
// chunks); bad(i) may return a replacement for line i.
func pipeTestFile(n int, bad func(i int) string) []byte {
	text := strings.Repeat("lorem ipsum ", 250)
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		if s := bad(i); s != "" {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"custom_id":"r-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"claude","max_tokens":%d,"messages":[{"role":"user","content":"%s"}]}}`+"\n", i, 100+i, text)
		if i%97 == 0 {
			b.WriteString("\n  \r\n") // blank lines are not counted
		}
	}
	return b.Bytes()
}

// TestUploadPipelineMatchesSequential checks that an upload translated on
// several cores reports exactly the problems (lines, codes, messages, the
// first MaxErrors in line order) and stores exactly the records of a
// sequential upload, with problems on many lines across chunk boundaries.
func TestUploadPipelineMatchesSequential(t *testing.T) {
	ctx := context.Background()
	c := Caller{Scope: batchgate.Scope{All: true}}
	const n = 2000 // ~6 MB: about 6 chunks
	problems := func(i int) string {
		switch {
		case i == 1:
			return `{"custom_id":"first","method":"POST","url":"/v1/chat/completions","body":{"model":"nope","messages":[{"role":"user","content":"x"}]}}`
		case i%61 == 0:
			return `{"custom_id": broken json`
		case i%67 == 0:
			return fmt.Sprintf(`{"custom_id":"r-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"claude","messages":[{"role":"user","content":"x"}]}}`, i-300) // duplicate of an earlier chunk
		case i%71 == 0:
			return fmt.Sprintf(`{"custom_id":"e-%d","method":"POST","url":"/v1/embeddings","body":{"model":"claude","input":"x"}}`, i)
		case i%73 == 0:
			return fmt.Sprintf(`{"custom_id":"m-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"other","messages":[{"role":"user","content":"x"}]}}`, i)
		case i%79 == 0:
			return fmt.Sprintf(`{"custom_id":"t-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"claude","frobnicate":1,"messages":[{"role":"user","content":"x"}]}}`, i)
		case i%83 == 0:
			return fmt.Sprintf(`{"custom_id":"z-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"claude","max_tokens":0,"messages":[{"role":"user","content":"x"}]}}`, i)
		}
		return ""
	}
	bad := pipeTestFile(n, problems)
	good := pipeTestFile(n, func(int) string { return "" })
	tooLong := append(bytes.Clone(bad), strings.Repeat("x", 2<<20)...)
	tooLong = append(tooLong, "\n"+string(good[:200])...)

	for _, tc := range []struct {
		name      string
		target    string
		data      []byte
		maxErrors int
		maxLine   int
	}{
		{"all problems, deployment from the lines", "", bad, 1000, 32 << 20},
		{"all problems, target given", "claude", bad, 1000, 32 << 20},
		{"first 20 problems", "claude", bad, 20, 32 << 20},
		{"problems then a line too long", "", tooLong, 1000, 512 << 10},
		{"valid file", "claude", good, 20, 32 << 20},
		{"valid file, deployment from the lines", "", good, 20, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, objs := newPipeTestGateway(t)
			g.MaxErrors, g.MaxLineBytes = tc.maxErrors, tc.maxLine
			wantRecs, wantFile, wantErr := uploadSequential(g, c, tc.target, tc.data)
			f, err := g.UploadFile(ctx, c, Upload{Filename: "in.jsonl", Target: tc.target}, bytes.NewReader(tc.data))
			if wantErr != nil {
				var got, want *batchgate.Error
				if !errors.As(err, &got) || !errors.As(wantErr, &want) {
					t.Fatalf("UploadFile error = %v; want %v", err, wantErr)
				}
				if got.Message != want.Message || got.Line != want.Line || !reflect.DeepEqual(got.Data, want.Data) {
					t.Fatalf("UploadFile reported\n%v %v\nwant (sequential)\n%v %v", got, got.Data, want, want.Data)
				}
				if np := len(want.Data); np < min(tc.maxErrors, 40) {
					t.Fatalf("the reference found only %d problems; the test file is not testing much", np)
				}
				codes := map[string]int{}
				for _, p := range want.Data {
					codes[p.Code]++
				}
				t.Log(codes)
				if len(objs.objs) != 0 {
					t.Errorf("a rejected file left %d objects", len(objs.objs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Records != bytes.Count(wantRecs, []byte("\n")) || f.Endpoint != wantFile.Endpoint || f.Model != wantFile.Model ||
				f.EstimatedInputTokens != wantFile.EstimatedInputTokens || f.MaxOutputTokens != wantFile.MaxOutputTokens {
				t.Errorf("file %+v; want records %d and the estimates of %+v", f, bytes.Count(wantRecs, []byte("\n")), wantFile)
			}
			if got := objs.objs[f.Key]; !bytes.Equal(got, wantRecs) {
				t.Errorf("stored %d bytes of records; want the %d bytes of the sequential translation", len(got), len(wantRecs))
			}
		})
	}
}

// failingObjects fails every Put after reading some of it.
type failingObjects struct{ pipeObjects }

func (m *failingObjects) Put(_ context.Context, _, _ string, r io.Reader, _ string) (int64, error) {
	_, _ = io.CopyN(io.Discard, r, 2<<20)
	return 0, errors.New("s3 is down")
}

// TestUploadPipelineStoreFails checks that an upload whose S3 write fails
// in the middle of the file returns that error, with its workers stopped.
func TestUploadPipelineStoreFails(t *testing.T) {
	g, _ := newPipeTestGateway(t)
	objs := &failingObjects{pipeObjects{objs: map[string][]byte{}}}
	g.deployment("claude").Objects = objs
	data := pipeTestFile(3000, func(int) string { return "" })
	_, err := g.UploadFile(context.Background(), Caller{Scope: batchgate.Scope{All: true}}, Upload{Target: "claude"}, bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "s3 is down") {
		t.Fatalf("UploadFile = %v; want the store's error", err)
	}
}
