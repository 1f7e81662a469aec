package gateway

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
)

// convertChunkBytes is how much of an output object one worker converts at a time.
const convertChunkBytes = 1 << 20

// Chunk buffers are reused: a GB of output would otherwise allocate (and
// clear) a GB of them.
var chunkBufs, outBufs sync.Pool

func getChunkBuf(size int) []byte {
	if b, ok := chunkBufs.Get().(*[]byte); ok && cap(*b) >= size {
		return (*b)[:0]
	}
	return make([]byte, 0, size)
}

func getOutBuf() []byte {
	if b, ok := outBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, convertChunkBytes/2)
}

type convertChunk struct {
	data []byte   // whole lines
	out  [][]byte // one per stream
	err  error
	done chan struct{}
}

// lineConverter converts one line (without its newline) by appending
// whatever it produces to one or more of out, one buffer per output stream.
type lineConverter func(line []byte, out [][]byte) error

// convertLines reads r line by line, converts the lines with convert on up
// to GOMAXPROCS workers (a chunk of lines each) and writes what convert
// appended to out[i] to ws[i], in order. Memory is bounded by a few chunks
// per worker. Blank lines are skipped.
func convertLines(ctx context.Context, r io.Reader, ws []io.Writer, convert lineConverter) error {
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
				c.out, c.err = convertChunkLines(c.data, len(ws), convert)
				close(c.done)
			}
		}()
	}
	go func() {
		defer close(readDone)
		defer close(jobs)
		defer close(order)
		var carry []byte // the start of a line the last chunk cut
		for eof := false; !eof; {
			buf := getChunkBuf(len(carry) + convertChunkBytes)
			buf = append(buf, carry...)
			n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			switch err {
			case nil:
			case io.EOF, io.ErrUnexpectedEOF:
				eof = true
			default:
				readErr <- err
				return
			}
			carry = carry[:0]
			if !eof {
				i := bytes.LastIndexByte(buf, '\n')
				carry = append(carry, buf[i+1:]...) // all of it when a line is longer than the chunk
				buf = buf[:i+1]
			}
			if len(buf) == 0 {
				chunkBufs.Put(&buf)
				continue
			}
			c := &convertChunk{data: buf, done: make(chan struct{})}
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
		chunkBufs.Put(&c.data)
		for i, w := range ws {
			_, err := w.Write(c.out[i])
			outBufs.Put(&c.out[i])
			if err != nil {
				return err
			}
		}
	}
	select {
	case err := <-readErr:
		return err
	default:
		return ctx.Err()
	}
}

func convertChunkLines(data []byte, streams int, convert lineConverter) ([][]byte, error) {
	out := make([][]byte, streams)
	for i := range out {
		out[i] = getOutBuf()
	}
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
		if err := convert(line, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}
