package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

func testKeyRoundTrip(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var full batchgate.Key
	fill(t, &full, 1)
	must(t, s.CreateKey(ctx, &full))
	got, err := s.FindKeyByToken(ctx, full.Token)
	must(t, err)
	checkEqual(t, "full key", got, &full)

	// Nil pointers, slices and maps stay nil.
	bare := batchgate.Key{ID: "key-bare", Token: "bare", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateKey(ctx, &bare))
	got, err = s.FindKeyByToken(ctx, bare.Token)
	must(t, err)
	checkEqual(t, "bare key", got, &bare)
}

func testKeyConflict(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var k batchgate.Key
	fill(t, &k, 1)
	must(t, s.CreateKey(ctx, &k))
	dup := k
	dup.KeyAlias = "other"
	checkCode(t, "CreateKey of an existing key", s.CreateKey(ctx, &dup), batchgate.ECONFLICT)
	// The token of a live key cannot be issued again under a new ID (a
	// custom secret in use), nor its ID given to another token.
	dup.ID = "key-other"
	checkCode(t, "CreateKey of an existing token", s.CreateKey(ctx, &dup), batchgate.ECONFLICT)
	dup.ID, dup.Token = k.ID, "other-token"
	checkCode(t, "CreateKey of an existing ID", s.CreateKey(ctx, &dup), batchgate.ECONFLICT)
	if _, err := s.FindKeyByToken(ctx, "other-token"); batchgate.ErrorCode(err) != batchgate.ENOTFOUND {
		t.Errorf("the key of a refused ID was stored: %v", err)
	}
	got, err := s.FindKeyByToken(ctx, k.Token)
	must(t, err)
	checkEqual(t, "key after conflict", got, &k)
}

// testKeyNoID: a key without an ID would own what the master key owns
// (the empty owner), so it is refused.
func testKeyNoID(t *testing.T, s batchgate.Store) {
	k := batchgate.Key{Token: "no-id", CreatedAt: base, UpdatedAt: base}
	checkCode(t, "CreateKey without an ID", s.CreateKey(t.Context(), &k), batchgate.EINVALID)
	if _, err := s.FindKeyByToken(t.Context(), k.Token); batchgate.ErrorCode(err) != batchgate.ENOTFOUND {
		t.Errorf("a key without an ID was stored: %v", err)
	}
}

// testKeyReissue: once a key is deleted its token may be issued again, as a
// new key with a new ID. The new key owns nothing of the old one: no file,
// batch, reservation or spend log in its scope, and the old key's batch
// billed later does not add to its spend.
func testKeyReissue(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	old := batchgate.Key{ID: "key-old", Token: "same-secret-hash", TeamID: "t1", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateKey(ctx, &old))
	owner := batchgate.Owner{KeyID: old.ID, TeamID: old.TeamID}
	must(t, s.CreateFile(ctx, &batchgate.File{ID: "file-old", Purpose: batchgate.PurposeBatch, Owner: owner, CreatedAt: base}))
	for _, id := range []string{"batch-done", "batch-running"} {
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: id, Status: batchgate.StatusInProgress, Owner: owner, Reserved: 3, CreatedAt: base, UpdatedAt: base}))
	}
	if ok, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: "batch-done", Owner: owner, Cost: 2, CreatedAt: base}); err != nil || !ok {
		t.Fatalf("RecordSpend = %v, %v", ok, err)
	}
	must(t, s.DeleteKey(ctx, old.Token))

	reissued := batchgate.Key{ID: "key-new", Token: old.Token, TeamID: "t2", CreatedAt: base.Add(time.Hour), UpdatedAt: base.Add(time.Hour)}
	must(t, s.CreateKey(ctx, &reissued))
	got, err := s.FindKeyByToken(ctx, old.Token)
	must(t, err)
	checkEqual(t, "reissued key", got, &reissued)

	// The old key's running batch is billed after the re-issue.
	if ok, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: "batch-running", Owner: owner, Cost: 5, CreatedAt: base}); err != nil || !ok {
		t.Fatalf("RecordSpend = %v, %v", ok, err)
	}
	if got, err = s.FindKeyByToken(ctx, old.Token); err != nil || got.Spend != 0 {
		t.Errorf("reissued key after the old key's batch was billed: %+v, %v; want Spend 0", got, err)
	}

	scope := batchgate.Scope{KeyID: reissued.ID}
	if files, err := s.FindFiles(ctx, batchgate.FileFilter{Scope: scope}); err != nil || len(files) != 0 {
		t.Errorf("FindFiles of the reissued key = %d files, %v; want none", len(files), err)
	}
	if batches, err := s.FindBatches(ctx, batchgate.BatchFilter{Scope: scope}); err != nil || len(batches) != 0 {
		t.Errorf("FindBatches of the reissued key = %d batches, %v; want none", len(batches), err)
	}
	if logs, err := s.FindSpendLogs(ctx, scope); err != nil || len(logs) != 0 {
		t.Errorf("FindSpendLogs of the reissued key = %d logs, %v; want none", len(logs), err)
	}
	must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: "batch-other", Status: batchgate.StatusInProgress,
		Owner: batchgate.Owner{KeyID: "key-old"}, Reserved: 7, CreatedAt: base, UpdatedAt: base}))
	if k, _, _, err := s.ReservedSpend(ctx, batchgate.Owner{KeyID: reissued.ID}); err != nil || k != 0 {
		t.Errorf("ReservedSpend of the reissued key = %v, %v; want 0", k, err)
	}
	// The old objects keep their owner: the old ID still selects them.
	if files, err := s.FindFiles(ctx, batchgate.FileFilter{Scope: batchgate.Scope{KeyID: old.ID}}); err != nil || len(files) != 1 {
		t.Errorf("FindFiles of the old key's ID = %d files, %v; want 1", len(files), err)
	}
}

