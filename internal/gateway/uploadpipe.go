package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/translate"
)

// uploadChunkBytes is about how many bytes of lines one worker parses and
// translates at a time.
const uploadChunkBytes = 256 << 10

// lineReader reads an upload's non-blank lines and counts them.
type lineReader struct {
	br  *bufio.Reader
	max int // MaxLineBytes
	n   int // the number of the last line read
}

// next returns the next line (nil for a blank one) with readLine's errors.
func (lr *lineReader) next() ([]byte, error) {
	line, err := readLine(lr.br, lr.max)
	if len(line) > 0 {
		lr.n++
	}
	return line, err
}

// byteCounter counts the bytes read through it.
type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// uploadChunk is a run of consecutive lines, parsed and translated by a
// worker, then checked and written in order.
type uploadChunk struct {
	data    []byte // the lines, back to back
	lines   []chunkLine
	out     []byte // the records of the lines that translated, each with its newline
	readErr error  // the read ended after these lines: io.EOF, errLineTooLong or a read error
	done    chan struct{}
}

// chunkLine is what a worker found on one line.
type chunkLine struct {
	no                   int
	start, end           int              // the line in data
	perr                 *batchgate.Error // the line does not parse
	customID, url, model string
	terr                 *batchgate.Error // the line does not translate
	recStart, recEnd     int              // its record in out, when it translated
	maxOut               int64
}

// translateChunk parses and translates every line of ch; the checks that
// depend on other lines are left to the ordered stage (fileUpload.addLine).
func translateChunk(opts translate.Options, ch *uploadChunk) {
	ch.out = getOutBuf()
	for i := range ch.lines {
		l := &ch.lines[i]
		req, le := translate.ParseLine(l.no, ch.data[l.start:l.end])
		if le != nil {
			l.perr = lineError(le)
			continue
		}
		l.customID, l.url, l.model = req.CustomID, req.URL, req.Model
		start := len(ch.out)
		if ch.out, le = translate.AppendBedrock(ch.out, opts, l.no, req); le != nil {
			l.terr = lineError(le)
			continue
		}
		l.recStart = start
		ch.out = append(ch.out, '\n')
		l.recEnd = len(ch.out)
		l.maxOut = maxOutputTokens(req)
	}
}

// pipeline checks and stores the rest of the lines of an upload whose
// deployment is known: a reader cuts them into chunks, GOMAXPROCS workers
// parse and translate the chunks, and this goroutine checks the lines and
// writes the records in order. At most GOMAXPROCS+2 chunks are in flight,
// so memory does not grow with the file. It returns the error that ended the read (io.EOF at the end of the
// file), or a fatal error of the upload.
func (u *fileUpload) pipeline(lines *lineReader) (readErr, fatal error) {
	workers := max(1, runtime.GOMAXPROCS(0))
	opts := u.dep.translateOptions()
	jobs := make(chan *uploadChunk)
	order := make(chan *uploadChunk, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		for range order { // unblocks the reader; it closes jobs when it returns
		}
		wg.Wait()
	}()
	for range workers {
		wg.Go(func() {
			for ch := range jobs {
				translateChunk(opts, ch)
				close(ch.done)
			}
		})
	}
	go func() { // the reader
		defer close(order)
		defer close(jobs)
		for {
			ch := &uploadChunk{data: getChunkBuf(uploadChunkBytes + 16<<10), done: make(chan struct{})}
			for len(ch.data) < uploadChunkBytes && ch.readErr == nil {
				line, err := lines.next()
				if len(line) > 0 {
					start := len(ch.data)
					ch.data = append(ch.data, line...)
					ch.lines = append(ch.lines, chunkLine{no: lines.n, start: start, end: len(ch.data)})
				}
				ch.readErr = err
			}
			select {
			case order <- ch:
			case <-stop:
				return
			}
			select {
			case jobs <- ch:
			case <-stop:
				return
			}
			if ch.readErr != nil {
				return
			}
		}
	}()
	for ch := range order {
		<-ch.done
		for i := range ch.lines {
			if err := u.addChunkLine(&ch.lines[i], ch.out); err != nil {
				return nil, err
			}
		}
		readErr = ch.readErr
		chunkBufs.Put(&ch.data)
		outBufs.Put(&ch.out)
	}
	return readErr, nil
}

// addChunkLine applies the ordered checks to a line a worker translated,
// in the order uploadLine applies them, and stores its record.
func (u *fileUpload) addChunkLine(l *chunkLine, out []byte) error {
	le := l.perr
	if le == nil {
		le = u.g.checkLine(u.c, l.no, l.customID, l.url, l.model, &u.dep, u.targeted, u.f, u.ids)
	}
	if le == nil {
		le = l.terr
	}
	if le == nil {
		rec := out[l.recStart:l.recEnd]
		u.f.EstimatedInputTokens += int64(len(rec)-1)/4 + 1 // the record without its newline
		u.f.MaxOutputTokens += l.maxOut
	}
	return u.add(le, out[l.recStart:l.recEnd])
}

// fileUpload is the ordered state of an upload.
type fileUpload struct {
	g   *Gateway
	ctx context.Context
	c   Caller
	f   *batchgate.File
	dep *Deployment // nil until a line names it, without target_model_names
	// targeted: the upload named its target (target_model_names), and the
	// lines' body.model are not checked: the target replaces them, as in LiteLLM.
	targeted bool

	ids       map[string]int     // custom_id: line
	problems  []*batchgate.Error // the first MaxErrors problems
	nProblems int                // every problem, counted past MaxErrors
	parts     *partUploader      // the S3 upload, once the deployment is known
}

// add records a line's problem, or stores its record while the file has no
// problems. It returns the errors that end the upload.
func (u *fileUpload) add(le *batchgate.Error, rec []byte) error {
	if le != nil {
		if le.Code == batchgate.EFORBIDDEN {
			return le
		}
		u.fail(le)
		return nil
	}
	if len(u.problems) > 0 {
		return nil
	}
	if u.parts == nil {
		// The S3 upload rolls to a new object at the model's per-job quota (split.go).
		u.parts = u.g.newPartUploader(u.ctx, u.dep, u.f)
	}
	if err := u.parts.write(rec); err != nil {
		return fmt.Errorf("upload %s: %w", u.f.ID, err)
	}
	return nil
}

func (u *fileUpload) fail(e *batchgate.Error) {
	u.nProblems++
	if len(u.problems) < u.g.MaxErrors {
		u.problems = append(u.problems, e)
	}
}

func (u *fileUpload) abort(err error) {
	if u.parts != nil {
		u.parts.abort(err)
	}
}
