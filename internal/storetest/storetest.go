// Package storetest is the conformance suite of batchgate.Store: every store
// (internal/sqlite, internal/postgres) runs it and must pass it unchanged.
//
// Contract checked here, beyond the comments of batchgate.Store:
//
//   - Every field round-trips. Times keep at least millisecond precision and
//     come back in UTC; the suite compares them after truncating both sides to
//     the millisecond (SQLite stores unix milliseconds, PostgreSQL
//     microseconds). Nil pointers, maps and slices come back nil.
//   - FindKeyByToken, FindFileByID, FindBatchByID, FindUserByID,
//     FindTeamByID, the Update* methods, DeleteKey and DeleteFile return
//     ENOTFOUND for a missing id; listings return an empty result, not an
//     error, when nothing matches.
//   - Create* return ECONFLICT for an id (token) that exists.
//   - UpdateKey, UpdateUser and UpdateTeam change neither the id, CreatedAt
//     nor Spend (RecordSpend and ResetBudgets own Spend); they write every
//     other field (BudgetResetAt as below). UpdateBatch changes neither ID,
//     Owner nor CreatedAt, and writes LeaseOwner and LeaseUntil as given.
//   - FindKeys(user, team) filters by each of user and team that is not
//     empty (AND); both empty lists every key.
//   - FindFiles, FindBatches and FindSpendLogs return exactly what
//     Scope.Allows admits, newest first (CreatedAt, then id, descending).
//     Pages hold Limit items (0 means 20, at most 10000). Page.After is the
//     id of the last item of the previous page; an After the scope can't see,
//     or that doesn't exist, gives an empty page (or ENOTFOUND/EINVALID),
//     never items positioned relative to a hidden object.
//   - RecordSpend is idempotent per BatchID, also under concurrent calls,
//     and adds the cost to each of the key, user and team of the owner that
//     exists.
//   - UpdateBatch keeps what a stale copy must not undo: a batch in a
//     Terminal status is final (ECONFLICT, nothing written); a JobARN once
//     set is kept (with its JobStatus when the update has no JobARN);
//     cancelling stays until a Terminal status, and CancellingAt is kept;
//     a billed batch (one with a spend log) keeps its billed Cost and
//     Reserved 0. RecordSpend sets the batch's Cost and clears Reserved in
//     the transaction that bills it.
//   - UpdateKey, UpdateUser and UpdateTeam write BudgetResetAt only when
//     BudgetDuration changes or is empty: ResetBudgets owns it otherwise.
//   - ClaimBatches leases running (non-Terminal) batches whose lease is free
//     at now: LeaseOwner empty, LeaseUntil nil, LeaseUntil <= now, or
//     LeaseOwner the claimer (a renewal). It takes the least recently
//     updated first, at most limit (limit <= 0 takes none), sets LeaseOwner
//     and LeaseUntil = now+ttl and nothing else (not UpdatedAt), and returns
//     the batches stalest first. Concurrent claims, from one store or from
//     several sharing a database (RunReplicas), never lease a batch to two
//     owners at once. An empty owner or a ttl <= 0 is EINVALID.
//   - ReservedSpend sums Reserved over running batches; an empty id in the
//     owner sums to 0 (it never matches the master key's empty columns).
//   - ResetBudgets resets the keys, users and teams with BudgetResetAt <=
//     now, and moves BudgetResetAt on by whole BudgetDurations to the first
//     time after now. Rows whose duration doesn't parse or is zero are left
//     alone. With several stores on one database, each row is reset once.
//   - WithLock(name) never runs two fns at once, from one store or from
//     several sharing a database; names don't exclude each other; the lock
//     is free again after fn returns an error or panics, and after a waiter
//     whose context ended gave up.
package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// Run runs the suite. open must return a new, empty store each time it is
// called; Run closes it when the subtest ends (cleanups that open registers
// run after that). Subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) batchgate.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s batchgate.Store)
	}{
		{"Key/RoundTrip", testKeyRoundTrip},
		{"Key/ErrConflict", testKeyConflict},
		{"Key/ErrNotFound", testKeyNotFound},
		{"Key/Update", testKeyUpdate},
		{"Key/Delete", testKeyDelete},
		{"Key/FindKeys", testFindKeys},
		{"Key/ErrNoID", testKeyNoID},
		{"Key/Reissue", testKeyReissue},

		{"File/RoundTrip", testFileRoundTrip},
		{"File/ErrConflict", testFileConflict},
		{"File/ErrNotFound", testFileNotFound},
		{"File/Delete", testFileDelete},
		{"File/Scope", testFileScope},
		{"File/Purpose", testFilePurpose},
		{"File/Pages", testFilePages},
		{"File/LimitCap", testFileLimitCap},
		{"File/Expiry", testFileExpiry},
		{"File/ObjectRefs", testObjectRefs},

		{"Batch/RoundTrip", testBatchRoundTrip},
		{"Batch/ErrConflict", testBatchConflict},
		{"Batch/ErrNotFound", testBatchNotFound},
		{"Batch/Update", testBatchUpdate},
		{"Batch/Scope", testBatchScope},
		{"Batch/NonTerminal", testBatchNonTerminal},
		{"Batch/Pages", testBatchPages},
		{"Batch/LimitCap", testBatchLimitCap},
		{"Batch/Concurrent", testBatchConcurrent},
		{"Batch/StaleWriters", testBatchStaleWriters},
		{"Batch/TerminalIsFinal", testBatchTerminalIsFinal},
		{"Spend/ReplacesReservation", testRecordSpendReplacesReservation},
		{"Budget/StaleUpdateKeepsReset", testStaleUpdateKeepsReset},

		{"Spend/Record", testRecordSpend},
		{"Spend/NoKey", testRecordSpendNoKey},
		{"Spend/ConcurrentSameBatch", testRecordSpendConcurrentSameBatch},
		{"Spend/ConcurrentManyBatches", testRecordSpendConcurrentManyBatches},
		{"Spend/Scope", testSpendScope},
		{"Spend/Query", testQuerySpendLogs},
		{"Spend/Attribution", testRecordSpendAttribution},
		{"Spend/ConcurrentAttribution", testRecordSpendConcurrentAttribution},

		{"User/RoundTrip", testUserRoundTrip},
		{"User/ErrConflict", testUserConflict},
		{"User/ErrNotFound", testUserNotFound},
		{"User/Update", testUserUpdate},

		{"Team/RoundTrip", testTeamRoundTrip},
		{"Team/ErrConflict", testTeamConflict},
		{"Team/ErrNotFound", testTeamNotFound},
		{"Team/Update", testTeamUpdate},

		{"Lease/Claim", testClaim},
		{"Lease/Limit", testClaimLimit},
		{"Lease/Expiry", testClaimExpiry},
		{"Lease/ErrInvalid", testClaimInvalid},
		{"Lease/Concurrent", testClaimConcurrent},

		{"Budget/ReservedSpend", testReservedSpend},
		{"Budget/Reset", testResetBudgets},

		{"Lock/Exclusive", testLockExclusive},
		{"Lock/Release", testLockRelease},
		{"Lock/ManyNames", testLockManyNames},

		{"Ops/FileParts", testFileParts},
		{"Ops/BatchJobs", testBatchJobs},
		{"Ops/MarkCancelling", testMarkCancelling},
		{"Ops/CountRunningJobs", testCountRunningJobs},
		{"Ops/JobDeployments", testJobDeployments},
		{"Ops/CountRunningBatchesOfFile", testCountRunningBatchesOfFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// RunReplicas runs the tests of several stores sharing one database, as
// replicas of the gateway do. open must return n stores on a new, empty
// database each time it is called; RunReplicas closes them when the subtest
// ends. Subtests run in parallel.
func RunReplicas(t *testing.T, open func(t *testing.T, n int) []batchgate.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, replicas []batchgate.Store)
	}{
		{"Lease/Concurrent", testReplicasClaim},
		{"Spend/Concurrent", testReplicasRecordSpend},
		{"Budget/Reset", testReplicasResetBudgets},
		{"Batch/StaleWriters", testReplicasStaleWriters},
		{"Lock/Exclusive", testReplicasLock},
	}
	const n = 3
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			replicas := open(t, n)
			if len(replicas) != n {
				t.Fatalf("open(%d) returned %d stores", n, len(replicas))
			}
			t.Cleanup(func() {
				for _, s := range replicas {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				}
			})
			tt.fn(t, replicas)
		})
	}
}

