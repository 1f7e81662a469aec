package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/openai"
)

// handleFileCreate reads the multipart form as a stream: the file part is
// validated, translated and uploaded to S3 while it arrives. Fields may come
// before or after the file (curl -F keeps the command's order; the OpenAI
// SDKs put purpose after the file), so late fields are checked afterwards.
func (s *Server) handleFileCreate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		err := s.createFile(w, r)
		if err != nil && r.Context().Err() != nil && batchgate.ErrorCode(err) != batchgate.ETIMEOUT {
			// The client went away mid-upload (its connection closed, which
			// cancels the request's context): whatever failed after that is
			// the client's doing, not a server error. (A body cut off for
			// arriving too slowly keeps its 408.)
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "file",
				Message: "The connection closed before the upload was complete.", Err: err}
		}
		return err
	})
}

func (s *Server) createFile(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	if s.MaxUploadBytes > 0 && r.ContentLength > s.MaxUploadBytes {
		// Refused before the body is read: it would only be read (and
		// stored in S3 as it streams) to be thrown away at the limit.
		return &batchgate.Error{Code: batchgate.ETOOLARGE, Param: "file", Message: fmt.Sprintf(
			"The upload is %d bytes, larger than the limit of %d bytes.", r.ContentLength, s.MaxUploadBytes)}
	}
	if s.MaxUploadBytes > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxUploadBytes)
	}
	mr, err := newFormReader(r)
	if err != nil {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "file", Message: "The request must be multipart/form-data with a file and purpose=batch."}
	}
	if err := jsonBodyAsUpload(mr); err != nil {
		return err
	}
	var (
		purpose, target string
		f               *batchgate.File
		spooled         *spool       // a file part waiting for a late target_model_names (litellm_upload.go)
		expiry          expiresAfter // expires_after[anchor], expires_after[seconds]
	)
	defer spooled.Close()
	setTarget := func(v string) error {
		v = strings.TrimSpace(v)
		if target != "" && v != target {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "target_model_names", Message: "target_model_names is given twice with different values"}
		}
		target = v
		return nil
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.As(err, new(*batchgate.Error)) {
				err = &batchgate.Error{Code: batchgate.EINVALID, Message: "could not read the multipart body", Err: err}
			}
			return cleanup(r, s.Gateway, c, f, err)
		}
		name := p.FormName()
		if name == "file" {
			if f != nil || spooled != nil {
				return cleanup(r, s.Gateway, c, f, &batchgate.Error{Code: batchgate.EINVALID, Param: "file", Message: "only one file may be uploaded per request"})
			}
			if purpose != "" && purpose != batchgate.PurposeBatch {
				return badPurpose(purpose)
			}
			var src io.Reader = p
			if target == "" {
				var model string
				if src, model = firstLineModel(p); !servedOrUnknown(s.Gateway, model) {
					// target_model_names may still follow (the OpenAI SDKs send it after the file).
					if spooled, err = newSpool(src, p.FileName()); err != nil {
						return err
					}
					continue
				}
			}
			f, err = s.Gateway.UploadFile(r.Context(), c, gateway.Upload{Filename: p.FileName(), Target: target, ExpiresAfter: expiry.upload()}, src)
			if err != nil {
				return err
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, 64<<10))
		if err != nil {
			return cleanup(r, s.Gateway, c, f, err)
		}
		switch name {
		case "purpose":
			purpose = string(v)
		case "target_model_names", "target_model_names[]":
			err = setTarget(string(v))
		case "expires_after[anchor]", "expires_after[seconds]", "expires_after":
			err = expiry.field(name, string(v))
		case "extra_body":
			var eb struct {
				TargetModelNames json.RawMessage `json:"target_model_names"`
			}
			if jerr := json.Unmarshal(v, &eb); jerr != nil {
				err = &batchgate.Error{Code: batchgate.EINVALID, Param: "extra_body", Message: "extra_body must be a JSON object"}
			} else if len(eb.TargetModelNames) > 0 {
				err = setTarget(targetNames(eb.TargetModelNames))
			}
		}
		if err != nil {
			return cleanup(r, s.Gateway, c, f, err)
		}
	}
	if spooled != nil {
		if purpose != batchgate.PurposeBatch {
			return badPurpose(purpose)
		}
		if f, err = s.Gateway.UploadFile(r.Context(), c, gateway.Upload{Filename: spooled.filename, Target: target, ExpiresAfter: expiry.upload()}, spooled.f); err != nil {
			return err
		}
	}
	if f == nil {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "file", Message: "The request has no file part."}
	}
	if purpose != batchgate.PurposeBatch {
		return cleanup(r, s.Gateway, c, f, badPurpose(purpose))
	}
	if d := s.Gateway.Deployments[f.Model]; target != "" && (d == nil || !d.Names(target)) {
		return cleanup(r, s.Gateway, c, f, &batchgate.Error{Code: batchgate.EINVALID, Param: "target_model_names",
			Message: fmt.Sprintf("target_model_names %q does not match the model %q the file's requests name", target, f.Model)})
	}
	if err := expiry.apply(r.Context(), s.Gateway, f); err != nil {
		return cleanup(r, s.Gateway, c, f, err)
	}
	return encode(w, http.StatusOK, openai.NewFile(f))
}

