package gateway

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
)

// convertChunkBytes is how much of an output object one worker converts at a time.
const convertChunkBytes = 1 << 20

type convertChunk struct {
	data []byte // whole lines
	out  []byte
	err  error
	done chan struct{}
}

// convertLines reads r line by line, converts the lines with convert on up
// to GOMAXPROCS workers (a chunk of lines each) and writes the results to w
// in order. Memory is bounded by a few chunks per worker. convert appends
// the output for one line (without its newline) to out; blank lines are
// skipped.
func convertLines(ctx context.Context, r io.Reader, w io.Writer, convert func(line, out []byte) ([]byte, error)) error {
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	ctx, cancel := context.WithCancel(ctx)
	jobs := make(chan *convertChunk)
	order := make(chan *convertChunk, 2*workers)
	readErr := make(chan error, 1)
	readDone := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		cancel()
		<-readDone // r is closed by the caller once we return
		wg.Wait()
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				c.out, c.err = convertChunkLines(c.data, convert)
				close(c.done)
			}
		}()
	}
	go func() {
		defer close(readDone)
		defer close(jobs)
		defer close(order)
		br := bufio.NewReaderSize(r, 256<<10)
		for {
			c := &convertChunk{done: make(chan struct{})}
			var err error
			for err == nil && (len(c.data) < convertChunkBytes || c.data[len(c.data)-1] != '\n') {
				var line []byte
				line, err = br.ReadSlice('\n')
				c.data = append(c.data, line...)
				if err == bufio.ErrBufferFull {
					err = nil
				}
			}
			if len(c.data) > 0 {
				select {
				case order <- c:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- c:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					readErr <- err
				}
				return
			}
		}
	}()
	for c := range order {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if c.err != nil {
			return c.err
		}
		if _, err := w.Write(c.out); err != nil {
			return err
		}
	}
	select {
	case err := <-readErr:
		return err
	default:
		return ctx.Err()
	}
}

func convertChunkLines(data []byte, convert func(line, out []byte) ([]byte, error)) ([]byte, error) {
	out := make([]byte, 0, len(data)/2)
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var err error
		if out, err = convert(line, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}