// base is the time fill starts from: not UTC, and with sub-millisecond
// digits, so that stores must convert and truncate.
var base = time.Date(2026, time.March, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+1", 3600))

// fill sets every exported field of the struct *p, recursively, to a
// non-zero value that depends on seed and the field. A field of a type it
// doesn't know fails the test, so a field added to a domain type is
// round-tripped as soon as it exists.
func fill(t *testing.T, p any, seed int) {
	t.Helper()
	n := 0
	fillValue(t, reflect.ValueOf(p).Elem(), "", seed, &n)
}

func fillValue(t *testing.T, v reflect.Value, name string, seed int, n *int) {
	t.Helper()
	*n++
	i := *n
	at := base.Add(time.Duration(seed)*24*time.Hour + time.Duration(i)*time.Minute)
	f := float64(seed) + float64(i)/8 // exact in binary
	switch x := v.Addr().Interface().(type) {
	case *time.Time:
		*x = at
	case **time.Time:
		*x = &at
	case *string:
		*x = fmt.Sprintf("%s-%d", name, seed)
	case *int:
		*x = seed*1000 + i
	case *int64:
		*x = int64(seed*1000+i) << 33 // more than 32 bits
	case *float64:
		*x = f
	case **int64:
		n := int64(seed*1000+i) << 33
		*x = &n
	case **float64:
		*x = &f
	case *bool:
		*x = true
	case *[]string:
		*x = []string{name + "-a", fmt.Sprint(seed)}
	case *map[string]string:
		*x = map[string]string{"name": name, "seed": fmt.Sprint(seed), "empty": ""}
	case *map[string]any:
		*x = map[string]any{
			"name":   name,
			"seed":   float64(seed), // JSON numbers decode as float64
			"flag":   true,
			"null":   nil,
			"nested": map[string]any{"list": []any{"a", 1.5, false}},
		}
	default:
		switch {
		case v.Kind() == reflect.Struct: // embedded structs (Budget) too
			for j := range v.NumField() {
				sf := v.Type().Field(j)
				if sf.IsExported() {
					fillValue(t, v.Field(j), strings.TrimPrefix(name+"."+sf.Name, "."), seed, n)
				}
			}
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct: // []TeamMember
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for k := range v.Len() {
				fillValue(t, v.Index(k), fmt.Sprintf("%s[%d]", name, k), seed, n)
			}
		default:
			t.Fatalf("storetest: fill: field %s has type %s; teach fill about it", name, v.Type())
		}
	}
}

// checkEqual reports the fields of *got that differ from *want, and the
// times of *got that are not in UTC.
func checkEqual[T any](t *testing.T, what string, got, want *T) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil", what)
		return
	}
	var d []string
	diff(reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem(), "", &d)
	if len(d) > 0 {
		t.Errorf("%s differs:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

var timeType = reflect.TypeFor[time.Time]()

func diff(got, want reflect.Value, path string, out *[]string) {
	switch {
	case got.Type() == timeType:
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Truncate(time.Millisecond).Equal(w.Truncate(time.Millisecond)) {
			*out = append(*out, fmt.Sprintf("%s = %v, want %v", path, g, w))
		} else if g.Location() != time.UTC {
			*out = append(*out, fmt.Sprintf("%s = %v, want it in UTC", path, g))
		}
	case got.Kind() == reflect.Pointer && got.Type().Elem() == timeType:
		switch {
		case got.IsNil() && want.IsNil():
		case got.IsNil() || want.IsNil():
			*out = append(*out, fmt.Sprintf("%s = %s, want %s", path, show(got), show(want)))
		default:
			diff(got.Elem(), want.Elem(), path, out)
		}
	case got.Kind() == reflect.Struct:
		for i := range got.NumField() {
			if got.Type().Field(i).IsExported() {
				diff(got.Field(i), want.Field(i), strings.TrimPrefix(path+"."+got.Type().Field(i).Name, "."), out)
			}
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*out = append(*out, fmt.Sprintf("%s = %s, want %s", path, show(got), show(want)))
		}
	}
}

// show formats v, dereferencing pointers.
func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil"
		}
		return "&" + show(v.Elem())
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// checkCode fails the test unless err is a *batchgate.Error with code.
func checkCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: err = nil, want code %s", what, code)
	} else if got := batchgate.ErrorCode(err); got != code {
		t.Errorf("%s: err = %v (code %s), want code %s", what, err, got, code)
	}
}