// targetNames accepts a JSON string or list of strings.
func targetNames(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return strings.Join(many, ",")
	}
	return string(raw)
}

func badPurpose(p string) error {
	if p == "" {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "purpose", Message: "purpose is required and must be \"batch\""}
	}
	return &batchgate.Error{Code: batchgate.EINVALID, Param: "purpose", Message: fmt.Sprintf("purpose %q is not supported: batchgate accepts \"batch\" files", p)}
}

// cleanupTimeout bounds the deletion of a file whose upload failed.
const cleanupTimeout = time.Minute

// cleanup deletes a file uploaded earlier in a request that then failed, so
// no half-accepted file stays visible. It does not run on the request's
// context: a client that closed the connection (after the file, before
// purpose) has cancelled that one.
func cleanup(r *http.Request, g *gateway.Gateway, c gateway.Caller, f *batchgate.File, err error) error {
	if f != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), cleanupTimeout)
		defer cancel()
		if derr := g.DeleteFile(ctx, c, f.ID); derr != nil {
			err = errors.Join(err, derr)
		}
	}
	return err
}

func (s *Server) handleFileGet() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		f, err := s.Gateway.FindFile(r.Context(), caller(r), r.PathValue("file_id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, openai.NewFile(f))
	})
}

func (s *Server) handleFileList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := parsePage(r, 10000)
		if err != nil {
			return err
		}
		// OpenAI's order for files: desc (newest first, the default) or asc.
		switch o := r.URL.Query().Get("order"); o {
		case "", "desc":
		case "asc":
			page.Ascending = true
		default:
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "order", Message: fmt.Sprintf("order must be asc or desc, not %q", o)}
		}
		want := page.Limit
		page.Limit++ // one more, to know whether there are more
		files, err := s.Gateway.FindFiles(r.Context(), caller(r), r.URL.Query().Get("purpose"), page)
		if err != nil {
			return err
		}
		more := len(files) > want
		if more {
			files = files[:want]
		}
		out := make([]openai.File, len(files))
		for i, f := range files {
			out[i] = openai.NewFile(f)
		}
		return encode(w, http.StatusOK, openai.NewList(out, func(f openai.File) string { return f.ID }, more))
	})
}

func (s *Server) handleFileDelete() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("file_id")
		if err := s.Gateway.DeleteFile(r.Context(), caller(r), id); err != nil {
			return err
		}
		return encode(w, http.StatusOK, openai.FileDeleted{ID: id, Object: "file", Deleted: true})
	})
}

// handleFileContent streams a file. With `custom-llm-provider: bedrock` an
// output file is served as Bedrock's raw lines, as LiteLLM does.
func (s *Server) handleFileContent() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		f, err := s.Gateway.FindFile(r.Context(), caller(r), r.PathValue("file_id"))
		if err != nil {
			return err
		}
		raw := strings.EqualFold(r.Header.Get("custom-llm-provider"), "bedrock") || r.URL.Query().Get("custom_llm_provider") == "bedrock"
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
		if n := gateway.ContentLength(f, raw); n >= 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		}
		cw := &committedWriter{w: w}
		if err := s.Gateway.WriteContent(r.Context(), f, raw, cw); err != nil {
			if cw.n > 0 {
				// The status is sent: abort the connection so the client sees a
				// broken transfer instead of a complete-looking, truncated file.
				logger(r.Context()).Error("file content interrupted", "file_id", f.ID, "err", err)
				panic(http.ErrAbortHandler)
			}
			// Nothing sent yet: the error goes out as JSON, without the
			// file's headers.
			for _, h := range []string{"Content-Length", "Content-Disposition", "Content-Type"} {
				w.Header().Del(h)
			}
			return err
		}
		return nil
	})
}

// committedWriter counts bytes written, to know whether the status is sent.
type committedWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *committedWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// parsePage reads OpenAI's after and limit.
func parsePage(r *http.Request, max int) (batchgate.Page, error) {
	q := r.URL.Query()
	p := batchgate.Page{After: q.Get("after"), Limit: 20}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > max {
			return p, &batchgate.Error{Code: batchgate.EINVALID, Param: "limit", Message: fmt.Sprintf("limit must be an integer between 1 and %d", max)}
		}
		p.Limit = n
	}
	return p, nil
}
