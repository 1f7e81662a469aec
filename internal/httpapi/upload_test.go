package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchgate/batchgate/internal/local"
)

// logRecorder is a slog.Handler that keeps every record, with the
// attributes of the record itself (not those of Logger.With).
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// find returns the records with message msg whose attributes include
// every key/value of kv (compared as strings).
func (l *logRecorder) find(msg string, kv ...string) []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []slog.Record
	for _, r := range l.records {
		if r.Message != msg {
			continue
		}
		match := 0
		r.Attrs(func(a slog.Attr) bool {
			for i := 0; i+1 < len(kv); i += 2 {
				if a.Key == kv[i] && a.Value.String() == kv[i+1] {
					match++
				}
			}
			return true
		})
		if match == len(kv)/2 {
			out = append(out, r)
		}
	}
	return out
}

// errors returns the records at level Error or above.
func (l *logRecorder) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= slog.LevelError {
			s := r.Message
			r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
			out = append(out, s)
		}
	}
	return out
}

// rawRequest writes a request with the given headers and the first bytes of
// its body on a new connection to the test server, and returns the
// connection (the caller closes it).
func (e *env) rawRequest(method, path string, hdr http.Header, body []byte) net.Conn {
	e.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, strings.TrimPrefix(e.url, "http://"))
	if err := hdr.Write(&b); err != nil {
		e.t.Fatal(err)
	}
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := conn.Write(b.Bytes()); err != nil {
		e.t.Fatal(err)
	}
	return conn
}

// objects returns the keys stored under prefix in the local bucket, and
// the keys of the multipart uploads not finished there.
func (e *env) objects(le *local.Env, prefix string) (objects, uploads []string) {
	e.t.Helper()
	ctx := context.Background()
	objs, err := e.gw.Deployments[model].Objects.List(ctx, local.Bucket, prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range objs {
		objects = append(objects, o.Key)
	}
	out, err := le.S3Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(local.Bucket), Prefix: &prefix})
	if err == nil { // gofakes3 answers NoSuchUpload when there are none
		for _, u := range out.Uploads {
			uploads = append(uploads, aws.ToString(u.Key))
		}
	}
	return objects, uploads
}

// TestUploadClientGone: a client that drops the connection during an
// upload (the OpenAI SDKs send purpose after the file; a client killed
// there has sent the whole file) leaves no file listed and no S3 object,
// and the gateway does not log it as a server error.
func TestUploadClientGone(t *testing.T) {
	// form returns the SDKs' form for file (the file, then purpose), the
	// offset of the purpose part's headers and the offset after the first
	// half of the file's lines.
	form := func(n int) (full []byte, ctype string, afterFile, midFile int) {
		file := lines(n, model)
		body, ctype := multipartBody(part{"file", file}, part{"purpose", "batch"})
		full, _ = io.ReadAll(body)
		purpose := bytes.Index(full, []byte(`name="purpose"`))
		afterFile = bytes.LastIndex(full[:purpose], []byte("\r\n")) // inside the purpose part's headers
		midFile = bytes.Index(full, []byte(file)) + len(lines(n/2, model))
		return full, ctype, afterFile, midFile
	}
	// More than the 4 KiB the server peeks for a part's headers: the file
	// is read while the client is still there.
	large, ctype, afterLarge, midLarge := form(40)
	// Less: the client is gone by the time the file is read.
	small, _, afterSmall, _ := form(3)
	for _, tt := range []struct {
		name   string
		full   []byte
		cut    int
		stored bool // the client goes once the file is listed, waiting for purpose
	}{
		{"AfterTheFile", large, afterLarge, false},
		{"AfterTheFileIsStored", large, afterLarge, true},
		{"AfterASmallFile", small, afterSmall, false},
		{"MidFile", large, midLarge, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logRecorder{}
			e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1}, log: logs})
			key := e.key(model)
			hdr := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {ctype}, "Content-Length": {fmt.Sprint(len(tt.full))}}
			conn := e.rawRequest("POST", "/v1/files", hdr, tt.full[:tt.cut])
			if tt.stored {
				waitUntil(t, func() bool { return !bytes.Equal(e.json(key, "GET", "/v1/files", nil).body, e.emptyList()) })
			}
			conn.Close()
			// The server logs the request once its handler has returned.
			waitUntil(t, func() bool { return len(logs.find("http", "path", "/v1/files", "method", "POST")) > 0 })

			for _, r := range logs.find("http", "path", "/v1/files", "method", "POST") {
				r.Attrs(func(a slog.Attr) bool {
					if a.Key == "status" && a.Value.Int64() >= 500 {
						t.Errorf("the dropped upload is logged with status %d", a.Value.Int64())
					}
					return true
				})
			}
			if errs := logs.errors(); len(errs) > 0 {
				t.Errorf("the dropped upload is logged as a server error: %q", errs)
			}
			r := e.json(key, "GET", "/v1/files", nil)
			var list struct{ Data []fileObj }
			r.json(t, &list)
			if r.status != 200 || len(list.Data) != 0 {
				t.Errorf("GET /v1/files after the dropped upload: %d %s; want no file", r.status, r.body)
			}
			if objs, ups := e.objects(le, "batchgate/"); len(objs)+len(ups) > 0 {
				t.Errorf("S3 holds %q and unfinished uploads %q after the dropped upload", objs, ups)
			}
		})
	}
}

