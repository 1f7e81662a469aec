package s3store

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// bytesReader gives the SDK a seekable body, so it can compute checksums and retry.
func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func sortParts(parts []types.CompletedPart) {
	slices.SortFunc(parts, func(a, b types.CompletedPart) int {
		return cmp.Compare(aws.ToInt32(a.PartNumber), aws.ToInt32(b.PartNumber))
	})
}
