package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// testFileExpiry: FindExpiredFiles returns the files whose ExpiresAt is at
// or before now, earliest first then by id, up to limit, without the input
// files of running batches (a file whose batch ended is returned); every
// field round-trips. SetFileExpiry sets and clears ExpiresAt and changes
// nothing else; a missing file is ENOTFOUND.
func testFileExpiry(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	at := func(d time.Duration) *time.Time { v := base.Add(d); return &v }
	var full batchgate.File
	fill(t, &full, 1)
	full.ID, full.ExpiresAt = "file-x-full", at(time.Hour)
	must(t, s.CreateFile(ctx, &full))
	mk := func(id, kind string, exp *time.Time) {
		must(t, s.CreateFile(ctx, &batchgate.File{ID: id, Kind: kind, Owner: ownerA, CreatedAt: base, ExpiresAt: exp}))
	}
	mk("file-x-a", batchgate.FileInput, at(time.Hour))         // ties with full on ExpiresAt; id orders
	mk("file-x-out", batchgate.FileOutput, at(2*time.Hour))    // exactly now: expired
	mk("file-x-later", batchgate.FileInput, at(3*time.Hour))   // not yet
	mk("file-x-never", batchgate.FileInput, nil)               // never
	mk("file-x-used", batchgate.FileInput, at(0))              // a running batch uses it
	mk("file-x-done", batchgate.FileInput, at(30*time.Minute)) // its batch has ended
	run := batchgate.Batch{ID: "batch-x-run", InputFileID: "file-x-used", Status: batchgate.StatusInProgress, Owner: ownerA, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &run))
	must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: "batch-x-done", InputFileID: "file-x-done", Status: batchgate.StatusCompleted, Owner: ownerA, CreatedAt: base, UpdatedAt: base}))

	now := base.Add(2 * time.Hour)
	ids := func(limit int) []string {
		t.Helper()
		files, err := s.FindExpiredFiles(ctx, now, limit)
		must(t, err)
		var out []string
		for _, f := range files {
			out = append(out, f.ID)
			if f.ID == full.ID {
				checkEqual(t, "expired file", f, &full)
			}
		}
		return out
	}
	want := []string{"file-x-done", "file-x-a", "file-x-full", "file-x-out"}
	if got := ids(100); !slices.Equal(got, want) {
		t.Errorf("FindExpiredFiles(now, 100) = %q, want %q", got, want)
	}
	if got := ids(2); !slices.Equal(got, want[:2]) {
		t.Errorf("FindExpiredFiles(now, 2) = %q, want %q", got, want[:2])
	}
	if got := ids(0); len(got) != 0 {
		t.Errorf("FindExpiredFiles(now, 0) = %q, want nothing", got)
	}

	// The batch ends: its input file expires too.
	run.Status = batchgate.StatusCompleted
	must(t, s.UpdateBatch(ctx, &run))
	want = append([]string{"file-x-used"}, want...)
	if got := ids(100); !slices.Equal(got, want) {
		t.Errorf("after the batch ended: FindExpiredFiles = %q, want %q", got, want)
	}

	// SetFileExpiry clears and sets ExpiresAt, and nothing else.
	must(t, s.SetFileExpiry(ctx, full.ID, nil))
	got, err := s.FindFileByID(ctx, full.ID)
	must(t, err)
	cleared := full
	cleared.ExpiresAt = nil
	checkEqual(t, "file after SetFileExpiry(nil)", got, &cleared)
	must(t, s.SetFileExpiry(ctx, "file-x-never", at(time.Minute)))
	must(t, s.SetFileExpiry(ctx, "file-x-later", at(-time.Minute)))
	want = []string{"file-x-later", "file-x-used", "file-x-never", "file-x-done", "file-x-a", "file-x-out"}
	if got := ids(100); !slices.Equal(got, want) {
		t.Errorf("after SetFileExpiry: FindExpiredFiles = %q, want %q", got, want)
	}
	checkCode(t, "SetFileExpiry of a missing file", s.SetFileExpiry(ctx, "file-missing", at(0)), batchgate.ENOTFOUND)
}
