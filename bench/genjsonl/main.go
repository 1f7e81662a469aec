// Command genjsonl writes a synthetic OpenAI batch chat JSONL of a given
// size and record count to stdout, for the upload benchmarks.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	size := flag.Int64("bytes", 1<<30, "approximate total size")
	records := flag.Int("records", 50000, "number of requests")
	model := flag.String("model", "bedrock-batch-claude", "body.model")
	flag.Parse()

	per := int(*size / int64(*records))
	const overhead = 220 // the JSON around the user text
	text := strings.Repeat("lorem ipsum dolor sit amet ", max(1, (per-overhead)/27+1))[:max(1, per-overhead)]
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	for i := 1; i <= *records; i++ {
		fmt.Fprintf(w, `{"custom_id":"request-%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"max_tokens":512,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"%s"}]}}`+"\n", i, *model, text)
	}
}