// keyToken is the token of the keys the tests create with ID id: unlike
// the ID, so that a store keying owners on the token fails them.
func keyToken(id string) string { return "token-" + id }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Owners and scopes of the scope tests. Two keys share team t1; the master
// key owns objects with empty owner fields, and kd belongs to no team: an
// empty TeamID or KeyID in a scope must not match them.
var (
	ownerA      = batchgate.Owner{KeyID: "ka", UserID: "ua", TeamID: "t1"}
	ownerB      = batchgate.Owner{KeyID: "kb", UserID: "ub", TeamID: "t1"}
	ownerC      = batchgate.Owner{KeyID: "kc", UserID: "uc", TeamID: "t2"}
	ownerD      = batchgate.Owner{KeyID: "kd", UserID: "ud"}
	ownerMaster = batchgate.Owner{}
	owners      = []batchgate.Owner{ownerA, ownerB, ownerC, ownerD, ownerMaster}

	scopes = []batchgate.Scope{
		{},
		{All: true},
		{All: true, KeyID: "ka"},
		{KeyID: "ka"},
		{KeyID: "kd"},
		{KeyID: "ka", TeamID: "t1"},
		{KeyID: "kc", TeamID: "t1"},
		{KeyID: "kd", TeamID: "t2"},
		{TeamID: "t1"},
		{TeamID: "t2"},
		{KeyID: "nobody"},
		{TeamID: "nobody"},
	}
)

