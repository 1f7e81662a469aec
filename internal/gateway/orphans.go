package gateway

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/batchgate/batchgate"
)

// pageLister is an ObjectStore that lists page by page (*s3store.Store).
type pageLister interface {
	ListPages(ctx context.Context, bucket, prefix string, fn func(page []batchgate.Object) error) error
}

// DeleteOrphanObjects deletes the objects batchgate wrote under its own
// prefixes that nothing references any more and that were last written
// more than StaleUploadAge ago: mostly input files (tenants' prompts) of
// uploads killed between their S3 write and their file row, which no
// DELETE or expiry would ever reach. Referenced are the objects of file
// rows and their parts, a running batch's jobs' inputs and anything under
// its output prefix (ReferencedObjects). Under the output prefix only
// batchgate's result files are candidates: Bedrock's own output stays in the
// admin's bucket, as it does when a file is deleted. It lists each prefix a
// page at a time and asks the store once per page. It returns how many
// objects it deleted.
func (g *Gateway) DeleteOrphanObjects(ctx context.Context) (int, error) {
	before := g.now().Add(-g.staleAge())
	total := 0
	var errs []error // one refused listing does not stop the others
	for _, s := range g.sweptPrefixes() {
		d := s.d
		l, ok := d.Objects.(pageLister)
		if !ok {
			continue
		}
		match := g.notUploading
		if s.results {
			match = isResultKey
		}
		err := l.ListPages(ctx, s.bucket, s.prefix, func(page []batchgate.Object) error {
			var old []string
			for _, o := range page {
				if o.LastModified.Before(before) && match(o.Key) {
					old = append(old, o.Key)
				}
			}
			if len(old) == 0 {
				return nil
			}
			keys := old
			var staged map[string]string
			if !s.results {
				staged = g.stagedOriginals(d, old)
				for orig := range staged {
					keys = append(keys, orig)
				}
			}
			used, err := g.Store.ReferencedObjects(ctx, s.bucket, keys)
			if err != nil {
				return err
			}
			inUse := make(map[string]bool, len(used))
			for _, k := range used {
				inUse[k] = true
				if copyKey, ok := staged[k]; ok {
					inUse[copyKey] = true // a running batch reads this copy
				}
			}
			for _, k := range old {
				if inUse[k] {
					continue
				}
				if err := d.Objects.Delete(ctx, s.bucket, k); err != nil {
					errs = append(errs, err)
					continue
				}
				total++
				g.Log.InfoContext(ctx, "orphaned object deleted", "bucket", s.bucket, "key", k)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// notUploading reports whether the input object key belongs to no upload
// this replica is running (an upload's first part may be older than the
// stale age while it still streams the next).
func (g *Gateway) notUploading(key string) bool {
	id, _, _ := strings.Cut(path.Base(key), ".") // {prefix}batchgate/input/{id}[.partN].jsonl
	_, busy := g.uploading.Load(id)
	return !busy
}

// stagedOriginals maps the upload's key of each input copy among keys (in
// deployment d's bucket, under its own prefix: stagedKey) to the copy's
// key: the store knows a running batch's input by the upload's key. Nil
// when d's copies keep the upload's key.
func (g *Gateway) stagedOriginals(d *Deployment, keys []string) map[string]string {
	primary := g.Group(d.Name())[0]
	if primary.ID == d.ID || primary.InputPrefix == d.InputPrefix {
		return nil
	}
	out := map[string]string{}
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k, d.InputPrefix); ok {
			out[primary.InputPrefix+rest] = k
		}
	}
	return out
}
