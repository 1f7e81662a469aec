package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

func testFileRoundTrip(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var full batchgate.File
	fill(t, &full, 1)
	must(t, s.CreateFile(ctx, &full))
	got, err := s.FindFileByID(ctx, full.ID)
	must(t, err)
	checkEqual(t, "full file", got, &full)

	files, err := s.FindFiles(ctx, batchgate.FileFilter{Scope: batchgate.Scope{All: true}})
	must(t, err)
	if len(files) != 1 {
		t.Fatalf("FindFiles: got %d files, want 1", len(files))
	}
	checkEqual(t, "listed file", files[0], &full)

	bare := batchgate.File{ID: "file-bare", CreatedAt: base}
	must(t, s.CreateFile(ctx, &bare))
	got, err = s.FindFileByID(ctx, bare.ID)
	must(t, err)
	checkEqual(t, "bare file", got, &bare)
}

func testFileConflict(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var f batchgate.File
	fill(t, &f, 1)
	must(t, s.CreateFile(ctx, &f))
	dup := f
	dup.Filename = "other.jsonl"
	checkCode(t, "CreateFile of an existing id", s.CreateFile(ctx, &dup), batchgate.ECONFLICT)
	got, err := s.FindFileByID(ctx, f.ID)
	must(t, err)
	checkEqual(t, "file after conflict", got, &f)
}

func testFileNotFound(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	_, err := s.FindFileByID(ctx, "file-missing")
	checkCode(t, "FindFileByID", err, batchgate.ENOTFOUND)
	checkCode(t, "DeleteFile", s.DeleteFile(ctx, "file-missing"), batchgate.ENOTFOUND)
}

func testFileDelete(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var f, other batchgate.File
	fill(t, &f, 1)
	fill(t, &other, 2)
	must(t, s.CreateFile(ctx, &f))
	must(t, s.CreateFile(ctx, &other))
	must(t, s.DeleteFile(ctx, f.ID))
	_, err := s.FindFileByID(ctx, f.ID)
	checkCode(t, "FindFileByID after DeleteFile", err, batchgate.ENOTFOUND)
	checkCode(t, "second DeleteFile", s.DeleteFile(ctx, f.ID), batchgate.ENOTFOUND)
	files, err := s.FindFiles(ctx, batchgate.FileFilter{Scope: batchgate.Scope{All: true}})
	must(t, err)
	if len(files) != 1 || files[0].ID != other.ID {
		t.Errorf("FindFiles after DeleteFile: got %d files, want only %s", len(files), other.ID)
	}
}

func testFileScope(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var objects []owned // newest first
	for i, o := range owners {
		f := batchgate.File{ID: fmt.Sprintf("file-%d", i), Purpose: batchgate.PurposeBatch, Owner: o,
			CreatedAt: base.Add(time.Duration(i) * time.Second)}
		must(t, s.CreateFile(ctx, &f))
		objects = slices.Insert(objects, 0, owned{f.ID, o})
	}
	checkScope(t, objects, func(sc batchgate.Scope) ([]string, error) {
		return fileIDs(s.FindFiles(ctx, batchgate.FileFilter{Scope: sc}))
	})
}

func testFilePurpose(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	purposes := []string{batchgate.PurposeBatch, batchgate.PurposeBatchOutput, batchgate.PurposeBatch, batchgate.PurposeBatchOutput}
	for i, p := range purposes {
		f := batchgate.File{ID: fmt.Sprintf("file-%d", i), Purpose: p, Owner: ownerA,
			CreatedAt: base.Add(time.Duration(i) * time.Second)}
		must(t, s.CreateFile(ctx, &f))
	}
	for _, tc := range []struct {
		purpose string
		want    []string
	}{
		{"", []string{"file-3", "file-2", "file-1", "file-0"}},
		{batchgate.PurposeBatch, []string{"file-2", "file-0"}},
		{batchgate.PurposeBatchOutput, []string{"file-3", "file-1"}},
		{"fine-tune", nil},
	} {
		got, err := fileIDs(s.FindFiles(ctx, batchgate.FileFilter{Scope: batchgate.Scope{KeyID: ownerA.KeyID}, Purpose: tc.purpose}))
		if err != nil {
			t.Errorf("purpose %q: %v", tc.purpose, err)
		} else if !slices.Equal(got, tc.want) {
			t.Errorf("purpose %q: got %q, want %q", tc.purpose, got, tc.want)
		}
	}
	// Paging within a purpose.
	got, err := fileIDs(s.FindFiles(ctx, batchgate.FileFilter{Scope: batchgate.Scope{All: true},
		Purpose: batchgate.PurposeBatch, Page: batchgate.Page{After: "file-2", Limit: 5}}))
	must(t, err)
	if !slices.Equal(got, []string{"file-0"}) {
		t.Errorf("purpose batch after file-2: got %q, want [file-0]", got)
	}
}

func filePager(s batchgate.Store) pager {
	return pager{
		create: func(t *testing.T, id string, createdAt time.Time, o batchgate.Owner) {
			t.Helper()
			must(t, s.CreateFile(t.Context(), &batchgate.File{ID: id, Purpose: batchgate.PurposeBatch, Owner: o, CreatedAt: createdAt}))
		},
		list: func(t *testing.T, sc batchgate.Scope, p batchgate.Page) ([]string, error) {
			return fileIDs(s.FindFiles(t.Context(), batchgate.FileFilter{Scope: sc, Page: p}))
		},
	}
}

func testFilePages(t *testing.T, s batchgate.Store)    { testPages(t, filePager(s)) }
func testFileLimitCap(t *testing.T, s batchgate.Store) { testLimitCap(t, filePager(s)) }

func fileIDs(files []*batchgate.File, err error) ([]string, error) {
	var ids []string
	for _, f := range files {
		ids = append(ids, f.ID)
	}
	return ids, err
}