// checkScope checks that list(scope) returns, in order, exactly the ids of
// objects (given newest first) that scope.Allows.
func checkScope(t *testing.T, objects []owned, list func(batchgate.Scope) ([]string, error)) {
	t.Helper()
	for _, sc := range scopes {
		var want []string
		for _, o := range objects {
			if sc.Allows(o.owner) {
				want = append(want, o.id)
			}
		}
		got, err := list(sc)
		if err != nil {
			t.Errorf("scope %+v: %v", sc, err)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("scope %+v: got %q, want %q", sc, got, want)
		}
	}
}

type owned struct {
	id    string
	owner batchgate.Owner
}

// pager lets the paging tests run against files and batches alike.
type pager struct {
	create func(t *testing.T, id string, createdAt time.Time, o batchgate.Owner)
	list   func(t *testing.T, sc batchgate.Scope, p batchgate.Page) ([]string, error)
}

// testPages checks newest-first keyset paging, ties on CreatedAt broken by
// id, the default limit, and After ids that are hidden or don't exist.
func testPages(t *testing.T, pg pager) {
	const n = 25
	var all, mine []string // newest first
	type item struct {
		id string
		at time.Time
		o  batchgate.Owner
	}
	var items []item
	for i := range n {
		// Three items per millisecond; ids not in creation order.
		id := fmt.Sprintf("pg-%02d", (i*7)%n)
		o := ownerA
		if i%5 == 0 {
			o = ownerC
		}
		items = append(items, item{id, base.Add(time.Duration(i/3) * time.Millisecond), o})
	}
	for _, it := range items {
		pg.create(t, it.id, it.at, it.o)
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	for _, it := range items {
		all = append(all, it.id)
		if it.o == ownerA {
			mine = append(mine, it.id)
		}
	}

	walk := func(sc batchgate.Scope, limit int, asc ...bool) []string {
		t.Helper()
		var got []string
		after := ""
		for range n + 1 {
			page, err := pg.list(t, sc, batchgate.Page{After: after, Limit: limit, Ascending: len(asc) > 0 && asc[0]})
			if err != nil {
				t.Fatalf("page after %q: %v", after, err)
			}
			if len(page) > limit {
				t.Fatalf("page after %q has %d items, limit %d", after, len(page), limit)
			}
			got = append(got, page...)
			if len(page) < limit {
				return got
			}
			after = page[len(page)-1]
		}
		t.Fatalf("paging does not end: %q", got)
		return nil
	}
	if got := walk(batchgate.Scope{All: true}, 7); !slices.Equal(got, all) {
		t.Errorf("pages of 7:\n got %q\nwant %q", got, all)
	}
	if got := walk(batchgate.Scope{All: true}, 1); !slices.Equal(got, all) {
		t.Errorf("pages of 1:\n got %q\nwant %q", got, all)
	}
	if got := walk(batchgate.Scope{KeyID: ownerA.KeyID}, 4); !slices.Equal(got, mine) {
		t.Errorf("pages of 4 in scope:\n got %q\nwant %q", got, mine)
	}
	// Oldest first (OpenAI's order=asc), paged the same way.
	oldest, mineOldest := slices.Clone(all), slices.Clone(mine)
	slices.Reverse(oldest)
	slices.Reverse(mineOldest)
	if got := walk(batchgate.Scope{All: true}, 7, true); !slices.Equal(got, oldest) {
		t.Errorf("ascending pages of 7:\n got %q\nwant %q", got, oldest)
	}
	if got := walk(batchgate.Scope{KeyID: ownerA.KeyID}, 3, true); !slices.Equal(got, mineOldest) {
		t.Errorf("ascending pages of 3 in scope:\n got %q\nwant %q", got, mineOldest)
	}

	got, err := pg.list(t, batchgate.Scope{All: true}, batchgate.Page{})
	must(t, err)
	if !slices.Equal(got, all[:20]) {
		t.Errorf("Limit 0: got %q, want the first 20: %q", got, all[:20])
	}
	got, err = pg.list(t, batchgate.Scope{All: true}, batchgate.Page{After: all[len(all)-1], Limit: 10})
	must(t, err)
	if len(got) != 0 {
		t.Errorf("after the last item: got %q, want nothing", got)
	}

	// After an id the scope can't see, or that doesn't exist: nothing.
	var hidden string
	for _, it := range items[:n/2] {
		if it.o == ownerC {
			hidden = it.id
			break
		}
	}
	for _, after := range []string{hidden, "pg-missing"} {
		got, err := pg.list(t, batchgate.Scope{KeyID: ownerA.KeyID}, batchgate.Page{After: after, Limit: 100})
		if code := batchgate.ErrorCode(err); err != nil && code != batchgate.ENOTFOUND && code != batchgate.EINVALID {
			t.Errorf("after %q: %v", after, err)
		}
		if len(got) != 0 {
			t.Errorf("after %q, which the scope can't see: got %q, want nothing", after, got)
		}
	}
	got, err = pg.list(t, batchgate.Scope{}, batchgate.Page{After: all[0], Limit: 100})
	if err == nil && len(got) != 0 {
		t.Errorf("zero scope: got %q, want nothing", got)
	}
}

// testLimitCap checks that a page holds at most 10000 items.
func testLimitCap(t *testing.T, pg pager) {
	if testing.Short() {
		t.Skip("creates 10001 objects")
	}
	const capLimit = 10000
	for i := range capLimit + 1 {
		pg.create(t, fmt.Sprintf("cap-%05d", i), base.Add(time.Duration(i)*time.Millisecond), ownerA)
	}
	got, err := pg.list(t, batchgate.Scope{All: true}, batchgate.Page{Limit: 2 * capLimit})
	must(t, err)
	if len(got) != capLimit {
		t.Errorf("Limit %d: got %d items, want %d", 2*capLimit, len(got), capLimit)
	}
	if len(got) > 0 && got[0] != fmt.Sprintf("cap-%05d", capLimit) {
		t.Errorf("first item %s, want the newest, cap-%05d", got[0], capLimit)
	}
}