func testKeyNotFound(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	_, err := s.FindKeyByToken(ctx, "missing")
	checkCode(t, "FindKeyByToken", err, batchgate.ENOTFOUND)
	k := batchgate.Key{Token: "missing", CreatedAt: base, UpdatedAt: base}
	checkCode(t, "UpdateKey", s.UpdateKey(ctx, &k), batchgate.ENOTFOUND)
	checkCode(t, "DeleteKey", s.DeleteKey(ctx, "missing"), batchgate.ENOTFOUND)
}

func testKeyUpdate(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var orig batchgate.Key
	fill(t, &orig, 1)
	must(t, s.CreateKey(ctx, &orig))

	// A copy of another key with the same token (the key deleted and its
	// secret issued again) does not write over it.
	var upd batchgate.Key
	fill(t, &upd, 2)
	upd.Token = orig.Token
	checkCode(t, "UpdateKey of another key's ID", s.UpdateKey(ctx, &upd), batchgate.ENOTFOUND)
	got, err := s.FindKeyByToken(ctx, orig.Token)
	must(t, err)
	checkEqual(t, "key after an update under another ID", got, &orig)

	// Every other field changes, but CreatedAt and Spend are kept.
	upd.ID = orig.ID
	must(t, s.UpdateKey(ctx, &upd))
	want := upd
	want.CreatedAt, want.Spend = orig.CreatedAt, orig.Spend
	got, err = s.FindKeyByToken(ctx, orig.Token)
	must(t, err)
	checkEqual(t, "updated key", got, &want)

	// Set fields can be cleared.
	clr := want
	clr.Models, clr.Metadata, clr.MaxBudget, clr.ExpiresAt, clr.BudgetResetAt = nil, nil, nil, nil, nil
	clr.KeyAlias, clr.UserID, clr.TeamID, clr.BudgetDuration = "", "", "", ""
	clr.Blocked = false
	clr.KeyLimits = batchgate.KeyLimits{}
	must(t, s.UpdateKey(ctx, &clr))
	got, err = s.FindKeyByToken(ctx, orig.Token)
	must(t, err)
	checkEqual(t, "cleared key", got, &clr)
}

func testKeyDelete(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var k, other batchgate.Key
	fill(t, &k, 1)
	fill(t, &other, 2)
	must(t, s.CreateKey(ctx, &k))
	must(t, s.CreateKey(ctx, &other))
	must(t, s.DeleteKey(ctx, k.Token))
	_, err := s.FindKeyByToken(ctx, k.Token)
	checkCode(t, "FindKeyByToken after DeleteKey", err, batchgate.ENOTFOUND)
	checkCode(t, "second DeleteKey", s.DeleteKey(ctx, k.Token), batchgate.ENOTFOUND)
	if _, err := s.FindKeyByToken(ctx, other.Token); err != nil {
		t.Errorf("other key: %v", err)
	}
}

func testFindKeys(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	type kt struct{ user, team string }
	var all []kt
	for i, o := range []kt{{"u1", "t1"}, {"u1", "t2"}, {"u2", "t1"}, {"u1", ""}, {"", "t1"}, {"", ""}, {"u1", "t1"}} {
		k := batchgate.Key{
			ID:        fmt.Sprintf("id-%d", i),
			Token:     fmt.Sprintf("key-%d", i),
			UserID:    o.user,
			TeamID:    o.team,
			CreatedAt: base.Add(time.Duration(i) * time.Second),
			UpdatedAt: base,
		}
		must(t, s.CreateKey(ctx, &k))
		all = append(all, o)
	}
	for _, q := range []kt{{"", ""}, {"u1", ""}, {"", "t1"}, {"u1", "t1"}, {"u2", "t2"}, {"nobody", ""}} {
		var want []string
		for i := len(all) - 1; i >= 0; i-- { // newest first
			if (q.user == "" || all[i].user == q.user) && (q.team == "" || all[i].team == q.team) {
				want = append(want, fmt.Sprintf("key-%d", i))
			}
		}
		keys, err := s.FindKeys(ctx, q.user, q.team)
		if err != nil {
			t.Errorf("FindKeys(%q, %q): %v", q.user, q.team, err)
			continue
		}
		var got []string
		for _, k := range keys {
			got = append(got, k.Token)
		}
		if !slices.Equal(got, want) {
			t.Errorf("FindKeys(%q, %q) = %q, want %q", q.user, q.team, got, want)
		}
	}
	// Listed keys carry every field.
	var full batchgate.Key
	fill(t, &full, 3)
	must(t, s.CreateKey(ctx, &full))
	keys, err := s.FindKeys(ctx, full.UserID, full.TeamID)
	must(t, err)
	if len(keys) != 1 {
		t.Fatalf("FindKeys of the full key: got %d keys, want 1", len(keys))
	}
	checkEqual(t, "listed key", keys[0], &full)
}
