package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestConvertLinesKeepsOrder(t *testing.T) {
	var in, want strings.Builder
	for i := range 30000 {
		line := fmt.Sprintf("line-%d-%s", i, strings.Repeat("x", i%200))
		in.WriteString(line)
		if i%7 == 0 {
			in.WriteString("\r\n  \n") // CRLF and a blank line, both dropped
		} else {
			in.WriteString("\n")
		}
		if i%3 != 0 { // the converter drops some lines
			want.WriteString(strings.ToUpper(line) + "\n")
		}
	}
	var out, dropped bytes.Buffer
	err := convertLines(context.Background(), iotest.HalfReader(strings.NewReader(strings.TrimSuffix(in.String(), "\n"))), []io.Writer{&out, &dropped},
		func(line []byte, out [][]byte) error {
			var n int
			fmt.Sscanf(string(line), "line-%d-", &n)
			if n%3 == 0 { // to the second stream
				out[1] = append(append(out[1], line...), '\n')
				return nil
			}
			out[0] = append(append(out[0], bytes.ToUpper(line)...), '\n')
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("output differs: %d bytes, want %d", out.Len(), want.Len())
	}
	if n := strings.Count(dropped.String(), "\n"); n != 10000 {
		t.Fatalf("second stream has %d lines, want 10000", n)
	}
}

func TestConvertLinesErrors(t *testing.T) {
	big := strings.Repeat("a line of text\n", 300000)
	boom := errors.New("boom")
	err := convertLines(context.Background(), strings.NewReader(big), []io.Writer{io.Discard}, func(line []byte, out [][]byte) error {
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("convert error: %v", err)
	}
	err = convertLines(context.Background(), io.MultiReader(strings.NewReader(big), iotest.ErrReader(boom)), []io.Writer{io.Discard},
		func(line []byte, out [][]byte) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	err = convertLines(context.Background(), strings.NewReader(big), []io.Writer{errWriter{boom}}, func(line []byte, out [][]byte) error {
		out[0] = append(out[0], line...)
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := convertLines(ctx, strings.NewReader(big), []io.Writer{io.Discard}, func(line []byte, out [][]byte) error { return nil }); err == nil {
		t.Fatal("cancelled context: no error")
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
