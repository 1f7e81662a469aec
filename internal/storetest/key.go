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
	bare := batchgate.Key{Token: "bare", CreatedAt: base, UpdatedAt: base}
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
	checkCode(t, "CreateKey of an existing token", s.CreateKey(ctx, &dup), batchgate.ECONFLICT)
	got, err := s.FindKeyByToken(ctx, k.Token)
	must(t, err)
	checkEqual(t, "key after conflict", got, &k)
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

	// Every field changes, but Token, CreatedAt and Spend are kept.
	var upd batchgate.Key
	fill(t, &upd, 2)
	upd.Token = orig.Token
	must(t, s.UpdateKey(ctx, &upd))
	want := upd
	want.CreatedAt, want.Spend = orig.CreatedAt, orig.Spend
	got, err := s.FindKeyByToken(ctx, orig.Token)
	must(t, err)
	checkEqual(t, "updated key", got, &want)

	// Set fields can be cleared.
	clr := want
	clr.Models, clr.Metadata, clr.MaxBudget, clr.ExpiresAt, clr.BudgetResetAt = nil, nil, nil, nil, nil
	clr.KeyAlias, clr.UserID, clr.TeamID, clr.BudgetDuration = "", "", "", ""
	clr.Blocked = false
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
