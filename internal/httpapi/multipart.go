package httpapi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"path/filepath"

	"github.com/batchgate/batchgate"
)

// formReader reads a multipart/form-data body part by part, like
// mime/multipart.Reader, for uploads of a GB: it looks for the boundary with
// bytes.Index over a large buffer, where mime/multipart scans every 4 KB
// window byte by byte (bytes.LastIndexByte), which cost more CPU than
// translating the file.
type formReader struct {
	br      *bufio.Reader
	delim   []byte // "\r\n--" + boundary
	started bool
	done    bool
	cur     *formPart
}

// formPart is one part; Read returns its body up to the next boundary.
type formPart struct {
	r      *formReader
	header textproto.MIMEHeader
	ended  bool
	err    error
}

var errMultipartEOF = errors.New("multipart: unexpected end of the body")

// newFormReader returns a reader for a multipart/form-data request, or an
// error if the request is not one.
func newFormReader(r *http.Request) (*formReader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, http.ErrNotMultipart
	}
	return &formReader{br: bufio.NewReaderSize(r.Body, 256<<10), delim: []byte("\r\n--" + params["boundary"])}, nil
}

// NextPart returns the next part, or io.EOF after the last.
func (f *formReader) NextPart() (*formPart, error) {
	if f.done {
		return nil, io.EOF
	}
	if !f.started {
		// Skip the preamble up to the first "--boundary" line.
		f.started = true
		dash := f.delim[2:]
		for {
			line, err := f.br.ReadSlice('\n')
			if err != nil && err != bufio.ErrBufferFull {
				return nil, errMultipartEOF
			}
			if bytes.HasPrefix(line, dash) {
				rest := bytes.TrimRight(line[len(dash):], " \t\r\n")
				if string(rest) == "--" {
					f.done = true
					return nil, io.EOF
				}
				if len(rest) == 0 {
					break
				}
			}
		}
	} else {
		if f.cur != nil {
			// Drain the previous part up to its boundary.
			if _, err := io.Copy(io.Discard, f.cur); err != nil {
				return nil, err
			}
		}
		if _, err := f.br.Discard(len(f.delim)); err != nil {
			return nil, errMultipartEOF
		}
		line, err := f.br.ReadSlice('\n')
		if bytes.HasPrefix(line, []byte("--")) {
			f.done = true
			return nil, io.EOF
		}
		if err != nil || len(bytes.TrimRight(line, " \t\r\n")) > 0 {
			return nil, errMultipartEOF
		}
	}
	h, err := f.readHeader()
	if err != nil {
		return nil, err
	}
	f.cur = &formPart{r: f, header: h}
	return f.cur, nil
}

// maxPartHeader bounds the header section of one part: textproto reads
// headers without a limit, so a client could make the server buffer a
// header line as long as the upload limit.
const maxPartHeader = 64 << 10

var errPartHeaderTooLarge = &batchgate.Error{Code: batchgate.EINVALID, Param: "file",
	Message: fmt.Sprintf("A multipart part's headers are larger than %d KiB.", maxPartHeader>>10)}

// readHeader reads a part's header section, at most maxPartHeader bytes up
// to and including the blank line that ends it.
func (f *formReader) readHeader() (textproto.MIMEHeader, error) {
	for n := 4 << 10; ; n = min(2*n, maxPartHeader) {
		buf, err := f.br.Peek(n) // fewer bytes, with an error, at the end of the body
		if end := headerEnd(buf); end >= 0 {
			h, herr := textproto.NewReader(bufio.NewReader(bytes.NewReader(buf[:end]))).ReadMIMEHeader()
			_, _ = f.br.Discard(end)
			return h, herr
		}
		switch {
		case len(buf) >= maxPartHeader:
			return nil, errPartHeaderTooLarge
		case err == io.EOF:
			return nil, errMultipartEOF
		case err != nil:
			return nil, err
		}
	}
}

// headerEnd returns the length of the header section at the start of b,
// blank line included, or -1 if b does not hold all of it.
func headerEnd(b []byte) int {
	if bytes.HasPrefix(b, []byte("\r\n")) {
		return 2
	}
	if bytes.HasPrefix(b, []byte("\n")) {
		return 1
	}
	end := -1
	if i := bytes.Index(b, []byte("\n\r\n")); i >= 0 {
		end = i + 3
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 && (end < 0 || i+2 < end) {
		end = i + 2
	}
	return end
}

// Read returns body bytes up to the boundary, which it leaves unread.
func (p *formPart) Read(b []byte) (int, error) {
	if p.ended {
		return 0, io.EOF
	}
	if p.err != nil {
		return 0, p.err
	}
	br, delim := p.r.br, p.r.delim
	if br.Buffered() < len(delim) {
		if _, err := br.Peek(len(delim)); err != nil && br.Buffered() < len(delim) {
			if err == io.EOF {
				err = errMultipartEOF
			}
			p.err = err
			// The rest cannot hold a boundary: it is body, then the error.
			if n := br.Buffered(); n > 0 {
				buf, _ := br.Peek(n)
				n = copy(b, buf)
				br.Discard(n)
				return n, nil
			}
			return 0, err
		}
	}
	buf, _ := br.Peek(br.Buffered())
	limit := len(buf) - len(delim) + 1 // bytes that cannot start a boundary
	if i := bytes.Index(buf, delim); i >= 0 {
		limit = i
		if limit <= len(b) {
			p.ended = true
		}
	}
	n := copy(b, buf[:limit])
	br.Discard(n)
	if n == 0 && p.ended {
		return 0, io.EOF
	}
	return n, nil
}

// FormName is the name of a form-data part, "" otherwise.
func (p *formPart) FormName() string {
	d, params, err := mime.ParseMediaType(p.header.Get("Content-Disposition"))
	if err != nil || d != "form-data" {
		return ""
	}
	return params["name"]
}

// FileName is the base name of the part's filename, "" if it has none.
func (p *formPart) FileName() string {
	_, params, err := mime.ParseMediaType(p.header.Get("Content-Disposition"))
	if err != nil || params["filename"] == "" {
		return ""
	}
	return filepath.Base(params["filename"])
}