// emptyList is GET /v1/files's answer when there are no files.
func (e *env) emptyList() []byte {
	return []byte(`{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}` + "\n")
}

// TestUploadBytes: a file's bytes are the size of the uploaded file,
// newlines (LF or CRLF) and blank lines included.
func TestUploadBytes(t *testing.T) {
	e := newEnv(t, 1)
	key := e.key(model)
	l1, l2 := line("a", model, "one"), line("b", model, "two")
	for name, file := range map[string]string{
		"TrailingNewline":   l1 + "\n" + l2 + "\n",
		"NoTrailingNewline": l1 + "\n" + l2,
		"CRLF":              l1 + "\r\n" + l2 + "\r\n",
		"BlankLines":        l1 + "\n\n" + l2 + "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			r := e.upload(key, part{"file", file}, part{"purpose", "batch"})
			var f struct {
				ID      string
				Bytes   int64
				Records int
			}
			r.json(t, &f)
			if r.status != 200 || f.Bytes != int64(len(file)) {
				t.Fatalf("upload of %d bytes: status %d, bytes %d (%s)", len(file), r.status, f.Bytes, r.body)
			}
			r = e.json(key, "GET", "/v1/files/"+f.ID, nil)
			r.json(t, &f)
			if f.Bytes != int64(len(file)) {
				t.Errorf("GET /v1/files/%s: bytes %d, want %d", f.ID, f.Bytes, len(file))
			}
		})
	}
}

// TestUploadDeclaredTooLarge: a request whose Content-Length is above the
// upload limit is answered 413 at once, without its body being read, and
// nothing reaches S3.
func TestUploadDeclaredTooLarge(t *testing.T) {
	e, le := startEnv(t, envOptions{local: local.Options{StepDelay: 10 * time.Millisecond, MinRecordsPerJob: 1}})
	key := e.key(model)
	body, ctype := multipartBody(part{"purpose", "batch"}, part{"file", lines(50, model)})
	start, _ := io.ReadAll(body)
	start = start[:len(start)/2] // the rest would never come
	hdr := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {ctype}, "Content-Length": {fmt.Sprint(2 << 30)}}
	conn := e.rawRequest("POST", "/v1/files", hdr, start)
	defer conn.Close()
	// The deadline only keeps a server that waits for the body from
	// hanging the test: the answer must come without it.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	var ae apiError
	r := response{resp.StatusCode, b}
	r.json(t, &ae)
	if resp.StatusCode != 413 || ae.Error.Message == "" || ae.Error.Param == nil || *ae.Error.Param != "file" {
		t.Errorf("status %d %s; want 413 naming the file", resp.StatusCode, b)
	}
	if objs, ups := e.objects(le, "batchgate/"); len(objs)+len(ups) > 0 {
		t.Errorf("S3 holds %q and unfinished uploads %q after the refused upload", objs, ups)
	}
}
